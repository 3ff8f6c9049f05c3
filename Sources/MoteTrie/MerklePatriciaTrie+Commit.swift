import MoteCrypto
import MotePrimitives

extension MerklePatriciaTrie {
    /// The root hash. Hashes only the nodes changed since the last `rootHash` or `commit()`.
    public var rootHash: Hash32 {
        mutating get {
            var discarded: [(hash: Hash32, rlp: [UInt8])] = []
            return seal(committing: false, into: &discarded)
        }
    }

    /// Hashes the changes and returns the root with every node created since the last commit
    /// that is referenced by hash (the root included, whatever its size), children before parents.
    /// Store them with the block; the trie then carries on from the committed state.
    public mutating func commit() -> (root: Hash32, nodes: [(hash: Hash32, rlp: [UInt8])]) {
        var nodes: [(hash: Hash32, rlp: [UInt8])] = []
        let root = seal(committing: true, into: &nodes)
        return (root, nodes)
    }

    /// Computes every missing reference; when `committing`, also collects unpersisted nodes.
    mutating func seal(committing: Bool, into nodes: inout [(hash: Hash32, rlp: [UInt8])]) -> Hash32 {
        guard root != nil else { return Self.emptyRoot }
        let rootWasPersisted = root!.isPersisted
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        Self.seal(&root!, committing: committing, buffer: &buffer, nodes: &nodes)
        switch root!.ref! {
        case .hash(let hash):
            return hash
        case .embedded(let rlp):
            let hash = Keccak256.hash(rlp)
            if committing, !rootWasPersisted { nodes.append((hash, rlp)) }
            return hash
        }
    }

    /// Fills in the reference of the node in `slot` and of its dirty descendants.
    private static func seal(_ slot: inout TrieNode, committing: Bool, buffer: inout [UInt8],
                             nodes: inout [(hash: Hash32, rlp: [UInt8])]) {
        if slot.ref != nil, !committing || slot.isPersisted { return }
        if !isKnownUniquelyReferenced(&slot) { slot = slot.clone() }
        let node = slot
        switch node.kind {
        case .leaf, .unresolved:
            break
        case .extension:
            seal(&unsafeDowncast(node, to: ExtensionNode.self).child, committing: committing, buffer: &buffer, nodes: &nodes)
        case .branch:
            let branch = unsafeDowncast(node, to: BranchNode.self)
            for i in 0..<16 where branch.children[i] != nil {
                seal(&branch.children[i]!, committing: committing, buffer: &buffer, nodes: &nodes)
            }
        }
        buffer.removeAll(keepingCapacity: true)
        NodeCodec.append(node, to: &buffer)
        let ref = node.ref ?? buffer.withUnsafeBytes { NodeRef.of($0) }
        node.ref = ref
        if committing {
            if case .hash(let hash) = ref { nodes.append((hash, exactCopy(buffer))) }
            node.isPersisted = true
        }
    }
}

/// A copy of `bytes` in storage of exactly their size (not sharing the scratch buffer's).
func exactCopy(_ bytes: [UInt8]) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: bytes.count) { out, initialized in
        bytes.withUnsafeBufferPointer { _ = out.initialize(fromContentsOf: $0) }
        initialized = bytes.count
    }
}
