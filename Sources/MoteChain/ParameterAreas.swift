import MotePrimitives

/// Epochs and their delegates (docs/CONSENSUS.md).
public struct EpochParameters: ParameterArea {
    public static let name = "epochs"
    /// Blocks per epoch.
    public var epochLength: UInt64 = 720
    /// Target time between blocks, in milliseconds.
    public var blockIntervalMs: UInt64 = 5_000
    /// Block producers per epoch.
    public var numDelegates: Int = 24
    /// Consensus delegates per epoch (the top candidates by votes).
    public var numCandidateDelegates: Int = 36

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .integer("epochLength", \.epochLength, in: 1...UInt64.max), .integer("blockIntervalMs", \.blockIntervalMs, in: 100...UInt64.max),
        .integer("numDelegates", \.numDelegates, in: 1...Int.max), .integer("numCandidateDelegates", \.numCandidateDelegates, in: 1...Int.max),
    ]

    public var crossProblems: [String] { numCandidateDelegates >= numDelegates ? [] : ["numCandidateDelegates below numDelegates"] }
}

/// The EIP-1559 fee market (docs/LEDGER.md).
public struct FeeParameters: ParameterArea {
    public static let name = "fees"
    /// The base fee never drops below this (wei per gas).
    public var minBaseFee = UInt256Text(0)
    /// The gas target is gasLimit / elasticity.
    public var elasticityMultiplier: UInt64 = 2
    /// The base fee changes by at most 1/denominator per block.
    public var baseFeeChangeDenominator: UInt64 = 8

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .amount("minBaseFee", \.minBaseFee), .integer("elasticityMultiplier", \.elasticityMultiplier, in: 1...UInt64.max),
        .integer("baseFeeChangeDenominator", \.baseFeeChangeDenominator, in: 1...UInt64.max),
    ]
}

/// Staking, rewards and accountability (docs/STAKING.md). Amounts in wei.
public struct StakingParameters: ParameterArea {
    public static let name = "staking"
    /// Paid (into the reward fund) to register a candidate.
    public var registrationFee = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// The least self-stake a candidate registers with, and keeps to stay eligible.
    public var minSelfStake = UInt256Text(UInt256(10_000) * ProtocolParameters.mote)
    /// The least amount of a stake bucket.
    public var minStakeAmount = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// The longest stake duration, in days.
    public var maxStakeDays: UInt32 = 1_050
    /// The length of a staking "day" in seconds of block time (86400; shorter on test networks).
    public var secondsPerDay: UInt64 = 86_400
    /// Days between unstaking and withdrawing.
    public var withdrawWaitingDays: UInt32 = 3
    /// Extra weight of a candidate's self-stake bucket, in percent.
    public var selfStakeBonusPercent: UInt64 = 6
    /// To the producer of every block, from the reward fund.
    public var blockReward = UInt256Text(UInt256(16) * ProtocolParameters.mote)
    /// Per epoch, split by votes among the epoch's consensus delegates.
    public var epochReward = UInt256Text(UInt256(12_500) * ProtocolParameters.mote)
    /// Per epoch, to each of the top `foundationBonusDelegates` delegates.
    public var foundationBonus = UInt256Text(UInt256(80) * ProtocolParameters.mote)
    public var foundationBonusDelegates: Int = 36
    /// A producer with fewer blocks than this share of its expected blocks gets no epoch
    /// reward and goes on probation.
    public var productivityThresholdPercent: UInt64 = 85
    /// Epochs of probation.
    public var probationEpochs: UInt64 = 2
    /// How much of a candidate's votes probation takes away, in percent.
    public var probationVoteDiscountPercent: UInt64 = 90
    /// The share of the self-stake a proven double-signer loses, in percent.
    public var slashPercent: UInt64 = 10
    /// The share of the slashed amount paid to whoever reported the evidence, in percent.
    public var reporterSharePercent: UInt64 = 50

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .amount("registrationFee", \.registrationFee), .amount("minSelfStake", \.minSelfStake), .amount("minStakeAmount", \.minStakeAmount),
        .integer("maxStakeDays", \.maxStakeDays, in: 0...36_500), .integer("secondsPerDay", \.secondsPerDay, in: 1...UInt64.max),
        .integer("withdrawWaitingDays", \.withdrawWaitingDays), .integer("selfStakeBonusPercent", \.selfStakeBonusPercent, in: 0...1_000),
        .amount("blockReward", \.blockReward), .amount("epochReward", \.epochReward), .amount("foundationBonus", \.foundationBonus),
        .integer("foundationBonusDelegates", \.foundationBonusDelegates, in: 0...Int.max),
        .integer("productivityThresholdPercent", \.productivityThresholdPercent, in: 0...100),
        .integer("probationEpochs", \.probationEpochs, in: 0...1_000_000),
        .integer("probationVoteDiscountPercent", \.probationVoteDiscountPercent, in: 0...100),
        .integer("slashPercent", \.slashPercent, in: 0...100), .integer("reporterSharePercent", \.reporterSharePercent, in: 0...100),
    ]
}

/// The device registry (docs/DEVICES.md).
public struct DeviceParameters: ParameterArea {
    public static let name = "devices"
    /// Staked (held by the DeviceRegistry contract, refunded on revocation) to register or claim a device.
    public var deviceActivationFee = UInt256Text(ProtocolParameters.mote)
    /// A new device's telemetry retention, in days (1 to `ProtocolParameters.maxRetentionDays`).
    public var defaultRetentionDays: UInt32 = 30

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .amount("deviceActivationFee", \.deviceActivationFee),
        .integer("defaultRetentionDays", \.defaultRetentionDays, in: 1...ProtocolParameters.maxRetentionDays),
    ]
}

/// Proof of Assignment: block witnesses (docs/WITNESSING.md).
public struct WitnessingParameters: ParameterArea {
    public static let name = "witnesses"
    /// Witnesses expected to be assigned per block (w).
    public var expectedWitnesses: UInt64 = 16
    /// Accepted attestations of one hash that make a block witnessed (t).
    public var witnessThreshold: UInt64 = 10
    /// Paid to a witness's owner per accepted attestation, from the WitnessPool's balance.
    public var attestationReward = UInt256Text(UInt256(10_000_000_000_000_000))
    /// Blocks an incoherent witness stays out of the pool.
    public var blacklistBlocks: UInt64 = 17_280
    /// A new witness's reputation (its weight in the sortition).
    public var reputationStart: UInt64 = 100
    /// Reputation gained per accepted attestation.
    public var reputationGain: UInt64 = 1
    /// Reputation lost per incoherent attestation (never below 1).
    public var reputationPenalty: UInt64 = 50
    /// The highest reputation.
    public var maxReputation: UInt64 = 1_000
    /// How many blocks back an attestation may be included: heights [h − window, h − 1] in block h.
    public var attestationWindow: UInt64 = 120

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .integer("expectedWitnesses", \.expectedWitnesses, in: 1...1_000), .integer("witnessThreshold", \.witnessThreshold, in: 1...1_000),
        .amount("attestationReward", \.attestationReward), .integer("blacklistBlocks", \.blacklistBlocks, in: 0...100_000_000),
        .integer("reputationStart", \.reputationStart, in: 1...UInt64.max), .integer("reputationGain", \.reputationGain),
        .integer("reputationPenalty", \.reputationPenalty), .integer("maxReputation", \.maxReputation, in: 1...1_000_000),
        .integer("attestationWindow", \.attestationWindow, in: 1...100_000),
    ]

    public var crossProblems: [String] {
        (reputationStart <= maxReputation ? [] : ["reputationStart above maxReputation"])
            + (reputationGain <= maxReputation ? [] : ["reputationGain above maxReputation"])
            + (reputationPenalty <= maxReputation ? [] : ["reputationPenalty above maxReputation"])
    }
}

/// MachineFi projects (docs/MACHINEFI.md).
public struct ProjectParameters: ParameterArea {
    public static let name = "projects"
    /// The bond a stream operator locks per result it posts (slashed if the result is proven false).
    public var minimumOperatorBond = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// Sent with a challenge; returned if the challenge proves the result false, else given to the project's pool.
    public var challengeDeposit = UInt256Text(UInt256(10) * ProtocolParameters.mote)
    /// The share of a slashed bond paid to the challenger, in percent (the rest goes to the project's pool).
    public var challengerShare: UInt8 = 50
    /// The shortest challenge period a project may choose, in seconds (watchers need time to
    /// fetch a window's messages and challenge; short only on test networks).
    public var minimumChallengeSeconds: UInt64 = 3_600

    public init() {}

    public static let fields: [ParameterField<Self>] = [
        .amount("minimumOperatorBond", \.minimumOperatorBond, nonZero: true), .amount("challengeDeposit", \.challengeDeposit),
        .integer("challengerShare", \.challengerShare, in: 0...100),
        .integer("minimumChallengeSeconds", \.minimumChallengeSeconds, in: 1...ProtocolParameters.maxChallengeSeconds),
    ]
}
