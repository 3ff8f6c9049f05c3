import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// The block a transaction executes in.
public struct BlockContext: Sendable {
    public var height: UInt64
    public var timestamp: UInt64
    /// Receives the priority fees.
    public var feeRecipient: Address
    public var baseFee: UInt256
    public var gasLimit: UInt64

    public init(height: UInt64, timestamp: UInt64, feeRecipient: Address, baseFee: UInt256, gasLimit: UInt64) {
        self.height = height
        self.timestamp = timestamp
        self.feeRecipient = feeRecipient
        self.baseFee = baseFee
        self.gasLimit = gasLimit
    }
}

/// Applies transactions to a `WorldState`: the deterministic state transition.
///
/// Fee rules (EIP-1559): the sender pays `gasUsed × min(maxFeePerGas, baseFee + tip)`; the
/// base-fee part is **burned** (total supply falls) and the tip goes to the block's fee
/// recipient. A transaction that cannot pay, has the wrong nonce or does not fit the block is
/// left out with a `TransactionFailure`; one that runs but fails (a system contract revert) is
/// included with status 0, its effects undone and its gas still paid.
public struct BlockExecutor: Sendable {
    /// Decides what each call runs (system contract, account code, plain transfer).
    public let router: CallRouter
    public let rules: TransactionRules

    public init(contracts: SystemContracts, rules: TransactionRules, codeRunner: (any AccountCodeRunner)? = nil) {
        router = CallRouter(contracts: contracts, codeRunner: codeRunner)
        self.rules = rules
    }

    /// The chain's system contracts.
    public var contracts: SystemContracts { router.contracts }

    /// The outcome of one included transaction.
    public struct Applied: Sendable {
        public var receipt: Receipt
        /// Base fee × gas used: removed from the supply.
        public var burned: UInt256
    }

    /// Why `tx` can never be included in a block of `blockGasLimit` gas, whatever the state:
    /// the pool refuses such a transaction at admission instead of keeping it pending forever.
    public static func permanentRefusal(_ tx: Transaction, blockGasLimit: UInt64) -> TransactionFailure? {
        if tx.to == nil {
            return TransactionFailure(.creationUnsupported, "contract creation needs the EVM, which Mote does not run yet")
        }
        if tx.gasLimit > blockGasLimit {
            return TransactionFailure(.blockGasExceeded, "gas limit \(tx.gasLimit) exceeds the block gas limit \(blockGasLimit)")
        }
        return nil
    }

    /// Applies `signed` on top of `state`, after `cumulativeGasUsed` gas of the same block;
    /// system contracts read the committed chain through `chain`.
    /// On a `TransactionFailure` the state is unchanged.
    public func apply(
        _ signed: SignedTransaction, to state: WorldState, context: BlockContext, cumulativeGasUsed: UInt64,
        chain: any ChainHistory = NoChainHistory()
    ) throws(LedgerError) -> Result<Applied, TransactionFailure> {
        let tx = signed.transaction
        if let refusal = Self.permanentRefusal(tx, blockGasLimit: context.gasLimit) { return .failure(refusal) }
        guard let recipient = tx.to else {
            return .failure(TransactionFailure(.creationUnsupported, "contract creation needs the EVM, which Mote does not run yet"))
        }
        guard tx.gasLimit <= context.gasLimit - cumulativeGasUsed else {
            return .failure(TransactionFailure(.blockGasExceeded, "gas limit \(tx.gasLimit) exceeds the \(context.gasLimit - cumulativeGasUsed) gas left in the block"))
        }
        guard tx.maxFeePerGas >= context.baseFee else {
            return .failure(TransactionFailure(.feeCapBelowBaseFee, "fee cap \(tx.maxFeePerGas) is below the base fee \(context.baseFee)"))
        }
        do { try rules.validate(tx) } catch {
            return .failure(TransactionFailure(.invalid, error.description))
        }
        let sender = try state.account(signed.sender)
        if tx.nonce < sender.nonce {
            return .failure(TransactionFailure(.nonceTooLow, "nonce \(tx.nonce) is below the account nonce \(sender.nonce)"))
        }
        if tx.nonce > sender.nonce {
            return .failure(TransactionFailure(.nonceTooHigh, "nonce \(tx.nonce) is above the account nonce \(sender.nonce)"))
        }
        let maxGasCost = UInt256(tx.gasLimit) * tx.maxFeePerGas
        let (upfront, overflow) = maxGasCost.addingReportingOverflow(tx.value)
        guard !overflow, sender.balance >= upfront else {
            return .failure(TransactionFailure(.insufficientFunds, "balance \(sender.balance) does not cover gas × fee cap + value = \(overflow ? "more than 2^256" : upfront.description)"))
        }

        let tip = Swift.min(tx.maxPriorityFeePerGas, tx.maxFeePerGas - context.baseFee)
        let price = context.baseFee + tip
        let intrinsicGas = rules.intrinsicGas(of: tx)

        // A plain transfer cannot fail once paid for and uses exactly its intrinsic gas:
        // charge gas and value in one step (the same result as the general path below).
        if case .plainAccount = try router.target(of: recipient, state: state) {
            try state.modify(signed.sender) { account throws(LedgerError) in
                account.balance -= UInt256(intrinsicGas) * price + tx.value
                account.nonce += 1
            }
            if !tx.value.isZero { try state.modify(recipient) { $0.balance += tx.value } }
            if !tip.isZero { try state.modify(context.feeRecipient) { $0.balance += UInt256(intrinsicGas) * tip } }
            state.discardJournal()
            let receipt = Receipt(
                kind: tx.kind, succeeded: true, cumulativeGasUsed: cumulativeGasUsed + intrinsicGas, gasUsed: intrinsicGas,
                effectiveGasPrice: price, logs: [], failureReason: nil)
            return .success(Applied(receipt: receipt, burned: UInt256(intrinsicGas) * context.baseFee))
        }

        // Buy all the gas at the effective price, bump the nonce.
        let prepaid = UInt256(tx.gasLimit) * price
        try state.modify(signed.sender) { account throws(LedgerError) in
            account.balance -= prepaid
            account.nonce += 1
        }

        // Run: move the value, then call the system contract.
        let intrinsic = intrinsicGas
        let checkpoint = state.checkpoint
        let (executionGas, logs, failure) = run(
            signed, recipient: recipient, state: state, block: context, gasLimit: tx.gasLimit - intrinsic, chain: chain)
        // A store that failed to read is this node's fault, not the transaction's: no revert to record.
        if let fault = state.fault { throw fault }
        if failure != nil { state.revert(to: checkpoint) }

        // Refund unused gas; burn the base fee; pay the tip.
        let gasUsed = intrinsic + executionGas
        try state.modify(signed.sender) { $0.balance += UInt256(tx.gasLimit - gasUsed) * price }
        if !tip.isZero {
            try state.modify(context.feeRecipient) { $0.balance += UInt256(gasUsed) * tip }
        }
        state.discardJournal()
        let receipt = Receipt(
            kind: tx.kind, succeeded: failure == nil, cumulativeGasUsed: cumulativeGasUsed + gasUsed, gasUsed: gasUsed,
            effectiveGasPrice: price, logs: logs, failureReason: failure)
        return .success(Applied(receipt: receipt, burned: UInt256(gasUsed) * context.baseFee))
    }

    /// Moves the value and runs the recipient (`CallRouter`).
    private func run(
        _ signed: SignedTransaction, recipient: Address, state: WorldState, block: BlockContext, gasLimit: UInt64,
        chain: any ChainHistory
    ) -> (gas: UInt64, logs: [Log], failure: String?) {
        let tx = signed.transaction
        let message = CallMessage(caller: signed.sender, to: recipient, value: tx.value, data: tx.data, gasLimit: gasLimit)
        let outcome = router.call(message, state: state, block: block, chain: chain)
        return (outcome.gasUsed, outcome.revert == nil ? outcome.logs : [], outcome.revert)
    }
}

/// The EIP-1559 base fee.
public enum FeeMarket {
    /// The base fee of the block after `parent`: up by at most 1/denominator when the parent
    /// used more than its target (gasLimit / elasticity), down when less; never below `minimum`.
    public static func nextBaseFee(parent: BlockHeader, parameters: ProtocolParameters) -> UInt256 {
        let target = parent.gasLimit / max(parameters.elasticityMultiplier, 1)
        let denominator = UInt256(max(parameters.baseFeeChangeDenominator, 1))
        var next = parent.baseFee
        if target > 0, parent.gasUsed > target {
            let delta = parent.baseFee * UInt256(parent.gasUsed - target) / UInt256(target) / denominator
            next = parent.baseFee + Swift.max(delta, 1)
        } else if target > 0, parent.gasUsed < target {
            let delta = parent.baseFee * UInt256(target - parent.gasUsed) / UInt256(target) / denominator
            next = parent.baseFee - delta
        }
        return Swift.max(next, parameters.minBaseFee.value)
    }
}
