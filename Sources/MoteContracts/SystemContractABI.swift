import MoteCrypto
import MotePrimitives

/// A system contract's interface, as callers see it: where it lives and what it answers.
/// The contract's code (in MoteLedger) and every caller (RPC, CLI, stream node, device SDK)
/// read the same declarations, so changing a signature breaks the build, not a device.
public protocol SystemContractABI {
    /// The reserved address.
    static var address: Address { get }
    /// A short name, e.g. "NodeRegistry".
    static var name: String { get }
    /// The functions it answers (their selectors route calls), in the published order.
    static var functions: [SystemFunction] { get }
    /// The events it emits.
    static var events: [SystemEvent] { get }
}

/// The interfaces of every system contract, in the order `mote contracts list` shows them.
public enum SystemContractABIs {
    public static let all: [any SystemContractABI.Type] = [
        NodeRegistryABI.self, StakingABI.self, RewardingABI.self, DeviceRegistryABI.self, WitnessPoolABI.self, ProjectRegistryABI.self,
    ]

    /// The interface at `address`, if a system contract lives there.
    public static func at(_ address: Address) -> (any SystemContractABI.Type)? { all.first { $0.address == address } }

    /// The interface named `name` (case-insensitive).
    public static func named(_ name: String) -> (any SystemContractABI.Type)? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// The range of addresses reserved for system contracts: 0x…4d4f5445 ("MOTE") ‖ a 16-bit index.
public enum SystemAddresses {
    /// The reserved address for system contract number `index`.
    public static func reserved(_ index: UInt16) -> Address {
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[14] = 0x4d  // M
        bytes[15] = 0x4f  // O
        bytes[16] = 0x54  // T
        bytes[17] = 0x45  // E
        bytes[18] = UInt8(index >> 8)
        bytes[19] = UInt8(index & 0xff)
        return Address(bytes: bytes)!
    }

    /// Where the chain keeps its parameter overrides (index 0: no functions; its storage holds
    /// each area's override, docs/GENESIS.md).
    public static let parameterStore = reserved(0)

    /// Whether `address` is in the reserved range (a system contract's, now or later).
    public static func isReserved(_ address: Address) -> Bool {
        address.bytes[0..<14].allSatisfy { $0 == 0 } && address.bytes[14..<18].elementsEqual([0x4d, 0x4f, 0x54, 0x45])
    }
}

/// A function of a system contract, with parameter names for its ABI JSON.
public struct SystemFunction: Sendable {
    public let abi: ABIFunction
    public let inputNames: [String]
    public let outputNames: [String]
    /// False for view functions (they may not write).
    public let mutating: Bool
    /// Whether a call may send MOTE with it; value sent to any other function reverts.
    public let payable: Bool

    /// `inputs` and `outputs` as (name, type string); traps on a bad type string (a programming error).
    public init(
        _ name: String, inputs: [(String, String)] = [], outputs: [(String, String)] = [], mutating: Bool, payable: Bool = false
    ) {
        abi = ABIFunction(name: name, inputs: inputs.map { try! ABIType($0.1) }, outputs: outputs.map { try! ABIType($0.1) })
        inputNames = inputs.map(\.0)
        outputNames = outputs.map(\.0)
        self.mutating = mutating
        self.payable = payable
    }

    public var name: String { abi.name }
    /// The 4-byte selector that starts its calldata.
    public var selector: [UInt8] { abi.selector }
}

/// An event of a system contract, with parameter names for its ABI JSON.
public struct SystemEvent: Sendable {
    public let abi: ABIEvent
    public let names: [String]

    /// `parameters` as (name, type string, indexed); traps on a bad definition (a programming error).
    public init(_ name: String, _ parameters: [(String, String, Bool)]) {
        abi = try! ABIEvent(name: name, parameters: parameters.map { ABIEvent.Parameter(try! ABIType($0.1), indexed: $0.2) })
        names = parameters.map(\.0)
    }
}

extension SystemContractABI {
    /// The ABI JSON (as solc writes it) that web3 clients load.
    public static var abiJSON: [[String: Any]] {
        func params(_ types: [ABIType], _ names: [String]) -> [[String: Any]] {
            zip(types, names).map { type, name in
                ["name": name, "type": type.canonicalName, "internalType": type.canonicalName]
            }
        }
        var out: [[String: Any]] = []
        for function in functions {
            out.append([
                "type": "function", "name": function.name,
                "inputs": params(function.abi.inputs, function.inputNames),
                "outputs": params(function.abi.outputs, function.outputNames),
                "stateMutability": function.payable ? "payable" : (function.mutating ? "nonpayable" : "view"),
            ])
        }
        for event in events {
            out.append([
                "type": "event", "name": event.abi.name, "anonymous": false,
                "inputs": zip(event.abi.parameters, event.names).map { p, name in
                    ["name": name, "type": p.type.canonicalName, "internalType": p.type.canonicalName, "indexed": p.indexed] as [String: Any]
                },
            ])
        }
        return out
    }

    /// The function whose selector starts `calldata`.
    public static func function(forCalldata calldata: [UInt8]) -> SystemFunction? {
        guard calldata.count >= 4 else { return nil }
        let selector = Array(calldata[0..<4])
        return functions.first { $0.abi.selector == selector }
    }
}

extension SystemAddresses {
    /// What `eth_getCode` answers for a system contract: INVALID (0xfe), so that an EVM running
    /// it halts, then "MOTE" and the contract's index. Tools that treat code-less addresses as
    /// plain accounts see a contract.
    public static func codeMarker(_ address: Address) -> [UInt8] {
        [0xfe] + Array(address.bytes[14..<20])
    }
}
