import MoteCrypto
import MotePrimitives
import MoteTransactions
import Testing

@testable import MoteNode

@Suite struct OperatorAccountTests {
    let key = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "operator account test").bytes)

    @Test func signsACallPricedByTheFeePolicy() throws {
        let account = OperatorAccount(key: key, chainID: 4_689)
        let contract = Address(suffixOf: Keccak256.hash(utf8: "a system contract"))
        let raw = try #require(account.call(contract, data: [1, 2, 3], gas: 250_000, nonce: 7, nextBaseFee: 1_000_000_000))
        let signed = try SignedTransaction(decoding: raw, rules: TransactionRules(chainID: 4_689))
        #expect(signed.sender == key.address)
        let tx = signed.transaction
        #expect(tx.kind == .dynamicFee && tx.chainID == 4_689 && tx.nonce == 7 && tx.gasLimit == 250_000)
        #expect(tx.to == contract && tx.value == .zero && tx.data == [1, 2, 3])
        #expect(tx.maxPriorityFeePerGas == FeePolicy.defaultTip)
        #expect(tx.maxFeePerGas == FeePolicy.maxFee(baseFee: 1_000_000_000, tip: FeePolicy.defaultTip))
    }
}
