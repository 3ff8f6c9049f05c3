import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTransactions

@Suite struct TransactionTests {
    let key = try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: 0x11, count: 32))
    let rules = TransactionRules(chainID: 4_689)
    let recipient = try! Address(hex: "0x3535353535353535353535353535353535353535")

    /// Blob transactions (rejected by a node's rules) round-trip in `BlobTransactionTests`.
    @Test(arguments: Transaction.Kind.allCases.filter { $0 != .blob })
    func signDecodeRoundTrip(kind: Transaction.Kind) throws {
        let tx = Transaction(
            kind: kind, chainID: 4_689, nonce: 7, maxPriorityFeePerGas: kind == .dynamicFee ? 2 : 1_000,
            maxFeePerGas: 1_000, gasLimit: 60_000, to: recipient, value: 123_456_789, data: [0, 1, 2],
            accessList: kind == .legacy ? [] : [AccessListEntry(address: recipient, storageKeys: [.zero])])
        let signed = tx.signed(with: key)
        let decoded = try SignedTransaction(decoding: signed.rawBytes, rules: rules)
        #expect(decoded == signed)
        #expect(decoded.sender == key.address)
        #expect(decoded.transaction == tx)
    }

    @Test func eip155ExampleFromTheEIP() throws {
        // EIP-155's worked example: nonce 9, gas price 20 gwei, gas 21000, 1 ether, chain id 1.
        let key = try Secp256k1.PrivateKey(bytes: try [UInt8](hex: "4646464646464646464646464646464646464646464646464646464646464646"))
        let tx = Transaction.legacy(
            chainID: 1, nonce: 9, gasPrice: 20_000_000_000, gasLimit: 21_000,
            to: recipient, value: UInt256(decimal: "1000000000000000000")!)
        #expect(tx.signingPayload.hexString == "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        #expect(tx.signingHash.hex == "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        let signed = tx.signed(with: key)
        #expect(signed.rawBytes.hexString == "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83")
        #expect(signed.v == 37)
    }

    @Test func rejectsWithPreciseReasons() throws {
        let good = Transaction.dynamicFee(
            chainID: 4_689, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10, gasLimit: 21_000,
            to: recipient, value: 1
        ).signed(with: key)
        func code(_ raw: [UInt8], _ rules: TransactionRules? = nil) -> String? {
            do { _ = try SignedTransaction(decoding: raw, rules: rules ?? self.rules); return nil } catch { return error.code }
        }
        #expect(code(good.rawBytes) == nil)
        #expect(code(good.rawBytes, TransactionRules(chainID: 1)) == "invalid_chain_id")
        #expect(code(good.rawBytes + [0]) == "malformed_rlp")
        #expect(code(Array(good.rawBytes.dropLast())) == "malformed_rlp")
        #expect(code([]) == "empty")
        #expect(code([0x03] + good.rawBytes.dropFirst()) == "type_not_supported")
        #expect(code(good.rawBytes, TransactionRules(fork: .berlin, chainID: 4_689)) == "type_not_supported")
        #expect(code([0x80]) == "not_a_transaction")
        // High s: replace s by n − s.
        var sig = good.signature
        sig.s = Secp256k1.order - sig.s
        sig.recoveryID ^= 1
        #expect(code(good.transaction.encoded(with: sig)) == "high_s")
        var lowGas = good.transaction
        lowGas.gasLimit = 20_999
        #expect(code(lowGas.signed(with: key).rawBytes) == "intrinsic_gas_too_low")
        var tip = good.transaction
        tip.maxPriorityFeePerGas = 11
        #expect(code(tip.signed(with: key).rawBytes) == "tip_above_fee_cap")
        let unprotected = Transaction.legacy(chainID: nil, nonce: 0, gasPrice: 1, gasLimit: 21_000, to: recipient, value: 0)
        #expect(code(unprotected.signed(with: key).rawBytes) == nil)
        #expect(code(unprotected.signed(with: key).rawBytes, TransactionRules(chainID: 4_689, allowsUnprotectedLegacy: false)) == "unprotected_transaction")
        #expect(code(good.rawBytes, TransactionRules(chainID: 4_689, maxEncodedSize: 10)) == "too_large")
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        var accepted = 0
        for i in 0..<20_000 {
            let length = Int(rng.next() % 200)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 3 == 0, !bytes.isEmpty { bytes[0] = [0x01, 0x02, 0xf8][i % 3] }
            if (try? SignedTransaction(decoding: bytes, rules: rules)) != nil { accepted += 1 }
        }
        #expect(accepted == 0)
    }
}
