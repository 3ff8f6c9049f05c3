import MotePrimitives

/// A bounded set of recently seen gossip digests. When full, the oldest digest is forgotten
/// (FIFO, which for gossip equals LRU: a message is only looked up while it is spreading).
package struct SeenCache {
    private var members: Set<Hash32> = []
    private var order: [Hash32] = []
    private var oldest = 0
    /// How many digests are remembered.
    package let capacity: Int

    package init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        members.reserveCapacity(capacity)
    }

    /// The number of digests remembered.
    package var count: Int { members.count }

    /// True if `digest` is in the cache.
    package func contains(_ digest: Hash32) -> Bool { members.contains(digest) }

    /// Adds `digest`; returns false if it was already there.
    @discardableResult
    package mutating func insert(_ digest: Hash32) -> Bool {
        guard members.insert(digest).inserted else { return false }
        if order.count < capacity {
            order.append(digest)
        } else {
            members.remove(order[oldest])
            order[oldest] = digest
            oldest = (oldest + 1) % capacity
        }
        return true
    }
}
