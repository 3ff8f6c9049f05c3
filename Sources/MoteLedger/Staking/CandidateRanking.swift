import MoteChain
import MotePrimitives

/// The qualified candidates (self-stake at least the minimum, not unstaked) in election
/// order — votes high to low, ties by operator address — as an AVL tree in the Staking
/// contract's storage, one slot per candidate keyed by its owner.
///
/// `StakingBook.rerank` keeps it in step with every change of votes, self-stake or operator,
/// in O(log n) slots per change; the election walks it from the top and reads only the
/// entries it needs (`EpochTransition.elect`), so the end of an epoch costs the same with
/// ten candidates or a million. Votes here are undiscounted: probation is applied by the
/// election, which stays exact because a discount only ever lowers a candidate.
struct CandidateRanking {
    let storage: ContractStorage
    /// The nodes read or written during this value's life (one change or one election), so
    /// each costs one storage read and unchanged ones are not written back.
    private let cache = NodeCache()

    init(storage: ContractStorage) { self.storage = storage }

    private final class NodeCache {
        var nodes: [Address: Node] = [:]
    }

    static let rootSlot = ContractStorage.slot("rankingRoot")
    static func nodeSlot(_ owner: Address) -> Hash32 { ContractStorage.slot("rankingNode", owner.bytes) }

    /// A ranked candidate.
    struct Entry: Equatable {
        var owner: Address
        var operatorAddress: Address
        var votes: UInt256
    }

    /// Whether `a` is elected before `b`: more votes, then the lower operator address.
    static func ranksBefore(_ a: (votes: UInt256, operatorAddress: Address), _ b: (votes: UInt256, operatorAddress: Address)) -> Bool {
        a.votes != b.votes ? a.votes > b.votes : a.operatorAddress < b.operatorAddress
    }

    private struct Node: Equatable {
        var entry: Entry
        /// Subtrees by owner: `left` ranks before this entry, `right` after.
        var left: Address?
        var right: Address?
        var height: UInt64

        var rlp: RLPItem {
            .list([.address(entry.operatorAddress), .uint(entry.votes), .bytes(left?.bytes ?? []), .bytes(right?.bytes ?? []), .uint(height)])
        }

        init(entry: Entry, left: Address?, right: Address?, height: UInt64) {
            (self.entry, self.left, self.right, self.height) = (entry, left, right, height)
        }

        init(owner: Address, rlp item: RLPItem) throws(RLPError) {
            let f = try item.listValue()
            guard f.count == 5, let op = Address(bytes: try f[0].bytesValue()) else { throw RLPError.wrongShape }
            func link(_ bytes: [UInt8]) throws(RLPError) -> Address? {
                if bytes.isEmpty { return nil }
                guard let address = Address(bytes: bytes) else { throw RLPError.wrongShape }
                return address
            }
            self.init(
                entry: Entry(owner: owner, operatorAddress: op, votes: try f[1].uint256Value()), left: try link(try f[2].bytesValue()),
                right: try link(try f[3].bytesValue()), height: try f[4].uint64Value())
        }
    }

    /// The entry of `owner`, if it is ranked.
    func entry(_ owner: Address) throws(SystemContractRevert) -> Entry? { try node(owner)?.entry }

    /// Ranks `entry` (whose owner must not be ranked yet).
    func insert(_ entry: Entry) throws(SystemContractRevert) {
        let root = try storage.address(Self.rootSlot)
        let newRoot = try insert(entry, into: root)
        if newRoot != root { try storage.setAddress(Self.rootSlot, newRoot) }
    }

    /// Removes `owner`'s entry, if any.
    func remove(_ owner: Address) throws(SystemContractRevert) {
        guard let target = try node(owner) else { return }
        let root = try storage.address(Self.rootSlot)
        let newRoot = try remove(target.entry, from: root)
        if newRoot != root { try storage.setAddress(Self.rootSlot, newRoot) }
        cache.nodes[owner] = nil
        try storage.set(Self.nodeSlot(owner), nil)
    }

    /// The entries from the top, read one at a time (O(log n) reads to the first, then O(1)
    /// amortized each).
    func walk() throws(SystemContractRevert) -> Walk {
        var walk = Walk(ranking: self)
        try walk.descend(from: try storage.address(Self.rootSlot))
        return walk
    }

    /// An in-order walk of the tree with an explicit stack.
    struct Walk {
        let ranking: CandidateRanking
        private var stack: [(owner: Address, entry: Entry, right: Address?)] = []

        init(ranking: CandidateRanking) { self.ranking = ranking }

        mutating func descend(from start: Address?) throws(SystemContractRevert) {
            var next = start
            while let owner = next {
                guard let node = try ranking.node(owner) else { throw SystemContractRevert("corrupt candidate ranking") }
                stack.append((owner, node.entry, node.right))
                next = node.left
            }
        }

        /// The next entry in election order, nil after the last.
        mutating func next() throws(SystemContractRevert) -> Entry? {
            guard let top = stack.popLast() else { return nil }
            try descend(from: top.right)
            return top.entry
        }
    }

    // MARK: The tree

    private func node(_ owner: Address) throws(SystemContractRevert) -> Node? {
        if let known = cache.nodes[owner] { return known }
        guard let item = try storage.item(Self.nodeSlot(owner)) else { return nil }
        do {
            let node = try Node(owner: owner, rlp: item)
            cache.nodes[owner] = node
            return node
        } catch { throw SystemContractRevert("corrupt candidate ranking") }
    }

    private func existing(_ owner: Address) throws(SystemContractRevert) -> Node {
        guard let node = try node(owner) else { throw SystemContractRevert("corrupt candidate ranking") }
        return node
    }

    private func save(_ node: Node) throws(SystemContractRevert) {
        guard cache.nodes[node.entry.owner] != node else { return }
        cache.nodes[node.entry.owner] = node
        try storage.set(Self.nodeSlot(node.entry.owner), node.rlp)
    }

    private func height(_ owner: Address?) throws(SystemContractRevert) -> UInt64 {
        guard let owner else { return 0 }
        return try existing(owner).height
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool { ranksBefore((a.votes, a.operatorAddress), (b.votes, b.operatorAddress)) }

    private func insert(_ entry: Entry, into root: Address?) throws(SystemContractRevert) -> Address {
        guard let root else {
            try save(Node(entry: entry, left: nil, right: nil, height: 1))
            return entry.owner
        }
        var node = try existing(root)
        if Self.before(entry, node.entry) { node.left = try insert(entry, into: node.left) } else { node.right = try insert(entry, into: node.right) }
        return try balance(node)
    }

    /// Removes the node holding `entry` from the subtree at `root`; returns the new root.
    private func remove(_ entry: Entry, from root: Address?) throws(SystemContractRevert) -> Address? {
        guard let root else { throw SystemContractRevert("corrupt candidate ranking") }
        var node = try existing(root)
        if root == entry.owner {
            guard let left = node.left else { return node.right }
            guard let right = node.right else { return left }
            // The next entry after this one takes its place.
            let (successor, rest) = try removeFirst(from: right)
            var moved = try existing(successor)
            (moved.left, moved.right) = (left, rest)
            return try balance(moved)
        }
        if Self.before(entry, node.entry) { node.left = try remove(entry, from: node.left) } else { node.right = try remove(entry, from: node.right) }
        return try balance(node)
    }

    /// Unlinks the first entry of the subtree at `root`; returns it and the new root.
    private func removeFirst(from root: Address) throws(SystemContractRevert) -> (first: Address, root: Address?) {
        var node = try existing(root)
        guard let left = node.left else { return (root, node.right) }
        let (first, rest) = try removeFirst(from: left)
        node.left = rest
        return (first, try balance(node))
    }

    /// Fixes `node`'s height, rotates if its subtrees differ in height by two, saves what
    /// changed and returns the subtree's root.
    private func balance(_ node: Node) throws(SystemContractRevert) -> Address {
        var node = node
        let (hl, hr) = (try height(node.left), try height(node.right))
        if hl > hr + 1, let leftOwner = node.left {
            var left = try existing(leftOwner)
            if try height(left.right) > height(left.left) { node.left = try rotateLeft(left); left = try existing(node.left!) }
            return try rotateRight(node, pivot: left)
        }
        if hr > hl + 1, let rightOwner = node.right {
            var right = try existing(rightOwner)
            if try height(right.left) > height(right.right) { node.right = try rotateRight(right); right = try existing(node.right!) }
            return try rotateLeft(node, pivot: right)
        }
        node.height = max(hl, hr) + 1
        try save(node)
        return node.entry.owner
    }

    /// `node`'s left child becomes the subtree's root.
    private func rotateRight(_ node: Node, pivot known: Node? = nil) throws(SystemContractRevert) -> Address {
        var node = node
        var pivot: Node
        if let known { pivot = known } else { pivot = try existing(node.left!) }
        node.left = pivot.right
        node.height = max(try height(node.left), try height(node.right)) + 1
        try save(node)
        pivot.right = node.entry.owner
        pivot.height = max(try height(pivot.left), node.height) + 1
        try save(pivot)
        return pivot.entry.owner
    }

    /// `node`'s right child becomes the subtree's root.
    private func rotateLeft(_ node: Node, pivot known: Node? = nil) throws(SystemContractRevert) -> Address {
        var node = node
        var pivot: Node
        if let known { pivot = known } else { pivot = try existing(node.right!) }
        node.right = pivot.left
        node.height = max(try height(node.left), try height(node.right)) + 1
        try save(node)
        pivot.left = node.entry.owner
        pivot.height = max(node.height, try height(pivot.right)) + 1
        try save(pivot)
        return pivot.entry.owner
    }
}
