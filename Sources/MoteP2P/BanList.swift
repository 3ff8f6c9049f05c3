import MotePrimitives
import NIOCore

/// Who is banned until when. Keys are node ids and, optionally, hosts. Pure: time comes in.
package struct BanList {
    /// What a ban applies to.
    package enum Key: Hashable {
        case node(Address)
        case host(String)
    }

    private var until: [Key: NIODeadline] = [:]

    package init() {}

    /// Bans `key` until `deadline` (extending an existing ban, never shortening it).
    package mutating func ban(_ key: Key, until deadline: NIODeadline) {
        until[key] = max(until[key] ?? deadline, deadline)
    }

    /// True if `key` is banned at `now`; expired entries are dropped.
    package mutating func isBanned(_ key: Key, now: NIODeadline) -> Bool {
        guard let deadline = until[key] else { return false }
        if deadline > now { return true }
        until[key] = nil
        return false
    }

    /// Lifts the ban on `key`.
    package mutating func unban(_ key: Key) { until[key] = nil }
}
