import Foundation
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
        Self.sealChildrenInParallel(&root!, committing: committing, nodes: &nodes)
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

    /// The fewest dirty children of a root branch worth hashing on several threads.
    static let parallelThreshold = 4

    /// When the root is a dirty branch with several dirty children, hashes those children's
    /// subtrees on all cores first (they are disjoint), so the serial pass only hashes the root.
    /// The nodes collected keep the serial order: child 0's subtree first, then child 1's, …
    private static func sealChildrenInParallel(
        _ slot: inout TrieNode, committing: Bool, nodes: inout [(hash: Hash32, rlp: [UInt8])]
    ) {
        guard slot.kind == .branch, slot.ref == nil || committing else { return }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores > 1 else { return }
        if !isKnownUniquelyReferenced(&slot) { slot = slot.clone() }
        let branch = unsafeDowncast(slot, to: BranchNode.self)
        let dirty = (0..<16).filter { i in
            guard let child = branch.children[i] else { return false }
            return child.ref == nil || (committing && !child.isPersisted)
        }
        guard dirty.count >= parallelThreshold else { return }
        // Move the children out, so the subtrees stay uniquely referenced and are sealed in place.
        var children = branch.children
        branch.children = []
        var collected = [[(hash: Hash32, rlp: [UInt8])]](repeating: [], count: 16)
        children.withUnsafeMutableBufferPointer { childSlots in
            collected.withUnsafeMutableBufferPointer { out in
                let work = ParallelSlots(children: childSlots, nodes: out)
                DispatchQueue.concurrentPerform(iterations: min(cores, dirty.count)) { worker in
                    var buffer: [UInt8] = []
                    buffer.reserveCapacity(1024)
                    var index = worker
                    while index < dirty.count {
                        let i = dirty[index]
                        var local: [(hash: Hash32, rlp: [UInt8])] = []
                        seal(&work.children[i]!, committing: committing, buffer: &buffer, nodes: &local)
                        work.nodes[i] = local
                        index += min(cores, dirty.count)
                    }
                }
            }
        }
        branch.children = children
        for i in dirty { nodes += collected[i] }
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

/// The child slots and per-child node lists of one parallel seal.
///
/// `@unchecked Sendable`: each worker touches only the indices it was dealt (disjoint
/// subtrees, nothing shared below them), and the buffers outlive `concurrentPerform`, which
/// returns only after every worker has finished.
private struct ParallelSlots: @unchecked Sendable {
    let children: UnsafeMutableBufferPointer<TrieNode?>
    let nodes: UnsafeMutableBufferPointer<[(hash: Hash32, rlp: [UInt8])]>
}

/// A copy of `bytes` in storage of exactly their size (not sharing the scratch buffer's).
func exactCopy(_ bytes: [UInt8]) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: bytes.count) { out, initialized in
        bytes.withUnsafeBufferPointer { _ = out.initialize(fromContentsOf: $0) }
        initialized = bytes.count
    }
}
