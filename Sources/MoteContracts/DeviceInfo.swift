import MoteCrypto
import MotePrimitives
import MoteTelemetry

/// A device as the DeviceRegistry's `device(address)` view answers it, and as `mote_device`
/// and `mote_devices` serve it:
/// `{deviceId, curve, publicKey, owner, manufacturer, manufacturerName, model, status,
/// registeredAt, retentionDays, stake}`, owner and manufacturer null when there is none.
public struct DeviceInfo: Equatable, Sendable {
    public var deviceID: Address
    public var curve: DeviceCurve
    public var publicKey: [UInt8]
    public var owner: Address?
    public var manufacturer: Address?
    public var manufacturerName: String
    public var model: String
    public var status: DeviceStatus
    public var registeredAt: UInt64
    public var retentionDays: UInt64
    public var stake: UInt256

    public init(
        deviceID: Address, curve: DeviceCurve, publicKey: [UInt8], owner: Address?, manufacturer: Address?, manufacturerName: String,
        model: String, status: DeviceStatus, registeredAt: UInt64, retentionDays: UInt64, stake: UInt256
    ) {
        (self.deviceID, self.curve, self.publicKey, self.owner, self.manufacturer, self.manufacturerName) = (
            deviceID, curve, publicKey, owner, manufacturer, manufacturerName
        )
        (self.model, self.status, self.registeredAt, self.retentionDays, self.stake) = (model, status, registeredAt, retentionDays, stake)
    }

    /// The `device(id)` view's outputs for `id`.
    public init(id: Address, _ values: [ABIValue]) throws(ContractViewError) {
        let v = try ABIOutputs(values, "device(\(id.hex))", count: DeviceRegistryABI.deviceOutputs.count)
        guard let curve = DeviceCurve(rawValue: UInt8(truncatingIfNeeded: try v.uint64(0))) else {
            throw ContractViewError("device(\(id.hex)): unknown curve")
        }
        guard let status = DeviceStatus(rawValue: UInt8(truncatingIfNeeded: try v.uint64(5))) else {
            throw ContractViewError("device(\(id.hex)): unknown status")
        }
        let owner = try v.address(2), manufacturer = try v.address(3)
        (deviceID, self.curve, publicKey, self.owner, self.manufacturer) = (id, curve, try v.bytes(1), owner == .zero ? nil : owner, manufacturer == .zero ? nil : manufacturer)
        (model, self.status, registeredAt, retentionDays, stake, manufacturerName) = (
            try v.string(4), status, try v.uint64(6), try v.uint64(7), try v.uint(8), try v.string(9)
        )
    }

    /// `mote_device`'s JSON answer.
    public init(json: JSON) throws(ContractViewError) {
        let f = JSONFields(json: json, what: "mote_device")
        guard let curve = DeviceCurve(name: try f.string("curve")) else { throw ContractViewError("mote_device: unknown curve") }
        guard let status = DeviceStatus(name: try f.string("status")) else { throw ContractViewError("mote_device: unknown status") }
        guard let key = json["publicKey"]?.dataValue else { throw ContractViewError("mote_device: publicKey is not hex") }
        (deviceID, self.curve, publicKey, owner, manufacturer) = (
            try f.address("deviceId"), curve, key, try f.optionalAddress("owner"), try f.optionalAddress("manufacturer")
        )
        (manufacturerName, model, self.status, registeredAt, retentionDays, stake) = (
            try f.string("manufacturerName"), try f.string("model"), status, try f.quantity64("registeredAt"),
            try f.quantity64("retentionDays"), try f.quantity("stake")
        )
    }

    /// As `mote_device` answers it.
    public var json: JSON {
        .object([
            "deviceId": .address(deviceID), "curve": .string(curve.description), "publicKey": .data(publicKey),
            "owner": owner.map { .address($0) } ?? .null, "manufacturer": manufacturer.map { .address($0) } ?? .null,
            "manufacturerName": .string(manufacturerName), "model": .string(model), "status": .string(status.description),
            "registeredAt": .quantity(registeredAt), "retentionDays": .quantity(retentionDays), "stake": .quantity(stake),
        ])
    }
}

extension DeviceStatus {
    /// The status named `name` ("active", …), as `mote_device` writes it.
    public init?(name: String) {
        guard let status = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = status
    }
}
