import MotePrimitives
import NIOCore
import NIOPosix

/// The dial state of one static peer or bootnode.
struct DialTarget {
    /// Redials since the last successful handshake (drives `Backoff`).
    var attempts = 0
    /// The node id seen at this endpoint; while that node is connected (either direction), the
    /// endpoint is not dialed.
    var learnedID: Address?
    /// A connection attempt or connection to this endpoint exists.
    var dialing = false
    /// The scheduled redial.
    var timer: Scheduled<Void>?
    /// Set when redialing is pointless (the endpoint is this node).
    var permanentFailure: DisconnectReason?
    /// A failed dial was logged; cleared when a handshake succeeds (one log line per outage).
    var reportedDown = false
}

extension P2PNode {
    /// Dials `endpoint` now and keeps it connected from then on.
    public func addPeer(_ endpoint: PeerEndpoint) async {
        _ = try? await onLoop { self.addDialTarget(endpoint) }
    }

    func addDialTarget(_ endpoint: PeerEndpoint) {
        guard dialTargets[endpoint] == nil else { return }
        dialTargets[endpoint] = DialTarget()
        dial(endpoint)
    }

    /// Schedules a redial after the back-off delay, unless one is pending, a connection exists,
    /// or the endpoint's node is connected anyway.
    func scheduleDial(_ endpoint: PeerEndpoint) {
        guard lifecycle == .running, var target = dialTargets[endpoint], !target.dialing, target.timer == nil,
            target.permanentFailure == nil
        else { return }
        if let id = target.learnedID, peers[id] != nil { return }
        let delay = config.backoff.delay(attempt: target.attempts, using: &rng)
        target.attempts += 1
        target.timer = loop.scheduleTask(in: delay) {
            self.dialTargets[endpoint]?.timer = nil
            self.dial(endpoint)
        }
        dialTargets[endpoint] = target
    }

    /// Opens a connection to `endpoint` now.
    func dial(_ endpoint: PeerEndpoint) {
        guard lifecycle == .running, var target = dialTargets[endpoint], !target.dialing else { return }
        if let id = target.learnedID, peers[id] != nil { return }
        target.dialing = true
        dialTargets[endpoint] = target
        stats.dials += 1
        ClientBootstrap(group: loop)
            .connectTimeout(config.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.installPipeline(on: channel, direction: .outbound, endpoint: endpoint)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenFailure { error in
                // On the loop: the bootstrap's channel belongs to it.
                self.stats.dialFailures += 1
                self.dialTargets[endpoint]?.dialing = false
                if self.dialTargets[endpoint]?.reportedDown == false, self.lifecycle == .running {
                    self.dialTargets[endpoint]?.reportedDown = true
                    self.log("\(endpoint) unreachable (\(error)); redialing at most \(self.config.backoff.cap.nanoseconds / 1_000_000) ms apart")
                }
                self.scheduleDial(endpoint)
            }
    }
}
