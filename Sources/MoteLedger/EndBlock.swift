import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// When a contract's end-of-block hook runs: phases in this order, contracts of one phase in
/// address order.
public enum EndBlockPhase: Int, Comparable, Sendable {
    /// Settling what matured (MachineFi results whose challenge period ended).
    case settlement = 0
    /// Paying the block and the epoch, electing the next epoch's delegates.
    case rewards = 1
    /// Fixing what the next epoch reads (the witness pool's weights).
    case snapshots = 2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The block whose end is being processed.
public struct EndBlockInfo: Sendable {
    public var height: UInt64
    public var timestamp: UInt64
    /// The epoch of `height`.
    public var epoch: UInt64
    /// Whether `height` is the last block of its epoch.
    public var isLastOfEpoch: Bool
    /// Who produced the block.
    public var producer: Address
    /// The epoch's producers in proposer order (only at the last block of an epoch, else empty).
    public var producers: [Address]
}

/// Runs end-of-block stages, each under its own checkpoint: one that reverts is undone,
/// recorded (`EndBlockFailures`) and skipped, and the block goes on, so no state a user can
/// shape stops the chain. A failed read of the store is this node's fault and is thrown.
public final class EndBlockStages {
    let state: WorldState
    private(set) var failures: [EndBlockFailures.Failure] = []

    init(state: WorldState) { self.state = state }

    /// Runs `body` as stage `name`; whether it succeeded (else it was undone and recorded).
    @discardableResult
    public func run(_ name: EndBlockFailures.Stage, _ body: () throws(SystemContractRevert) -> Void) throws(LedgerError) -> Bool {
        let checkpoint = state.checkpoint
        do throws(SystemContractRevert) {
            try body()
            return true
        } catch {
            if let fault = state.fault { throw fault }
            state.revert(to: checkpoint)
            failures.append(EndBlockFailures.Failure(stage: name, reason: error.reason))
            return false
        }
    }
}

/// The protocol's work after the transactions of every block: each system contract's hook
/// (`SystemContract.endBlock`), by `EndBlockPhase` then address, then the record of the
/// stages that failed.
enum EndBlockRunner {
    /// Runs the hooks of `contracts` for the block `info` on `state`; the gas each contract's
    /// context used (every storage access is metered, though nothing is charged).
    @discardableResult
    static func run(_ contracts: SystemContracts, _ info: EndBlockInfo, state: WorldState, chain: any ChainHistory) throws(LedgerError) -> [Address: UInt64] {
        let stages = EndBlockStages(state: state)
        let parameters = try contracts.parameterSource.parameters(state)
        var gas: [Address: UInt64] = [:]
        let hooked = contracts.all.compactMap { contract in contract.endBlockPhase.map { (phase: $0, contract: contract) } }
            .sorted { ($0.phase, $0.contract.address) < ($1.phase, $1.contract.address) }
        for (_, contract) in hooked {
            let context = SystemCallContext(
                caller: .zero, value: .zero, height: info.height, timestamp: info.timestamp, canWrite: true, address: contract.address,
                state: state, gasLimit: .max, parameters: parameters, chain: chain)
            try contract.endBlock(info, context: context, stages: stages)
            gas[contract.address] = context.gasUsed
        }
        guard !stages.failures.isEmpty else { return gas }
        let context = SystemCallContext(
            caller: .zero, value: .zero, height: info.height, timestamp: info.timestamp, canWrite: true, address: StakingABI.address,
            state: state, gasLimit: .max, parameters: parameters, chain: chain)
        do throws(SystemContractRevert) {
            try EndBlockFailures(context).record(stages.failures, height: info.height)
        } catch {
            if let fault = state.fault { throw fault }
            throw LedgerError(.storage("end of block \(info.height): recording its failures: \(error.reason)"))
        }
        return gas
    }
}
