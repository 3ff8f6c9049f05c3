import MoteCrypto
import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore

/// Records a node's events for assertions.
actor EventLog {
    private(set) var events: [P2PEvent] = []

    func append(_ event: P2PEvent) { events.append(event) }

    /// Gossip messages received, in order.
    var gossip: [P2PMessage] {
        events.compactMap { if case .gossip(let message, _) = $0 { return message } else { return nil } }
    }

    /// Reasons of failed handshakes.
    var handshakeFailures: [DisconnectReason] {
        events.compactMap { if case .handshakeFailed(_, let reason) = $0 { return reason } else { return nil } }
    }

    /// Node ids that connected (in order, with repeats).
    var connected: [Address] {
        events.compactMap { if case .peerConnected(let info) = $0 { return info.nodeID } else { return nil } }
    }

    /// Node ids banned.
    var banned: [Address] {
        events.compactMap { if case .peerBanned(let id?, _) = $0 { return id } else { return nil } }
    }
}

/// A started node with its event log.
struct TestNode {
    let node: P2PNode
    let log: EventLog
    let port: Int
    let key: Secp256k1.PrivateKey

    var id: Address { node.nodeID }
    var endpoint: PeerEndpoint { PeerEndpoint(host: "127.0.0.1", port: port) }

    func peerCount() async -> Int { await node.connectedPeers().count }
}

enum TestNetwork {
    static let genesis = Hash32(bytes: [UInt8](repeating: 0x6d, count: 32))!

    /// A deterministic node key.
    static func key(_ seed: UInt64) -> Secp256k1.PrivateKey {
        var rng = SplitMix64(seed: seed &* 7919 &+ 17)
        while true {
            if let key = try? Secp256k1.PrivateKey(bytes: rng.bytes(32)) { return key }
        }
    }

    /// A configuration with short timers for tests (and no host bans: all peers are 127.0.0.1).
    static func config(chainID: UInt64 = 1, peers: [PeerEndpoint] = [], port: Int = 0) -> P2PConfig {
        var config = P2PConfig(chainID: chainID, genesisHash: genesis)
        config.listenPort = port
        config.staticPeers = peers
        config.banHosts = false
        config.backoff = Backoff(base: .milliseconds(20), cap: .milliseconds(200))
        config.handshakeTimeout = .seconds(2)
        config.connectTimeout = .seconds(1)
        config.requestTimeout = .seconds(2)
        return config
    }

    /// Starts a node and records its events.
    static func start(
        seed: UInt64, config: P2PConfig, blockProvider: P2PNode.BlockProvider? = nil
    ) async throws -> TestNode {
        let key = key(seed)
        let node = P2PNode(config: config, key: key, rng: SplitMix64(seed: seed), blockProvider: blockProvider)
        let log = EventLog()
        let port = try await node.start()
        Task {
            for await event in node.events { await log.append(event) }
        }
        return TestNode(node: node, log: log, port: port, key: key)
    }

    /// Shuts nodes down.
    static func stop(_ nodes: [TestNode]) async {
        for node in nodes { await node.node.shutdown() }
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// Each node's number of established peers.
func peerCounts(_ nodes: [TestNode]) async -> [Int] {
    var counts: [Int] = []
    for node in nodes { counts.append(await node.peerCount()) }
    return counts
}
