import Foundation
import MoteCrypto
import MotePrimitives

/// The genesis file: the chain id, the first block's fields, initial balances, the initial
/// delegates and the protocol parameters. The format is documented in docs/GENESIS.md.
public struct Genesis: Hashable, Sendable {
    /// The largest genesis file accepted.
    public static let maxFileSize = 64 * 1024 * 1024
    /// The most allocations a genesis may hold.
    public static let maxAllocations = 10_000_000

    public var chainID: UInt64
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var baseFee: UInt256
    /// Initial balances, sorted by address (so the genesis state is independent of file order).
    public var allocations: [(address: Address, balance: UInt256)] {
        get { allocationList }
        set { allocationList = newValue.sorted { $0.address < $1.address } }
    }
    private var allocationList: [Allocation]
    public var delegates: [Delegate]
    public var parameters: ProtocolParameters

    /// One initial balance.
    typealias Allocation = (address: Address, balance: UInt256)

    /// A delegate of the first epochs (until staking elects them).
    public struct Delegate: Hashable, Sendable {
        public var name: String
        /// The address that signs blocks and votes.
        public var operatorAddress: Address
        /// Where rewards go.
        public var rewardAddress: Address
        /// The ECVRF public key (32 bytes) whose proofs this delegate puts in its headers; empty if none.
        public var vrfPublicKey: [UInt8]

        public init(name: String, operatorAddress: Address, rewardAddress: Address, vrfPublicKey: [UInt8] = []) {
            self.name = name
            self.operatorAddress = operatorAddress
            self.rewardAddress = rewardAddress
            self.vrfPublicKey = vrfPublicKey
        }
    }

    public init(
        chainID: UInt64, timestamp: UInt64 = 0, gasLimit: UInt64 = 30_000_000, baseFee: UInt256 = 1_000_000_000,
        allocations: [(address: Address, balance: UInt256)], delegates: [Delegate] = [],
        parameters: ProtocolParameters = ProtocolParameters()
    ) {
        self.chainID = chainID
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.baseFee = baseFee
        self.allocationList = allocations.sorted { $0.address < $1.address }
        self.delegates = delegates
        self.parameters = parameters
    }

    public static func == (a: Genesis, b: Genesis) -> Bool {
        a.chainID == b.chainID && a.timestamp == b.timestamp && a.gasLimit == b.gasLimit && a.baseFee == b.baseFee
            && a.allocationList.map(\.address) == b.allocationList.map(\.address)
            && a.allocationList.map(\.balance) == b.allocationList.map(\.balance)
            && a.delegates == b.delegates && a.parameters == b.parameters
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(chainID)
        hasher.combine(allocationList.count)
    }

    /// The total supply at genesis: the sum of all allocations.
    public var totalSupply: UInt256 {
        allocationList.reduce(UInt256.zero) { $0 + $1.balance }
    }
}

/// The protocol's tunable numbers, fixed at genesis.
public struct ProtocolParameters: Hashable, Sendable, Codable {
    /// Blocks per epoch.
    public var epochLength: UInt64 = 720
    /// Target time between blocks, in milliseconds.
    public var blockIntervalMs: UInt64 = 5_000
    /// Block producers per epoch.
    public var numDelegates: Int = 24
    /// Consensus delegates per epoch (the top candidates by votes).
    public var numCandidateDelegates: Int = 36
    /// The base fee never drops below this (wei per gas).
    public var minBaseFee: UInt256Text = UInt256Text(0)
    /// EIP-1559: the gas target is gasLimit / elasticity.
    public var elasticityMultiplier: UInt64 = 2
    /// EIP-1559: the base fee changes by at most 1/denominator per block.
    public var baseFeeChangeDenominator: UInt64 = 8

    // Staking (docs/STAKING.md). Amounts in wei.
    /// Paid (into the reward fund) to register a candidate.
    public var registrationFee: UInt256Text = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// The least self-stake a candidate registers with, and keeps to stay eligible.
    public var minSelfStake: UInt256Text = UInt256Text(UInt256(10_000) * ProtocolParameters.mote)
    /// The least amount of a stake bucket.
    public var minStakeAmount: UInt256Text = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// The longest stake duration, in days.
    public var maxStakeDays: UInt32 = 1_050
    /// The length of a staking "day" in seconds of block time (86400; shorter on test networks).
    public var secondsPerDay: UInt64 = 86_400
    /// Days between unstaking and withdrawing.
    public var withdrawWaitingDays: UInt32 = 3
    /// Extra weight of a candidate's self-stake bucket, in percent.
    public var selfStakeBonusPercent: UInt64 = 6

    // Rewards, paid from the reward fund (the Rewarding contract's balance).
    /// To the producer of every block.
    public var blockReward: UInt256Text = UInt256Text(UInt256(16) * ProtocolParameters.mote)
    /// Per epoch, split by votes among the epoch's consensus delegates.
    public var epochReward: UInt256Text = UInt256Text(UInt256(12_500) * ProtocolParameters.mote)
    /// Per epoch, to each of the top `foundationBonusDelegates` delegates.
    public var foundationBonus: UInt256Text = UInt256Text(UInt256(80) * ProtocolParameters.mote)
    public var foundationBonusDelegates: Int = 36

    // Accountability.
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

    // Devices (docs/DEVICES.md).
    /// Staked (held by the DeviceRegistry contract, refunded on revocation) to register or claim a device.
    public var deviceActivationFee: UInt256Text = UInt256Text(ProtocolParameters.mote)
    /// A new device's telemetry retention, in days (1 to `maxRetentionDays`).
    public var defaultRetentionDays: UInt32 = 30
    /// The longest retention a device owner may set.
    public static let maxRetentionDays: UInt32 = 3_650

    // MachineFi projects (docs/MACHINEFI.md).
    /// The bond a stream operator locks per result it posts (slashed if the result is proven false).
    public var minimumOperatorBond: UInt256Text = UInt256Text(UInt256(100) * ProtocolParameters.mote)
    /// Sent with a challenge; returned if the challenge proves the result false, else given to the project's pool.
    public var challengeDeposit: UInt256Text = UInt256Text(UInt256(10) * ProtocolParameters.mote)
    /// The share of a slashed bond paid to the challenger, in percent (the rest goes to the project's pool).
    public var challengerShare: UInt8 = 50
    /// The shortest challenge period a project may choose, in seconds (watchers need time to
    /// fetch a window's messages and challenge; short only on test networks).
    public var minimumChallengeSeconds: UInt64 = 3_600
    /// The longest challenge period a project may choose (30 days).
    public static let maxChallengeSeconds: UInt64 = 30 * 86_400

    // Proof of Assignment: block witnesses (docs/WITNESSING.md).
    /// Witnesses expected to be assigned per block (w).
    public var expectedWitnesses: UInt64 = 16
    /// Accepted attestations of one hash that make a block witnessed (t).
    public var witnessThreshold: UInt64 = 10
    /// Paid to a witness's owner per accepted attestation, from the WitnessPool's balance.
    public var attestationReward: UInt256Text = UInt256Text(UInt256(10_000_000_000_000_000))
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

    /// 10^18 wei.
    public static let mote = UInt256(1_000_000_000_000_000_000)

    public init() {}

    /// Reads the fields present; absent ones keep their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochLength = try c.decodeIfPresent(UInt64.self, forKey: .epochLength) ?? epochLength
        blockIntervalMs = try c.decodeIfPresent(UInt64.self, forKey: .blockIntervalMs) ?? blockIntervalMs
        numDelegates = try c.decodeIfPresent(Int.self, forKey: .numDelegates) ?? numDelegates
        numCandidateDelegates = try c.decodeIfPresent(Int.self, forKey: .numCandidateDelegates) ?? numCandidateDelegates
        minBaseFee = try c.decodeIfPresent(UInt256Text.self, forKey: .minBaseFee) ?? minBaseFee
        elasticityMultiplier = try c.decodeIfPresent(UInt64.self, forKey: .elasticityMultiplier) ?? elasticityMultiplier
        baseFeeChangeDenominator = try c.decodeIfPresent(UInt64.self, forKey: .baseFeeChangeDenominator) ?? baseFeeChangeDenominator
        registrationFee = try c.decodeIfPresent(UInt256Text.self, forKey: .registrationFee) ?? registrationFee
        minSelfStake = try c.decodeIfPresent(UInt256Text.self, forKey: .minSelfStake) ?? minSelfStake
        minStakeAmount = try c.decodeIfPresent(UInt256Text.self, forKey: .minStakeAmount) ?? minStakeAmount
        maxStakeDays = try c.decodeIfPresent(UInt32.self, forKey: .maxStakeDays) ?? maxStakeDays
        secondsPerDay = try c.decodeIfPresent(UInt64.self, forKey: .secondsPerDay) ?? secondsPerDay
        withdrawWaitingDays = try c.decodeIfPresent(UInt32.self, forKey: .withdrawWaitingDays) ?? withdrawWaitingDays
        selfStakeBonusPercent = try c.decodeIfPresent(UInt64.self, forKey: .selfStakeBonusPercent) ?? selfStakeBonusPercent
        blockReward = try c.decodeIfPresent(UInt256Text.self, forKey: .blockReward) ?? blockReward
        epochReward = try c.decodeIfPresent(UInt256Text.self, forKey: .epochReward) ?? epochReward
        foundationBonus = try c.decodeIfPresent(UInt256Text.self, forKey: .foundationBonus) ?? foundationBonus
        foundationBonusDelegates = try c.decodeIfPresent(Int.self, forKey: .foundationBonusDelegates) ?? foundationBonusDelegates
        productivityThresholdPercent = try c.decodeIfPresent(UInt64.self, forKey: .productivityThresholdPercent) ?? productivityThresholdPercent
        probationEpochs = try c.decodeIfPresent(UInt64.self, forKey: .probationEpochs) ?? probationEpochs
        probationVoteDiscountPercent = try c.decodeIfPresent(UInt64.self, forKey: .probationVoteDiscountPercent) ?? probationVoteDiscountPercent
        slashPercent = try c.decodeIfPresent(UInt64.self, forKey: .slashPercent) ?? slashPercent
        reporterSharePercent = try c.decodeIfPresent(UInt64.self, forKey: .reporterSharePercent) ?? reporterSharePercent
        deviceActivationFee = try c.decodeIfPresent(UInt256Text.self, forKey: .deviceActivationFee) ?? deviceActivationFee
        defaultRetentionDays = try c.decodeIfPresent(UInt32.self, forKey: .defaultRetentionDays) ?? defaultRetentionDays
        expectedWitnesses = try c.decodeIfPresent(UInt64.self, forKey: .expectedWitnesses) ?? expectedWitnesses
        witnessThreshold = try c.decodeIfPresent(UInt64.self, forKey: .witnessThreshold) ?? witnessThreshold
        attestationReward = try c.decodeIfPresent(UInt256Text.self, forKey: .attestationReward) ?? attestationReward
        blacklistBlocks = try c.decodeIfPresent(UInt64.self, forKey: .blacklistBlocks) ?? blacklistBlocks
        reputationStart = try c.decodeIfPresent(UInt64.self, forKey: .reputationStart) ?? reputationStart
        reputationGain = try c.decodeIfPresent(UInt64.self, forKey: .reputationGain) ?? reputationGain
        reputationPenalty = try c.decodeIfPresent(UInt64.self, forKey: .reputationPenalty) ?? reputationPenalty
        maxReputation = try c.decodeIfPresent(UInt64.self, forKey: .maxReputation) ?? maxReputation
        attestationWindow = try c.decodeIfPresent(UInt64.self, forKey: .attestationWindow) ?? attestationWindow
        minimumOperatorBond = try c.decodeIfPresent(UInt256Text.self, forKey: .minimumOperatorBond) ?? minimumOperatorBond
        challengeDeposit = try c.decodeIfPresent(UInt256Text.self, forKey: .challengeDeposit) ?? challengeDeposit
        challengerShare = try c.decodeIfPresent(UInt8.self, forKey: .challengerShare) ?? challengerShare
        minimumChallengeSeconds = try c.decodeIfPresent(UInt64.self, forKey: .minimumChallengeSeconds) ?? minimumChallengeSeconds
    }
}

/// A `UInt256` written in JSON as a decimal or 0x-hex string (or a small integer).
public struct UInt256Text: Hashable, Sendable, Codable {
    public var value: UInt256
    public init(_ value: UInt256) { self.value = value }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt64.self) {
            value = UInt256(number)
            return
        }
        let text = try container.decode(String.self)
        guard text.utf8.count <= 80, let parsed = UInt256(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a decimal or 0x-hex amount below 2^256: \(text.prefix(80))")
        }
        value = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.description)
    }
}

extension Genesis {
    /// Parses a genesis file (JSON); every field is checked and bounded.
    public init(json data: Data) throws(ChainDecodingError) {
        guard data.count <= Self.maxFileSize else { throw ChainDecodingError("genesis: file over \(Self.maxFileSize) bytes") }
        let file: GenesisFile
        do { file = try JSONDecoder().decode(GenesisFile.self, from: data) } catch {
            throw ChainDecodingError("genesis: \(Self.describe(error))")
        }
        guard file.chainId > 0 else { throw ChainDecodingError("genesis: chainId must be positive") }
        guard file.alloc.count <= Self.maxAllocations else { throw ChainDecodingError("genesis: too many allocations") }
        var allocations: [Allocation] = []
        allocations.reserveCapacity(file.alloc.count)
        var supply = UInt256.zero
        for (key, entry) in file.alloc {
            let address: Address
            do { address = try Address(checksummedHex: key) } catch { throw ChainDecodingError("genesis alloc \(key.prefix(50)): \(error)") }
            let (sum, overflow) = supply.addingReportingOverflow(entry.balance.value)
            guard !overflow else { throw ChainDecodingError("genesis: total supply overflows 256 bits") }
            supply = sum
            allocations.append((address, entry.balance.value))
        }
        var delegates: [Delegate] = []
        for (i, d) in (file.delegates ?? []).enumerated() {
            guard !d.name.isEmpty, d.name.utf8.count <= 64 else { throw ChainDecodingError("genesis delegate \(i): name must be 1 to 64 bytes") }
            do {
                let op = try Address(checksummedHex: d.operator)
                let reward = try Address(checksummedHex: d.reward ?? d.operator)
                var vrf: [UInt8] = []
                if let text = d.vrf {
                    guard text.utf8.count <= 66, let bytes = try? Hex.decode(text), bytes.count == 32 else {
                        throw ChainDecodingError("vrf must be a 32-byte hex public key")
                    }
                    vrf = bytes
                }
                delegates.append(Delegate(name: d.name, operatorAddress: op, rewardAddress: reward, vrfPublicKey: vrf))
            } catch { throw ChainDecodingError("genesis delegate \(i): \(error)") }
        }
        guard Set(delegates.map(\.operatorAddress)).count == delegates.count else {
            throw ChainDecodingError("genesis: delegates must have distinct operator addresses")
        }
        let parameters = file.parameters ?? ProtocolParameters()
        guard parameters.epochLength >= 1, parameters.blockIntervalMs >= 100,
            parameters.numDelegates >= 1, parameters.numCandidateDelegates >= parameters.numDelegates,
            parameters.elasticityMultiplier >= 1, parameters.baseFeeChangeDenominator >= 1,
            parameters.secondsPerDay >= 1, parameters.maxStakeDays <= 36_500, parameters.selfStakeBonusPercent <= 1_000,
            parameters.foundationBonusDelegates >= 0, parameters.productivityThresholdPercent <= 100,
            parameters.probationVoteDiscountPercent <= 100, parameters.slashPercent <= 100, parameters.reporterSharePercent <= 100,
            parameters.probationEpochs <= 1_000_000,
            (1...ProtocolParameters.maxRetentionDays).contains(parameters.defaultRetentionDays),
            (1...1_000).contains(parameters.expectedWitnesses), (1...1_000).contains(parameters.witnessThreshold),
            parameters.blacklistBlocks <= 100_000_000, (1...1_000_000).contains(parameters.maxReputation),
            (1...parameters.maxReputation).contains(parameters.reputationStart), parameters.reputationGain <= parameters.maxReputation,
            parameters.reputationPenalty <= parameters.maxReputation, (1...100_000).contains(parameters.attestationWindow),
            !parameters.minimumOperatorBond.value.isZero, parameters.challengerShare <= 100,
            (1...ProtocolParameters.maxChallengeSeconds).contains(parameters.minimumChallengeSeconds)
        else { throw ChainDecodingError("genesis: parameters out of range (see docs/GENESIS.md)") }
        guard file.gasLimit ?? 30_000_000 >= 21_000 else { throw ChainDecodingError("genesis: gasLimit below 21000") }
        self.init(
            chainID: file.chainId, timestamp: file.timestamp ?? 0, gasLimit: file.gasLimit ?? 30_000_000,
            baseFee: file.baseFee?.value ?? 1_000_000_000, allocations: allocations, delegates: delegates,
            parameters: parameters)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(path.isEmpty ? "" : path + ": ")\(context.debugDescription)"
        default: return "\(error)"
        }
    }

    /// The file's JSON shape.
    private struct GenesisFile: Decodable {
        struct Entry: Decodable { var balance: UInt256Text }
        struct DelegateEntry: Decodable {
            var name: String
            var `operator`: String
            var reward: String?
            var vrf: String?
        }
        var chainId: UInt64
        var timestamp: UInt64?
        var gasLimit: UInt64?
        var baseFee: UInt256Text?
        var alloc: [String: Entry]
        var delegates: [DelegateEntry]?
        var parameters: ProtocolParameters?
    }
}
