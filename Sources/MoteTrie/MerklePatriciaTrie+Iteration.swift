import MotePrimitives

extension MerklePatriciaTrie {
    /// Calls `body` with every key and value in ascending key order (bytewise), until it
    /// returns false. Nodes are read through the source as needed, without caching them.
    public func forEach(_ body: (_ key: [UInt8], _ value: [UInt8]) -> Bool) throws(TrieError) {
        guard var node = root else { return }
        if node.kind == .unresolved {
            node = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: true)
        }
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(64)
        _ = try visit(node, &nibbles, body)
    }

    /// In-order walk below `node`, whose path from the root is `nibbles`; false once `body` stops.
    private func visit(_ node: TrieNode, _ nibbles: inout [UInt8],
                       _ body: ([UInt8], [UInt8]) -> Bool) throws(TrieError) -> Bool {
        switch node.kind {
        case .unresolved:
            let loaded = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: false)
            return try visit(loaded, &nibbles, body)
        case .leaf:
            let leaf = unsafeDowncast(node, to: LeafNode.self)
            let depth = nibbles.count
            for i in 0..<leaf.path.count { nibbles.append(UInt8(leaf.path[i])) }
            defer { nibbles.removeLast(nibbles.count - depth) }
            return body(try Self.key(from: nibbles), leaf.value)
        case .extension:
            let ext = unsafeDowncast(node, to: ExtensionNode.self)
            let depth = nibbles.count
            for i in 0..<ext.path.count { nibbles.append(UInt8(ext.path[i])) }
            defer { nibbles.removeLast(nibbles.count - depth) }
            return try visit(ext.child, &nibbles, body)
        case .branch:
            let branch = unsafeDowncast(node, to: BranchNode.self)
            // A key ending here is a prefix of every key below, so it sorts first.
            if !branch.value.isEmpty, !body(try Self.key(from: nibbles), branch.value) { return false }
            for i in 0..<16 {
                guard let child = branch.children[i] else { continue }
                nibbles.append(UInt8(i))
                defer { nibbles.removeLast() }
                if !(try visit(child, &nibbles, body)) { return false }
            }
            return true
        }
    }

    /// The bytes of a whole-byte nibble path.
    private static func key(from nibbles: [UInt8]) throws(TrieError) -> [UInt8] {
        guard nibbles.count % 2 == 0 else { throw .malformed("a value sits at an odd nibble depth") }
        return (0..<nibbles.count / 2).map { nibbles[2 * $0] << 4 | nibbles[2 * $0 + 1] }
    }
}
