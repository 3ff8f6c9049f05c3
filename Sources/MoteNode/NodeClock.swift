import Foundation

/// A node's time: the monotonic clock of its round timers and catch-up polls, and the wall
/// clock (Unix seconds) of the timestamps of the blocks it proposes and of pool arrivals.
public struct NodeClock: Sendable {
    public var timers: any Clock<Duration>
    public var unixTime: @Sendable () -> UInt64

    public init(timers: any Clock<Duration>, unixTime: @escaping @Sendable () -> UInt64) {
        self.timers = timers
        self.unixTime = unixTime
    }

    /// The system's clocks.
    public static let system = NodeClock(timers: ContinuousClock(), unixTime: { UInt64(Date().timeIntervalSince1970) })
}
