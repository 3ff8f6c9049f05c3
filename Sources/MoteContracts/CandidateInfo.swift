import MoteCrypto
import MotePrimitives

/// A candidate as Staking's `candidateAt`/`candidateByName` views answer it, and as
/// `mote_candidate`, `mote_candidates` and `mote_probation` serve it (one member per output,
/// named as in the ABI; integers as 0x quantities).
public struct CandidateInfo: Equatable, Sendable, ContractView {
    public var name: String
    public var owner: Address
    public var operatorAddress: Address
    public var rewardAddress: Address
    public var selfStakeBucket: UInt64
    public var selfStake: UInt256
    public var votes: UInt256
    public var voterShareBps: UInt64
    public var probationUntilEpoch: UInt64

    public init(_ values: [ABIValue]) throws(ContractViewError) {
        let v = try ABIOutputs(values, "candidate", count: StakingABI.candidateOutputs.count)
        (name, owner, operatorAddress, rewardAddress) = (try v.string(0), try v.address(1), try v.address(2), try v.address(3))
        (selfStakeBucket, selfStake, votes, voterShareBps, probationUntilEpoch) = (
            try v.uint64(4), try v.uint(5), try v.uint(6), try v.uint64(7), try v.uint64(8)
        )
    }

    public init(json: JSON) throws(ContractViewError) {
        let f = JSONFields(json: json, what: "candidate")
        (name, owner, operatorAddress, rewardAddress) = (
            try f.string("name"), try f.address("owner"), try f.address("operatorAddress"), try f.address("rewardAddress")
        )
        (selfStakeBucket, selfStake, votes, voterShareBps, probationUntilEpoch) = (
            try f.quantity64("selfStakeBucket"), try f.quantity("selfStake"), try f.quantity("votes"), try f.quantity64("voterShareBps"),
            try f.quantity64("probationUntilEpoch")
        )
    }

    public var json: JSON {
        .object([
            "name": .string(name), "owner": .address(owner), "operatorAddress": .address(operatorAddress),
            "rewardAddress": .address(rewardAddress), "selfStakeBucket": .quantity(selfStakeBucket), "selfStake": .quantity(selfStake),
            "votes": .quantity(votes), "voterShareBps": .quantity(voterShareBps), "probationUntilEpoch": .quantity(probationUntilEpoch),
        ])
    }

    /// Whether its votes are discounted in the election for `epoch`.
    public func onProbation(inEpoch epoch: UInt64) -> Bool { probationUntilEpoch >= epoch && probationUntilEpoch > 0 }
}
