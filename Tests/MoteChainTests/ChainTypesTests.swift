import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import MoteTransactions
import Testing

@testable import MoteChain

@Suite struct ChainTypesTests {
    let key = try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: 5, count: 32))

    func sampleBlock() -> Block {
        let tx = Transaction.dynamicFee(
            chainID: 7, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10, gasLimit: 21_000,
            to: Address(suffixOf: Keccak256.hash(utf8: "to")), value: 5
        ).signed(with: key)
        let header = BlockHeader(
            parentHash: Keccak256.hash(utf8: "parent"), height: 3, timestamp: 1_700_000_000, producer: key.address,
            epoch: 1, stateRoot: Account.emptyTrieRoot, transactionsRoot: Account.emptyTrieRoot,
            receiptsRoot: Account.emptyTrieRoot, logsBloom: Bloom(), gasUsed: 21_000, gasLimit: 30_000_000,
            baseFee: 7, parentCommit: [1, 2, 3], vrfProof: [UInt8](repeating: 9, count: 80))
        return Block(header: header, transactions: [tx])
    }

    @Test func headerAndBlockRoundTrip() throws {
        let block = sampleBlock()
        #expect(try BlockHeader(encoded: block.header.encoded) == block.header)
        #expect(try Block(encoded: block.encoded, rules: TransactionRules(chainID: 7)) == block)
        #expect(try Block(storageEncoding: block.storageEncoding) == block)
        #expect(block.hash == Keccak256.hash(block.header.encoded))
    }

    @Test func malformedDataIsRefused() {
        let block = sampleBlock()
        var badProof = block.header
        badProof.vrfProof = [1, 2, 3]
        #expect(throws: ChainDecodingError.self) { try BlockHeader(encoded: badProof.encoded) }
        #expect(throws: ChainDecodingError.self) { try Block(encoded: block.encoded, rules: TransactionRules(chainID: 8)) }
        #expect(throws: ChainDecodingError.self) { try BlockHeader(encoded: Array(block.header.encoded.dropLast())) }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5_000 {
            let bytes = rng.bytes(Int(rng.next() % 300))
            _ = try? Block(storageEncoding: bytes)
            _ = try? Receipt(storageEncoding: bytes)
            _ = try? Account(encoded: bytes)
        }
    }

    @Test func accountEncodingIsEthereums() throws {
        let account = Account(nonce: 1, balance: 2)
        #expect(try Account(encoded: account.encoded) == account)
        // The direct encoder agrees with the generic RLP one at every integer length boundary.
        let integers: [UInt64] = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, UInt64.max >> 8, UInt64.max]
        for nonce in integers {
            for balance in integers.map({ UInt256($0) }) + [UInt256(1) << 200, UInt256.max] {
                let other = Account(nonce: nonce, balance: balance, storageRoot: Keccak256.hash(utf8: "root"))
                let expected = RLP.encode(.list([.uint(nonce), .uint(balance), .bytes(other.storageRoot.bytes), .bytes(other.codeHash.bytes)]))
                #expect(other.encoded == expected)
                #expect(try Account(encoded: other.encoded) == other)
            }
        }
        #expect(Account().isEmpty)
        #expect(!account.isEmpty)
    }

    @Test func receiptsRoundTripAndBloomMatchesLogs() throws {
        let log = Log(address: key.address, topics: [Keccak256.hash(utf8: "Transfer")], data: [1])
        let receipt = Receipt(kind: .dynamicFee, succeeded: false, cumulativeGasUsed: 42_000, gasUsed: 21_000,
                              effectiveGasPrice: 8, logs: [log], failureReason: "insufficient funds")
        #expect(try Receipt(storageEncoding: receipt.storageEncoding) == receipt)
        #expect(receipt.consensusEncoding.first == 2)
        #expect(receipt.bloom.mightContain(key.address.bytes))
        #expect(receipt.bloom.mightContain(Keccak256.hash(utf8: "Transfer").bytes))
        #expect(!Bloom().mightContain(key.address.bytes))
    }

    @Test func genesisParsesAndValidates() throws {
        let json = """
        {"chainId": 4689, "gasLimit": 30000000, "baseFee": "0x3b9aca00",
         "alloc": {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": {"balance": "1000000000000000000000"},
                   "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359": {"balance": 5}},
         "delegates": [{"name": "d1", "operator": "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                        "vrf": "0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"}],
         "parameters": {"epochLength": 10, "blockIntervalMs": 1000, "numDelegates": 1, "numCandidateDelegates": 1,
                        "minBaseFee": "7", "elasticityMultiplier": 2, "baseFeeChangeDenominator": 8}}
        """
        let genesis = try Genesis(json: Data(json.utf8))
        #expect(genesis.chainID == 4689)
        #expect(genesis.baseFee == 1_000_000_000)
        #expect(genesis.allocations.count == 2)
        #expect(genesis.allocations.first?.address.hex == "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        #expect(genesis.totalSupply == UInt256(decimal: "1000000000000000000005")!)
        #expect(genesis.parameters.minBaseFee.value == 7)
        #expect(genesis.delegates.first?.rewardAddress == genesis.delegates.first?.operatorAddress)
        #expect(genesis.delegates.first?.vrfPublicKey.count == 32)

        for bad in [
            #"{"chainId": 0, "alloc": {}}"#,
            #"{"alloc": {}}"#,
            #"{"chainId": 1, "alloc": {"0x12": {"balance": "1"}}}"#,
            #"{"chainId": 1, "alloc": {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD": {"balance": "1"}}}"#,
            #"{"chainId": 1, "alloc": {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed": {"balance": "-1"}}}"#,
            #"{"chainId": 1, "alloc": {}, "parameters": {"epochLength": 0}}"#,
            #"{"chainId": 1, "alloc": {}, "delegates": [{"name": "d", "operator": "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "vrf": "0x12"}]}"#,
            "not json",
        ] {
            #expect(throws: ChainDecodingError.self, "\(bad)") { try Genesis(json: Data(bad.utf8)) }
        }
    }
}
