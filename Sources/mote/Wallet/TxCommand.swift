import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// `mote tx decode|sign|get|receipt`: Ethereum transactions from the command line; `get` and
/// `receipt` ask a node (TxCommand+Lookup.swift).
struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Decode, check, sign and look up transactions.",
        subcommands: [Decode.self, Sign.self, Get.self, Receipt.self])

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
            // An inspection tool: blob transactions decode here, though the Mote chain rejects them.
            let rules = TransactionRules(
                fork: fork, chainID: chainId, allowsUnprotectedLegacy: !requireChainId, allowsBlobTransactions: true)
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
                "typeName": ["legacy", "eip2930", "eip1559", "eip4844"][Int(tx.kind.rawValue)],
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
            if tx.kind == .blob {
                out["maxFeePerBlobGas"] = tx.maxFeePerBlobGas.description
                out["blobVersionedHashes"] = tx.blobVersionedHashes.map(\.hex)
                out["acceptedByMote"] = false
            }
            if tx.kind == .dynamicFee || tx.kind == .blob {
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

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build and sign a transaction with a keystore key; prints JSON with the raw bytes.",
            discussion: "Amounts are in wei (decimal or 0x hex). The result is checked with the same rules a node applies.")

        @OptionGroup var directory: KeystoreDirectoryOption
        @OptionGroup var password: PasswordOptions
        @Option(help: "The sender: the address of a key in the keystore directory.") var from: String
        @Option(help: "The recipient; omit to create a contract.") var to: String?
        @Option(help: "Chain id.") var chainId: UInt64
        @Option(help: "Sender's nonce.") var nonce: UInt64
        @Option(help: "Amount in wei.") var value: String = "0"
        @Option(help: "Call data or init code as hex.") var data: String = "0x"
        @Option(help: "Gas limit (default: the intrinsic gas).") var gasLimit: UInt64?
        @Option(help: "Envelope: legacy, eip2930 or eip1559.") var type: String = "eip1559"
        @Option(help: "Legacy and EIP-2930: gas price in wei.") var gasPrice: String?
        @Option(help: "EIP-1559: fee cap per gas in wei.") var maxFeePerGas: String?
        @Option(help: "EIP-1559: tip per gas in wei (default 1 gwei, the tip nodes suggest).") var maxPriorityFeePerGas: String = "1000000000"

        func run() throws {
            let rules = TransactionRules(chainID: chainId)
            let sender = failOnError { () throws(CryptoError) in try Address(checksummedHex: from) }
            let recipient = to.map { text in failOnError { () throws(CryptoError) in try Address(checksummedHex: text) } }
            guard data.utf8.count <= 2 * rules.maxEncodedSize + 2 else { JSONOutput.fail("--data is over the transaction size limit") }
            let payload = failOnError { () throws(HexError) in try Hex.decode(data) }
            let amount = wei(value, "--value")
            var tx: Transaction
            switch type.lowercased() {
            case "legacy", "0":
                tx = .legacy(chainID: chainId, nonce: nonce, gasPrice: wei(gasPrice ?? "0", "--gas-price"),
                             gasLimit: 0, to: recipient, value: amount, data: payload)
            case "eip2930", "1":
                tx = .accessList(chainID: chainId, nonce: nonce, gasPrice: wei(gasPrice ?? "0", "--gas-price"),
                                 gasLimit: 0, to: recipient, value: amount, data: payload)
            case "eip1559", "2":
                guard let maxFeePerGas else { JSONOutput.fail("--max-fee-per-gas is required for eip1559") }
                tx = .dynamicFee(chainID: chainId, nonce: nonce,
                                 maxPriorityFeePerGas: wei(maxPriorityFeePerGas, "--max-priority-fee-per-gas"),
                                 maxFeePerGas: wei(maxFeePerGas, "--max-fee-per-gas"),
                                 gasLimit: 0, to: recipient, value: amount, data: payload)
            default:
                JSONOutput.fail("unknown --type \(type); expected legacy, eip2930 or eip1559")
            }
            tx.gasLimit = gasLimit ?? rules.intrinsicGas(of: tx)
            failOnError { () throws(TransactionError) in try rules.validate(tx) }

            let store = directory.store
            failOnError { () throws(KeystoreDirectory.Failure) in try store.requireExists() }
            guard let entry = store.entries().keys.first(where: { $0.address == sender }) else {
                JSONOutput.fail("no key for \(sender.checksummed) in \(store.path)")
            }
            let secret = failOnError { () throws(PasswordError) in
                try password.source.read(prompt: "Password for \(sender.checksummed): ")
            }
            let key = failOnError { () throws(CryptoError) in try entry.keystore.decrypt(password: secret) }
            let signed = tx.signed(with: key)
            var out = Decode.json(signed, rules: rules)
            out["raw"] = Hex.encode(signed.rawBytes)
            JSONOutput.print(out)
        }

        private func wei(_ text: String, _ option: String) -> UInt256 {
            guard text.utf8.count <= 80, let amount = UInt256(text) else {
                JSONOutput.fail("\(option) must be a decimal or 0x-hex amount of wei below 2^256")
            }
            return amount
        }
    }
}
