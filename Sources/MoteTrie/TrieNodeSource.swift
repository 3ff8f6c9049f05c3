import Foundation
import MotePrimitives

/// Where a trie loads its persisted nodes from: the RLP of a node, by the Keccak-256 of that RLP.
///
/// The storage layer implements it over its database; `InMemoryTrieNodeStore` serves tests and
/// tools. Only nodes whose RLP is at least 32 bytes (and the root, whatever its size) are ever
/// looked up; smaller nodes live inside their parent.
public protocol TrieNodeSource: Sendable {
    /// The RLP stored under `hash`, or nil when there is none.
    func trieNode(_ hash: Hash32) -> [UInt8]?

    /// True when the source guarantees that `trieNode(h)` hashes to `h` (say, a local database
    /// written only from `commit()`), so tries may skip re-hashing each node they load (about a
    /// quarter of the time of a block whose paths are all loaded). Defaults to false.
    var isTrusted: Bool { get }
}

extension TrieNodeSource {
    /// Not trusted: every loaded node is hashed and checked.
    public var isTrusted: Bool { false }
}

/// A node source held in memory, shared by reference: tries opened over it see later writes.
public final class InMemoryTrieNodeStore: TrieNodeSource, @unchecked Sendable {
    // @unchecked: the only state, `nodes`, is read and written under `lock`.
    private let lock = NSLock()
    private var nodes: [Hash32: [UInt8]] = [:]

    /// An empty store.
    public init() {}

    /// The RLP stored under `hash`.
    public func trieNode(_ hash: Hash32) -> [UInt8]? { lock.withLock { nodes[hash] } }

    /// Stores one node's RLP under its hash (the caller vouches that `hash` is its Keccak-256).
    public func insert(_ rlp: [UInt8], for hash: Hash32) { lock.withLock { nodes[hash] = rlp } }

    /// Stores every node a `commit()` returned.
    public func write(_ newNodes: [(hash: Hash32, rlp: [UInt8])]) {
        lock.withLock { for node in newNodes { nodes[node.hash] = node.rlp } }
    }

    /// How many nodes are stored.
    public var count: Int { lock.withLock { nodes.count } }
}
