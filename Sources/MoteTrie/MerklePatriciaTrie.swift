import Foundation
import MoteCrypto
import MotePrimitives

/// Ethereum's Merkle Patricia Trie (Yellow Paper appendix D; geth's `trie` package), with
/// roots, proofs and node encodings identical to geth's.
///
/// Design:
/// - **Nodes.** Leaf, extension and branch nodes are small classes (`TrieNode`). A node whose
///   RLP is under 32 bytes is embedded in its parent; any other is referenced by the Keccak-256
///   of its RLP. The root is always hashed. Paths are nibble windows over the key array that
///   created them (`Nibbles`), so inserting a key allocates at most a leaf, a branch and an
///   extension, and updating a value in place allocates nothing.
/// - **Value semantics.** The trie is a struct; copying it is O(1). Nodes are copy-on-write: a
///   node is mutated in place only when `isKnownUniquelyReferenced` proves no other copy shares
///   it, and reads never mutate. That is why the type can be `Sendable`.
/// - **Lazy loading.** A trie opened at a root hash over a `TrieNodeSource` loads nodes by hash
///   when a path first needs them (checking that the bytes hash to the reference unless the
///   source `isTrusted`), keeping
///   those loaded by updates; `get` and `proof` read through without caching.
/// - **Hashing.** Each node caches its reference; an update clears the cache on its path only,
///   so `rootHash` and `commit()` re-encode and re-hash just the dirty paths, in one reused
///   buffer. `commit()` also returns every node created since the last commit, for the caller to
///   store in the same database transaction as its block.
/// - **Deletion** collapses exactly as geth does: a branch left with one child becomes an
///   extension or merges into the child's path; an extension over a shortened child merges with it.
///
/// Deleted nodes are not tracked (no pruning); the source may keep them.
public struct MerklePatriciaTrie: @unchecked Sendable {
    // @unchecked: nodes are classes, but a node is only ever written through a reference proved
    // unique (copy-on-write, as in Array), and reads never write, so two copies of a trie on two
    // threads never touch the same mutable node. `source` is Sendable.

    /// The root of the empty trie: Keccak-256 of the RLP empty string (0x80).
    public static let emptyRoot = Keccak256.hash([0x80])

    var root: TrieNode?
    let source: any TrieNodeSource

    /// An empty trie with no node source behind it.
    public init() {
        root = nil
        source = NoTrieNodes()
    }

    /// The trie under `root`, its nodes read from `source` when a path first needs them (so
    /// opening does no I/O, and a root the source lacks throws at the first read or write).
    public init(root: Hash32, source: any TrieNodeSource) {
        self.source = source
        self.root = root == Self.emptyRoot ? nil : UnresolvedNode(root)
    }

    /// True when the trie holds no keys.
    public var isEmpty: Bool { root == nil }

    // MARK: Reading

    /// The value stored under `key`, or nil. Throws if a node on the path is missing or malformed.
    public func get(_ key: [UInt8]) throws(TrieError) -> [UInt8]? {
        guard var node = root else { return nil }
        if node.kind == .unresolved {
            node = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: true)
        }
        let path = Nibbles(key)
        var position = 0
        while true {
            if node.kind == .unresolved {
                node = try Self.load(unsafeDowncast(node, to: UnresolvedNode.self).hash, from: source, isRoot: false)
            }
            switch Self.step(node, path, &position) {
            case .next(let child): node = child
            case .value(let value): return value
            case .absent: return nil
            }
        }
    }

    // MARK: Writing

    /// Stores `value` under `key`; an empty value deletes the key, as in Ethereum.
    public mutating func set(_ key: [UInt8], _ value: [UInt8]) throws(TrieError) {
        if value.isEmpty {
            try delete(key)
        } else if root == nil {
            root = LeafNode(path: Nibbles(key), value: value)
        } else {
            let source = self.source
            try Self.resolve(&root!, source, isRoot: true)
            _ = try Self.insert(&root!, Nibbles(key), value, source)
        }
    }

    /// Removes `key` (nothing happens if it is absent).
    public mutating func delete(_ key: [UInt8]) throws(TrieError) {
        guard root != nil else { return }
        let source = self.source
        try Self.resolve(&root!, source, isRoot: true)
        if try Self.remove(&root!, Nibbles(key), source) == .emptied { root = nil }
    }

    /// Applies `set` to each pair in order (an empty value deletes).
    ///
    /// A large batch under a root branch is applied on all cores: insertions are split by the
    /// key's first nibble, and each of the root's 16 subtrees takes its own share (the subtrees
    /// are disjoint; within one, the pairs keep their order). Deletions, which may reshape the
    /// root, follow one by one. The result is the same trie as the serial loop gives.
    public mutating func update(_ pairs: [(key: [UInt8], value: [UInt8])]) throws(TrieError) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard pairs.count >= Self.parallelUpdateThreshold, cores > 1, root != nil else {
            for pair in pairs { try set(pair.key, pair.value) }
            return
        }
        let source = self.source
        try Self.resolve(&root!, source, isRoot: true)
        guard root!.kind == .branch else {
            for pair in pairs { try set(pair.key, pair.value) }
            return
        }
        var buckets = [[Int]](repeating: [], count: 16)
        var rest: [Int] = []
        for (i, pair) in pairs.enumerated() {
            if pair.value.isEmpty || pair.key.isEmpty { rest.append(i) } else { buckets[Int(pair.key[0] >> 4)].append(i) }
        }
        if !isKnownUniquelyReferenced(&root!) { root = root!.clone() }
        let branch = unsafeDowncast(root!, to: BranchNode.self)
        // Move the children out, so the subtrees stay uniquely referenced and update in place.
        var children = branch.children
        branch.children = []
        var failures = [TrieError?](repeating: nil, count: 16)
        let groups = buckets
        let busy = (0..<16).filter { !groups[$0].isEmpty }
        let workers = min(cores, busy.count)
        children.withUnsafeMutableBufferPointer { childSlots in
            failures.withUnsafeMutableBufferPointer { failureSlots in
                let work = ParallelUpdate(children: childSlots, failures: failureSlots)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var index = worker
                    while index < busy.count {
                        let nibble = busy[index]
                        do throws(TrieError) {
                            for i in groups[nibble] {
                                let key = pairs[i].key
                                let path = Nibbles(storage: key, start: 1, end: key.count * 2)
                                if work.children[nibble] == nil {
                                    work.children[nibble] = LeafNode(path: path, value: pairs[i].value)
                                } else {
                                    _ = try Self.insert(&work.children[nibble]!, path, pairs[i].value, source)
                                }
                            }
                        } catch {
                            work.failures[nibble] = error
                        }
                        index += workers
                    }
                }
            }
        }
        branch.children = children
        branch.invalidate()
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        for i in rest { try set(pairs[i].key, pairs[i].value) }
    }

    /// The smallest batch `update` spreads over the cores.
    static let parallelUpdateThreshold = 1_024

    // MARK: Loading

    /// Loads and decodes the node stored under `hash`, checking that its bytes hash to `hash`
    /// unless the source is trusted.
    static func load(_ hash: Hash32, from source: any TrieNodeSource, isRoot: Bool) throws(TrieError) -> TrieNode {
        guard let rlp = source.trieNode(hash) else { throw TrieError(.missingNode(hash)) }
        let actual = source.isTrusted ? hash : Keccak256.hash(rlp)
        guard actual == hash else { throw TrieError(.hashMismatch(expected: hash, actual: actual)) }
        guard isRoot || rlp.count >= 32 else {
            throw .malformed("a node referenced by hash is shorter than 32 bytes", hash)
        }
        return try NodeCodec.decode(rlp, hash: hash)
    }

    /// Replaces an unresolved node in `slot` by the loaded node (a no-op for the trie's content).
    @inline(__always)
    static func resolve(_ slot: inout TrieNode, _ source: any TrieNodeSource, isRoot: Bool = false) throws(TrieError) {
        if slot.kind == .unresolved {
            slot = try load(unsafeDowncast(slot, to: UnresolvedNode.self).hash, from: source, isRoot: isRoot)
        }
    }

    /// `node`, or a clone of it stored into `slot` when `node` is shared (copy-on-write).
    @inline(__always)
    static func writable<T: TrieNode>(_ node: T, unique: Bool, in slot: inout TrieNode) -> T {
        if unique { return node }
        let copy = unsafeDowncast(node.clone(), to: T.self)
        slot = copy
        return copy
    }

    // MARK: Insertion

    /// Inserts under the node in `slot`; returns false when the key already held `value`.
    /// Throws only before changing anything (when a node on the path cannot be loaded).
    static func insert(_ slot: inout TrieNode, _ path: Nibbles, _ value: [UInt8],
                       _ source: any TrieNodeSource) throws(TrieError) -> Bool {
        try resolve(&slot, source)
        let unique = isKnownUniquelyReferenced(&slot)
        let node = slot
        switch node.kind {
        case .leaf:
            let leaf = unsafeDowncast(node, to: LeafNode.self)
            let common = leaf.path.commonPrefixLength(with: path)
            if common == leaf.path.count, common == path.count {
                if leaf.value == value { return false }
                let target = writable(leaf, unique: unique, in: &slot)
                target.value = value
                target.invalidate()
                return true
            }
            let branch = BranchNode()
            if common == leaf.path.count {
                branch.value = leaf.value
            } else {
                branch.children[leaf.path[common]] = LeafNode(path: leaf.path.dropFirst(common + 1), value: leaf.value)
            }
            if common == path.count {
                branch.value = value
            } else {
                branch.children[path[common]] = LeafNode(path: path.dropFirst(common + 1), value: value)
            }
            slot = common == 0 ? branch : ExtensionNode(path: path.prefix(common), child: branch)
            return true

        case .extension:
            let ext = unsafeDowncast(node, to: ExtensionNode.self)
            let common = ext.path.commonPrefixLength(with: path)
            if common == ext.path.count {
                let target = writable(ext, unique: unique, in: &slot)
                guard try insert(&target.child, path.dropFirst(common), value, source) else { return false }
                target.invalidate()
                return true
            }
            // The new key leaves the extension's path at `common`: branch there.
            let branch = BranchNode()
            let rest = ext.path.dropFirst(common + 1)
            branch.children[ext.path[common]] = rest.isEmpty ? ext.child : ExtensionNode(path: rest, child: ext.child)
            if common == path.count {
                branch.value = value
            } else {
                branch.children[path[common]] = LeafNode(path: path.dropFirst(common + 1), value: value)
            }
            slot = common == 0 ? branch : ExtensionNode(path: path.prefix(common), child: branch)
            return true

        case .branch:
            let branch = writable(unsafeDowncast(node, to: BranchNode.self), unique: unique, in: &slot)
            if path.isEmpty {
                if branch.value == value { return false }
                branch.value = value
            } else {
                let index = path[0]
                if branch.children[index] == nil {
                    branch.children[index] = LeafNode(path: path.dropFirst(1), value: value)
                } else {
                    guard try insert(&branch.children[index]!, path.dropFirst(1), value, source) else { return false }
                }
            }
            branch.invalidate()
            return true

        case .unresolved:
            preconditionFailure("resolved above")
        }
    }

    // MARK: Deletion

    /// What `remove` did.
    enum Removal {
        /// The key was not there; nothing changed.
        case absent
        /// The key was removed; `slot` holds the new subtree.
        case removed
        /// The key was removed and nothing is left: the caller must clear `slot`.
        case emptied
    }

    /// Removes `path` under the node in `slot`, collapsing nodes as geth does.
    /// Throws only before changing anything.
    static func remove(_ slot: inout TrieNode, _ path: Nibbles,
                       _ source: any TrieNodeSource) throws(TrieError) -> Removal {
        try resolve(&slot, source)
        let unique = isKnownUniquelyReferenced(&slot)
        let node = slot
        switch node.kind {
        case .leaf:
            return unsafeDowncast(node, to: LeafNode.self).path.matches(path) ? .emptied : .absent

        case .extension:
            let ext = unsafeDowncast(node, to: ExtensionNode.self)
            guard path.hasPrefix(ext.path) else { return .absent }
            let target = writable(ext, unique: unique, in: &slot)
            switch try remove(&target.child, path.dropFirst(ext.path.count), source) {
            case .absent:
                return .absent
            case .emptied:
                return .emptied
            case .removed:
                // The branch below may have collapsed into a short node: merge the paths.
                target.invalidate()
                slot = merged(target.path, target.child) ?? target
                return .removed
            }

        case .branch:
            let branch = writable(unsafeDowncast(node, to: BranchNode.self), unique: unique, in: &slot)
            if path.isEmpty {
                guard !branch.value.isEmpty else { return .absent }
                if branch.entryCount == 2 { try resolveOnlyChild(branch, except: -1, source) }
                branch.value = []
            } else {
                let index = path[0]
                guard branch.children[index] != nil else { return .absent }
                // If this removal may leave one entry, load that survivor first, so that the
                // collapse below cannot fail halfway.
                if branch.entryCount == 2 { try resolveOnlyChild(branch, except: index, source) }
                switch try remove(&branch.children[index]!, path.dropFirst(1), source) {
                case .absent: return .absent
                case .removed:
                    branch.invalidate()
                    return .removed
                case .emptied: branch.children[index] = nil
                }
            }
            branch.invalidate()
            return collapse(branch, into: &slot)

        case .unresolved:
            preconditionFailure("resolved above")
        }
    }

    /// Loads the child of `branch` other than `except`, if it is unresolved.
    private static func resolveOnlyChild(_ branch: BranchNode, except: Int,
                                         _ source: any TrieNodeSource) throws(TrieError) {
        for i in 0..<16 where i != except && branch.children[i] != nil {
            try resolve(&branch.children[i]!, source)
        }
    }

    /// Rewrites a branch that lost an entry: with one entry left it becomes a leaf or extension.
    private static func collapse(_ branch: BranchNode, into slot: inout TrieNode) -> Removal {
        var only = -1
        var childCount = 0
        for i in 0..<16 where branch.children[i] != nil {
            childCount += 1
            only = i
        }
        switch (childCount, branch.value.isEmpty) {
        case (0, true):
            return .emptied
        case (0, false):
            slot = LeafNode(path: .empty, value: branch.value)
        case (1, true):
            let child = branch.children[only]!
            let path = Nibbles.joined(only, .empty)
            slot = merged(path, child) ?? ExtensionNode(path: path, child: child)
        default:
            break
        }
        return .removed
    }

    /// `prefix` joined onto `child` when the child is a leaf or an extension; nil for a branch.
    private static func merged(_ prefix: Nibbles, _ child: TrieNode) -> TrieNode? {
        switch child.kind {
        case .leaf:
            let leaf = unsafeDowncast(child, to: LeafNode.self)
            return LeafNode(path: Nibbles.joined(prefix, leaf.path), value: leaf.value)
        case .extension:
            let ext = unsafeDowncast(child, to: ExtensionNode.self)
            return ExtensionNode(path: Nibbles.joined(prefix, ext.path), child: ext.child)
        default:
            return nil
        }
    }
}

/// The source of a trie built from scratch: it has no nodes.
private struct NoTrieNodes: TrieNodeSource {
    func trieNode(_ hash: Hash32) -> [UInt8]? { nil }
}

/// The root's child slots and per-child failures of one parallel update.
///
/// `@unchecked Sendable`: each worker touches only the nibbles it was dealt (disjoint subtrees,
/// nothing shared below them is mutated without copy-on-write), and the buffers outlive
/// `concurrentPerform`, which returns only after every worker has finished.
private struct ParallelUpdate: @unchecked Sendable {
    let children: UnsafeMutableBufferPointer<TrieNode?>
    let failures: UnsafeMutableBufferPointer<TrieError?>
}
