import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MotePrimitives

/// Epochs at the ledger: who the delegates and producers of an epoch are, from the staking
/// books in the state and the VRF outputs in the headers, and the protocol's own work at the
/// end of every block (`EpochTransition`).
extension Ledger {
    /// Seeds and producer orders already computed, by epoch (they never change once known).
    struct EpochCache {
        var seeds: [UInt64: Hash32] = [:]
        var producers: [UInt64: [Address]] = [:]
    }

    /// The epoch schedule of this chain.
    public var schedule: EpochSchedule {
        let p = genesis.parameters
        return EpochSchedule(epochLength: p.epochLength, numDelegates: p.numDelegates, numCandidateDelegates: p.numCandidateDelegates)
    }

    /// A read-only context over the head state, for reading the staking books.
    func headContext() -> SystemCallContext {
        let state = headState()
        return SystemCallContext(
            caller: .zero, value: .zero, height: head.height, timestamp: headHeader.timestamp, canWrite: false,
            address: StakingABI.address, state: state, gasLimit: .max, parameters: (try? executor.contracts.parameterSource.parameters(state)) ?? genesis.parameters)
    }

    /// The consensus delegates of `epoch` (elected at the end of the previous epoch; the
    /// genesis delegates before the first election), ranked by votes.
    public func delegates(ofEpoch epoch: UInt64) throws(LedgerError) -> [ElectedDelegate] {
        do throws(SystemContractRevert) {
            return try EpochTransition.delegates(
                ofEpoch: max(epoch, 1), book: StakingBook(headContext(), parameters: genesis.parameters), genesis: genesis)
        } catch {
            throw LedgerError(.storage("staking books: \(error.reason)"))
        }
    }

    /// The seed of `epoch` (≥ 1): from the genesis hash for epoch 1, then from the previous
    /// epoch's seed and the VRF outputs in its headers.
    public func seed(ofEpoch epoch: UInt64) throws(LedgerError) -> Hash32 {
        let epoch = max(epoch, 1)
        if let known = epochCache.seeds[epoch] { return known }
        guard epoch == 1 || schedule.lastHeight(ofEpoch: epoch - 1) <= head.height else {
            throw LedgerError(.storage("the seed of epoch \(epoch) is not known before epoch \(epoch - 1) ends"))
        }
        do {
            var current: UInt64 = 1
            var seed = EpochSchedule.firstSeed(genesisHash: try store.blockHash(atHeight: 0) ?? .zero)
            if let (e, s) = epochCache.seeds.filter({ $0.key <= epoch }).max(by: { $0.key < $1.key }) { (current, seed) = (e, s) }
            while current < epoch {
                var outputs: [[UInt8]] = []
                for height in schedule.firstHeight(ofEpoch: current)...schedule.lastHeight(ofEpoch: current) {
                    guard let header = try store.header(atHeight: height) else {
                        throw LedgerError(.storage("header \(height) is missing"))
                    }
                    if !header.vrfProof.isEmpty, let proof = try? ECVRF.Proof(bytes: header.vrfProof),
                        let beta = try? ECVRF.proofToHash(proof, suite: .tai)
                    {
                        outputs.append(beta)
                    }
                }
                seed = EpochSchedule.nextSeed(after: seed, epoch: current, vrfOutputs: outputs)
                current += 1
                epochCache.seeds[current] = seed
            }
            return seed
        } catch {
            throw LedgerError(.storage("epoch seed: \(error)"))
        }
    }

    /// The block producers of `epoch` in proposer order: its delegates shuffled by its seed,
    /// the first `numDelegates`. Known once the previous epoch has ended.
    public func producers(ofEpoch epoch: UInt64) throws(LedgerError) -> [Address] {
        let epoch = max(epoch, 1)
        if let known = epochCache.producers[epoch] { return known }
        let candidates = try delegates(ofEpoch: epoch).map { EpochSchedule.Candidate(address: $0.operatorAddress, votes: $0.votes) }
        let order = schedule.producers(delegates: schedule.delegates(from: candidates), seed: try seed(ofEpoch: epoch))
        if schedule.lastHeight(ofEpoch: epoch - 1) <= head.height { epochCache.producers[epoch] = order }
        return order
    }

    /// The protocol's work after the transactions of a block: each system contract's hook
    /// (`EndBlockRunner`); a stage that reverts is recorded and skipped (`endBlockFailures(at:)`),
    /// never fatal to the block.
    func endBlock(state: WorldState, context: BlockContext, producer: Address) throws(LedgerError) {
        let p = genesis.parameters
        let epoch = EpochTransition.epoch(ofHeight: context.height, p)
        let last = context.height % p.epochLength == 0
        let info = EndBlockInfo(
            height: context.height, timestamp: context.timestamp, epoch: epoch, isLastOfEpoch: last, producer: producer,
            producers: last ? try self.producers(ofEpoch: epoch) : [])
        try EndBlockRunner.run(executor.contracts, info, state: state, chain: NoChainHistory())
        state.discardJournal()
    }

    /// How many committed blocks recorded a failed end-of-block stage, and the last one's height.
    public func endBlockFailureSummary() throws(LedgerError) -> (count: UInt64, lastHeight: UInt64) {
        do throws(SystemContractRevert) { return try EndBlockFailures(headContext()).summary() } catch {
            throw LedgerError(.storage("end-of-block failures: \(error.reason)"))
        }
    }

    /// The end-of-block stages that failed in the committed block at `height`, with their reasons.
    public func endBlockFailures(at height: UInt64) throws(LedgerError) -> [(stage: String, reason: String)] {
        do throws(SystemContractRevert) { return try EndBlockFailures(headContext()).failures(at: height) } catch {
            throw LedgerError(.storage("end-of-block failures: \(error.reason)"))
        }
    }
}
