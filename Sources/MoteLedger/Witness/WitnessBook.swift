import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives


/// A witness in the pool, keyed by its id (the device id, or the node's operator address).
struct WitnessRecord: Equatable, Sendable {
    let id: Address
    var kind: WitnessKind
    /// The Ed25519 / ECVRF public key.
    var key: [UInt8]
    /// Who joined it (the device's owner at the time, or the node); a device witness counts only while its device is still theirs.
    var owner: Address
    var reputation: UInt64
    /// The first height at which it is no longer blacklisted (0: never blacklisted).
    var blacklistedUntil: UInt64
    var joinedAt: UInt64
    var accepted: UInt64
    var incoherent: UInt64
    var earned: UInt256
    var active: Bool
    /// Its weight as last counted (`WitnessBook.save`): its reputation while it is in the pool
    /// and its device is active or its node registered, else 0. Blacklisting is apart.
    var weight: UInt64 = 0
    /// The epoch in which `weight` or `blacklistedUntil` last changed (0: never); what they were
    /// before is kept under that epoch (`WitnessBook.historySlot`).
    var weightEpoch: UInt64 = 0
    /// While it is blacklisted past the next epoch's first height: the epoch from which its
    /// weight counts again (it is out of the live total until then); 0 otherwise.
    var parkedUntil: UInt64 = 0
    /// Whether it had standing (`WitnessBook.standingProblem`) when last looked at: on joining,
    /// and whenever another contract changed its device, node or stake (`WitnessEpochs.recheck`).
    var standing: Bool = false

    /// Whether it is blacklisted at `height`.
    func isBlacklisted(at height: UInt64) -> Bool { height < blacklistedUntil }

    var rlp: RLPItem {
        .list([
            .uint(UInt64(kind.rawValue)), .bytes(key), .address(owner), .uint(reputation), .uint(blacklistedUntil), .uint(joinedAt),
            .uint(accepted), .uint(incoherent), .uint(earned), .uint(UInt64(active ? 1 : 0)), .uint(weight), .uint(weightEpoch),
            .uint(parkedUntil), .uint(UInt64(standing ? 1 : 0)),
        ])
    }

    init(
        id: Address, kind: WitnessKind, key: [UInt8], owner: Address, reputation: UInt64, blacklistedUntil: UInt64, joinedAt: UInt64,
        accepted: UInt64, incoherent: UInt64, earned: UInt256, active: Bool
    ) {
        (self.id, self.kind, self.key, self.owner, self.reputation) = (id, kind, key, owner, reputation)
        (self.blacklistedUntil, self.joinedAt, self.accepted, self.incoherent, self.earned, self.active) =
            (blacklistedUntil, joinedAt, accepted, incoherent, earned, active)
    }

    init(id: Address, rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 14, let kind = WitnessKind(rawValue: UInt8(truncatingIfNeeded: try f[0].uint64Value())),
            let owner = Address(bytes: try f[2].bytesValue())
        else { throw RLPError.wrongShape }
        self.init(
            id: id, kind: kind, key: try f[1].bytesValue(), owner: owner, reputation: try f[3].uint64Value(),
            blacklistedUntil: try f[4].uint64Value(), joinedAt: try f[5].uint64Value(), accepted: try f[6].uint64Value(),
            incoherent: try f[7].uint64Value(), earned: try f[8].uint256Value(), active: try f[9].uint64Value() == 1)
        (weight, weightEpoch, parkedUntil) = (try f[10].uint64Value(), try f[11].uint64Value(), try f[12].uint64Value())
        standing = try f[13].uint64Value() == 1
    }
}

/// The WitnessPool contract's storage: witness records, the key index, the weights of each
/// epoch, each witness's attested hash per height, and each height's tally.
///
/// Weights are kept so that no step walks the whole pool. Every record change goes through
/// `save`, which keeps the live total (the sum of the weights that will count in the next
/// epoch) and, on a witness's first change in an epoch, files what its weight was before; a
/// witness's weight in an epoch is read back from its record and that history
/// (`weight(epoch:_:)`), and the epoch's total is the live total stored when it starts
/// (`WitnessEpochs.snapshot`).
struct WitnessBook {
    let storage: ContractStorage
    let genesis: Genesis
    /// Records and epoch totals as read or written through this book (one call's worth), so
    /// `save` does not read again what its caller just read.
    private let cache = Cache()

    private final class Cache {
        var records: [Address: WitnessRecord?] = [:]
        var totals: [UInt64: UInt64] = [:]
    }

    init(_ context: SystemCallContext, genesis: Genesis) {
        storage = ContractStorage(context: context, contract: WitnessPoolABI.address)
        self.genesis = genesis
    }

    static func witnessSlot(_ id: Address) -> Hash32 { ContractStorage.slot("witness", id.bytes) }
    static func keySlot(_ key: [UInt8]) -> Hash32 { ContractStorage.slot("witnessByKey", key) }
    static let countSlot = ContractStorage.slot("witnessCount")
    static func indexSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot("witnessAt", index.bigEndianBytes8) }
    static func totalWeightSlot(_ epoch: UInt64) -> Hash32 { ContractStorage.slot("totalWeight", epoch.bigEndianBytes8) }
    static func attestedSlot(_ id: Address, _ height: UInt64) -> Hash32 { ContractStorage.slot("attested", id.bytes, height.bigEndianBytes8) }
    static func heightSlot(_ height: UInt64) -> Hash32 { ContractStorage.slot("height", height.bigEndianBytes8) }
    /// The sum of the weights that count in the next epoch.
    static let liveWeightSlot = ContractStorage.slot("liveWeight")
    /// A witness's (weight, blacklistedUntil, previous change epoch) before its first change in `epoch`.
    static func historySlot(_ id: Address, _ epoch: UInt64) -> Hash32 { ContractStorage.slot("weightHistory", id.bytes, epoch.bigEndianBytes8) }
    /// The witnesses whose blacklisting ends for `epoch`, to be counted again when it starts.
    static func parkedCountSlot(_ epoch: UInt64) -> Hash32 { ContractStorage.slot("parkedCount", epoch.bigEndianBytes8) }
    static func parkedAtSlot(_ epoch: UInt64, _ index: UInt64) -> Hash32 {
        ContractStorage.slot("parkedAt", epoch.bigEndianBytes8, index.bigEndianBytes8)
    }

    func witness(_ id: Address) throws(SystemContractRevert) -> WitnessRecord? {
        if let known = cache.records[id] { return known }
        let record = try load(id)
        cache.records[id] = record
        return record
    }

    private func load(_ id: Address) throws(SystemContractRevert) -> WitnessRecord? {
        guard let item = try storage.item(Self.witnessSlot(id)) else { return nil }
        do { return try WitnessRecord(id: id, rlp: item) } catch { throw SystemContractRevert("corrupt witness \(id.checksummed)") }
    }

    func existing(_ id: Address) throws(SystemContractRevert) -> WitnessRecord {
        guard let witness = try witness(id) else { throw SystemContractRevert("no witness \(id.checksummed)") }
        return witness
    }

    /// Stores a witness's record, counting the change of its weight or blacklisting: the live
    /// total follows it (a witness blacklisted past the next epoch's first height is parked
    /// until the epoch it counts again), and on its first change in this epoch what it was
    /// before is filed in its history.
    /// Its standing is looked at again when it joins or rejoins, or with `recheck` (when another
    /// contract changed its device, node or stake: `WitnessEpochs.recheck`).
    func save(_ witness: WitnessRecord, recheck: Bool = false) throws(SystemContractRevert) {
        let old = try self.witness(witness.id)
        var new = witness
        (new.weight, new.weightEpoch, new.parkedUntil, new.standing) =
            (old?.weight ?? 0, old?.weightEpoch ?? 0, old?.parkedUntil ?? 0, old?.standing ?? false)
        if recheck || new.active && old?.active != true { new.standing = try hasStanding(new) }
        let weight = new.active && new.standing ? new.reputation : 0
        let until = old?.blacklistedUntil ?? 0
        guard weight != new.weight || new.blacklistedUntil != until else { return try write(new) }
        let epoch = EpochTransition.epoch(ofHeight: storage.context.height, storage.context.parameters)
        if old != nil, new.weightEpoch != epoch {
            try storage.set(Self.historySlot(new.id, epoch), .list([.uint(new.weight), .uint(until), .uint(new.weightEpoch)]))
        }
        var live = try storage.uint64(Self.liveWeightSlot)
        if new.parkedUntil == 0 {
            guard live >= new.weight else { throw SystemContractRevert("corrupt witness weights") }
            live -= new.weight
        }
        let countsFrom = firstEpoch(notBlacklistedBy: new.blacklistedUntil)
        if countsFrom > epoch + 1 {
            if new.parkedUntil != countsFrom {
                new.parkedUntil = countsFrom
                let count = try storage.uint64(Self.parkedCountSlot(countsFrom))
                try storage.setAddress(Self.parkedAtSlot(countsFrom, count), new.id)
                try storage.setUInt64(Self.parkedCountSlot(countsFrom), count + 1)
            }
        } else if new.parkedUntil == 0 || new.parkedUntil > epoch + 1 {
            new.parkedUntil = 0
            live += weight
        }  // else parked until the next epoch, which counts it when it starts
        try storage.setUInt64(Self.liveWeightSlot, live)
        (new.weight, new.weightEpoch) = (weight, epoch)
        try write(new)
    }

    /// Stores a record as it is (for bookkeeping that `save` already did).
    func write(_ witness: WitnessRecord) throws(SystemContractRevert) {
        cache.records[witness.id] = witness
        try storage.set(Self.witnessSlot(witness.id), witness.rlp)
    }

    /// Whether `witness` may weigh at all (`standingProblem` is nil). While it does and is in
    /// the pool, it weighs its reputation (when not blacklisted).
    func hasStanding(_ witness: WitnessRecord) throws(SystemContractRevert) -> Bool { try standingProblem(witness) == nil }

    /// Why `witness` may neither weigh nor witness, or nil when it may: a device must be active
    /// in the DeviceRegistry and still owned by whoever joined it (who holds the witness key; a
    /// transfer ends it until the new owner rejoins with its own key); a node must have what
    /// `nodeProblem` asks. A few storage reads whatever the size of any contract.
    func standingProblem(_ witness: WitnessRecord) throws(SystemContractRevert) -> String? {
        switch witness.kind {
        case .device:
            guard let device = try DeviceBook(storage.context).device(witness.id), device.status == .active else { return "the device is not active" }
            guard device.owner == witness.owner else { return "the device changed owner since the witness joined" }
            return nil
        case .node:
            return try nodeProblem(witness.id)
        }
    }

    /// Why `id` may not be a node witness, or nil: it must be registered in the NodeRegistry and
    /// answer for itself with stake: a genesis delegate's operator, or the operator or owner of
    /// a candidate whose self-stake bucket holds at least `minSelfStake` and is not unstaked.
    /// (Free addresses would otherwise join by the thousand and outvote the trusted nodes.)
    func nodeProblem(_ id: Address) throws(SystemContractRevert) -> String? {
        guard try storage.context.load(NodeRegistryContract.nodeSlot(id), of: NodeRegistryABI.address) != nil else {
            return "\(id.checksummed) is not a node registered in the NodeRegistry"
        }
        if genesis.delegates.contains(where: { $0.operatorAddress == id }) { return nil }
        let staking = StakingBook(storage.context, parameters: storage.context.parameters)
        var candidate = try staking.candidate(operator: id)
        if candidate == nil { candidate = try staking.candidate(id) }
        guard let candidate else {
            return "\(id.checksummed) is neither a genesis delegate's operator nor a staking candidate's operator or owner"
        }
        let minimum = storage.context.parameters.minSelfStake.value
        guard let bucket = try staking.bucket(candidate.selfStakeBucket), !bucket.isUnstaked, bucket.amount >= minimum else {
            return "candidate \(candidate.name)'s self-stake is unstaked or below minSelfStake (\(minimum) wei)"
        }
        return nil
    }

    /// The first epoch whose first height is not blacklisted by `until`.
    func firstEpoch(notBlacklistedBy until: UInt64) -> UInt64 {
        until <= 1 ? 1 : (until - 2) / storage.context.parameters.epochLength + 2
    }

    /// Records a witness for the first time, giving it the next index.
    func add(_ witness: WitnessRecord) throws(SystemContractRevert) {
        try save(witness)
        let count = try storage.uint64(Self.countSlot)
        try storage.setAddress(Self.indexSlot(count), witness.id)
        try storage.setUInt64(Self.countSlot, count + 1)
    }

    func witness(byKey key: [UInt8]) throws(SystemContractRevert) -> Address? { try storage.address(Self.keySlot(key)) }
    func bind(key: [UInt8], to id: Address) throws(SystemContractRevert) { try storage.setAddress(Self.keySlot(key), id) }

    func count() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.countSlot) }
    func witness(at index: UInt64) throws(SystemContractRevert) -> Address? { try storage.address(Self.indexSlot(index)) }

    /// `id`'s weight in `epoch`: as its record stood when the epoch started (after the last
    /// block of the one before), 0 if blacklisted at the epoch's first height; 0 for an epoch
    /// that has not started or whose total is 0. Reads one history entry per epoch since
    /// `epoch` in which the witness changed.
    func weight(epoch: UInt64, _ id: Address) throws(SystemContractRevert) -> UInt64 {
        guard epoch >= 1, try totalWeight(epoch: epoch) > 0, let witness = try witness(id) else { return 0 }
        var (weight, until, changed) = (witness.weight, witness.blacklistedUntil, witness.weightEpoch)
        while epoch <= changed {
            guard let item = try storage.item(Self.historySlot(id, changed)) else { return 0 }  // it joined later
            do {
                let f = try item.listValue()
                guard f.count == 3 else { throw RLPError.wrongShape }
                let previous = try f[2].uint64Value()
                guard previous < changed else { throw RLPError.wrongShape }
                (weight, until, changed) = (try f[0].uint64Value(), try f[1].uint64Value(), previous)
            } catch { throw SystemContractRevert("corrupt witness history") }
        }
        return (epoch - 1) * storage.context.parameters.epochLength + 1 >= until ? weight : 0
    }

    func totalWeight(epoch: UInt64) throws(SystemContractRevert) -> UInt64 {
        if let known = cache.totals[epoch] { return known }
        let total = try storage.uint64(Self.totalWeightSlot(epoch))
        cache.totals[epoch] = total
        return total
    }

    /// The hash `id` attested for `height`, if it did.
    func attested(_ id: Address, height: UInt64) throws(SystemContractRevert) -> Hash32? {
        guard let item = try storage.item(Self.attestedSlot(id, height)) else { return nil }
        guard let bytes = try? item.bytesValue(), let hash = Hash32(bytes: bytes) else { throw SystemContractRevert("corrupt contract storage") }
        return hash
    }

    func setAttested(_ id: Address, height: UInt64, _ hash: Hash32) throws(SystemContractRevert) {
        try storage.set(Self.attestedSlot(id, height), .bytes(hash.bytes))
    }

    /// A height's tally: accepted attestations, whether it reached the threshold, the hash they attested.
    func heightStatus(_ height: UInt64) throws(SystemContractRevert) -> (accepted: UInt32, witnessed: Bool, blockHash: Hash32) {
        guard let item = try storage.item(Self.heightSlot(height)) else { return (0, false, .zero) }
        do {
            let f = try item.listValue()
            guard f.count == 3, let hash = Hash32(bytes: try f[2].bytesValue()) else { throw RLPError.wrongShape }
            return (UInt32(truncatingIfNeeded: try f[0].uint64Value()), try f[1].uint64Value() == 1, hash)
        } catch { throw SystemContractRevert("corrupt contract storage") }
    }

    func setHeightStatus(_ height: UInt64, accepted: UInt32, witnessed: Bool, blockHash: Hash32) throws(SystemContractRevert) {
        try storage.set(Self.heightSlot(height), .list([.uint(UInt64(accepted)), .uint(UInt64(witnessed ? 1 : 0)), .bytes(blockHash.bytes)]))
    }
}

/// The weights of the witness pool fixed at the start of each epoch (called from
/// `EpochTransition` after the last block of an epoch): each active witness not blacklisted
/// when the epoch starts and in standing (`WitnessBook.standingProblem`: a device still active
/// and its joiner's, a node still registered and staked) weighs its reputation; the others 0.
///
/// The work is the witnesses that changed, never the whole pool: those whose blacklisting ends
/// count again, and the live total (`WitnessBook.save`) becomes the epoch's total. A witness
/// whose device, node or stake changes is weighed again at once (`recheck`), by the call that
/// changed it, so the epoch's end does nothing per such change. Each witness's own weight is read
/// when needed (`WitnessBook.weight(epoch:_:)`).
enum WitnessEpochs {
    static func snapshot(context: SystemCallContext, epoch: UInt64, genesis: Genesis) throws(SystemContractRevert) {
        let book = WitnessBook(context, genesis: genesis)
        let storage = book.storage
        var live = try storage.uint64(WitnessBook.liveWeightSlot)
        let parked = try storage.uint64(WitnessBook.parkedCountSlot(epoch))
        for index in 0..<parked {
            guard let id = try storage.address(WitnessBook.parkedAtSlot(epoch, index)) else { continue }
            try storage.setAddress(WitnessBook.parkedAtSlot(epoch, index), nil)
            // Parked again for a later epoch since (blacklisted anew): it counts from then.
            guard var witness = try book.witness(id), witness.parkedUntil == epoch else { continue }
            witness.parkedUntil = 0
            live += witness.weight
            try book.write(witness)
        }
        try storage.setUInt64(WitnessBook.parkedCountSlot(epoch), 0)
        try storage.setUInt64(WitnessBook.liveWeightSlot, live)
        try storage.setUInt64(WitnessBook.totalWeightSlot(epoch), live)
    }

    /// Weighs `id` (if it is a witness) again now: its device, node or stake changed in a
    /// contract that does not keep the pool's books. The changing call pays for it (a read when
    /// `id` is no witness), and the live total is right at once for the next epoch.
    static func recheck(_ id: Address, context: SystemCallContext, genesis: Genesis) throws(SystemContractRevert) {
        let book = WitnessBook(context, genesis: genesis)
        guard let witness = try book.witness(id) else { return }
        try book.save(witness, recheck: true)
    }
}
