import ArgumentParser
import Foundation

/// `mote transfer`: signs an EIP-1559 transfer locally, sends it to a node and waits for its
/// receipt. The key never leaves this process; the node only sees the signed bytes.
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer", abstract: "Send MOTE: sign a transfer with your key and send it to a node.",
        discussion: """
            AMOUNT is decimal MOTE (1.5, 1.5mote) or has a unit: 3gwei, 21000wei. --max-fee and --tip are \
            per gas, in wei unless a unit is given. Defaults ask the node: chain id (eth_chainId), nonce \
            (eth_getTransactionCount pending), tip (eth_maxPriorityFeePerGas), max fee (2 × the latest \
            base fee + tip), gas (eth_estimateGas). See docs/WALLET.md.

            Exit status: 0 included and succeeded (or sent, with --no-wait); 1 not sent or an error; \
            2 included but failed (receipt status 0); 3 no receipt before --timeout.
            """)

    @Option(help: ArgumentHelp("The recipient's address.", valueName: "address")) var to: String
    @Option(help: ArgumentHelp("The amount: 1.5 (MOTE), 1.5mote, 3gwei or 21000wei.", valueName: "amount")) var value: String
    @OptionGroup var transaction: TransactionOptions

    func run() throws {
        let output = WalletOutput(json: transaction.json)
        // Everything local first: a typo or a wrong password fails before the node is asked anything.
        let recipient = output.orFail { () throws(WalletInputError) in try WalletInput.address(to, "--to address") }
        let amount = output.orFail { () throws(AmountError) in try Amount.parse(value) }
        TransactionSender(transaction).run(TransactionSender.Outgoing(to: recipient, value: amount))
    }
}
