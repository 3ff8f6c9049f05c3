import MoteChain
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteTelemetry

/// `mote_` methods for the device registry: read-only calls into the DeviceRegistry system
/// contract, shaped as JSON objects (docs/RPC.md, docs/DEVICES.md).
extension RPCService {
    static let deviceMethods: Set<String> = ["mote_device", "mote_devices", "mote_deviceCount", "mote_deviceParameters"]

    /// The most devices `mote_devices` lists.
    static let maxListedDevices = 10_000

    func deviceMethod(_ method: String, _ params: Params) async throws(RPCError) -> JSON {
        let registry = DeviceRegistryContract.address
        switch method {
        case "mote_device":
            try params.expect(1...1)
            return try await device(try params.address(0))
        case "mote_devices":
            try params.expect(0...1)
            var ids: [ABIValue] = []
            if params.value(0) != nil {
                ids = try await view(registry, DeviceRegistryContract.devicesOf, [.address(try params.address(0))]).first?.arrayValue ?? []
            } else {
                let count = Self.uint(try await view(registry, DeviceRegistryContract.deviceCount, []).first)
                for index in 0..<min(count.l0, UInt64(Self.maxListedDevices)) {
                    ids += try await view(registry, DeviceRegistryContract.deviceAt, [.uint(UInt256(index))])
                }
            }
            var out: [JSON] = []
            for case .address(let id) in ids.prefix(Self.maxListedDevices) { out.append(try await device(id)) }
            return .array(out)
        case "mote_deviceCount":
            try params.expect(0...0)
            return .quantity(Self.uint(try await view(registry, DeviceRegistryContract.deviceCount, []).first))
        case "mote_deviceParameters":
            try params.expect(0...0)
            let values = try await view(registry, DeviceRegistryContract.deviceParameters, [])
            var object: [String: JSON] = [:]
            for (name, value) in zip(DeviceRegistryContract.deviceParameters.outputNames, values) { object[name] = Self.json(value) }
            return .object(object)
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    /// One device as `mote_device` answers it; -32001 if the registry does not know it.
    func device(_ id: Address) async throws(RPCError) -> JSON {
        let values = try await view(DeviceRegistryContract.address, DeviceRegistryContract.device, [.address(id)])
        guard let object = Self.deviceJSON(id: id, values) else { throw RPCError.internalError("device output: \(values.count) values") }
        return object
    }

    /// `{deviceId, curve, publicKey, owner, manufacturer, manufacturerName, model, status,
    /// registeredAt, retentionDays, stake}` from the `device` view's outputs; owner and
    /// manufacturer are null when there is none.
    static func deviceJSON(id: Address, _ v: [ABIValue]) -> JSON? {
        guard v.count == DeviceRegistryContract.deviceOutputs.count, let curve = DeviceCurve(rawValue: UInt8(truncatingIfNeeded: uint(v[0]).l0)),
            let status = DeviceStatus(rawValue: UInt8(truncatingIfNeeded: uint(v[5]).l0)), case .bytes(let key) = v[1],
            case .address(let owner) = v[2], case .address(let manufacturer) = v[3], case .string(let model) = v[4],
            case .string(let manufacturerName) = v[9]
        else { return nil }
        return .object([
            "deviceId": .address(id), "curve": .string(curve.description), "publicKey": .data(key),
            "owner": owner == .zero ? .null : .address(owner), "manufacturer": manufacturer == .zero ? .null : .address(manufacturer),
            "manufacturerName": .string(manufacturerName), "model": .string(model), "status": .string(status.description),
            "registeredAt": json(v[6]), "retentionDays": json(v[7]), "stake": json(v[8]),
        ])
    }
}
