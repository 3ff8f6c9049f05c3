import ArgumentParser
import Foundation
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteRPCClient
import MoteTransactions

/// The options of every command that sends one transaction (`mote transfer`, `mote stake …`,
/// `mote candidate register|update`, `mote rewards claim`): the signing key, the node, fees,
/// nonce, waiting and output.
struct TransactionOptions: ParsableArguments {
    @OptionGroup var key: SigningKeyOptions
    @OptionGroup var rpc: RPCOptions
    @Option(help: ArgumentHelp("Gas limit (default: the node's eth_estimateGas; for a contract call, plus 25 %).", valueName: "gas"))
    var gasLimit: UInt64?
    @OptionGroup var fees: FeeOptions
    @Option(help: "Nonce (default: the sender's pending nonce from the node; give one to replace a stuck transaction).")
    var nonce: UInt64?
    @Flag(help: "Print the hash once the node has the transaction; do not wait for the receipt.") var noWait = false
    @OptionGroup var wait: ReceiptWaitOptions
    @Flag(help: "Print JSON.") var json = false
}

/// `--max-fee` and `--tip`: the fees per gas, when the node's suggestion is not wanted.
struct FeeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Fee cap per gas, in wei unless a unit is given (default: 2 × latest base fee + tip).", valueName: "wei"))
    var maxFee: String?
    @Option(help: ArgumentHelp("Priority fee per gas, in wei unless a unit is given (default: eth_maxPriorityFeePerGas).", valueName: "wei"))
    var tip: String?
}

/// `--timeout SECONDS`: how long to wait for a receipt.
struct ReceiptWaitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds to wait for the receipt (1 to 3600).", valueName: "seconds")) var timeout: Int = 60

    func validate() throws {
        guard (1...3_600).contains(timeout) else { throw ValidationError("--timeout must be in 1...3600 seconds") }
    }
}

/// Signs transactions locally, fills in what was not given from the node (chain id, nonce,
/// fees, gas), sends them and waits for their receipts. The key never leaves this process; the
/// node only sees the signed bytes.
///
/// `run` does one transaction the way `mote transfer` reports it, exiting with the wallet's
/// statuses; `prepare`, `submit` and `receipt` are the steps, for commands that send several
/// (`mote rewards report --pay`).
struct TransactionSender {
    /// What to send: a transfer, or a call of a system contract.
    struct Outgoing {
        var to: Address
        var value: UInt256 = .zero
        var data: [UInt8] = []
        /// A contract call in words, e.g. `createStake("alpha", 0 days, auto-stake off)`; nil for a transfer.
        var call: String?
        /// The contract's name, shown beside its address.
        var contractName: String?
    }

    /// A signed transaction, ready to send, and the fields that were filled in.
    struct Prepared {
        let signed: SignedTransaction
        let chainID: UInt64
        let nonce: UInt64
        let gasLimit: UInt64
        let maxFee: UInt256
        let tip: UInt256
    }

    /// Why a transaction was not sent or did not succeed, with the exit status that says so.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        var status: Int32 = WalletOutput.failure
    }

    /// What a command adds to the report of its successful transaction.
    struct Results {
        var fields: [(String, String?)] = []
        var json: [String: Any] = [:]
    }

    /// How often the node is asked for the receipt.
    static let pollInterval: TimeInterval = 0.25

    let output: WalletOutput
    let client: RPCClient
    let signer: Secp256k1.PrivateKey
    let gasLimit: UInt64?
    let nonce: UInt64?
    let noWait: Bool
    let timeout: Int
    private let givenMaxFee: UInt256?
    private let givenTip: UInt256?

    /// The sender for `options`: fees parsed, the node's URL checked and the key loaded or
    /// decrypted, all before the node is asked anything; a mistake exits with its message.
    init(_ options: TransactionOptions) {
        self.init(
            key: options.key.load, rpc: options.rpc, fees: options.fees, wait: options.wait, output: WalletOutput(json: options.json),
            gasLimit: options.gasLimit, nonce: options.nonce, noWait: options.noWait)
    }

    /// A sender from its parts (for commands that take only some of `TransactionOptions`);
    /// `key` loads the signing key.
    init(
        key: () throws(WalletInputError) -> Secp256k1.PrivateKey, rpc: RPCOptions, fees: FeeOptions, wait: ReceiptWaitOptions,
        output: WalletOutput, gasLimit: UInt64? = nil, nonce: UInt64? = nil, noWait: Bool = false
    ) {
        self.output = output
        givenMaxFee = fees.maxFee.map { text in output.orFail { () throws(AmountError) in try Amount.parse(text, defaultUnit: .wei) } }
        givenTip = fees.tip.map { text in output.orFail { () throws(AmountError) in try Amount.parse(text, defaultUnit: .wei) } }
        client = output.orFail { () throws(RPCClientError) in try rpc.client() }
        signer = output.orFail(key)
        (self.gasLimit, self.nonce, self.noWait, timeout) = (gasLimit, nonce, noWait, wait.timeout)
    }

    /// The address that signs.
    var sender: Address { signer.address }

    // MARK: Steps

    /// Calls the node; a failure becomes a `Failure` with its message.
    func ask(_ method: String, _ params: [JSON] = []) throws(Failure) -> JSON {
        do { return try client.call(method, params) } catch { throw Failure(description: error.description) }
    }

    private func quantity(_ answer: JSON, _ method: String) throws(Failure) -> UInt256 {
        guard let value = answer.quantity else { throw Failure(description: "the node answered \(method) with \(answer.text.prefix(100))") }
        return value
    }

    /// The shared sender (MoteRPCClient) this one wraps: it fills, signs and estimates.
    var shared: MoteRPCClient.TransactionSender { MoteRPCClient.TransactionSender(client: client.shared, key: signer) }

    /// `outgoing` as the shared sender's request, with what the options fixed.
    private func request(_ outgoing: Outgoing, nonce: UInt64?) -> MoteRPCClient.TransactionSender.Request {
        .init(to: outgoing.to, value: outgoing.value, data: outgoing.data, nonce: nonce, tip: givenTip, maxFee: givenMaxFee, gasLimit: gasLimit)
    }

    /// `outgoing` signed, with every field not given asked of the node: chain id, nonce
    /// (`nonce`, else the pending count), tip, fee cap (`FeePolicy`), gas. A contract call that
    /// would revert fails here, with the contract's reason, and nothing is sent.
    func prepare(_ outgoing: Outgoing, nonce: UInt64?) throws(Failure) -> Prepared {
        typealias Shared = MoteRPCClient.TransactionSender
        let shared = shared, request = request(outgoing, nonce: nonce)
        let result: Result<Shared.Prepared, Shared.Failure>
        do {
            result = .success(try JSONRPCClient.blocking { () async throws(Shared.Failure) -> Shared.Prepared in try await shared.prepare(request) })
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let p):
            return Prepared(signed: p.signed, chainID: p.chainID, nonce: p.nonce, gasLimit: p.gasLimit, maxFee: p.maxFee, tip: p.tip)
        case .failure(.wouldRevert(let reason)) where outgoing.call != nil:
            throw Failure(description: "\(outgoing.call!) would fail: \(reason) (nothing was sent)")
        case .failure(.wouldRevert(let reason)):
            throw Failure(description: "node refused: execution reverted: \(reason) (code 3)")
        case .failure(.node(let error)):
            let hint = givenMaxFee == nil && error.description.contains("baseFeePerGas") ? "; give --max-fee" : ""
            throw Failure(description: error.description + hint)
        case .failure(.invalid(let why)):
            throw Failure(description: why)
        }
    }

    /// Runs `outgoing` on the node without sending it (`eth_estimateGas`): nil if it would
    /// succeed, else the contract's reason. Other refusals are failures.
    func simulate(_ outgoing: Outgoing) throws(Failure) -> String? {
        let shared = shared, request = request(outgoing, nonce: nil)
        do {
            return try JSONRPCClient.blocking { () async throws(RPCClientError) -> String? in try await shared.simulate(request) }
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// Sends `prepared` with `eth_sendRawTransaction`.
    func submit(_ prepared: Prepared) throws(Failure) {
        let answer = try ask("eth_sendRawTransaction", [.string(Hex.encode(prepared.signed.rawBytes))])
        if let echoed = answer.stringValue, echoed.lowercased() != prepared.signed.hash.hex {
            output.progress("warning: the node named the transaction \(echoed), not \(prepared.signed.hash.hex)")
        }
    }

    /// The receipt of `hash`, polled until it comes; nil if `--timeout` passes first.
    func receipt(_ hash: Hash32) throws(Failure) -> JSON? {
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            let receipt: JSON
            do {
                receipt = try client.call("eth_getTransactionReceipt", [.string(hash.hex)], timeout: max(1, min(client.timeout, remaining)))
            } catch {
                throw Failure(description: error.description)
            }
            if receipt != .null { return receipt }
            Thread.sleep(forTimeInterval: min(Self.pollInterval, max(0, deadline.timeIntervalSinceNow)))
        }
    }

    // MARK: One transaction, reported

    /// Prepares, sends and waits for `outgoing`, printing what `mote transfer` prints (text, or
    /// JSON with `--json`) plus the command's `results` of the receipt. Exits 1 if it was not
    /// sent, 2 if it failed, 3 without a receipt in time; returns the receipt on success (nil
    /// with `--no-wait`).
    @discardableResult
    func run(_ outgoing: Outgoing, results: (JSON) -> Results = { _ in Results() }) -> JSON? {
        let prepared = output.orFail { () throws(Failure) in try prepare(outgoing, nonce: nonce) }
        output.orFail { () throws(Failure) in try submit(prepared) }
        let hash = prepared.signed.hash.hex
        var summary: [String: Any] = [
            "hash": hash, "from": sender.checksummed, "to": outgoing.to.checksummed, "value": outgoing.value.description,
            "nonce": NSNumber(value: prepared.nonce), "chainId": NSNumber(value: prepared.chainID),
            "gasLimit": NSNumber(value: prepared.gasLimit), "maxFeePerGas": prepared.maxFee.description,
            "maxPriorityFeePerGas": prepared.tip.description, "status": "sent", "receipt": NSNull(),
        ]
        if let call = outgoing.call { summary["call"] = call }
        if !output.json {
            WalletOutput.printFields([
                ("hash", hash), ("from", sender.checksummed),
                ("to", outgoing.to.checksummed + (outgoing.contractName.map { " (\($0))" } ?? "")), ("call", outgoing.call),
                ("value", Amount.describe(outgoing.value)), ("nonce", String(prepared.nonce)), ("gas limit", String(prepared.gasLimit)),
                ("max fee", Amount.describePerGas(prepared.maxFee)), ("tip", Amount.describePerGas(prepared.tip)),
            ])
        }
        if noWait {
            if output.json { JSONOutput.print(summary) }
            return nil
        }

        output.progress("sent; waiting up to \(timeout) s for the receipt…")
        guard let receipt = output.orFail({ () throws(Failure) in try self.receipt(prepared.signed.hash) }) else {
            summary["status"] = "timeout"
            output.fail(
                "no receipt for \(hash) within \(timeout) s; it may still be included: mote tx receipt \(hash)",
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
        let extra = succeeded ? results(receipt) : Results()
        if output.json {
            if succeeded { JSONOutput.print(summary.merging(extra.json) { _, new in new }) }
        } else {
            WalletOutput.printFields([
                ("block", receipt["blockNumber"]?.quantity.map(\.description) ?? "?"),
                ("status", succeeded ? "success" : "failed" + (reason.map { ": \($0)" } ?? "")),
                ("gas used", gasUsed.description), ("gas price", Amount.describePerGas(price)), ("fee paid", Amount.describe(fee)),
            ] + extra.fields)
        }
        if !succeeded {
            output.fail(
                "transaction \(hash) failed" + (reason.map { ": \($0)" } ?? " (receipt status 0)"),
                status: WalletOutput.transactionFailed, extra: summary)
        }
        return receipt
    }
}

extension TransactionSender.Outgoing {
    /// A call of `function` of the system contract at `contract`, shown as `shown`.
    static func call(
        _ function: SystemFunction, of contract: Address, named contractName: String, _ arguments: [ABIValue],
        value: UInt256 = .zero, shown: String
    ) throws(ABIError) -> Self {
        Self(to: contract, value: value, data: try function.abi.encodeCall(arguments), call: shown, contractName: contractName)
    }
}
