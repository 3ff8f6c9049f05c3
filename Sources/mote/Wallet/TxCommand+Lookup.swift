import ArgumentParser
import MoteCrypto
import MotePrimitives
import MoteRPCClient

/// `mote tx get HASH` and `mote tx receipt HASH`: a transaction and its receipt, asked of a node.
/// `--json` prints the node's object as it is (`eth_getTransactionByHash`,
/// `eth_getTransactionReceipt`); an unknown hash is an error.
extension TxCommand {
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a transaction, pending or included (asks a node over JSON-RPC).")

        @Argument(help: "The transaction hash (0x and 64 hex digits).") var hash: String
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print the node's JSON object.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let wanted = output.orFail { () throws(WalletInputError) in try WalletInput.hash(hash, "transaction hash") }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let tx = output.orFail { () throws(RPCClientError) in try client.call("eth_getTransactionByHash", [.string(wanted.hex)]) }
            guard tx != .null else { output.fail("no transaction \(wanted.hex) on the node (neither included nor pending)") }
            if json { return JSONOutput.print(tx.foundationObject) }
            WalletOutput.printFields(Self.fields(tx))
        }

        /// The lines `tx get` prints.
        static func fields(_ tx: JSON) -> [(String, String?)] {
            let kind = tx["type"]?.quantity64
            let block = tx["blockNumber"]?.quantity64
            let status = block.map { "included in block \($0), index \(tx["transactionIndex"]?.quantity64 ?? 0)" } ?? "pending (in the pool)"
            return [
                ("hash", tx["hash"]?.stringValue), ("status", status),
                ("from", tx["from"]?.checksummedAddress),
                ("to", tx["to"]?.checksummedAddress ?? "(contract creation)"),
                ("value", tx["value"]?.quantity.map(Amount.describe)),
                ("nonce", tx["nonce"]?.quantity.map(\.description)),
                ("type", kind.map { "\($0) (\(TxCommand.typeName($0)))" }),
                ("gas limit", tx["gas"]?.quantity.map(\.description)),
                ("max fee", kind == 2 ? tx["maxFeePerGas"]?.quantity.map(Amount.describePerGas) : nil),
                ("tip", kind == 2 ? tx["maxPriorityFeePerGas"]?.quantity.map(Amount.describePerGas) : nil),
                (block == nil && kind == 2 ? "gas price (cap)" : "gas price", tx["gasPrice"]?.quantity.map(Amount.describePerGas)),
                ("input", tx["input"]?.stringValue.map { "\(($0.count - 2) / 2) bytes" }),
                ("chain id", tx["chainId"]?.quantity.map(\.description)),
            ]
        }
    }

    /// The envelope's name for a type number.
    static func typeName(_ kind: UInt64) -> String {
        switch kind {
        case 0: return "legacy"
        case 1: return "EIP-2930"
        case 2: return "EIP-1559"
        default: return "unknown"
        }
    }

    struct Receipt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an included transaction's receipt: status, gas used, fee paid (asks a node over JSON-RPC).")

        @Argument(help: "The transaction hash (0x and 64 hex digits).") var hash: String
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print the node's JSON object.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let wanted = output.orFail { () throws(WalletInputError) in try WalletInput.hash(hash, "transaction hash") }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let receipt = output.orFail { () throws(RPCClientError) in try client.call("eth_getTransactionReceipt", [.string(wanted.hex)]) }
            guard receipt != .null else {
                let pending = (try? client.call("eth_getTransactionByHash", [.string(wanted.hex)])).map { $0 != .null } ?? false
                output.fail(
                    pending
                        ? "transaction \(wanted.hex) is pending: no receipt until it is in a block"
                        : "no receipt for \(wanted.hex): the node knows no such transaction")
            }
            if json { return JSONOutput.print(receipt.foundationObject) }
            let succeeded = receipt["status"]?.quantity == .one
            let reason = receipt["failureReason"]?.stringValue
            let gasUsed = receipt["gasUsed"]?.quantity ?? .zero
            let price = receipt["effectiveGasPrice"]?.quantity ?? .zero
            WalletOutput.printFields([
                ("transaction", receipt["transactionHash"]?.stringValue),
                ("status", succeeded ? "success" : "failed" + (reason.map { ": \($0)" } ?? "")),
                ("block", receipt["blockNumber"]?.quantity.map { "\($0) (\(receipt["blockHash"]?.stringValue ?? "?"))" }),
                ("index", receipt["transactionIndex"]?.quantity.map(\.description)),
                ("from", receipt["from"]?.checksummedAddress),
                ("to", receipt["to"]?.checksummedAddress ?? receipt["contractAddress"]?.checksummedAddress.map { "\($0) (created)" }),
                ("gas used", gasUsed.description), ("gas price", Amount.describePerGas(price)),
                ("fee paid", Amount.describe(gasUsed * price)),
                ("logs", receipt["logs"]?.arrayValue.map { String($0.count) }),
            ])
        }
    }
}
