import Foundation
import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore
import NIOPosix
import Testing

/// Keeps `perHost` silent TCP connections open from each of `hosts` (loopback addresses other
/// than 127.0.0.1) to each target port, reopening each as soon as it closes: the flood of
/// issue 14 item 4. Never sends a byte. A closed or refused connection is reopened after
/// 100 ms.
final class SilentFlood: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var opened = 0
    private var channels: [ObjectIdentifier: any Channel] = [:]
    let hosts: [String]
    let perHost: Int

    init(hosts: [String], perHost: Int) {
        self.hosts = hosts
        self.perHost = perHost
    }

    /// Connections opened so far.
    var connectionsOpened: Int {
        lock.lock()
        defer { lock.unlock() }
        return opened
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func start(targets: [Int]) {
        for port in targets {
            for host in hosts {
                for _ in 0..<perHost { open(from: host, to: port) }
            }
        }
    }

    private func open(from host: String, to port: Int) {
        guard isRunning else { return }
        let bootstrap = ClientBootstrap(group: RawPeer.group).connectTimeout(.seconds(1))
        let local: SocketAddress
        do { local = try SocketAddress(ipAddress: host, port: 0) } catch { return }
        bootstrap.bind(to: local).connect(host: "127.0.0.1", port: port).whenComplete { result in
            switch result {
            case .success(let channel):
                self.lock.lock()
                self.opened += 1
                let stillRunning = self.running
                if stillRunning { self.channels[ObjectIdentifier(channel)] = channel }
                self.lock.unlock()
                guard stillRunning else {
                    channel.close(promise: nil)
                    return
                }
                channel.closeFuture.whenComplete { _ in
                    self.lock.lock()
                    self.channels[ObjectIdentifier(channel)] = nil
                    self.lock.unlock()
                    RawPeer.group.next().scheduleTask(in: .milliseconds(100)) { self.open(from: host, to: port) }
                }
            case .failure:
                // The node is restarting (refused) or busy: try again shortly.
                RawPeer.group.next().scheduleTask(in: .milliseconds(50)) { self.open(from: host, to: port) }
            }
        }
    }

    func stop() {
        lock.lock()
        running = false
        let open = Array(channels.values)
        channels = [:]
        lock.unlock()
        for channel in open { channel.close(promise: nil) }
    }
}

/// Timing-sensitive network suites, run one after the other (flood, liveness, partition).
@Suite("P2P network under stress", .serialized)
struct P2PStressTests {}

extension P2PStressTests {
@Suite("P2P under a connection flood", .serialized)
struct ConnectionFloodTests {
    /// Defaults of `P2PConfig` for the slots and the handshake timeout (the values of the
    /// issue), short timers otherwise.
    static func config(peers: [PeerEndpoint] = [], port: Int = 0) -> P2PConfig {
        var config = TestNetwork.config(peers: peers, port: port)
        config.handshakeTimeout = .seconds(5)
        return config
    }

    @Test func realPeersConnectAndReconnectAfterARestartDespiteAFlood() async throws {
        let defaults = P2PConfig(chainID: 1, genesisHash: .zero)
        #expect(defaults.maxPendingConnections == 32 && defaults.handshakeTimeout == .seconds(5))
        let a = try await TestNetwork.start(seed: 1, config: Self.config())
        let b = try await TestNetwork.start(seed: 2, config: Self.config(peers: [a.endpoint]))
        // 40 silent connections from 127.0.0.2 (the flood), plus 8 from each of
        // 127.0.0.3–127.0.0.10 so that the total (104 per node) is far over the 32 slots.
        let flood = SilentFlood(hosts: ["127.0.0.2"], perHost: 40)
        let wide = SilentFlood(hosts: (3...10).map { "127.0.0.\($0)" }, perHost: 8)
        flood.start(targets: [a.port, b.port])
        wide.start(targets: [a.port, b.port])
        defer {
            flood.stop()
            wide.stop()
        }
        #expect(await eventually(timeout: .seconds(10)) { await peerCounts([a, b]) == [1, 1] })
        try await Task.sleep(for: .seconds(2))  // the flood is at full strength
        #expect(await peerCounts([a, b]) == [1, 1])

        // Restart A (the node B dials): B's redials must get through A's flooded slots.
        await a.node.shutdown()
        #expect(await eventually { await b.peerCount() == 0 })
        try await Task.sleep(for: .seconds(2))  // the flood refills its connections to the new A
        let restartedAt = ContinuousClock.now
        let restarted = try await TestNetwork.start(seed: 1, config: Self.config(port: a.port))
        #expect(await eventually(timeout: .seconds(10)) { await peerCounts([restarted, b]) == [1, 1] })
        let rejoin = ContinuousClock.now - restartedAt
        #expect(rejoin < .seconds(2), "rejoined after \(rejoin)")

        // Restart B too (the dialing side): it rejoins as well.
        await b.node.shutdown()
        #expect(await eventually { await restarted.peerCount() == 0 })
        let b2 = try await TestNetwork.start(seed: 2, config: Self.config(peers: [a.endpoint], port: b.port))
        #expect(await eventually(timeout: .seconds(10)) { await peerCounts([restarted, b2]) == [1, 1] })

        let stats = await restarted.node.statistics()
        #expect(stats.pendingRefused + stats.pendingEvicted > 0)
        print("p2p flood: \(flood.connectionsOpened + wide.connectionsOpened) silent connections from 9 hosts; restarted node rejoined in \(rejoin); restarted A refused \(stats.pendingRefused), evicted \(stats.pendingEvicted) pending connections")
        flood.stop()
        wide.stop()
        await TestNetwork.stop([restarted, b2])
    }

    @Test func pendingInboundSlotsAreCappedPerHostAndOwnDialsDoNotCount() async throws {
        var config = Self.config()
        config.maxPendingConnections = 6
        config.maxPendingPerHost = 2
        config.pendingEvictionAge = .seconds(60)  // nothing is old enough to evict here
        let a = try await TestNetwork.start(seed: 1, config: config)
        let flood = SilentFlood(hosts: ["127.0.0.2"], perHost: 10)
        flood.start(targets: [a.port])
        defer { flood.stop() }
        #expect(await eventually { await a.node.statistics().pendingRefused >= 8 })
        let pending = try await a.node.onLoop { a.node.connections.values.filter { $0.peerID == nil }.count }
        #expect(pending == 2)
        // A's own dials are not inbound handshakes: with the other 4 slots filled by other
        // hosts, A still dials out.
        let wide = SilentFlood(hosts: ["127.0.0.3", "127.0.0.4"], perHost: 2)
        wide.start(targets: [a.port])
        defer { wide.stop() }
        #expect(await eventually {
            (try? await a.node.onLoop { a.node.connections.values.filter { $0.peerID == nil && $0.direction == .inbound }.count }) == 6
        })
        let b = try await TestNetwork.start(seed: 2, config: Self.config())
        await a.node.addPeer(b.endpoint)
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        flood.stop()
        wide.stop()
        await TestNetwork.stop([a, b])
    }

    @Test func stalePendingConnectionsMakeRoomForNewOnes() async throws {
        var config = Self.config()
        config.maxPendingConnections = 4
        config.maxPendingPerHost = 4
        config.pendingEvictionAge = .milliseconds(300)
        let a = try await TestNetwork.start(seed: 1, config: config)
        let flood = SilentFlood(hosts: ["127.0.0.2"], perHost: 4)
        flood.start(targets: [a.port])
        defer { flood.stop() }
        // All 4 slots are held by 127.0.0.2; a peer from 127.0.0.1 gets in anyway once the
        // flood's connections are 300 ms old.
        try await Task.sleep(for: .milliseconds(400))
        let b = try await TestNetwork.start(seed: 2, config: Self.config(peers: [a.endpoint]))
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        #expect(await a.node.statistics().pendingEvicted >= 1)
        flood.stop()
        await TestNetwork.stop([a, b])
    }

    @Test func preferredPeersTakeThePlaceOfOthers() async throws {
        let preferred = TestNetwork.key(3).address
        var config = Self.config()
        config.maxPeers = 1
        config.preferredPeers = [preferred]
        let a = try await TestNetwork.start(seed: 1, config: config)
        let b = try await TestNetwork.start(seed: 2, config: Self.config(peers: [a.endpoint]))
        #expect(await eventually { await a.node.connectedPeers().map(\.nodeID) == [b.id] })
        // The validator C is preferred: it takes B's place; B keeps redialing and is refused.
        let c = try await TestNetwork.start(seed: 3, config: Self.config(peers: [a.endpoint]))
        #expect(await eventually { await a.node.connectedPeers().map(\.nodeID) == [c.id] })
        try await Task.sleep(for: .milliseconds(500))
        #expect(await a.node.connectedPeers().map(\.nodeID) == [c.id])
        #expect(await b.log.events.contains { if case .peerDisconnected(_, .tooManyPeers) = $0 { true } else { false } })
        // Another unknown peer does not displace C.
        let d = try await TestNetwork.start(seed: 4, config: Self.config(peers: [a.endpoint]))
        try await Task.sleep(for: .milliseconds(500))
        #expect(await a.node.connectedPeers().map(\.nodeID) == [c.id])
        #expect(await d.peerCount() == 0)
        // Preferences change at run time (a new epoch's validators).
        await a.node.setPreferredPeers([d.id])
        await a.node.disconnect(c.id)
        #expect(await eventually { await a.node.connectedPeers().map(\.nodeID) == [d.id] })
        await TestNetwork.stop([a, b, c, d])
    }
}
}
