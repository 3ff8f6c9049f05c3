import MoteContracts
import MotePrimitives



/// A sponsor's project: an applet, its parameters, a reward rule and a pool.
struct ProjectRecord: Equatable, Sendable {
    let id: UInt64
    var sponsor: Address
    var name: String
    var appletHash: Hash32
    var params: [UInt8]
    var rewardPerResult: UInt256
    var windowSeconds: UInt64
    var challengeSeconds: UInt64
    /// MOTE held for rewards (including `reserved`).
    var pool: UInt256
    /// The part of the pool promised to pending results that met the rule.
    var reserved: UInt256
    var status: ProjectStatus
    var deviceCount: UInt32
    /// Block time (seconds) of its creation: no window before it is rewarded.
    var createdAt: UInt64
    /// Block time of its close (0 while active): windows that ended by then may still be posted.
    var closedAt: UInt64
    /// Whether its free pool went back to the sponsor (after the close, once no window that
    /// ended by it can be posted any more); from then on whatever it would receive does too.
    var refunded: Bool

    var freePool: UInt256 { pool - reserved }

    var rlp: RLPItem {
        .list([
            .address(sponsor), .bytes(Array(name.utf8)), .hash(appletHash), .bytes(params), .uint(rewardPerResult), .uint(windowSeconds),
            .uint(challengeSeconds), .uint(pool), .uint(reserved), .uint(UInt64(status.rawValue)), .uint(UInt64(deviceCount)),
            .uint(createdAt), .uint(closedAt), .uint(UInt64(refunded ? 1 : 0)),
        ])
    }

    init(
        id: UInt64, sponsor: Address, name: String, appletHash: Hash32, params: [UInt8], rewardPerResult: UInt256, windowSeconds: UInt64,
        challengeSeconds: UInt64, pool: UInt256, reserved: UInt256 = .zero, status: ProjectStatus = .active, deviceCount: UInt32 = 0,
        createdAt: UInt64 = 0, closedAt: UInt64 = 0, refunded: Bool = false
    ) {
        (self.id, self.sponsor, self.name, self.appletHash, self.params) = (id, sponsor, name, appletHash, params)
        (self.rewardPerResult, self.windowSeconds, self.challengeSeconds) = (rewardPerResult, windowSeconds, challengeSeconds)
        (self.pool, self.reserved, self.status, self.deviceCount, self.createdAt) = (pool, reserved, status, deviceCount, createdAt)
        (self.closedAt, self.refunded) = (closedAt, refunded)
    }

    init(id: UInt64, rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 12 || f.count == 14, let sponsor = Address(bytes: try f[0].bytesValue()),
            let name = String(validating: try f[1].bytesValue(), as: UTF8.self), let hash = Hash32(bytes: try f[2].bytesValue()),
            let status = ProjectStatus(rawValue: UInt8(truncatingIfNeeded: try f[9].uint64Value()))
        else { throw RLPError.wrongShape }
        self.init(
            id: id, sponsor: sponsor, name: name, appletHash: hash, params: try f[3].bytesValue(), rewardPerResult: try f[4].uint256Value(),
            windowSeconds: try f[5].uint64Value(), challengeSeconds: try f[6].uint64Value(), pool: try f[7].uint256Value(),
            reserved: try f[8].uint256Value(), status: status, deviceCount: UInt32(truncatingIfNeeded: try f[10].uint64Value()),
            createdAt: try f[11].uint64Value(), closedAt: f.count == 14 ? try f[12].uint64Value() : 0,
            refunded: f.count == 14 ? try f[13].uint64Value() != 0 : false)
    }
}

/// A device's place in a project: where it sits in the project's device pages, the block
/// time from which its windows count (its latest join, or its resume after a suspension), and
/// the poster its owner chose (`setPoster`; nil: only the owner posts). Leaving forgets the
/// choice, and so does a transfer of the device (`ProjectRegistryContract.forgetPosters`).
struct ProjectMembership: Equatable, Sendable {
    var position: UInt64
    var since: UInt64
    var poster: Address?

    var rlp: RLPItem { .list([.uint(position), .uint(since)] + (poster.map { [.address($0)] } ?? [])) }

    init(position: UInt64, since: UInt64, poster: Address? = nil) { (self.position, self.since, self.poster) = (position, since, poster) }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 2 || f.count == 3 else { throw RLPError.wrongShape }
        var poster: Address?
        if f.count == 3 {
            guard let chosen = Address(bytes: try f[2].bytesValue()) else { throw RLPError.wrongShape }
            poster = chosen
        }
        self.init(position: try f[0].uint64Value(), since: try f[1].uint64Value(), poster: poster)
    }
}

/// A project's settlement queue: its pending results in posting order, which is deadline order
/// (a project's challenge period never changes), as slots `head..<tail`.
struct SettlementQueue: Equatable, Sendable {
    var head: UInt64 = 0
    var tail: UInt64 = 0

    var isEmpty: Bool { head == tail }

    var rlp: RLPItem { .list([.uint(head), .uint(tail)]) }

    init(head: UInt64 = 0, tail: UInt64 = 0) { (self.head, self.tail) = (head, tail) }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 2 else { throw RLPError.wrongShape }
        self.init(head: try f[0].uint64Value(), tail: try f[1].uint64Value())
        guard head <= tail else { throw RLPError.wrongShape }
    }
}

/// A result an operator posted for one device and window.
struct ResultRecord: Equatable, Sendable {
    let id: UInt64
    var projectID: UInt64
    var deviceID: Address
    var window: UInt64
    var result: [UInt8]
    var messageCount: UInt32
    var messagesRoot: Hash32
    var poster: Address
    var postedAt: UInt64
    var challengeEndsAt: UInt64
    var status: ResultStatus
    /// What its settlement paid the device's owner.
    var paid: UInt256
    /// The bond it locks (`minimumOperatorBond` when posted).
    var bond: UInt256
    /// Whether the project's pool holds `rewardPerResult` for it.
    var reserved: Bool

    /// The applet's convention: a first byte other than 0 means the rule is met.
    var meetsRule: Bool { (result.first ?? 0) != 0 }

    var rlp: RLPItem {
        .list([
            .uint(projectID), .address(deviceID), .uint(window), .bytes(result), .uint(UInt64(messageCount)), .hash(messagesRoot),
            .address(poster), .uint(postedAt), .uint(challengeEndsAt), .uint(UInt64(status.rawValue)), .uint(paid), .uint(bond),
            .uint(UInt64(reserved ? 1 : 0)),
        ])
    }

    init(
        id: UInt64, projectID: UInt64, deviceID: Address, window: UInt64, result: [UInt8], messageCount: UInt32, messagesRoot: Hash32,
        poster: Address, postedAt: UInt64, challengeEndsAt: UInt64, status: ResultStatus = .pending, paid: UInt256 = .zero,
        bond: UInt256, reserved: Bool
    ) {
        (self.id, self.projectID, self.deviceID, self.window, self.result) = (id, projectID, deviceID, window, result)
        (self.messageCount, self.messagesRoot, self.poster, self.postedAt) = (messageCount, messagesRoot, poster, postedAt)
        (self.challengeEndsAt, self.status, self.paid, self.bond, self.reserved) = (challengeEndsAt, status, paid, bond, reserved)
    }

    init(id: UInt64, rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 13, let device = Address(bytes: try f[1].bytesValue()), let root = Hash32(bytes: try f[5].bytesValue()),
            let poster = Address(bytes: try f[6].bytesValue()),
            let status = ResultStatus(rawValue: UInt8(truncatingIfNeeded: try f[9].uint64Value()))
        else { throw RLPError.wrongShape }
        self.init(
            id: id, projectID: try f[0].uint64Value(), deviceID: device, window: try f[2].uint64Value(), result: try f[3].bytesValue(),
            messageCount: UInt32(truncatingIfNeeded: try f[4].uint64Value()), messagesRoot: root, poster: poster,
            postedAt: try f[7].uint64Value(), challengeEndsAt: try f[8].uint64Value(), status: status, paid: try f[10].uint256Value(),
            bond: try f[11].uint256Value(), reserved: try f[12].uint64Value() != 0)
    }
}

/// An operator's bond: `locked` is held by its unsettled results.
struct OperatorBond: Equatable, Sendable {
    var total: UInt256 = .zero
    var locked: UInt256 = .zero

    var free: UInt256 { total - locked }

    var rlp: RLPItem { .list([.uint(total), .uint(locked)]) }

    init(total: UInt256 = .zero, locked: UInt256 = .zero) { (self.total, self.locked) = (total, locked) }

    init(rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 2 else { throw RLPError.wrongShape }
        self.init(total: try f[0].uint256Value(), locked: try f[1].uint256Value())
        guard locked <= total else { throw RLPError.wrongShape }
    }
}
