import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// `mote tx decode`: decode, check and recover an Ethereum transaction.
struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Decode and check transactions.", subcommands: [Decode.self])

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a raw transaction (hex), check it and recover its sender; prints JSON.",
            discussion: "An invalid transaction prints {\"error\": reason, \"code\": code} and exits with status 1.")

        @Argument(help: "The signed transaction as hex (0x optional), or - to read it from standard input.")
        var hex: String
        @Option(help: "Require this chain id (default: accept the transaction's own).") var chainId: UInt64?
        @Option(help: "The fork whose rules apply: Berlin, London, Paris, Shanghai or Cancun.") var fork: String = "Cancun"
        @Flag(help: "Reject legacy transactions without a chain id (pre-EIP-155).") var requireChainId = false

        func run() throws {
            guard let fork = Fork(rawValue: fork) ?? Fork.allCases.first(where: { $0.rawValue.lowercased() == fork.lowercased() })
            else { JSONOutput.fail("unknown fork \(fork); expected one of \(Fork.allCases.map(\.rawValue).joined(separator: ", "))", code: 2) }
            let rules = TransactionRules(fork: fork, chainID: chainId, allowsUnprotectedLegacy: !requireChainId)
            var text = hex
            if text == "-" {
                let data = FileHandle.standardInput.readData(ofLength: 2 * rules.maxEncodedSize + 16)
                text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard text.utf8.count <= 2 * rules.maxEncodedSize + 2 else {
                JSONOutput.fail("input is over the \(rules.maxEncodedSize)-byte transaction limit", extra: ["code": "too_large"])
            }
            let raw: [UInt8]
            do { raw = try Hex.decode(text) } catch { JSONOutput.fail("\(error)", extra: ["code": "invalid_hex"]) }
            do {
                let signed = try SignedTransaction(decoding: raw, rules: rules)
                JSONOutput.print(Self.json(signed, rules: rules))
            } catch {
                JSONOutput.fail(error.description, extra: ["code": error.code])
            }
        }

        static func json(_ signed: SignedTransaction, rules: TransactionRules) -> [String: Any] {
            let tx = signed.transaction
            var out: [String: Any] = [
                "hash": signed.hash.hex,
                "type": Int(tx.kind.rawValue),
                "typeName": ["legacy", "eip2930", "eip1559"][Int(tx.kind.rawValue)],
                "chainId": tx.chainID.map { NSNumber(value: $0) } ?? NSNull(),
                "nonce": NSNumber(value: tx.nonce),
                "sender": signed.sender.checksummed,
                "to": tx.to.map { $0.checksummed } ?? NSNull(),
                "value": tx.value.description,
                "gasLimit": NSNumber(value: tx.gasLimit),
                "intrinsicGas": NSNumber(value: rules.intrinsicGas(of: tx)),
                "data": Hex.encode(tx.data),
                "v": signed.v.description,
                "r": signed.signature.r.hexQuantity,
                "s": signed.signature.s.hexQuantity,
                "yParity": Int(signed.signature.recoveryID),
                "signingHash": tx.signingHash.hex,
                "size": signed.rawBytes.count,
            ]
            if tx.kind == .dynamicFee {
                out["maxFeePerGas"] = tx.maxFeePerGas.description
                out["maxPriorityFeePerGas"] = tx.maxPriorityFeePerGas.description
            } else {
                out["gasPrice"] = tx.gasPrice.description
            }
            if tx.kind != .legacy {
                out["accessList"] = tx.accessList.map {
                    ["address": $0.address.checksummed, "storageKeys": $0.storageKeys.map(\.hex)] as [String: Any]
                }
            }
            return out
        }
    }
}
