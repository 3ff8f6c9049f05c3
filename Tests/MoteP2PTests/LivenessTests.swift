import Foundation
import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore
import NIOPosix
import Testing

/// Lines handed to `P2PConfig.log`, kept for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var sink: @Sendable (String) -> Void { { line in self.append(line) } }

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    func contains(_ fragment: String) -> Bool { all.contains { $0.contains(fragment) } }
}

/// Times at which something happened, for a test to read from another thread.
final class Stamps: @unchecked Sendable {
    private let lock = NSLock()
    private var stamps: [ContinuousClock.Instant] = []

    func record() {
        lock.lock()
        stamps.append(.now)
        lock.unlock()
    }

    var all: [ContinuousClock.Instant] {
        lock.lock()
        defer { lock.unlock() }
        return stamps
    }
}

/// A listener that completes a real handshake with every connection and then says nothing at
/// all: it neither answers pings nor sends anything, like a peer across a partition whose
/// connection the kernel still calls established.
struct SilentPeerServer {
    let channel: any Channel
    let key: Secp256k1.PrivateKey
    let accepted: Stamps

    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(key: Secp256k1.PrivateKey) async throws -> SilentPeerServer {
        let accepted = Stamps()
        let channel = try await ServerBootstrap(group: RawPeer.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.record()
                let loop = channel.eventLoop
                return loop.makeCompletedFuture {
                    var nonce = SystemRandomNumberGenerator()
                    let hello = Hello(
                        protocolVersion: P2PMessage.protocolVersion, chainID: 1, genesisHash: TestNetwork.genesis,
                        nodeID: key.address, listenPort: 0,
                        nonce: Hash32(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &nonce) })!)
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder()), MessageToByteHandler(FrameEncoder()),
                        RawPeer.Handler(
                            machine: HandshakeStateMachine(local: hello, key: key), afterHandshake: nil,
                            reason: NIOLoopBoundBox<DisconnectReason?>(nil, eventLoop: loop)),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentPeerServer(channel: channel, key: key, accepted: accepted)
    }
}

extension P2PStressTests {
@Suite("P2P liveness: pings, deadlines, redials, logs", .serialized)
struct LivenessTests {
    static func fastPings(_ config: P2PConfig) -> P2PConfig {
        var config = config
        config.pingInterval = .milliseconds(100)
        config.pingTimeout = .milliseconds(500)
        return config
    }

    @Test func aPeerThatGoesSilentIsDroppedAndRedialedWithinTheDeadline() async throws {
        let silent = try await SilentPeerServer.start(key: TestNetwork.key(40))
        let lines = LogLines()
        var config = Self.fastPings(TestNetwork.config(peers: [PeerEndpoint(host: "127.0.0.1", port: silent.port)]))
        config.backoff = Backoff(base: .milliseconds(50), cap: .milliseconds(200))
        config.log = lines.sink
        let a = try await TestNetwork.start(seed: 1, config: config)
        #expect(await eventually { await a.log.connected.contains(silent.key.address) })
        let established = ContinuousClock.now
        // Nothing arrives after the handshake: dropped at the deadline, then redialed.
        #expect(await eventually(timeout: .seconds(3)) { silent.accepted.all.count >= 2 })
        let redialed = silent.accepted.all[1]
        let elapsed = redialed - established
        // Deadline 500 ms (+ one ping interval of granularity) + redial back-off ≤ 200 ms.
        #expect(elapsed >= .milliseconds(450) && elapsed < .milliseconds(1_300), "redialed after \(elapsed)")
        let stats = await a.node.statistics()
        #expect(stats.pingTimeouts >= 1)
        #expect(lines.contains("disconnected: ping timeout (nothing received for"))
        #expect(lines.contains("connected (outbound to 127.0.0.1:\(silent.port)"))
        print("p2p liveness: silent peer dropped by ping timeout and redialed \(elapsed) after its handshake; log: \(lines.all.filter { $0.contains("ping timeout") }.first ?? "")")
        await TestNetwork.stop([a])
        try await silent.channel.close()
    }

    @Test func pingsKeepAnIdleConnectionAliveAndEachSidePings() async throws {
        let a = try await TestNetwork.start(seed: 1, config: Self.fastPings(TestNetwork.config()))
        let b = try await TestNetwork.start(seed: 2, config: Self.fastPings(TestNetwork.config(peers: [a.endpoint])))
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        // Idle for three timeouts: the pings (and pongs) keep both sides hearing each other.
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(await peerCounts([a, b]) == [1, 1])
        #expect(await a.node.statistics().pingTimeouts == 0)
        #expect(await b.node.statistics().pingTimeouts == 0)
        #expect(await a.log.events.count(where: { if case .peerDisconnected = $0 { true } else { false } }) == 0)
        await TestNetwork.stop([a, b])
    }

    @Test func aRequestToASilentPeerFailsFastAndSyncIsLogged() async throws {
        // The silent peer is established but never answers: a block request is refused at once
        // once it has been silent for two ping intervals, and fails with the disconnect at the
        // ping deadline otherwise; it never waits for `requestTimeout`.
        let silent = try await SilentPeerServer.start(key: TestNetwork.key(41))
        let lines = LogLines()
        var config = TestNetwork.config(peers: [PeerEndpoint(host: "127.0.0.1", port: silent.port)])
        config.pingInterval = .milliseconds(200)
        config.pingTimeout = .milliseconds(1_000)
        config.requestTimeout = .seconds(30)
        config.log = lines.sink
        let a = try await TestNetwork.start(seed: 1, config: config)
        #expect(await eventually { await a.log.connected.contains(silent.key.address) })
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: P2PError.self) { try await a.node.requestBlocks(from: 1, count: 8, peer: silent.key.address) }
        let waited = clock.now - start
        #expect(waited < .milliseconds(1_500), "waited \(waited)")
        #expect(lines.contains("sync: request"))
        #expect(lines.contains("failed: peer disconnected (ping timeout)") || lines.contains("sync: not asking"))
        // Later requests are refused at once while the peer is silent.
        if await a.node.connectedPeers().contains(where: { $0.nodeID == silent.key.address }) {
            try await Task.sleep(for: .milliseconds(450))
            await #expect(throws: P2PError.self) { try await a.node.requestBlocks(from: 1, count: 8, peer: silent.key.address) }
        }
        print("p2p liveness: a block request to a silent peer failed after \(waited) (request timeout 30 s)")
        await TestNetwork.stop([a])
        try await silent.channel.close()
    }

    @Test func connectDisconnectAndSyncAreLogged() async throws {
        let linesA = LogLines(), linesB = LogLines()
        var configA = TestNetwork.config()
        configA.log = linesA.sink
        let a = try await TestNetwork.start(seed: 1, config: configA) { from, count in
            (0..<UInt64(count)).map { Array("block-\(from + $0)".utf8) }
        }
        var configB = TestNetwork.config(peers: [a.endpoint])
        configB.log = linesB.sink
        let b = try await TestNetwork.start(seed: 2, config: configB)
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        #expect(try await b.node.requestBlocks(from: 5, count: 3, peer: a.id).count == 3)
        await a.node.disconnect(b.id)
        #expect(await eventually { linesB.contains("disconnected: requested") && linesA.contains("disconnected: requested") })
        #expect(linesA.contains("peer \(b.id) connected (inbound from 127.0.0.1:"))
        #expect(linesB.contains("peer \(a.id) connected (outbound to 127.0.0.1:\(a.port)"))
        #expect(linesB.contains("asks \(a.id) for up to 3 blocks from 5"))
        #expect(linesB.contains("answered by \(a.id) with 3 blocks in"))
        for line in linesB.all { print("  \(line)") }
        await TestNetwork.stop([a, b])
    }
}
}
