import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives
import MoteRPC
import MoteTransactions

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
    @OptionGroup var key: SigningKeyOptions
    @OptionGroup var rpc: RPCOptions
    @Option(help: ArgumentHelp("Gas limit (default: the node's eth_estimateGas).", valueName: "gas")) var gasLimit: UInt64?
    @Option(help: ArgumentHelp("Fee cap per gas, in wei unless a unit is given (default: 2 × latest base fee + tip).", valueName: "wei"))
    var maxFee: String?
    @Option(help: ArgumentHelp("Priority fee per gas, in wei unless a unit is given (default: eth_maxPriorityFeePerGas).", valueName: "wei"))
    var tip: String?
    @Option(help: "Nonce (default: the sender's pending nonce from the node; give one to replace a stuck transaction).")
    var nonce: UInt64?
    @Flag(help: "Print the hash once the node has the transaction; do not wait for the receipt.") var noWait = false
    @Option(help: ArgumentHelp("Seconds to wait for the receipt (1 to 3600).", valueName: "seconds")) var timeout: Int = 60
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...3_600).contains(timeout) else { throw ValidationError("--timeout must be in 1...3600 seconds") }
    }

    /// How often the node is asked for the receipt.
    static let pollInterval: TimeInterval = 0.25

    func run() throws {
        let output = WalletOutput(json: json)
        // Everything local first: a typo or a wrong password fails before the node is asked anything.
        let recipient = output.orFail { () throws(WalletInputError) in try WalletInput.address(to, "--to address") }
        let amount = output.orFail { () throws(AmountError) in try Amount.parse(value) }
        let givenMaxFee = maxFee.map { text in
            output.orFail { () throws(AmountError) in try Amount.parse(text, defaultUnit: .wei) }
        }
        let givenTip = tip.map { text in output.orFail { () throws(AmountError) in try Amount.parse(text, defaultUnit: .wei) } }
        let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
        let signer = output.orFail { () throws(WalletInputError) in try key.load() }
        let sender = signer.address

        func ask(_ method: String, _ params: [JSON] = []) -> JSON {
            output.orFail { () throws(RPCClientError) in try client.call(method, params) }
        }
        func quantity(_ answer: JSON, _ method: String) -> UInt256 {
            guard let value = answer.quantity else { output.fail("the node answered \(method) with \(answer.text.prefix(100))") }
            return value
        }

        guard let chainID = quantity(ask("eth_chainId"), "eth_chainId").uint64 else { output.fail("the node's chain id is over 64 bits") }
        let nonce = self.nonce ?? {
            guard let pending = quantity(ask("eth_getTransactionCount", [.string(sender.hex), .string("pending")]), "eth_getTransactionCount").uint64
            else { output.fail("the node's nonce for \(sender.checksummed) is over 64 bits") }
            return pending
        }()
        let tip = givenTip ?? quantity(ask("eth_maxPriorityFeePerGas"), "eth_maxPriorityFeePerGas")
        let maxFee = givenMaxFee ?? {
            let latest = ask("eth_getBlockByNumber", [.string("latest"), .bool(false)])
            guard let baseFee = latest["baseFeePerGas"]?.quantity else {
                output.fail("the node's latest block has no baseFeePerGas; give --max-fee")
            }
            let (doubled, overflow1) = baseFee.multipliedReportingOverflow(by: 2)
            let (sum, overflow2) = doubled.addingReportingOverflow(tip)
            guard !overflow1, !overflow2 else { output.fail("2 × base fee + tip overflows; give --max-fee") }
            return sum
        }()
        let gasLimit = self.gasLimit ?? {
            let call: JSON = .object(["from": .string(sender.hex), "to": .string(recipient.hex), "value": amount.json])
            guard let gas = quantity(ask("eth_estimateGas", [call]), "eth_estimateGas").uint64 else {
                output.fail("the node's gas estimate is over 64 bits")
            }
            return gas
        }()

        let transaction = Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee, gasLimit: gasLimit,
            to: recipient, value: amount)
        output.orFail { () throws(TransactionError) in try TransactionRules(chainID: chainID).validate(transaction) }
        let signed = transaction.signed(with: signer)

        let answer = ask("eth_sendRawTransaction", [.string(Hex.encode(signed.rawBytes))])
        if let echoed = answer.stringValue, echoed.lowercased() != signed.hash.hex {
            output.progress("warning: the node named the transaction \(echoed), not \(signed.hash.hex)")
        }
        var summary: [String: Any] = [
            "hash": signed.hash.hex, "from": sender.checksummed, "to": recipient.checksummed, "value": amount.description,
            "nonce": NSNumber(value: nonce), "chainId": NSNumber(value: chainID), "gasLimit": NSNumber(value: gasLimit),
            "maxFeePerGas": maxFee.description, "maxPriorityFeePerGas": tip.description,
            "status": "sent", "receipt": NSNull(),
        ]
        if !json {
            WalletOutput.printFields([
                ("hash", signed.hash.hex), ("from", sender.checksummed), ("to", recipient.checksummed),
                ("value", Amount.describe(amount)), ("nonce", String(nonce)), ("gas limit", String(gasLimit)),
                ("max fee", Amount.describePerGas(maxFee)), ("tip", Amount.describePerGas(tip)),
            ])
        }
        if noWait {
            if json { JSONOutput.print(summary) }
            return
        }

        output.progress("sent; waiting up to \(timeout) s for the receipt…")
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var receipt = JSON.null
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            receipt = output.orFail { () throws(RPCClientError) in
                try client.call("eth_getTransactionReceipt", [.string(signed.hash.hex)], timeout: max(1, min(client.timeout, remaining)))
            }
            if receipt != .null { break }
            Thread.sleep(forTimeInterval: min(Self.pollInterval, max(0, deadline.timeIntervalSinceNow)))
        }
        guard receipt != .null else {
            summary["status"] = "timeout"
            output.fail(
                "no receipt for \(signed.hash.hex) within \(timeout) s; it may still be included: mote tx receipt \(signed.hash.hex)",
                status: WalletOutput.timedOut, extra: summary)
        }

        let succeeded = receipt["status"]?.quantity == .one
        let gasUsed = receipt["gasUsed"]?.quantity ?? .zero
        let price = receipt["effectiveGasPrice"]?.quantity ?? .zero
        let fee = gasUsed * price
        summary["status"] = succeeded ? "success" : "failed"
        summary["receipt"] = receipt.foundationObject
        summary["blockNumber"] = receipt["blockNumber"]?.quantity64.map { NSNumber(value: $0) } ?? NSNull()
        summary["gasUsed"] = gasUsed.description
        summary["feePaid"] = fee.description
        let reason = receipt["failureReason"]?.stringValue
        if json {
            if succeeded { JSONOutput.print(summary) }
        } else {
            WalletOutput.printFields([
                ("block", receipt["blockNumber"]?.quantity.map(\.description) ?? "?"),
                ("status", succeeded ? "success" : "failed" + (reason.map { ": \($0)" } ?? "")),
                ("gas used", gasUsed.description), ("gas price", Amount.describePerGas(price)), ("fee paid", Amount.describe(fee)),
            ])
        }
        if !succeeded {
            output.fail(
                "transaction \(signed.hash.hex) failed" + (reason.map { ": \($0)" } ?? " (receipt status 0)"),
                status: WalletOutput.transactionFailed, extra: summary)
        }
    }
}
