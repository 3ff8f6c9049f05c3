import MoteChain
import MoteContracts
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
        let registry = DeviceRegistryABI.address
        switch method {
        case "mote_device":
            try params.expect(1...1)
            return try await device(try params.address(0))
        case "mote_devices":
            try params.expect(0...1)
            var ids: [ABIValue] = []
            if params.value(0) != nil {
                ids = try await view(registry, DeviceRegistryABI.devicesOf, [.address(try params.address(0))]).first?.arrayValue ?? []
            } else {
                let count = Self.uint(try await view(registry, DeviceRegistryABI.deviceCount, []).first)
                for index in 0..<min(count.l0, UInt64(Self.maxListedDevices)) {
                    ids += try await view(registry, DeviceRegistryABI.deviceAt, [.uint(UInt256(index))])
                }
            }
            var out: [JSON] = []
            for case .address(let id) in ids.prefix(Self.maxListedDevices) { out.append(try await device(id)) }
            return .array(out)
        case "mote_deviceCount":
            try params.expect(0...0)
            return .quantity(Self.uint(try await view(registry, DeviceRegistryABI.deviceCount, []).first))
        case "mote_deviceParameters":
            try params.expect(0...0)
            let values = try await view(registry, DeviceRegistryABI.deviceParameters, [])
            var object: [String: JSON] = [:]
            for (name, value) in zip(DeviceRegistryABI.deviceParameters.outputNames, values) { object[name] = Self.json(value) }
            return .object(object)
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    /// One device as `mote_device` answers it (`DeviceInfo`); -32001 if the registry does not know it.
    func device(_ id: Address) async throws(RPCError) -> JSON {
        let values = try await view(DeviceRegistryABI.address, DeviceRegistryABI.device, [.address(id)])
        do { return try DeviceInfo(id: id, values).json } catch { throw RPCError.internalError(error.description) }
    }
}
