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
        let balance = try state.account(from).balance
        guard balance >= value else {
            return Simulation(gasUsed: intrinsic, output: [], revert: "insufficient funds for transfer: balance \(balance), value \(value)")
        }
        if !value.isZero {
            try state.modify(from) { $0.balance -= value }
            try state.modify(to) { $0.balance += value }
        }
        guard let contract = executor.contracts.contract(at: to) else {
            return Simulation(gasUsed: intrinsic, output: [], revert: nil)
        }
        let context = SystemCallContext(
            caller: from, value: value, height: head.height + 1, timestamp: headHeader.timestamp, canWrite: true, address: to,
            state: state, gasLimit: gasLimit - intrinsic, chain: history)
        do throws(SystemContractRevert) {
            let output = try BlockExecutor.run(contract, calldata: data, context: context)
            return Simulation(gasUsed: intrinsic + context.gasUsed, output: output, revert: nil)
        } catch {
            return Simulation(gasUsed: intrinsic + context.gasUsed, output: [], revert: error.reason)
        }
    }
}
