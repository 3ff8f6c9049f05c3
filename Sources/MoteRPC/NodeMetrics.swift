import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// A node's metrics in its own Prometheus registry (served at `/metrics`), recorded through
/// swift-metrics: chain height, peers, pool size, finality time and RPC latency.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// The newest finalized height.
    public let height: CoreMetrics.Gauge
    /// Connected peers.
    public let peers: CoreMetrics.Gauge
    /// Transactions in the pool (pending and queued).
    public let poolSize: CoreMetrics.Gauge
    /// From the moment this node first had a block for a height to its decision.
    public let finality: CoreMetrics.Timer
    /// Finalized transactions.
    public let transactions: CoreMetrics.Counter
    private let requestTimers = NIOLockedValueBox([String: (CoreMetrics.Timer, CoreMetrics.Counter)]())

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        height = CoreMetrics.Gauge(label: "mote_chain_height", factory: factory)
        peers = CoreMetrics.Gauge(label: "mote_p2p_peers", factory: factory)
        poolSize = CoreMetrics.Gauge(label: "mote_pool_transactions", factory: factory)
        finality = CoreMetrics.Timer(label: "mote_finality_seconds", factory: factory)
        transactions = CoreMetrics.Counter(label: "mote_finalized_transactions_total", factory: factory)
    }

    /// Records one JSON-RPC request (`method` is a known method name or "unknown").
    func recordRequest(method: String, duration: Duration, failed: Bool) {
        let (timer, errors) = requestTimers.withLockedValue { timers in
            if let existing = timers[method] { return existing }
            let made = (
                CoreMetrics.Timer(label: "mote_rpc_request_duration_seconds", dimensions: [("method", method)], factory: factory),
                CoreMetrics.Counter(label: "mote_rpc_errors_total", dimensions: [("method", method)], factory: factory)
            )
            timers[method] = made
            return made
        }
        timer.record(duration)
        if failed { errors.increment() }
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}

extension CoreMetrics.Timer {
    /// Records a `Duration`.
    public func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
