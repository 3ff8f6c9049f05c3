import MoteChain
import MoteContracts
import MotePrimitives

extension Ledger {
    /// The committed chain up to the head, as system contracts read it while the next block runs.
    var history: LedgerHistory { LedgerHistory(ledger: self, head: head.height) }
}

/// The ledger's committed chain, up to the head when the view was made: canonical hashes
/// from the store and epoch seeds from the headers (`Ledger.seed(ofEpoch:)`). Committed
/// blocks are final (BFT commit certificates), so every node answers the same.
struct LedgerHistory: ChainHistory {
    unowned let ledger: Ledger
    /// The newest height this view answers for.
    let head: UInt64

    func blockHash(atHeight height: UInt64) -> Hash32? {
        guard height <= head else { return nil }
        return try? ledger.store.blockHash(atHeight: height)
    }

    func epochSeed(ofEpoch epoch: UInt64) -> Hash32? {
        guard epoch >= 1 else { return nil }
        let schedule = ledger.schedule
        guard epoch == 1 || schedule.lastHeight(ofEpoch: epoch - 1) <= head else { return nil }
        return try? ledger.seed(ofEpoch: epoch)
    }
}

extension Ledger {
    /// What the WitnessPool would do with `attestation` (binary form) if a block on top of the
    /// head included it: accepted (with its reward), incoherent, or rejected with the reason.
    /// Runs on a copy of the head state; nothing changes. For nodes taking attestations in.
    public func checkAttestation(_ attestation: [UInt8]) -> WitnessPoolContract.Verdict {
        guard let pool = executor.contracts.contract(at: WitnessPoolABI.address) as? WitnessPoolContract else {
            return .rejected("this chain has no witness pool")
        }
        let state = headState()
        let parameters: ProtocolParameters
        do { parameters = try executor.contracts.parameterSource.parameters(state) } catch { return .rejected("\(error)") }
        let context = SystemCallContext(
            caller: .zero, value: .zero, height: head.height + 1, timestamp: headHeader.timestamp, canWrite: true,
            address: WitnessPoolABI.address, state: state, gasLimit: .max, parameters: parameters, chain: history)
        do throws(SystemContractRevert) {
            return try pool.process(attestation, context: context, book: WitnessBook(context, genesis: genesis))
        } catch {
            return .rejected(error.reason)
        }
    }
}
