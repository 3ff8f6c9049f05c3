import MoteChain
import MotePrimitives
import MoteTransactions

extension Ledger {
    /// What a call would do if it were sent as a transaction in the next block.
    public struct Simulation: Sendable {
        /// Intrinsic gas plus the gas the system contract used.
        public var gasUsed: UInt64
        /// The ABI-encoded output (empty for a plain transfer).
        public var output: [UInt8]
        /// Why it would fail, or nil if it would succeed.
        public var revert: String?
    }

    /// Runs a call as a transaction from `from` would run at the next block — the value moved,
    /// the system contract (if `to` is one) allowed to write — then throws every change away
    /// (`eth_estimateGas`). Fees are not charged; `value` must be covered by the balance.
    public func simulate(
        from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64
    ) throws(LedgerError) -> Simulation {
        let tx = Transaction.dynamicFee(
            chainID: genesis.chainID, nonce: 0, maxPriorityFeePerGas: .zero, maxFeePerGas: .zero, gasLimit: gasLimit,
            to: to, value: value, data: data)
        let intrinsic = rules.intrinsicGas(of: tx)
        guard let to else {
            return Simulation(gasUsed: intrinsic, output: [], revert: "contract creation needs the EVM, which Mote does not run yet")
        }
        guard intrinsic <= gasLimit else {
            return Simulation(gasUsed: intrinsic, output: [], revert: "intrinsic gas \(intrinsic) exceeds the gas limit \(gasLimit)")
        }
        let state = headState()
        let block = BlockContext(height: head.height + 1, timestamp: headHeader.timestamp, feeRecipient: .zero, baseFee: .zero, gasLimit: gasLimit)
        let message = CallMessage(caller: from, to: to, value: value, data: data, gasLimit: gasLimit - intrinsic)
        let outcome = executor.router.call(message, state: state, block: block, chain: history)
        if let fault = state.fault { throw fault }
        return Simulation(gasUsed: intrinsic + outcome.gasUsed, output: outcome.output, revert: outcome.revert)
    }
}
