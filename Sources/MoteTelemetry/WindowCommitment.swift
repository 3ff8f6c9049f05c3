import MoteCrypto
import MotePrimitives

/// The commitment to one window's messages (docs/APPLETS.md): a binary Merkle tree over the
/// envelopes' hashes, in ascending sequence order. A parent is `keccak256(left ‖ right)`; an odd
/// last node is promoted unchanged; zero leaves give `Hash32.zero`, one leaf gives the leaf.
public enum WindowCommitment {
    /// The device timestamps window `window` covers: `[window·windowSeconds, (window+1)·windowSeconds)`
    /// in Unix seconds, which is milliseconds `[window·windowSeconds·1000, (window+1)·windowSeconds·1000)`
    /// since envelope timestamps are milliseconds. Saturates instead of overflowing.
    public static func timestampRange(window: UInt64, windowSeconds: UInt64) -> Range<UInt64> {
        let span = windowSeconds.multipliedReportingOverflow(by: 1000)
        guard !span.overflow else { return UInt64.max..<UInt64.max }
        let start = window.multipliedReportingOverflow(by: span.partialValue)
        guard !start.overflow else { return UInt64.max..<UInt64.max }
        let end = start.partialValue.addingReportingOverflow(span.partialValue)
        return start.partialValue..<(end.overflow ? UInt64.max : end.partialValue)
    }

    /// The window that a device timestamp (milliseconds) falls in; nil when windowSeconds is 0.
    public static func window(containing timestamp: UInt64, windowSeconds: UInt64) -> UInt64? {
        guard windowSeconds > 0 else { return nil }
        return timestamp / 1000 / windowSeconds
    }

    /// An envelope's leaf: `envelope.hash`, keccak256 of its binary encoding.
    public static func leaf(_ envelope: TelemetryEnvelope) -> Hash32 { envelope.hash }

    /// The root over `leaves`.
    public static func root(_ leaves: [Hash32]) -> Hash32 {
        guard !leaves.isEmpty else { return .zero }
        var level = leaves
        while level.count > 1 { level = parents(of: level) }
        return level[0]
    }

    /// The sibling hashes from leaf `index` up to the root (promoted levels contribute none).
    /// Empty when `index` is out of range.
    public static func proof(_ leaves: [Hash32], index: Int) -> [Hash32] {
        guard leaves.indices.contains(index) else { return [] }
        var proof: [Hash32] = []
        var level = leaves
        var position = index
        while level.count > 1 {
            let sibling = position ^ 1
            if sibling < level.count { proof.append(level[sibling]) }
            level = parents(of: level)
            position /= 2
        }
        return proof
    }

    /// Whether `proof` leads from `leaf` at `index` of `count` leaves to `root`.
    public static func verify(leaf: Hash32, index: Int, count: Int, proof: [Hash32], root: Hash32) -> Bool {
        guard count > 0, index >= 0, index < count else { return false }
        var node = leaf
        var position = index
        var width = count
        var remaining = proof[...]
        while width > 1 {
            let sibling = position ^ 1
            if sibling < width {
                guard let next = remaining.popFirst() else { return false }
                node = position & 1 == 0 ? hashPair(node, next) : hashPair(next, node)
            }
            position /= 2
            width = (width + 1) / 2
        }
        return remaining.isEmpty && node == root
    }

    static func parents(of level: [Hash32]) -> [Hash32] {
        var next: [Hash32] = []
        next.reserveCapacity((level.count + 1) / 2)
        var index = 0
        while index + 1 < level.count {
            next.append(hashPair(level[index], level[index + 1]))
            index += 2
        }
        if index < level.count { next.append(level[index]) }
        return next
    }

    static func hashPair(_ left: Hash32, _ right: Hash32) -> Hash32 {
        Keccak256.hash(left.bytes + right.bytes)
    }
}
