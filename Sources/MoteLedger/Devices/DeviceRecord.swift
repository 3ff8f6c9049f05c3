import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry


/// A device in the registry, keyed by its id (the address derived from its key).
struct DeviceRecord: Equatable, Sendable {
    /// The key of its record (not stored in it).
    let deviceID: Address
    var curve: DeviceCurve
    /// The canonical key bytes (`DevicePublicKey.bytes`).
    var publicKey: [UInt8]
    /// Nil while unclaimed.
    var owner: Address?
    /// The account that pre-registered it; nil for a device its owner registered.
    var manufacturer: Address?
    /// The manufacturer's name as given at registration ("" when pre-registered).
    var manufacturerName: String
    var model: String
    var status: DeviceStatus
    /// Block time (seconds) it was first recorded.
    var registeredAt: UInt64
    var retentionDays: UInt32
    /// The activation fee it holds, refunded to the owner on revocation.
    var stake: UInt256

    /// The key (checked when the record was made).
    func key() throws(SystemContractRevert) -> DevicePublicKey {
        do { return try DevicePublicKey(curve: curve, bytes: publicKey) } catch {
            throw SystemContractRevert("corrupt device \(deviceID.checksummed)")
        }
    }

    var rlp: RLPItem {
        .list([
            .uint(UInt64(curve.rawValue)), .bytes(publicKey), .bytes(owner?.bytes ?? []), .bytes(manufacturer?.bytes ?? []),
            .bytes(Array(manufacturerName.utf8)), .bytes(Array(model.utf8)), .uint(UInt64(status.rawValue)), .uint(registeredAt),
            .uint(UInt64(retentionDays)), .uint(stake),
        ])
    }

    init(
        deviceID: Address, curve: DeviceCurve, publicKey: [UInt8], owner: Address?, manufacturer: Address?, manufacturerName: String, model: String,
        status: DeviceStatus, registeredAt: UInt64, retentionDays: UInt32, stake: UInt256
    ) {
        self.deviceID = deviceID
        (self.curve, self.publicKey, self.owner, self.manufacturer, self.manufacturerName) = (curve, publicKey, owner, manufacturer, manufacturerName)
        (self.model, self.status, self.registeredAt, self.retentionDays, self.stake) = (model, status, registeredAt, retentionDays, stake)
    }

    init(deviceID: Address, rlp item: RLPItem) throws(RLPError) {
        let f = try item.listValue()
        guard f.count == 10, let curve = DeviceCurve(rawValue: UInt8(truncatingIfNeeded: try f[0].uint64Value())),
            let status = DeviceStatus(rawValue: UInt8(truncatingIfNeeded: try f[6].uint64Value())),
            let manufacturerName = String(validating: try f[4].bytesValue(), as: UTF8.self),
            let model = String(validating: try f[5].bytesValue(), as: UTF8.self)
        else { throw RLPError.wrongShape }
        func optionalAddress(_ item: RLPItem) throws(RLPError) -> Address? {
            let bytes = try item.bytesValue()
            if bytes.isEmpty { return nil }
            guard let address = Address(bytes: bytes) else { throw RLPError.wrongShape }
            return address
        }
        self.init(
            deviceID: deviceID, curve: curve, publicKey: try f[1].bytesValue(), owner: try optionalAddress(f[2]), manufacturer: try optionalAddress(f[3]),
            manufacturerName: manufacturerName, model: model, status: status, registeredAt: try f[7].uint64Value(),
            retentionDays: UInt32(truncatingIfNeeded: try f[8].uint64Value()), stake: try f[9].uint256Value())
    }
}

/// The device records in the DeviceRegistry contract's storage, with each owner's list of
/// device ids, and every device id by the order it was recorded in.
struct DeviceBook {
    let storage: ContractStorage

    init(_ context: SystemCallContext) { storage = ContractStorage(context: context, contract: DeviceRegistryABI.address) }

    static func deviceSlot(_ id: Address) -> Hash32 { ContractStorage.slot("device", id.bytes) }
    static func devicesOfSlot(_ owner: Address) -> Hash32 { ContractStorage.slot("devicesOf", owner.bytes) }
    static let countSlot = ContractStorage.slot("deviceCount")
    static func indexSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot("deviceAt", index.bigEndianBytes8) }

    func device(_ id: Address) throws(SystemContractRevert) -> DeviceRecord? {
        guard let item = try storage.item(Self.deviceSlot(id)) else { return nil }
        do { return try DeviceRecord(deviceID: id, rlp: item) } catch { throw SystemContractRevert("corrupt device \(id.checksummed)") }
    }

    /// The device `id`, which must exist.
    func existing(_ id: Address) throws(SystemContractRevert) -> DeviceRecord {
        guard let device = try device(id) else { throw SystemContractRevert("no device \(id.checksummed)") }
        return device
    }

    /// The device `id`, which `caller` must own and which must not be revoked.
    func owned(_ id: Address, by caller: Address) throws(SystemContractRevert) -> DeviceRecord {
        let device = try existing(id)
        guard let owner = device.owner else { throw SystemContractRevert("device \(id.checksummed) is unclaimed") }
        guard owner == caller else { throw SystemContractRevert("device \(id.checksummed) belongs to \(owner.checksummed)") }
        guard device.status != .revoked else { throw SystemContractRevert("device \(id.checksummed) is revoked") }
        return device
    }

    /// Records a new device and gives it the next index.
    func add(_ device: DeviceRecord) throws(SystemContractRevert) {
        try storage.set(Self.deviceSlot(device.deviceID), device.rlp)
        let count = try storage.uint64(Self.countSlot)
        try storage.setAddress(Self.indexSlot(count), device.deviceID)
        try storage.setUInt64(Self.countSlot, count + 1)
        if let owner = device.owner { try list(device.deviceID, under: owner) }
    }

    /// Replaces a device's record, moving it between owners' lists if its owner changed, and
    /// weighs its witness again (`genesis` is the witness pool's) if its status or owner changed.
    func update(_ old: DeviceRecord, to new: DeviceRecord, genesis: Genesis) throws(SystemContractRevert) {
        if old.owner != new.owner {
            if let from = old.owner {
                try storage.setAddresses(Self.devicesOfSlot(from), try storage.addresses(Self.devicesOfSlot(from)).filter { $0 != old.deviceID })
            }
            if let to = new.owner { try list(new.deviceID, under: to) }
        }
        try storage.set(Self.deviceSlot(new.deviceID), new.rlp)
        // A device's witness weighs only while the device is active and owned by whoever joined it.
        if old.status != new.status || old.owner != new.owner { try WitnessEpochs.recheck(new.deviceID, context: storage.context, genesis: genesis) }
    }

    func devices(of owner: Address) throws(SystemContractRevert) -> [Address] { try storage.addresses(Self.devicesOfSlot(owner)) }

    func count() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.countSlot) }

    /// The id of the device recorded `index`-th (from 0).
    func device(at index: UInt64) throws(SystemContractRevert) -> Address? { try storage.address(Self.indexSlot(index)) }

    private func list(_ id: Address, under owner: Address) throws(SystemContractRevert) {
        try storage.setAddresses(Self.devicesOfSlot(owner), try storage.addresses(Self.devicesOfSlot(owner)) + [id])
    }
}
