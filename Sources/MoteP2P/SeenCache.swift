import MotePrimitives

/// A bounded set of recently seen gossip digests, each with the first few peers that sent it
/// (so that a later broadcast of the same payload skips them). When full, the oldest digest is
/// forgotten (FIFO, which for gossip equals LRU: a message is only looked up while it is
/// spreading).
package struct SeenCache {
    private var members: [Hash32: [Address]] = [:]
    private var order: [Hash32] = []
    private var oldest = 0
    /// How many digests are remembered.
    package let capacity: Int
    /// How many senders are remembered per digest (the first ones).
    package static let sendersPerDigest = 8

    package init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        members.reserveCapacity(capacity)
    }

    /// The number of digests remembered.
    package var count: Int { members.count }

    /// True if `digest` is in the cache.
    package func contains(_ digest: Hash32) -> Bool { members[digest] != nil }

    /// The peers that sent `digest` (the first `sendersPerDigest` of them).
    package func senders(of digest: Hash32) -> [Address] { members[digest] ?? [] }

    /// Forgets `digest`, so the next copy is delivered again. (Its slot in the eviction order
    /// stays; if it is inserted again it may be forgotten early, which at worst delivers one
    /// more duplicate.)
    package mutating func remove(_ digest: Hash32) {
        members[digest] = nil
    }

    /// Adds `digest`, noting `sender` if given; returns false if the digest was already there.
    @discardableResult
    package mutating func insert(_ digest: Hash32, from sender: Address? = nil) -> Bool {
        if var senders = members[digest] {
            if let sender, senders.count < Self.sendersPerDigest, !senders.contains(sender) {
                senders.append(sender)
                members[digest] = senders
            }
            return false
        }
        members[digest] = sender.map { [$0] } ?? []
        if order.count < capacity {
            order.append(digest)
        } else {
            members[order[oldest]] = nil
            order[oldest] = digest
            oldest = (oldest + 1) % capacity
        }
        return true
    }
}
