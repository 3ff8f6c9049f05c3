import MotePrimitives

/// Where a trie loads its persisted nodes from: the RLP of a node, by the Keccak-256 of that RLP.
///
/// The storage layer implements it over its database; `InMemoryTrieNodeStore` serves tests and
/// tools. Only nodes whose RLP is at least 32 bytes (and the root, whatever its size) are ever
/// looked up; smaller nodes live inside their parent.
public protocol TrieNodeSource: Sendable {
    /// The RLP stored under `hash`, or nil when there is none.
    func trieNode(_ hash: Hash32) -> [UInt8]?
}

/// A node source held in a dictionary, with value semantics.
///
/// A trie opened over it keeps its own copy, so write a commit's nodes into the store and then
/// open (or reopen) tries over the updated store.
public struct InMemoryTrieNodeStore: TrieNodeSource {
    /// Every stored node, RLP by hash.
    public private(set) var nodes: [Hash32: [UInt8]] = [:]

    /// An empty store.
    public init() {}

    /// The RLP stored under `hash`.
    public func trieNode(_ hash: Hash32) -> [UInt8]? { nodes[hash] }

    /// Stores one node's RLP under its hash (the caller vouches that `hash` is its Keccak-256).
    public mutating func insert(_ rlp: [UInt8], for hash: Hash32) { nodes[hash] = rlp }

    /// Stores every node a `commit()` returned.
    public mutating func write(_ newNodes: [(hash: Hash32, rlp: [UInt8])]) {
        for node in newNodes { nodes[node.hash] = node.rlp }
    }

    /// How many nodes are stored.
    public var count: Int { nodes.count }
}
