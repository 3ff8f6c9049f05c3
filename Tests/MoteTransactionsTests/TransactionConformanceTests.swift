import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTransactions

/// ethereum/tests TransactionTests: every file, every fork entry from Berlin through Cancun.
@Suite struct TransactionConformanceTests {
    struct Outcome { var passed = 0, failed = 0, valid = 0, invalid = 0 }

    @Test func everyFileAndForkMatches() throws {
        let files = try Vectors.jsonFiles(under: "TransactionTests")
        #expect(files.count == 210)
        var perFork: [Fork: Outcome] = [:]
        var failures: [String] = []
        for file in files {
            let cases = try #require(try Vectors.json(file) as? [String: Any])
            for (name, value) in cases {
                let testCase = try #require(value as? [String: Any])
                let raw = try [UInt8](hex: try #require(testCase["txbytes"] as? String))
                let results = try #require(testCase["result"] as? [String: [String: Any]])
                for fork in Fork.allCases {
                    guard let expected = results[fork.rawValue] else { continue }
                    let rules = TransactionRules(fork: fork, chainID: 1)
                    let decoded = Result { () throws(TransactionError) in try SignedTransaction(decoding: raw, rules: rules) }
                    var outcome = perFork[fork, default: Outcome()]
                    let ok: Bool
                    if let exception = expected["exception"] as? String {
                        outcome.invalid += 1
                        if case .success = decoded {
                            ok = false
                            failures.append("\(file) \(name) \(fork.rawValue): accepted, expected \(exception)")
                        } else { ok = true }
                    } else {
                        outcome.valid += 1
                        switch decoded {
                        case .failure(let error):
                            ok = false
                            failures.append("\(file) \(name) \(fork.rawValue): rejected (\(error)), expected valid")
                        case .success(let tx):
                            let hash = expected["hash"] as? String ?? ""
                            let sender = expected["sender"] as? String ?? ""
                            let gas = UInt64((expected["intrinsicGas"] as? String ?? "").dropFirst(2), radix: 16)
                            let intrinsic = rules.intrinsicGas(of: tx.transaction)
                            ok = tx.hash.hex == hash.lowercased() && tx.sender.hex == sender.lowercased() && intrinsic == gas
                            if !ok {
                                failures.append(
                                    "\(file) \(name) \(fork.rawValue): got \(tx.hash.hex) \(tx.sender.hex) \(intrinsic), expected \(hash) \(sender) \(gas ?? 0)")
                            }
                        }
                    }
                    if ok { outcome.passed += 1 } else { outcome.failed += 1 }
                    perFork[fork] = outcome
                }
            }
        }
        for fork in Fork.allCases {
            let o = perFork[fork, default: Outcome()]
            print("TransactionTests \(fork.rawValue): \(o.passed) passed, \(o.failed) failed (\(o.valid) valid, \(o.invalid) invalid entries)")
        }
        for failure in failures.prefix(30) { print("  FAIL \(failure)") }
        #expect(failures.isEmpty)
        #expect(perFork.values.reduce(0) { $0 + $1.passed } > 900)
    }

    /// BasicTests/txtest.json: two pre-EIP-155 legacy transactions signed with known keys.
    /// Their 10000 gas is below today's intrinsic gas, so the rules reject them; the signature,
    /// sender and our deterministic re-signing are still checked.
    @Test func basicTxTest() throws {
        let cases = try #require(try Vectors.json("BasicTests/txtest.json") as? [[String: Any]])
        #expect(cases.count == 2)
        for c in cases {
            let key = try Secp256k1.PrivateKey(bytes: try [UInt8](hex: try #require(c["key"] as? String)))
            let signed = try [UInt8](hex: try #require(c["signed"] as? String))
            let rules = TransactionRules(fork: .berlin, chainID: 1)
            #expect(throws: TransactionError.self) { try SignedTransaction(decoding: signed, rules: rules) }
            let fields = try RLP.decode(signed).listValue()
            let tx = Transaction.legacy(
                chainID: nil, nonce: try fields[0].uint64Value(), gasPrice: try fields[1].uint256Value(),
                gasLimit: try fields[2].uint64Value(), to: Address(bytes: try fields[3].bytesValue()),
                value: try fields[4].uint256Value(), data: try fields[5].bytesValue())
            let signature = Secp256k1.RecoverableSignature(
                r: try fields[7].uint256Value(), s: try fields[8].uint256Value(),
                recoveryID: UInt8(try fields[6].uint64Value() - 27))
            #expect(try Secp256k1.recover(hash: tx.signingHash, signature: signature).address == key.address)
            // Our signatures are RFC 6979 and low-s; the vector's second one predates EIP-2 (high s).
            if signature.isLowS { #expect(tx.signed(with: key).rawBytes == signed) }
        }
        print("BasicTests txtest.json: \(cases.count) passed")
    }
}
