import NIOConcurrencyHelpers

/// The bounds on what one client may ask of the API. Each one exceeded is answered with a
/// JSON-RPC error (-32005 "limit exceeded" unless noted), never a crash or a hang.
public struct RPCLimits: Equatable, Sendable {
    /// The largest HTTP body or WebSocket message, in bytes.
    public var maxBodyBytes = 5 * 1024 * 1024
    /// The most requests in one batch.
    public var maxBatch = 100
    /// The most blocks one `eth_getLogs` (or one filter poll) may scan.
    public var maxLogRange: UInt64 = 10_000
    /// The most logs one `eth_getLogs` may return.
    public var maxLogResults = 10_000
    /// The most connections open at once, for HTTP and for WebSocket each.
    public var maxConnections = 256
    /// The most connections one client (an IPv4 address, an IPv6 /64) may hold open at once,
    /// for HTTP and for WebSocket each, so that one client cannot take every slot.
    public var maxConnectionsPerIP = 32
    /// A connection that has not completed a request (had its first answer, or its WebSocket
    /// upgrade) this long after it opened is closed.
    public var firstRequestTimeout: Duration = .seconds(10)
    /// An HTTP keep-alive connection idle this long after a request is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// The most subscriptions one WebSocket connection may hold.
    public var maxSubscriptions = 64
    /// The most subscriptions one client may hold over all its WebSocket connections.
    public var maxSubscriptionsPerIP = 256
    /// The most installed filters (`eth_new…Filter`) at once, over all clients.
    public var maxFilters = 1_024
    /// The most installed filters one client may hold.
    public var maxFiltersPerIP = 128
    /// Requests per second allowed from one IP address (a batch counts each request); bursts
    /// of up to twice this pass.
    public var requestsPerSecond = 1_000
    /// A filter not polled for this long is removed.
    public var filterTimeout: Duration = .seconds(300)

    public init() {}

    /// `duration` in whole milliseconds, clamped to 0…10¹⁵ (for configs and reports; never traps).
    public static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
        return Int(max(0, min(ms, 1e15)))
    }
}

/// Per-IP token buckets: each address earns `rate` tokens a second up to `2 × rate`; a request
/// spends one. Not part of consensus, so it reads the monotonic clock.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }
    private let rate: Double
    private let buckets = NIOLockedValueBox([String: Bucket]())
    /// Addresses tracked at most; full buckets are forgotten first when there are more.
    static let maxTracked = 65_536

    init(requestsPerSecond: Int) { rate = Double(max(requestsPerSecond, 1)) }

    /// Spends `count` tokens of `client`'s bucket; false (nothing spent) if it has too few.
    func allow(_ client: String, count: Int = 1) -> Bool {
        let now = ContinuousClock.now
        let capacity = 2 * rate
        return buckets.withLockedValue { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= Double(count)
            if allowed { bucket.tokens -= Double(count) }
            buckets[client] = bucket
            if buckets.count > Self.maxTracked {
                buckets = buckets.filter { $0.value.tokens < capacity }
                if buckets.count > Self.maxTracked { buckets = [client: bucket] }
            }
            return allowed
        }
    }
}
