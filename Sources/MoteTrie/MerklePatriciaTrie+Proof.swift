import MoteCrypto
import MotePrimitives

extension MerklePatriciaTrie {
    /// A Merkle proof for `key`, as geth's `Prove` and `eth_getProof` give it: the RLP of every
    /// node on the key's path from the root, in order, leaving out nodes embedded in their parent.
    /// It proves the value, or the key's absence. Cheapest after `rootHash` or `commit()` (a trie
    /// with unhashed changes is hashed on a copy first).
    public func proof(for key: [UInt8]) throws(TrieError) -> [[UInt8]] {
        var sealed = self
        _ = sealed.rootHash
        guard var node = sealed.root else { return [] }
        if node.kind == .unresolved {
            node = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: true)
        }
        let path = Nibbles(key)
        var position = 0
        var proof: [[UInt8]] = []
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        while true {
            if node.kind == .unresolved {
                node = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: false)
            }
            buffer.removeAll(keepingCapacity: true)
            NodeCodec.append(node, to: &buffer)
            if proof.isEmpty || buffer.count >= 32 { proof.append(exactCopy(buffer)) }
            switch Self.step(node, path, &position) {
            case .next(let child): node = child
            case .value, .absent: return proof
            }
        }
    }

    /// The value under `key` that `proof` proves against `root`, or nil when it proves the key
    /// absent. Throws when the proof lacks a node on the path or holds a malformed node (a node
    /// is found by its hash, so any altered node is missing). Nodes off the path are ignored.
    public static func verifyProof(root: Hash32, key: [UInt8], proof: [[UInt8]]) throws(TrieError) -> [UInt8]? {
        if root == emptyRoot { return nil }
        var nodes: [Hash32: [UInt8]] = [:]
        for rlp in proof { nodes[Keccak256.hash(rlp)] = rlp }
        func fetch(_ hash: Hash32, isRoot: Bool) throws(TrieError) -> TrieNode {
            guard let rlp = nodes[hash] else { throw TrieError(.proofNodeMissing(hash)) }
            guard isRoot || rlp.count >= 32 else {
                throw .malformed("a node referenced by hash is shorter than 32 bytes", hash)
            }
            return try NodeCodec.decode(rlp, hash: hash)
        }
        var node = try fetch(root, isRoot: true)
        let path = Nibbles(key)
        var position = 0
        while true {
            if node.kind == .unresolved {
                node = try fetch(unsafeDowncast(node, to: UnresolvedNode.self).hash, isRoot: false)
            }
            switch step(node, path, &position) {
            case .next(let child): node = child
            case .value(let value): return value
            case .absent: return nil
            }
        }
    }

    /// One step of a lookup from a resolved node.
    enum Step {
        case next(TrieNode)
        case value([UInt8])
        case absent
    }

    /// Follows `path` from `position` through the resolved `node`.
    @inline(__always)
    static func step(_ node: TrieNode, _ path: Nibbles, _ position: inout Int) -> Step {
        switch node.kind {
        case .leaf:
            let leaf = unsafeDowncast(node, to: LeafNode.self)
            return leaf.path.matches(path.dropFirst(position)) ? .value(leaf.value) : .absent
        case .extension:
            let ext = unsafeDowncast(node, to: ExtensionNode.self)
            guard path.dropFirst(position).hasPrefix(ext.path) else { return .absent }
            position += ext.path.count
            return .next(ext.child)
        case .branch:
            let branch = unsafeDowncast(node, to: BranchNode.self)
            if position == path.count { return branch.value.isEmpty ? .absent : .value(branch.value) }
            guard let child = branch.children[path[position]] else { return .absent }
            position += 1
            return .next(child)
        case .unresolved:
            preconditionFailure("resolve before stepping")
        }
    }
}
