import MoteCrypto
import MotePrimitives

/// The Staking system contract's interface: its reserved address, functions and events
/// (docs/abi/Staking.json is generated from these by `mote contracts abi Staking`).
public enum StakingABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(2)
    public static let name = "Staking"

    public static let registerCandidate = SystemFunction(
        "registerCandidate",
        inputs: [("name", "string"), ("operatorAddress", "address"), ("rewardAddress", "address"), ("duration", "uint32"),
                 ("autoStake", "bool"), ("voterShareBps", "uint16"), ("operatorProof", "bytes")],
        outputs: [("selfStakeBucket", "uint64")], mutating: true, payable: true)
    public static let updateCandidate = SystemFunction(
        "updateCandidate",
        inputs: [("name", "string"), ("operatorAddress", "address"), ("rewardAddress", "address"), ("voterShareBps", "uint16"),
                 ("operatorProof", "bytes")],
        mutating: true)
    public static let createStake = SystemFunction(
        "createStake", inputs: [("candidate", "string"), ("duration", "uint32"), ("autoStake", "bool")],
        outputs: [("bucket", "uint64")], mutating: true, payable: true)
    public static let depositToStake = SystemFunction("depositToStake", inputs: [("bucket", "uint64")], mutating: true, payable: true)
    public static let restake = SystemFunction(
        "restake", inputs: [("bucket", "uint64"), ("duration", "uint32"), ("autoStake", "bool")], mutating: true)
    public static let changeCandidate = SystemFunction(
        "changeCandidate", inputs: [("bucket", "uint64"), ("candidate", "string")], mutating: true)
    public static let transferStake = SystemFunction(
        "transferStake", inputs: [("bucket", "uint64"), ("newOwner", "address")], mutating: true)
    public static let unstake = SystemFunction("unstake", inputs: [("bucket", "uint64")], mutating: true)
    public static let withdrawStake = SystemFunction("withdrawStake", inputs: [("bucket", "uint64")], mutating: true)
    public static let reportDoubleSign = SystemFunction(
        "reportDoubleSign", inputs: [("evidence", "bytes")], outputs: [("slashed", "uint256")], mutating: true)
    public static let candidateCount = SystemFunction("candidateCount", outputs: [("count", "uint256")], mutating: false)
    public static let candidateOutputs: [(String, String)] = [
        ("name", "string"), ("owner", "address"), ("operatorAddress", "address"), ("rewardAddress", "address"),
        ("selfStakeBucket", "uint64"), ("selfStake", "uint256"), ("votes", "uint256"), ("voterShareBps", "uint16"),
        ("probationUntilEpoch", "uint64"),
    ]
    public static let candidateAt = SystemFunction(
        "candidateAt", inputs: [("index", "uint256")], outputs: candidateOutputs, mutating: false)
    public static let candidateByName = SystemFunction(
        "candidateByName", inputs: [("name", "string")], outputs: candidateOutputs, mutating: false)
    public static let bucketOutputs: [(String, String)] = [
        ("owner", "address"), ("candidate", "string"), ("amount", "uint256"), ("duration", "uint32"), ("autoStake", "bool"),
        ("stakeStart", "uint64"), ("unstakeTime", "uint64"), ("selfStake", "bool"), ("votes", "uint256"),
    ]
    public static let bucket = SystemFunction("bucket", inputs: [("id", "uint64")], outputs: bucketOutputs, mutating: false)
    public static let bucketsOf = SystemFunction("bucketsOf", inputs: [("owner", "address")], outputs: [("ids", "uint64[]")], mutating: false)
    public static let votersOf = SystemFunction("votersOf", inputs: [("candidate", "string")], outputs: [("ids", "uint64[]")], mutating: false)
    public static let delegatesOf = SystemFunction(
        "delegatesOf", inputs: [("epoch", "uint64")],
        outputs: [("operators", "address[]"), ("rewardAddresses", "address[]"), ("owners", "address[]"), ("votes", "uint256[]")],
        mutating: false)
    public static let stakingParameters = SystemFunction(
        "stakingParameters",
        outputs: [("registrationFee", "uint256"), ("minSelfStake", "uint256"), ("minStakeAmount", "uint256"), ("maxStakeDays", "uint32"),
                  ("secondsPerDay", "uint64"), ("withdrawWaitingDays", "uint32"), ("selfStakeBonusPercent", "uint64")],
        mutating: false)
    public static let endBlockFailureCount = SystemFunction(
        "endBlockFailureCount", outputs: [("blocks", "uint64"), ("lastHeight", "uint64")], mutating: false)
    public static let endBlockFailuresAt = SystemFunction(
        "endBlockFailuresAt", inputs: [("height", "uint64")], outputs: [("stages", "string[]"), ("reasons", "string[]")], mutating: false)
    public static let produced = SystemFunction(
        "produced", inputs: [("epoch", "uint64"), ("operatorAddress", "address")], outputs: [("blocks", "uint64")], mutating: false)
    public static let candidateRegistered = SystemEvent(
        "CandidateRegistered",
        [("owner", "address", true), ("name", "string", false), ("operatorAddress", "address", false),
         ("rewardAddress", "address", false), ("selfStakeBucket", "uint64", false)])
    public static let candidateUpdated = SystemEvent(
        "CandidateUpdated",
        [("owner", "address", true), ("name", "string", false), ("operatorAddress", "address", false),
         ("rewardAddress", "address", false), ("voterShareBps", "uint16", false)])
    public static let stakeCreated = SystemEvent(
        "StakeCreated",
        [("bucket", "uint64", true), ("owner", "address", true), ("candidate", "address", true), ("amount", "uint256", false),
         ("duration", "uint32", false), ("autoStake", "bool", false)])
    public static let stakeChanged = SystemEvent(
        "StakeChanged",
        [("bucket", "uint64", true), ("owner", "address", true), ("candidate", "address", true), ("amount", "uint256", false),
         ("duration", "uint32", false), ("autoStake", "bool", false), ("stakeStart", "uint64", false)])
    public static let unstaked = SystemEvent("Unstaked", [("bucket", "uint64", true), ("owner", "address", true)])
    public static let withdrawn = SystemEvent(
        "Withdrawn", [("bucket", "uint64", true), ("owner", "address", true), ("amount", "uint256", false)])
    public static let slashed = SystemEvent(
        "Slashed",
        [("candidate", "address", true), ("reporter", "address", true), ("amount", "uint256", false),
         ("reporterReward", "uint256", false), ("height", "uint64", false)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.registerCandidate, Self.updateCandidate, Self.createStake, Self.depositToStake, Self.restake, Self.changeCandidate,
         Self.transferStake, Self.unstake, Self.withdrawStake, Self.reportDoubleSign, Self.candidateCount, Self.candidateAt,
         Self.candidateByName, Self.bucket, Self.bucketsOf, Self.votersOf, Self.delegatesOf, Self.produced, Self.stakingParameters,
         Self.endBlockFailureCount, Self.endBlockFailuresAt]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.candidateRegistered, Self.candidateUpdated, Self.stakeCreated, Self.stakeChanged, Self.unstaked, Self.withdrawn, Self.slashed]
}
