import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// A registry of node metadata: any address (a node's operator) publishes a name and an
/// endpoint, updates or removes them; anyone reads them. The first system contract, kept
/// small to prove the framework end to end (ABI calls, storage, events, reverts, views).
///
/// Storage: `keccak("NodeRegistry.node" ‖ operator)` → `rlp([name, endpoint, sinceHeight])`;
/// `keccak("NodeRegistry.count")` → the number of registered nodes (big-endian).
public struct NodeRegistryContract: SystemContract {
    public typealias ABI = NodeRegistryABI
    /// For the witness pool's books, which a node's registration changes (`WitnessEpochs.recheck`).
    let genesis: Genesis

    /// Longest name and endpoint, in bytes.
    public static let maxNameLength = 64
    public static let maxEndpointLength = 256

    public init(genesis: Genesis) { self.genesis = genesis }

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<NodeRegistryContract>(NodeRegistryABI.self, [
        (NodeRegistryABI.register, NodeRegistryContract.register), (NodeRegistryABI.update, NodeRegistryContract.update),
        (NodeRegistryABI.unregister, NodeRegistryContract.unregister), (NodeRegistryABI.nodeOf, NodeRegistryContract.nodeOf),
        (NodeRegistryABI.nodeCount, NodeRegistryContract.nodeCount),
    ])

    func register(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try write(a, context: context, registering: true)
    }

    func update(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try write(a, context: context, registering: false)
    }

    /// `register` and `update`: the same arguments; one creates the entry, the other changes it.
    private func write(_ a: CallArguments, context: SystemCallContext, registering: Bool) throws(SystemContractRevert) -> [ABIValue] {
        let (name, endpoint) = try Self.validated(name: try a.string("name"), endpoint: try a.string("endpoint"))
        let existing = try context.load(Self.nodeSlot(context.caller))
        if registering, existing != nil { throw SystemContractRevert("already registered; call update") }
        if !registering, existing == nil { throw SystemContractRevert("not registered") }
        let since = registering ? context.height : try Self.decode(existing!).since
        try context.store(Self.nodeSlot(context.caller), RLP.encode(.list([.bytes(Array(name.utf8)), .bytes(Array(endpoint.utf8)), .uint(since)])))
        if registering {
            try setCount(try count(context) + 1, context)
            try WitnessEpochs.recheck(context.caller, context: context, genesis: genesis)  // its witness may weigh again
        }
        try context.emit(registering ? NodeRegistryABI.registered : NodeRegistryABI.updated, [.address(context.caller), .string(name), .string(endpoint)])
        return []
    }

    func unregister(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        guard try context.load(Self.nodeSlot(context.caller)) != nil else { throw SystemContractRevert("not registered") }
        try context.store(Self.nodeSlot(context.caller), nil)
        try setCount(try count(context) - 1, context)
        try WitnessEpochs.recheck(context.caller, context: context, genesis: genesis)  // its witness no longer weighs
        try context.emit(NodeRegistryABI.unregistered, [.address(context.caller)])
        return []
    }

    func nodeOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        guard let stored = try context.load(Self.nodeSlot(try a.address("operator"))) else {
            return [.bool(false), .string(""), .string(""), .uint(0)]
        }
        let record = try Self.decode(stored)
        return [.bool(true), .string(record.name), .string(record.endpoint), .uint(UInt256(record.since))]
    }

    func nodeCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        [.uint(UInt256(try count(context)))]
    }

    static func nodeSlot(_ operatorAddress: Address) -> Hash32 { StorageLayout.slot("node", operatorAddress.bytes) }

    static let countSlot = StorageLayout.slot("nodeCount")

    private func count(_ context: SystemCallContext) throws(SystemContractRevert) -> UInt64 {
        guard let bytes = try context.load(Self.countSlot) else { return 0 }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func setCount(_ value: UInt64, _ context: SystemCallContext) throws(SystemContractRevert) {
        try context.store(Self.countSlot, value == 0 ? nil : value.minimalBigEndianBytes)
    }

    private static func validated(name: String, endpoint: String) throws(SystemContractRevert) -> (String, String) {
        guard !name.isEmpty, name.utf8.count <= maxNameLength else {
            throw SystemContractRevert("name must be 1 to \(maxNameLength) bytes")
        }
        guard endpoint.utf8.count <= maxEndpointLength else {
            throw SystemContractRevert("endpoint must be at most \(maxEndpointLength) bytes")
        }
        return (name, endpoint)
    }

    private static func decode(_ bytes: [UInt8]) throws(SystemContractRevert) -> (name: String, endpoint: String, since: UInt64) {
        do throws(RLPError) {
            let f = try RLP.decode(bytes).listValue()
            guard f.count == 3 else { throw RLPError.wrongShape }
            return (String(decoding: try f[0].bytesValue(), as: UTF8.self), String(decoding: try f[1].bytesValue(), as: UTF8.self),
                    try f[2].uint64Value())
        } catch {
            throw SystemContractRevert("corrupt record")
        }
    }
}
