import Foundation
import MoteCrypto
import MotePrimitives
import MoteRPC
import MoteWitness

/// What the attestation intake reads from the chain; the node implements it over its ledger.
package protocol AttestationChainView: Sendable {
    /// The newest final height.
    func headHeight() async -> UInt64
    /// The epoch of `height`.
    func epoch(ofHeight height: UInt64) -> UInt64
    /// The WitnessPool's parameters, or nil when the chain has no witness pool.
    func witnessParameters() async -> WitnessParameters?
    /// The seed of `epoch`, once known.
    func epochSeed(_ epoch: UInt64) async -> Hash32?
    /// The weight of the witness holding `witnessKey` and the pool's total weight, as fixed at
    /// the start of `epoch` (0 for an unknown key).
    func weights(witnessKey: [UInt8], epoch: UInt64) async -> (weight: UInt64, totalWeight: UInt64)?
}

/// The WitnessPool parameters the intake checks against.
package struct WitnessParameters: Equatable, Sendable {
    package var expectedWitnesses: UInt64
    package var attestationWindow: UInt64

    package init(expectedWitnesses: UInt64, attestationWindow: UInt64) {
        self.expectedWitnesses = expectedWitnesses
        self.attestationWindow = attestationWindow
    }
}

/// The node's attestation pool (docs/WITNESSING.md#node-side): attestations devices sent,
/// pre-checked and held until the node puts them in its next `submitAttestations` transaction.
///
/// The pre-check refuses, cheapest test first: a height outside the chain's window, an
/// (witness key, height) already seen, a full pool, a bad signature, a key with no weight in
/// the height's epoch, and a VRF proof that does not verify or does not assign the witness.
/// The hash is not compared with the chain's: an incoherent attestation is valid work for the
/// contract to punish. Seen ids are kept until their height leaves the window, so a replay is
/// refused even after the original was included.
package final class AttestationPool: AttestationIntake, @unchecked Sendable {
    // `@unchecked Sendable`: every stored var is read and written under `lock`.
    struct ID: Hashable {
        let witnessKey: [UInt8]
        let height: UInt64
    }

    let chainID: UInt64
    /// The most attestations held at once.
    let capacity: Int
    let view: any AttestationChainView
    private let lock = NSLock()
    private var pending: [WitnessAttestation] = []
    private var seen: Set<ID> = []
    /// The current epoch's seed and looked-up weights (lookups go through the node's actor).
    private var cache: (epoch: UInt64, seed: Hash32, weights: [[UInt8]: (UInt64, UInt64)])?
    private var counters = (accepted: 0, rejected: 0)

    package init(chainID: UInt64, capacity: Int = 4_096, view: any AttestationChainView) {
        self.chainID = chainID
        self.capacity = max(1, capacity)
        self.view = view
    }

    /// How many attestations wait for inclusion.
    package var count: Int { locked { pending.count } }

    /// Accepted and rejected so far.
    package var totals: (accepted: Int, rejected: Int) { locked { counters } }

    package func submit(_ attestation: WitnessAttestation) async -> AttestationVerdict {
        let verdict = await check(attestation)
        locked {
            if verdict.accepted { counters.accepted += 1 } else { counters.rejected += 1 }
        }
        return verdict
    }

    private func check(_ attestation: WitnessAttestation) async -> AttestationVerdict {
        guard let parameters = await view.witnessParameters() else { return .rejected("this chain has no witness pool") }
        let head = await view.headHeight()
        let height = attestation.height
        // The next block (head + 1) accepts heights head + 1 − window … head; leave one block
        // of slack for the transaction to land.
        guard height <= head else { return .rejected("height \(height) is not final yet (head \(head))") }
        guard height + parameters.attestationWindow > head + 2 else {
            return .rejected("height \(height) is outside the attestation window (head \(head), window \(parameters.attestationWindow))")
        }
        let id = ID(witnessKey: attestation.witnessKey, height: height)
        if let refusal = locked({ () -> AttestationVerdict? in
            if seen.contains(id) { return .rejected("duplicate: this witness already attested height \(height)") }
            if pending.count >= capacity { return .rejected("the node's attestation pool is full; retry after the next block") }
            return nil
        }) { return refusal }
        guard attestation.signatureIsValid(chainID: chainID) else { return .rejected("bad signature") }
        guard let publicKey = attestation.vrfPublicKey else { return .rejected("the witness key is not a valid public key") }
        let epoch = view.epoch(ofHeight: height)
        guard let (seed, weight, total) = await epochData(epoch: epoch, key: attestation.witnessKey) else {
            return .rejected("epoch \(epoch)'s seed is not known to this node")
        }
        guard weight > 0 else { return .rejected("not a witness with weight in epoch \(epoch) (unknown key, joined later, or blacklisted)") }
        let assignment = WitnessSortition.Assignment(height: height, proof: attestation.vrfProof)
        guard WitnessSortition.verify(
            assignment, publicKey: publicKey, seed: seed, weight: weight, totalWeight: total, expected: parameters.expectedWitnesses)
        else { return .rejected("the VRF proof does not assign this witness to height \(height)") }
        return locked {
            guard seen.insert(id).inserted else { return .rejected("duplicate: this witness already attested height \(height)") }
            guard pending.count < capacity else {
                seen.remove(id)
                return .rejected("the node's attestation pool is full; retry after the next block")
            }
            pending.append(attestation)
            return .accepted
        }
    }

    /// The seed of `epoch` and the key's weight in it, cached for the current epoch.
    private func epochData(epoch: UInt64, key: [UInt8]) async -> (Hash32, UInt64, UInt64)? {
        if let hit = locked({ () -> (Hash32, UInt64, UInt64)? in
            guard let cache, cache.epoch == epoch, let weight = cache.weights[key] else { return nil }
            return (cache.seed, weight.0, weight.1)
        }) { return hit }
        guard let seed = await view.epochSeed(epoch), let weights = await view.weights(witnessKey: key, epoch: epoch) else { return nil }
        locked {
            if cache?.epoch != epoch || cache?.seed != seed { cache = (epoch, seed, [:]) }
            if cache!.weights.count < 100_000 { cache!.weights[key] = (weights.weight, weights.totalWeight) }
        }
        return (seed, weights.weight, weights.totalWeight)
    }

    /// Takes up to `maxCount` attestations for a transaction in block `head + 1`, dropping
    /// those that fell out of the window; forgets seen ids below the window.
    package func take(head: UInt64, window: UInt64, maxCount: Int) -> [WitnessAttestation] {
        locked {
            let lowest = head + 1 > window ? head + 1 - window : 0
            pending.removeAll { $0.height < lowest || $0.height > head }
            seen = seen.filter { $0.height >= lowest }
            let taken = Array(pending.prefix(maxCount))
            pending.removeFirst(taken.count)
            return taken
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
