/// Admission control at the node's door (`eth_sendRawTransaction`): the pool takes new
/// transactions from clients only while what it holds can be finalized within about
/// `factor` block intervals at the rate the chain is actually finalizing. Past that, a
/// client's transaction is refused at once (JSON-RPC -32005, "txpool is full … retry") rather
/// than queued behind minutes of backlog, so admitted transfers keep a bounded finality under
/// any offered load, and the chain keeps running at its capacity.
///
/// Not part of consensus (each node judges its own door), so it reads the monotonic clock.
struct AdmissionControl {
    /// The nominal block interval, in seconds.
    let interval: Double
    /// How many block intervals' worth of finalized transactions the pool may hold.
    let factor: Double
    /// The limit never drops below this (a quiet chain takes a burst).
    let minimum: Int
    /// Finalized transactions per second, smoothed over recent blocks.
    private(set) var rate: Double = 0
    private var lastCommit: ContinuousClock.Instant?

    init(blockIntervalMs: UInt64, factor: Double = 1.5, minimum: Int = 1_000) {
        interval = Double(max(blockIntervalMs, 1)) / 1_000
        self.factor = factor
        self.minimum = minimum
    }

    /// Records a block of `transactions` finalized at `now`.
    mutating func committed(transactions: Int, at now: ContinuousClock.Instant = .now) {
        defer { lastCommit = now }
        guard let last = lastCommit else { return }
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds > 0.001 else { return }
        let sample = Double(transactions) / seconds
        rate = rate == 0 ? sample : 0.6 * rate + 0.4 * sample
    }

    /// The most transactions the pool may hold when a client's transaction arrives.
    var limit: Int { max(minimum, Int(min(rate * interval * factor, 1e9))) }
}
