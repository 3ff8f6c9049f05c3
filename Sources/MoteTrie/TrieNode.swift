import MoteCrypto
import MotePrimitives

/// How a parent refers to a node: by Keccak-256 of its RLP, or by the RLP itself when that is
/// shorter than 32 bytes.
enum NodeRef: Equatable {
    case hash(Hash32)
    case embedded([UInt8])

    /// The bytes this reference adds to the parent's RLP.
    var encodedLength: Int {
        switch self {
        case .hash: return 33
        case .embedded(let rlp): return rlp.count
        }
    }

    /// The reference for a node whose RLP is in `rlp`.
    static func of(_ rlp: UnsafeRawBufferPointer) -> NodeRef {
        rlp.count < 32 ? .embedded(Array(rlp)) : .hash(Keccak256.hash(rlp))
    }
}

/// What a node is; stored once so dispatch is a byte compare plus an unchecked downcast.
enum NodeKind: UInt8 {
    /// Known only by hash; load it from the node source before use.
    case unresolved
    case leaf
    case `extension`
    case branch
}

/// An in-memory trie node.
///
/// Nodes are classes so that an update mutates the nodes on its path in place, with no
/// re-allocation. They follow copy-on-write: a node is written only through a reference that
/// `isKnownUniquelyReferenced` proved unique, otherwise it is cloned first. Reading never writes.
///
/// `ref` caches the node's reference (nil while the node is dirty); `isPersisted` says the node
/// and its whole subtree are already in the node source (loaded from it, or returned by a commit).
class TrieNode {
    final let kind: NodeKind
    final var ref: NodeRef?
    final var isPersisted: Bool

    init(kind: NodeKind, ref: NodeRef?, isPersisted: Bool) {
        self.kind = kind
        self.ref = ref
        self.isPersisted = isPersisted
    }

    /// A shallow copy (children are shared).
    func clone() -> TrieNode { fatalError("abstract") }

    /// Marks the node changed: its reference must be recomputed and it must be persisted again.
    @inline(__always)
    final func invalidate() {
        ref = nil
        isPersisted = false
    }
}

/// A node known only by its hash, not yet loaded.
final class UnresolvedNode: TrieNode {
    let hash: Hash32

    init(_ hash: Hash32) {
        self.hash = hash
        super.init(kind: .unresolved, ref: .hash(hash), isPersisted: true)
    }

    override func clone() -> TrieNode { self }
}

/// The end of a key: the remaining path and the value.
final class LeafNode: TrieNode {
    var path: Nibbles
    var value: [UInt8]

    init(path: Nibbles, value: [UInt8], ref: NodeRef? = nil, isPersisted: Bool = false) {
        self.path = path
        self.value = value
        super.init(kind: .leaf, ref: ref, isPersisted: isPersisted)
    }

    override func clone() -> TrieNode { LeafNode(path: path, value: value, ref: ref, isPersisted: isPersisted) }
}

/// A shared path segment leading to a branch.
final class ExtensionNode: TrieNode {
    var path: Nibbles
    var child: TrieNode

    init(path: Nibbles, child: TrieNode, ref: NodeRef? = nil, isPersisted: Bool = false) {
        self.path = path
        self.child = child
        super.init(kind: .extension, ref: ref, isPersisted: isPersisted)
    }

    override func clone() -> TrieNode { ExtensionNode(path: path, child: child, ref: ref, isPersisted: isPersisted) }
}

/// Sixteen children, one per next nibble, and the value of a key ending here (empty if none).
final class BranchNode: TrieNode {
    var children: [TrieNode?]
    var value: [UInt8]

    init(children: [TrieNode?] = BranchNode.noChildren, value: [UInt8] = [], ref: NodeRef? = nil,
         isPersisted: Bool = false) {
        self.children = children
        self.value = value
        super.init(kind: .branch, ref: ref, isPersisted: isPersisted)
    }

    /// Sixteen empty child slots.
    static var noChildren: [TrieNode?] { [TrieNode?](repeating: nil, count: 16) }

    override func clone() -> TrieNode { BranchNode(children: children, value: value, ref: ref, isPersisted: isPersisted) }

    /// Children plus one if the branch holds a value.
    var entryCount: Int {
        var n = value.isEmpty ? 0 : 1
        for child in children where child != nil { n += 1 }
        return n
    }
}
