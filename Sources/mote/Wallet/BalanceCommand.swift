import ArgumentParser
import MoteCrypto
import MotePrimitives
import MoteRPCClient

/// `mote balance ADDRESS`: an account's balance, asked of a node.
struct BalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance", abstract: "Show an account's balance (asks a node over JSON-RPC).",
        discussion: """
            --json prints {"address", "block", "wei", "mote"}: the checksummed address, the block asked \
            about, and the balance as decimal strings in wei and in MOTE.
            """)

    @Argument(help: "The account's address (0x and 40 hex digits; mixed case is checked against EIP-55).")
    var address: String
    @Option(help: "The block: latest, a number, or a tag. Nodes keep the latest state only.")
    var block = "latest"
    @OptionGroup var rpc: RPCOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let output = WalletOutput(json: json)
        let account = output.orFail { () throws(WalletInputError) in try WalletInput.address(address, "address") }
        let selector = output.orFail { () throws(WalletInputError) in try WalletInput.block(block, allowHash: true) }
        let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
        let answer = output.orFail { () throws(RPCClientError) in
            try client.call("eth_getBalance", [.string(account.hex), selector.parameter])
        }
        guard let wei = answer.quantity else { output.fail("the node answered eth_getBalance with \(answer.text.prefix(100))") }
        if json {
            JSONOutput.print([
                "address": account.checksummed, "block": block.lowercased(), "wei": wei.description, "mote": Amount.format(wei),
            ])
        } else {
            WalletOutput.printFields([
                ("address", account.checksummed), ("balance", Amount.describe(wei)),
                ("block", block.lowercased() == "latest" ? nil : block),
            ])
        }
    }
}
