import NIOCore

/// Reconnect delays: exponential from `base`, capped at `cap`, with "equal jitter" (a uniform
/// draw from the upper half of the step) so that many nodes restarting together spread out.
/// Pure: the random generator is passed in, so tests are deterministic.
public struct Backoff: Hashable, Sendable {
    /// The first delay (before jitter).
    public var base: TimeAmount
    /// The largest delay (before jitter).
    public var cap: TimeAmount

    /// Delays from `base` doubling up to `cap`.
    public init(base: TimeAmount = .milliseconds(250), cap: TimeAmount = .seconds(30)) {
        precondition(base.nanoseconds > 0 && cap >= base)
        self.base = base
        self.cap = cap
    }

    /// The un-jittered delay for retry number `attempt` (0-based): `min(cap, base · 2^attempt)`.
    public func ceiling(attempt: Int) -> TimeAmount {
        let shift = min(max(attempt, 0), 40)
        let (scaled, overflow) = base.nanoseconds.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        return overflow || scaled > cap.nanoseconds ? cap : .nanoseconds(scaled)
    }

    /// The delay before retry number `attempt`: uniform in `[ceiling/2, ceiling]`.
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> TimeAmount {
        let ceiling = ceiling(attempt: attempt).nanoseconds
        return .nanoseconds(Int64.random(in: (ceiling / 2)...ceiling, using: &rng))
    }
}
