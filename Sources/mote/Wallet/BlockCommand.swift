import ArgumentParser
import MoteCrypto
import MotePrimitives
import MoteRPCClient

/// `mote block [N|latest|HASH]`: a block's header and transactions, asked of a node.
struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Show a block (asks a node over JSON-RPC).",
        discussion: """
            --json prints the node's block object as it is (eth_getBlockByNumber or eth_getBlockByHash); \
            with --full its transactions are whole objects instead of hashes.
            """)

    @Argument(help: "A block number (decimal or 0x hex), latest, earliest, finalized, or a block hash.")
    var block = "latest"
    @Flag(help: "Include the transactions (listed in text, whole objects in JSON).") var full = false
    @OptionGroup var rpc: RPCOptions
    @Flag(help: "Print the node's JSON object.") var json = false

    func run() throws {
        let output = WalletOutput(json: json)
        let selector = output.orFail { () throws(WalletInputError) in try WalletInput.block(block, allowHash: true) }
        let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
        let method: String
        if case .hash = selector { method = "eth_getBlockByHash" } else { method = "eth_getBlockByNumber" }
        let found = output.orFail { () throws(RPCClientError) in try client.call(method, [selector.parameter, .bool(full)]) }
        guard found != .null else { output.fail("no block \(block) on the node") }
        if json { return JSONOutput.print(found.foundationObject) }

        let transactions = found["transactions"]?.arrayValue ?? []
        let gasUsed = found["gasUsed"]?.quantity ?? .zero
        let gasLimit = found["gasLimit"]?.quantity ?? .zero
        WalletOutput.printFields([
            ("block", found["number"]?.quantity.map(\.description)),
            ("hash", found["hash"]?.stringValue),
            ("parent", found["parentHash"]?.stringValue),
            ("time", found["timestamp"]?.quantity64.map { "\(iso8601($0)) (\($0))" }),
            ("producer", found["miner"]?.checksummedAddress),
            ("epoch", found["epoch"]?.quantity.map(\.description)),
            ("transactions", String(transactions.count)),
            ("gas used", "\(gasUsed) of \(gasLimit)\(Self.percent(gasUsed, of: gasLimit))"),
            ("base fee", found["baseFeePerGas"]?.quantity.map(Amount.describePerGas)),
            ("state root", found["stateRoot"]?.stringValue),
        ])
        guard full, !transactions.isEmpty else { return }
        print("")
        for (index, tx) in transactions.enumerated() {
            let from = tx["from"]?.checksummedAddress ?? "?"
            let to = tx["to"]?.checksummedAddress ?? "(contract creation)"
            let value = tx["value"]?.quantity.map { "\(Amount.format($0)) MOTE" } ?? "?"
            print("  \(index)  \(tx["hash"]?.stringValue ?? "?")  \(from) → \(to)  \(value)")
        }
    }

    /// ` (0.01%)`, or nothing for an empty limit.
    static func percent(_ part: UInt256, of whole: UInt256) -> String {
        guard !whole.isZero, part.bitLength < 200 else { return "" }
        let hundredths = (part * 10_000) / whole
        let (units, rest) = hundredths.quotientAndRemainder(dividingBy: 100)
        let fraction = rest.description
        return " (\(units).\(fraction.count == 1 ? "0" + fraction : fraction)%)"
    }
}
