import MoteCrypto
import MotePrimitives

/// The NodeRegistry system contract's interface: its reserved address, functions and events
/// (docs/abi/NodeRegistry.json is generated from these by `mote contracts abi NodeRegistry`).
public enum NodeRegistryABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(1)
    public static let name = "NodeRegistry"

    public static let register = SystemFunction("register", inputs: [("name", "string"), ("endpoint", "string")], mutating: true)
    public static let update = SystemFunction("update", inputs: [("name", "string"), ("endpoint", "string")], mutating: true)
    public static let unregister = SystemFunction("unregister", mutating: true)
    public static let nodeOf = SystemFunction(
        "nodeOf", inputs: [("operator", "address")],
        outputs: [("registered", "bool"), ("name", "string"), ("endpoint", "string"), ("since", "uint64")], mutating: false)
    public static let nodeCount = SystemFunction("nodeCount", outputs: [("count", "uint256")], mutating: false)
    public static let registered = SystemEvent("NodeRegistered", [("operator", "address", true), ("name", "string", false), ("endpoint", "string", false)])
    public static let updated = SystemEvent("NodeUpdated", [("operator", "address", true), ("name", "string", false), ("endpoint", "string", false)])
    public static let unregistered = SystemEvent("NodeUnregistered", [("operator", "address", true)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.register, Self.update, Self.unregister, Self.nodeOf, Self.nodeCount]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.registered, Self.updated, Self.unregistered]
}
