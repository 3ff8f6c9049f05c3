import MoteChain
import MoteCrypto
import MotePrimitives

/// What kind of witness (its `uint8` in the ABI).
public enum WitnessKind: UInt8, Sendable, CustomStringConvertible {
    /// A registered device; its rewards go to the device's owner.
    case device = 1
    /// A trusted node (an operator registered in the NodeRegistry); its rewards go to itself.
    case node = 2

    public var description: String { self == .device ? "device" : "node" }
}

/// A witness in the pool, keyed by its id (the device id, or the node's operator address).
struct WitnessRecord: Equatable, Sendable {
    let id: Address
    var kind: WitnessKind
    /// The Ed25519 / ECVRF public key.
    var key: [UInt8]
    /// Who joined it (the device's owner at the time, or the node); a device's rewards go to its current owner.
    var owner: Address
    var reputation: UInt64
    /// The first height at which it is no longer blacklisted (0: never blacklisted).
    var blacklistedUntil: UInt64
    var joinedAt: UInt64
    var accepted: UInt64
    var incoherent: UInt64
    var earned: UInt256
    var active: Bool

    /// Whether it is blacklisted at `height`.
    func isBlacklisted(at height: UInt64) -> Bool { height < blacklistedUntil }

    var rlp: RLPItem {
        .list([
            .uint(UInt64(kind.rawValue)), .bytes(key), .address(owner), .uint(reputation), .uint(blacklistedUntil), .uint(joinedAt),
            .uint(accepted), .uint(incoherent), .uint(earned), .uint(UInt64(active ? 1 : 0)),
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
        guard f.count == 10, let kind = WitnessKind(rawValue: UInt8(truncatingIfNeeded: try f[0].uint64Value())),
            let owner = Address(bytes: try f[2].bytesValue())
        else { throw RLPError.wrongShape }
        self.init(
            id: id, kind: kind, key: try f[1].bytesValue(), owner: owner, reputation: try f[3].uint64Value(),
            blacklistedUntil: try f[4].uint64Value(), joinedAt: try f[5].uint64Value(), accepted: try f[6].uint64Value(),
            incoherent: try f[7].uint64Value(), earned: try f[8].uint256Value(), active: try f[9].uint64Value() == 1)
    }
}

/// The WitnessPool contract's storage: witness records, the key index, the per-epoch weight
/// snapshots, each witness's attested hash per height, and each height's tally.
struct WitnessBook {
    let storage: ContractStorage

    init(_ context: SystemCallContext) { storage = ContractStorage(context: context, contract: WitnessPoolContract.address) }

    static func witnessSlot(_ id: Address) -> Hash32 { ContractStorage.slot("witness", id.bytes) }
    static func keySlot(_ key: [UInt8]) -> Hash32 { ContractStorage.slot("witnessByKey", key) }
    static let countSlot = ContractStorage.slot("witnessCount")
    static func indexSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot("witnessAt", index.bigEndianBytes8) }
    static func weightSlot(_ epoch: UInt64, _ id: Address) -> Hash32 { ContractStorage.slot("weight", epoch.bigEndianBytes8, id.bytes) }
    static func totalWeightSlot(_ epoch: UInt64) -> Hash32 { ContractStorage.slot("totalWeight", epoch.bigEndianBytes8) }
    static func attestedSlot(_ id: Address, _ height: UInt64) -> Hash32 { ContractStorage.slot("attested", id.bytes, height.bigEndianBytes8) }
    static func heightSlot(_ height: UInt64) -> Hash32 { ContractStorage.slot("height", height.bigEndianBytes8) }

    func witness(_ id: Address) throws(SystemContractRevert) -> WitnessRecord? {
        guard let item = try storage.item(Self.witnessSlot(id)) else { return nil }
        do { return try WitnessRecord(id: id, rlp: item) } catch { throw SystemContractRevert("corrupt witness \(id.checksummed)") }
    }

    func existing(_ id: Address) throws(SystemContractRevert) -> WitnessRecord {
        guard let witness = try witness(id) else { throw SystemContractRevert("no witness \(id.checksummed)") }
        return witness
    }

    func save(_ witness: WitnessRecord) throws(SystemContractRevert) { try storage.set(Self.witnessSlot(witness.id), witness.rlp) }

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

    func weight(epoch: UInt64, _ id: Address) throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.weightSlot(epoch, id)) }
    func totalWeight(epoch: UInt64) throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.totalWeightSlot(epoch)) }

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
/// when the epoch starts — a device still active in the DeviceRegistry, a node still registered
/// in the NodeRegistry — weighs its reputation; the others weigh 0 (nothing is stored for them).
enum WitnessEpochs {
    static func snapshot(context: SystemCallContext, epoch: UInt64, firstHeight: UInt64) throws(SystemContractRevert) {
        let book = WitnessBook(context)
        let count = try book.count()
        guard count > 0 else { return }
        let devices = DeviceBook(context)
        var total: UInt64 = 0
        for index in 0..<count {
            guard let id = try book.witness(at: index), let witness = try book.witness(id), witness.active,
                !witness.isBlacklisted(at: firstHeight), witness.reputation > 0
            else { continue }
            if witness.kind == .device, try devices.device(id)?.status != .active { continue }
            if witness.kind == .node, try context.load(NodeRegistryContract.nodeSlot(id), of: SystemContracts.reservedAddress(1)) == nil {
                continue
            }
            try book.storage.setUInt64(WitnessBook.weightSlot(epoch, id), witness.reputation)
            total += witness.reputation
        }
        try book.storage.setUInt64(WitnessBook.totalWeightSlot(epoch), total)
    }
}
