import MoteCrypto
import MotePrimitives

/// The DeviceRegistry system contract's interface: its reserved address, functions and events
/// (docs/abi/DeviceRegistry.json is generated from these by `mote contracts abi DeviceRegistry`).
public enum DeviceRegistryABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(4)
    public static let name = "DeviceRegistry"

    public static let registerDevice = SystemFunction(
        "registerDevice",
        inputs: [("curve", "uint8"), ("publicKey", "bytes"), ("model", "string"), ("manufacturer", "string"), ("proof", "bytes")],
        outputs: [("deviceId", "address")], mutating: true, payable: true)
    public static let preRegisterDevice = SystemFunction(
        "preRegisterDevice", inputs: [("curve", "uint8"), ("publicKey", "bytes"), ("model", "string"), ("proof", "bytes")],
        outputs: [("deviceId", "address")], mutating: true)
    public static let claimDevice = SystemFunction(
        "claimDevice", inputs: [("deviceId", "address"), ("proof", "bytes")], mutating: true, payable: true)
    public static let transferDevice = SystemFunction(
        "transferDevice", inputs: [("deviceId", "address"), ("newOwner", "address")], mutating: true)
    public static let suspendDevice = SystemFunction("suspendDevice", inputs: [("deviceId", "address")], mutating: true)
    public static let resumeDevice = SystemFunction("resumeDevice", inputs: [("deviceId", "address")], mutating: true)
    public static let revokeDevice = SystemFunction("revokeDevice", inputs: [("deviceId", "address")], mutating: true)
    public static let setRetention = SystemFunction(
        "setRetention", inputs: [("deviceId", "address"), ("days", "uint32")], mutating: true)
    public static let deviceOutputs: [(String, String)] = [
        ("curve", "uint8"), ("publicKey", "bytes"), ("owner", "address"), ("manufacturer", "address"), ("model", "string"),
        ("status", "uint8"), ("registeredAt", "uint64"), ("retentionDays", "uint32"), ("stake", "uint256"),
        ("manufacturerName", "string"),
    ]
    public static let device = SystemFunction("device", inputs: [("deviceId", "address")], outputs: deviceOutputs, mutating: false)
    public static let devicesOf = SystemFunction(
        "devicesOf", inputs: [("owner", "address")], outputs: [("deviceIds", "address[]")], mutating: false)
    public static let deviceCount = SystemFunction("deviceCount", outputs: [("count", "uint256")], mutating: false)
    public static let deviceAt = SystemFunction("deviceAt", inputs: [("index", "uint256")], outputs: [("deviceId", "address")], mutating: false)
    public static let deviceParameters = SystemFunction(
        "deviceParameters",
        outputs: [("activationFee", "uint256"), ("defaultRetentionDays", "uint32"), ("maxRetentionDays", "uint32")],
        mutating: false)
    public static let deviceRegistered = SystemEvent(
        "DeviceRegistered",
        [("deviceId", "address", true), ("owner", "address", true), ("curve", "uint8", false), ("model", "string", false),
         ("manufacturer", "string", false)])
    public static let devicePreRegistered = SystemEvent(
        "DevicePreRegistered",
        [("deviceId", "address", true), ("manufacturer", "address", true), ("curve", "uint8", false), ("model", "string", false)])
    public static let deviceClaimed = SystemEvent(
        "DeviceClaimed", [("deviceId", "address", true), ("owner", "address", true), ("stake", "uint256", false)])
    public static let deviceTransferred = SystemEvent(
        "DeviceTransferred", [("deviceId", "address", true), ("from", "address", true), ("to", "address", true)])
    public static let deviceSuspended = SystemEvent("DeviceSuspended", [("deviceId", "address", true), ("owner", "address", true)])
    public static let deviceResumed = SystemEvent("DeviceResumed", [("deviceId", "address", true), ("owner", "address", true)])
    public static let deviceRevoked = SystemEvent(
        "DeviceRevoked", [("deviceId", "address", true), ("owner", "address", true), ("refund", "uint256", false)])
    public static let retentionSet = SystemEvent(
        "RetentionSet", [("deviceId", "address", true), ("owner", "address", true), ("days", "uint32", false)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.registerDevice, Self.preRegisterDevice, Self.claimDevice, Self.transferDevice, Self.suspendDevice, Self.resumeDevice,
         Self.revokeDevice, Self.setRetention, Self.device, Self.devicesOf, Self.deviceCount, Self.deviceAt, Self.deviceParameters]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.deviceRegistered, Self.devicePreRegistered, Self.deviceClaimed, Self.deviceTransferred, Self.deviceSuspended,
         Self.deviceResumed, Self.deviceRevoked, Self.retentionSet]
}
