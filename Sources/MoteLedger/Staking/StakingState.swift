import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// A stake bucket: MOTE locked for a candidate for a number of days.
public struct StakeBucket: Equatable, Sendable {
    public var id: UInt64
    public var owner: Address
    /// The candidate voted for (its owner address).
    public var candidate: Address
    public var amount: UInt256
    public var durationDays: UInt32
    /// While set, the duration does not run down (and the bucket cannot be unstaked).
    public var autoStake: Bool
    /// Block time (seconds) the duration counts from.
    public var stakeStart: UInt64
    /// Block time it was unstaked, or 0 while staked.
    public var unstakeTime: UInt64
    /// A candidate's self-stake bucket (cannot change candidate or owner).
    public var isSelfStake: Bool

    public var isUnstaked: Bool { unstakeTime != 0 }

    /// Its votes (0 once unstaked).
    public func votes(_ parameters: ProtocolParameters) -> UInt256 {
        guard !isUnstaked else { return .zero }
        return VoteWeight.votes(
            amount: amount, days: durationDays, autoStake: autoStake, selfStake: isSelfStake,
            selfStakeBonusPercent: parameters.selfStakeBonusPercent)
    }

    /// The block time from which it may be unstaked (never while auto-staking).
    public func maturity(_ parameters: ProtocolParameters) -> UInt64? {
        guard !autoStake else { return nil }
        return stakeStart + UInt64(durationDays) * parameters.secondsPerDay
    }

    var rlp: RLPItem {
        .list([
            .uint(id), .address(owner), .address(candidate), .uint(amount), .uint(UInt64(durationDays)), .uint(UInt64(autoStake ? 1 : 0)),
            .uint(stakeStart), .uint(unstakeTime), .uint(UInt64(isSelfStake ? 1 : 0)),
        ])
    }

    init(id: UInt64, owner: Address, candidate: Address, amount: UInt256, durationDays: UInt32, autoStake: Bool,
         stakeStart: UInt64, unstakeTime: UInt64 = 0, isSelfStake: Bool) {
        self.id = id
        self.owner = owner
        self.candidate = candidate
        self.amount = amount
        self.durationDays = durationDays
        self.autoStake = autoStake
        self.stakeStart = stakeStart
        self.unstakeTime = unstakeTime
        self.isSelfStake = isSelfStake
    }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 9, let owner = Address(bytes: try f[1].bytesValue()), let candidate = Address(bytes: try f[2].bytesValue()) else {
            throw RLPError.wrongShape
        }
        self.init(
            id: try f[0].uint64Value(), owner: owner, candidate: candidate, amount: try f[3].uint256Value(),
            durationDays: UInt32(truncatingIfNeeded: try f[4].uint64Value()), autoStake: try f[5].uint64Value() == 1,
            stakeStart: try f[6].uint64Value(), unstakeTime: try f[7].uint64Value(), isSelfStake: try f[8].uint64Value() == 1)
    }
}

/// A registered candidate for delegate.
public struct Candidate: Equatable, Sendable {
    /// Who registered it (and owns its self-stake bucket).
    public var owner: Address
    public var name: String
    /// Signs blocks and votes.
    public var operatorAddress: Address
    /// Receives the protocol's rewards.
    public var rewardAddress: Address
    public var selfStakeBucket: UInt64
    /// The share of its rewards promised to its voters, in basis points.
    public var voterShareBps: UInt16

    var rlp: RLPItem {
        .list([
            .address(owner), .bytes(Array(name.utf8)), .address(operatorAddress), .address(rewardAddress), .uint(selfStakeBucket),
            .uint(UInt64(voterShareBps)),
        ])
    }

    init(owner: Address, name: String, operatorAddress: Address, rewardAddress: Address, selfStakeBucket: UInt64, voterShareBps: UInt16) {
        self.owner = owner
        self.name = name
        self.operatorAddress = operatorAddress
        self.rewardAddress = rewardAddress
        self.selfStakeBucket = selfStakeBucket
        self.voterShareBps = voterShareBps
    }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 6, let owner = Address(bytes: try f[0].bytesValue()), let op = Address(bytes: try f[2].bytesValue()),
            let reward = Address(bytes: try f[3].bytesValue()), let name = String(validating: try f[1].bytesValue(), as: UTF8.self)
        else { throw RLPError.wrongShape }
        self.init(
            owner: owner, name: name, operatorAddress: op, rewardAddress: reward, selfStakeBucket: try f[4].uint64Value(),
            voterShareBps: UInt16(truncatingIfNeeded: try f[5].uint64Value()))
    }
}

/// One consensus delegate of an epoch, as elected.
public struct ElectedDelegate: Equatable, Sendable {
    public var operatorAddress: Address
    public var rewardAddress: Address
    /// The candidate's owner, or the operator for a genesis delegate without a candidacy.
    public var owner: Address
    /// Votes at election, after any probation discount.
    public var votes: UInt256

    var rlp: RLPItem { .list([.address(operatorAddress), .address(rewardAddress), .address(owner), .uint(votes)]) }

    public init(operatorAddress: Address, rewardAddress: Address, owner: Address, votes: UInt256) {
        self.operatorAddress = operatorAddress
        self.rewardAddress = rewardAddress
        self.owner = owner
        self.votes = votes
    }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 4, let op = Address(bytes: try f[0].bytesValue()), let reward = Address(bytes: try f[1].bytesValue()),
            let owner = Address(bytes: try f[2].bytesValue())
        else { throw RLPError.wrongShape }
        self.init(operatorAddress: op, rewardAddress: reward, owner: owner, votes: try f[3].uint256Value())
    }
}

/// The storage of a system contract as typed records: every key is
/// keccak256(kind ‖ 0x00 ‖ key bytes), every value RLP (numbers as minimal big-endian bytes).
struct ContractStorage {
    let context: SystemCallContext
    /// Whose storage.
    let contract: Address

    /// The slot of the value `kind` under `parts` (`StorageLayout.slot`).
    static func slot(_ kind: String, _ parts: [UInt8]...) -> Hash32 { StorageLayout.slot(kind, keys: parts) }

    func item(_ slot: Hash32) throws(SystemContractRevert) -> RLPItem? {
        guard let bytes = try context.load(slot, of: contract) else { return nil }
        do { return try RLP.decode(bytes) } catch { throw SystemContractRevert("corrupt contract storage") }
    }

    func set(_ slot: Hash32, _ item: RLPItem?) throws(SystemContractRevert) {
        try context.store(slot, item.map { RLP.encode($0) }, of: contract)
    }

    func uint64(_ slot: Hash32) throws(SystemContractRevert) -> UInt64 {
        guard let item = try item(slot) else { return 0 }
        do { return try item.uint64Value() } catch { throw SystemContractRevert("corrupt contract storage") }
    }

    func setUInt64(_ slot: Hash32, _ value: UInt64) throws(SystemContractRevert) {
        try set(slot, value == 0 ? nil : .uint(value))
    }

    func uint256(_ slot: Hash32) throws(SystemContractRevert) -> UInt256 {
        guard let item = try item(slot) else { return .zero }
        do { return try item.uint256Value() } catch { throw SystemContractRevert("corrupt contract storage") }
    }

    func setUInt256(_ slot: Hash32, _ value: UInt256) throws(SystemContractRevert) {
        try set(slot, value.isZero ? nil : .uint(value))
    }

    func address(_ slot: Hash32) throws(SystemContractRevert) -> Address? {
        guard let item = try item(slot) else { return nil }
        guard let bytes = try? item.bytesValue(), let address = Address(bytes: bytes) else {
            throw SystemContractRevert("corrupt contract storage")
        }
        return address
    }

    func setAddress(_ slot: Hash32, _ value: Address?) throws(SystemContractRevert) {
        try set(slot, value.map { .address($0) })
    }

    /// A list of numbers (bucket ids).
    func ids(_ slot: Hash32) throws(SystemContractRevert) -> [UInt64] {
        guard let item = try item(slot) else { return [] }
        do { return try item.listValue().map { item throws(RLPError) in try item.uint64Value() } } catch {
            throw SystemContractRevert("corrupt contract storage")
        }
    }

    func setIDs(_ slot: Hash32, _ ids: [UInt64]) throws(SystemContractRevert) {
        try set(slot, ids.isEmpty ? nil : .list(ids.map { .uint($0) }))
    }

    /// A list of addresses.
    func addresses(_ slot: Hash32) throws(SystemContractRevert) -> [Address] {
        guard let item = try item(slot) else { return [] }
        do {
            return try item.listValue().map { item throws(RLPError) in
                guard let address = Address(bytes: try item.bytesValue()) else { throw RLPError.wrongShape }
                return address
            }
        } catch { throw SystemContractRevert("corrupt contract storage") }
    }

    func setAddresses(_ slot: Hash32, _ addresses: [Address]) throws(SystemContractRevert) {
        try set(slot, addresses.isEmpty ? nil : .list(addresses.map { .address($0) }))
    }
}

