import MoteChain
import MoteContracts
import MotePrimitives

/// What a delegate owes its voters, computed from chain data alone: the Staking contract's
/// logs (every bucket change carries the bucket's whole new state, so replaying them gives
/// every bucket as it was at any height) and the rewards the delegate earned per epoch.
///
/// For epoch *e*, the voters are the buckets voting for the delegate when epoch *e*'s
/// delegates were elected (after block `(e − 1) × epochLength`), the delegate's own
/// self-stake bucket excluded; each is owed `rewards(e) × voterShareBps / 10000 × votes /
/// total votes`, rounded down, and the rounding remainder goes to the largest voter, so the
/// payouts add up exactly to the declared share. Payouts are summed per owner address.
public enum VoterPayouts {
    /// A bucket as the logs describe it.
    public struct Bucket: Equatable, Sendable {
        public var owner: Address
        public var candidate: Address
        public var amount: UInt256
        public var durationDays: UInt32
        public var autoStake: Bool
        public var unstaked: Bool
    }

    /// One staking log with where it was emitted.
    public struct Entry: Sendable {
        public var height: UInt64
        public var log: Log
        public init(height: UInt64, log: Log) {
            self.height = height
            self.log = log
        }
    }

    /// One voter's part of one epoch.
    public struct Payout: Equatable, Sendable {
        public var owner: Address
        public var votes: UInt256
        public var amount: UInt256
    }

    /// One epoch of the report.
    public struct Epoch: Equatable, Sendable {
        public var epoch: UInt64
        /// Everything the delegate's reward address earned in the epoch.
        public var rewards: UInt256
        /// The voters' share of it.
        public var voterShare: UInt256
        public var totalVotes: UInt256
        public var payouts: [Payout]
    }

    /// Replays staking logs (in chain order) up to and including `height`: the buckets then, by id.
    public static func buckets(_ entries: [Entry], upTo height: UInt64) -> [UInt64: Bucket] {
        var buckets: [UInt64: Bucket] = [:]
        for entry in entries where entry.height <= height {
            let log = entry.log
            guard log.address == StakingABI.address, let topic0 = log.topics.first, log.topics.count >= 2 else { continue }
            let id = UInt256(bigEndian: log.topics[1].bytes)?.l0 ?? 0
            func address(_ i: Int) -> Address? { i < log.topics.count ? Address(suffixOf: log.topics[i]) : nil }
            switch topic0 {
            case StakingABI.stakeCreated.abi.topic0, StakingABI.stakeChanged.abi.topic0:
                let types: [ABIType] = topic0 == StakingABI.stakeCreated.abi.topic0 ? [.uint(256), .uint(32), .bool] : [.uint(256), .uint(32), .bool, .uint(64)]
                guard let owner = address(2), let candidate = address(3),
                    let values = try? ABI.decode(types, from: log.data), case .uint(let amount) = values[0],
                    case .uint(let days) = values[1], case .bool(let auto) = values[2]
                else { continue }
                buckets[id] = Bucket(owner: owner, candidate: candidate, amount: amount, durationDays: UInt32(truncatingIfNeeded: days.l0), autoStake: auto, unstaked: false)
            case StakingABI.unstaked.abi.topic0:
                buckets[id]?.unstaked = true
            case StakingABI.withdrawn.abi.topic0:
                buckets[id] = nil
            default:
                continue
            }
        }
        return buckets
    }

    /// The report for `candidate` (its owner address) over `epochs`.
    public static func report(
        entries: [Entry], candidate: Address, selfStakeBucket: UInt64, voterShareBps: UInt16, epochs: ClosedRange<UInt64>,
        rewards: (UInt64) throws -> UInt256, parameters: ProtocolParameters
    ) rethrows -> [Epoch] {
        var out: [Epoch] = []
        for epoch in epochs where epoch >= 1 {
            let electedAt = (epoch - 1) * parameters.epochLength
            var voters: [(owner: Address, votes: UInt256)] = []
            for (id, bucket) in buckets(entries, upTo: electedAt).sorted(by: { $0.key < $1.key })
            where bucket.candidate == candidate && !bucket.unstaked && id != selfStakeBucket {
                let votes = VoteWeight.votes(
                    amount: bucket.amount, days: bucket.durationDays, autoStake: bucket.autoStake, selfStake: false,
                    selfStakeBonusPercent: parameters.selfStakeBonusPercent)
                voters.append((bucket.owner, votes))
            }
            // One line per owner, largest first (ties by address).
            var byOwner: [Address: UInt256] = [:]
            for voter in voters { byOwner[voter.owner, default: .zero] += voter.votes }
            let ranked = byOwner.sorted { a, b in a.value != b.value ? a.value > b.value : a.key < b.key }
            let earned = try rewards(epoch)
            let share = earned * UInt256(UInt64(min(voterShareBps, 10_000))) / 10_000
            let total = ranked.reduce(UInt256.zero) { $0 + $1.value }
            var payouts = ranked.map { Payout(owner: $0.key, votes: $0.value, amount: total.isZero ? .zero : share * $0.value / total) }
            if !payouts.isEmpty, !total.isZero {
                let paid = payouts.reduce(UInt256.zero) { $0 + $1.amount }
                payouts[0].amount += share - paid
            }
            out.append(Epoch(epoch: epoch, rewards: earned, voterShare: total.isZero ? .zero : share, totalVotes: total, payouts: payouts))
        }
        return out
    }
}
