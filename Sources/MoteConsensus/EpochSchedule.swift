import MoteCrypto
import MotePrimitives

/// Which delegates run an epoch and who proposes each round: deterministic from the chain.
///
/// Height 0 is genesis; epoch `e ≥ 1` covers heights `(e−1)·L + 1 … e·L` for epoch length `L`.
/// Each epoch the consensus delegates are the top `numCandidateDelegates` candidates (ranked
/// by votes, ties by address; until staking exists, the genesis list), and `numDelegates` of
/// them, in an order shuffled by the epoch's seed, are the producers. The seed of epoch `e+1`
/// hashes the seed of epoch `e` with the VRF outputs its proposers put in their headers, so
/// no single delegate picks the next order, and nobody knows it before epoch `e` ends.
public struct EpochSchedule: Hashable, Sendable {
    /// Blocks per epoch (≥ 1).
    public let epochLength: UInt64
    /// Producers per epoch (≥ 1).
    public let numDelegates: Int
    /// Consensus delegates per epoch (≥ numDelegates).
    public let numCandidateDelegates: Int

    public init(epochLength: UInt64, numDelegates: Int, numCandidateDelegates: Int) {
        precondition(epochLength >= 1 && numDelegates >= 1 && numCandidateDelegates >= numDelegates)
        self.epochLength = epochLength
        self.numDelegates = numDelegates
        self.numCandidateDelegates = numCandidateDelegates
    }

    /// The epoch of `height` (0 for genesis).
    public func epoch(ofHeight height: UInt64) -> UInt64 {
        height == 0 ? 0 : (height - 1) / epochLength + 1
    }

    /// The last epoch whose heights all fit a `UInt64`: `UInt64.max / epochLength`. Epochs
    /// after it cannot be reached by any chain; epoch numbers from outside (RPC parameters,
    /// messages) are checked against it.
    public var lastRepresentableEpoch: UInt64 { UInt64.max / epochLength }

    /// The first height of `epoch`: 0 for epoch 0 (genesis alone), `(epoch − 1)·L + 1` after;
    /// nil when that height does not fit a `UInt64`.
    public func checkedFirstHeight(ofEpoch epoch: UInt64) -> UInt64? {
        guard epoch >= 1 else { return 0 }
        let (product, overflow) = (epoch - 1).multipliedReportingOverflow(by: epochLength)
        guard !overflow else { return nil }
        let (first, carry) = product.addingReportingOverflow(1)
        return carry ? nil : first
    }

    /// The last height of `epoch` (`epoch·L`; 0 for genesis); nil when it does not fit a `UInt64`.
    public func checkedLastHeight(ofEpoch epoch: UInt64) -> UInt64? {
        let (last, overflow) = epoch.multipliedReportingOverflow(by: epochLength)
        return overflow ? nil : last
    }

    /// The first height of `epoch` (0 for genesis). Total: an epoch whose first height would not
    /// fit a `UInt64` gives `UInt64.max`, a height no chain reaches, so comparisons with real
    /// heights stay correct and an epoch number from outside never traps.
    public func firstHeight(ofEpoch epoch: UInt64) -> UInt64 { checkedFirstHeight(ofEpoch: epoch) ?? .max }

    /// The last height of `epoch` (0 for genesis). Total, saturating at `UInt64.max` as
    /// `firstHeight(ofEpoch:)` does.
    public func lastHeight(ofEpoch epoch: UInt64) -> UInt64 { checkedLastHeight(ofEpoch: epoch) ?? .max }

    /// A candidate for the delegate election.
    public struct Candidate: Hashable, Sendable {
        public var address: Address
        public var votes: UInt256
        public init(address: Address, votes: UInt256) {
            self.address = address
            self.votes = votes
        }
    }

    /// The consensus delegates: the top `numCandidateDelegates` by votes (ties by address).
    public func delegates(from candidates: [Candidate]) -> [Address] {
        let ranked = candidates.sorted { a, b in a.votes != b.votes ? a.votes > b.votes : a.address < b.address }
        var seen = Set<Address>()
        var out: [Address] = []
        for candidate in ranked where out.count < numCandidateDelegates && seen.insert(candidate.address).inserted {
            out.append(candidate.address)
        }
        return out
    }

    /// The epoch's producers: `delegates` shuffled by `seed`, the first `numDelegates`.
    public func producers(delegates: [Address], seed: Hash32) -> [Address] {
        Array(Self.shuffle(delegates, seed: seed).prefix(numDelegates))
    }

    /// The proposer of `(height, round)`: `producers[(height + round) % producers.count]`.
    public func proposer(height: UInt64, round: UInt64, producers: [Address]) -> Address {
        precondition(!producers.isEmpty)
        let (sum, overflow) = height.addingReportingOverflow(round)
        let index = overflow ? (height % UInt64(producers.count) + round % UInt64(producers.count)) : sum
        return producers[Int(index % UInt64(producers.count))]
    }

    /// Fisher–Yates with `keccak(seed ‖ i)` as the source of randomness: the same on every machine.
    public static func shuffle(_ items: [Address], seed: Hash32) -> [Address] {
        var out = items
        guard out.count > 1 else { return out }
        for i in stride(from: out.count - 1, to: 0, by: -1) {
            let draw = UInt256(bigEndian: Keccak256.hash(seed.bytes + UInt64(i).bigEndianBytes8).bytes)!
            let j = Int((draw % UInt256(UInt64(i + 1))).l0)
            out.swapAt(i, j)
        }
        return out
    }

    /// The seed of epoch 1: derived from the genesis hash.
    public static func firstSeed(genesisHash: Hash32) -> Hash32 {
        Keccak256.hash(Array("mote epoch seed".utf8) + genesisHash.bytes)
    }

    /// The seed of the epoch after one with `seed`, from the VRF outputs (betas) of its blocks
    /// in height order. Blocks without a VRF proof contribute nothing.
    public static func nextSeed(after seed: Hash32, epoch: UInt64, vrfOutputs: [[UInt8]]) -> Hash32 {
        var hasher = Keccak256.Hasher()
        hasher.update(Array("mote epoch seed".utf8))
        hasher.update(seed.bytes)
        hasher.update(epoch.bigEndianBytes8)
        for output in vrfOutputs {
            hasher.update(UInt64(output.count).bigEndianBytes8)
            hasher.update(output)
        }
        return hasher.finalize()
    }

    /// The VRF input (alpha) a proposer evaluates for `height` in an epoch with `seed`.
    public static func vrfInput(seed: Hash32, height: UInt64) -> [UInt8] {
        Array("mote block vrf".utf8) + seed.bytes + height.bigEndianBytes8
    }
}

