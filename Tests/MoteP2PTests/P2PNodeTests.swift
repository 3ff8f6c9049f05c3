import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore
import NIOPosix
import Testing

@Suite("P2P node over TCP", .serialized)
struct P2PNodeTests {
    @Test func handshakeConnectsBothSides() async throws {
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [a.endpoint]))
        defer { Task { await TestNetwork.stop([a, b]) } }
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        let fromA = await a.node.connectedPeers()
        let fromB = await b.node.connectedPeers()
        #expect(fromA.first?.nodeID == b.id && fromA.first?.direction == .inbound)
        #expect(fromB.first?.nodeID == a.id && fromB.first?.direction == .outbound)
        #expect(fromA.first?.listenPort == UInt16(b.port))
        await TestNetwork.stop([a, b])
    }

    @Test(arguments: [
        ("chain id", DisconnectReason.wrongChain),
        ("genesis", DisconnectReason.wrongGenesis),
        ("version", DisconnectReason.incompatibleVersion),
    ])
    func mismatchedPeersAreRefusedWithTheReason(field: String, reason: DisconnectReason) async throws {
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        var config = TestNetwork.config(peers: [a.endpoint])
        switch field {
        case "chain id": config.chainID = 2
        case "genesis": config.genesisHash = .zero
        default: config.protocolVersion = 99
        }
        let b = try await TestNetwork.start(seed: 2, config: config)
        #expect(await eventually {
            let failuresA = await a.log.handshakeFailures, failuresB = await b.log.handshakeFailures
            return failuresA.contains(reason) && failuresB.contains(reason)
        })
        #expect(await peerCounts([a, b]) == [0, 0])
        print("p2p handshake: \(field) mismatch refused with '\(reason)' on both sides")
        await TestNetwork.stop([a, b])
    }

    @Test func selfConnectionIsRefusedAndNotRedialed() async throws {
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        await a.node.addPeer(a.endpoint)
        #expect(await eventually { await a.log.handshakeFailures.contains(.selfConnection) })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await a.peerCount() == 0)
        #expect(await a.node.statistics().dials == 1)
        await TestNetwork.stop([a])
    }

    @Test func duplicateConnectionsCollapseToOne() async throws {
        // Both dial each other; both must keep the same single connection.
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [a.endpoint]))
        await a.node.addPeer(b.endpoint)
        #expect(await eventually { await peerCounts([a, b]) == [1, 1] })
        try await Task.sleep(for: .milliseconds(400))
        let fromA = await a.node.connectedPeers(), fromB = await b.node.connectedPeers()
        #expect(fromA.count == 1 && fromB.count == 1)
        #expect(fromA.first?.direction != fromB.first?.direction)
        // Still talking over the kept connection.
        await a.node.broadcast(.vote([1, 2, 3]))
        #expect(await eventually { await b.log.gossip == [.vote([1, 2, 3])] })
        await TestNetwork.stop([a, b])
    }

    static func randomGossip(_ count: Int, seed: UInt64) -> [P2PMessage] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let bytes = rng.bytes(8 + Int(rng.next() % 200)) + [UInt8(index & 0xff), UInt8(index >> 8)]
            switch index % 4 {
            case 0: return .transactions([bytes, rng.bytes(5)])
            case 1: return .proposal(bytes)
            case 2: return .vote(bytes)
            default: return .block(bytes)
            }
        }
    }

    /// Starts `count` nodes where node i dials the nodes in `links[i]`; `relay`: every gossip
    /// type is relayed by the p2p layer itself (`autoRelayTypes`).
    static func network(_ count: Int, links: [Int: [Int]], relay: Bool = true) async throws -> [TestNode] {
        var nodes: [TestNode] = []
        for index in 0..<count {
            let peers = (links[index] ?? []).map { nodes[$0].endpoint }
            var config = TestNetwork.config(peers: peers)
            if relay { config.autoRelayTypes = P2PMessage.gossipTypes }
            nodes.append(try await TestNetwork.start(seed: UInt64(100 + index), config: config))
        }
        return nodes
    }

    @Test func gossipCrossesALineExactlyOncePerNode() async throws {
        let nodes = try await Self.network(4, links: [1: [0], 2: [1], 3: [2]])  // A–B–C–D
        #expect(await eventually { await peerCounts(nodes) == [1, 2, 2, 1] })
        let messages = Self.randomGossip(100, seed: 5)
        for message in messages { await nodes[0].node.broadcast(message) }
        #expect(await eventually { await nodes[3].log.gossip.count >= 100 })
        try await Task.sleep(for: .milliseconds(200))  // room for any stray echo to show up
        #expect(await nodes[0].log.gossip.isEmpty)
        for node in nodes[1...] {
            let received = await node.log.gossip
            #expect(received.count == 100)
            #expect(Set(received) == Set(messages))
        }
        var duplicates = 0, sent = 0
        for node in nodes {
            let stats = await node.node.statistics()
            duplicates += stats.gossipDuplicates
            sent += stats.gossipSent
        }
        #expect(duplicates == 0)
        #expect(sent == 300)  // one frame per message per link, nothing sent back
        print("p2p gossip: 4 nodes in a line, 100 messages, each delivered once per node, \(sent) frames, \(duplicates) echoes")
        await TestNetwork.stop(nodes)
    }

    @Test func gossipInARingIsDeduplicated() async throws {
        let nodes = try await Self.network(4, links: [1: [0], 2: [1], 3: [2, 0]])  // A–B–C–D–A
        #expect(await eventually { await peerCounts(nodes) == [2, 2, 2, 2] })
        let messages = Self.randomGossip(50, seed: 6)
        for message in messages { await nodes[0].node.broadcast(message) }
        #expect(await eventually {
            for node in nodes[1...] where await node.log.gossip.count < 50 { return false }
            return true
        })
        try await Task.sleep(for: .milliseconds(200))
        var duplicates = 0
        for node in nodes[1...] {
            let received = await node.log.gossip
            #expect(received.count == 50 && Set(received) == Set(messages))
        }
        #expect(await nodes[0].log.gossip.isEmpty)
        for node in nodes { duplicates += await node.node.statistics().gossipDuplicates }
        #expect(duplicates > 0 && duplicates <= 50 * 4)
        print("p2p gossip: 4 nodes in a ring, 50 messages, each delivered once per node, \(duplicates) duplicates dropped")
        await TestNetwork.stop(nodes)
    }

    @Test func malformedFrameGetsThePeerBannedAndTheNodeKeepsServing() async throws {
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [a.endpoint]))
        #expect(await eventually { await a.peerCount() == 1 })

        let evilKey = TestNetwork.key(666)
        let first = try await RawPeer.connect(to: a.port, key: evilKey, afterHandshake: P2PFrame(type: 0x7f, payload: ByteBuffer(bytes: [1, 2, 3])))
        #expect(await eventually { await a.log.connected.contains(evilKey.address) })
        try await first.channel.closeFuture.get()  // the node hung up
        #expect(await eventually { await a.log.banned.contains(evilKey.address) })
        #expect(await a.node.isBanned(evilKey.address))
        #expect(await a.node.statistics().protocolViolations == 1)

        // The node still serves B.
        await b.node.broadcast(.block([9, 9, 9]))
        #expect(await eventually { await a.log.gossip.contains(.block([9, 9, 9])) })
        #expect(await a.peerCount() == 1)

        // The banned node id is refused on its next attempt.
        let second = try await RawPeer.connect(to: a.port, key: evilKey, afterHandshake: nil)
        try await second.channel.closeFuture.get()
        #expect(await second.disconnectReason() == .banned)

        // Garbage before any handshake: the connection is closed at once.
        let garbage = try await ClientBootstrap(group: RawPeer.group).connect(host: "127.0.0.1", port: a.port).get()
        try await garbage.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        try await garbage.closeFuture.get()
        print("p2p ban: malformed frame → disconnected and banned; garbage → closed; node kept serving its peer")
        await TestNetwork.stop([a, b])
    }

    @Test func peersReconnectWithBackoffAfterARestart() async throws {
        let c = try await TestNetwork.start(seed: 3, config: TestNetwork.config())
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config(peers: [c.endpoint]))
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [c.endpoint]))
        #expect(await eventually { await c.peerCount() == 2 })
        await c.node.shutdown()
        #expect(await eventually { await peerCounts([a, b]) == [0, 0] })
        try await Task.sleep(for: .milliseconds(400))  // A and B keep redialing, and failing
        let restarted = try await TestNetwork.start(seed: 3, config: TestNetwork.config(port: c.port))
        #expect(await eventually { await peerCounts([restarted, a, b]) == [2, 1, 1] })
        let statsA = await a.node.statistics()
        #expect(statsA.dialFailures >= 1 && statsA.dials >= 3)
        await a.node.broadcast(.proposal([4, 2]))
        #expect(await eventually { await restarted.log.gossip == [.proposal([4, 2])] })
        print("p2p reconnect: node restarted on port \(c.port); peers redialed (A: \(statsA.dials) dials, \(statsA.dialFailures) failed) and reconnected")
        await TestNetwork.stop([a, b, restarted])
    }

    @Test func getBlocksRequestResponse() async throws {
        let chain: [[UInt8]] = (0..<50).map { Array("block-\($0)".utf8) }
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config()) { from, count in
            guard from < UInt64(chain.count) else { return [] }
            return Array(chain[Int(from)..<min(chain.count, Int(from) + Int(count))])
        }
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [a.endpoint]))
        #expect(await eventually { await b.peerCount() == 1 })
        #expect(try await b.node.requestBlocks(from: 10, count: 5, peer: a.id) == Array(chain[10..<15]))
        #expect(try await b.node.requestBlocks(from: 48, count: 10, peer: a.id) == Array(chain[48..<50]))
        #expect(try await b.node.requestBlocks(from: 0, count: 1000, peer: a.id).count == 50)
        #expect(try await b.node.requestBlocks(from: 99, count: 3, peer: a.id).isEmpty)
        // A has no provider-less answer problem: B has none and answers empty.
        #expect(try await a.node.requestBlocks(from: 0, count: 3, peer: b.id).isEmpty)
        await #expect(throws: P2PError.peerNotConnected) {
            try await b.node.requestBlocks(from: 0, count: 1, peer: TestNetwork.key(77).address)
        }
        print("p2p sync: getBlocks answered (ranges, end of chain, cap) and refused for unknown peers")
        await TestNetwork.stop([a, b])
    }

    @Test func applicationCanBanAMisbehavingPeer() async throws {
        let a = try await TestNetwork.start(seed: 1, config: TestNetwork.config())
        let b = try await TestNetwork.start(seed: 2, config: TestNetwork.config(peers: [a.endpoint]))
        #expect(await eventually { await a.peerCount() == 1 })
        await a.node.reportMisbehaviour(b.id, penalty: 40)
        #expect(await a.peerCount() == 1)
        await a.node.reportMisbehaviour(b.id, penalty: 60)
        #expect(await eventually { await a.peerCount() == 0 })
        #expect(await a.node.isBanned(b.id))
        // B keeps redialing; A keeps refusing.
        #expect(await eventually { await a.log.handshakeFailures.contains(.banned) })
        await TestNetwork.stop([a, b])
    }

    @Test func runReturnsAfterCancellation() async throws {
        let node = P2PNode(config: TestNetwork.config(), key: TestNetwork.key(5))
        let task = Task { try await node.run() }
        #expect(await eventually { await node.listenPort() != nil })
        task.cancel()
        try await task.value
        #expect(await node.listenPort() == nil)  // the loop is gone
    }
}

/// A hand-driven peer that completes a real handshake and then sends what the test says.
enum RawPeer {
    static let group = MultiThreadedEventLoopGroup.singleton

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = P2PFrame
        typealias OutboundOut = P2PFrame
        var machine: HandshakeStateMachine
        let afterHandshake: P2PFrame?
        let reason: NIOLoopBoundBox<DisconnectReason?>

        init(machine: HandshakeStateMachine, afterHandshake: P2PFrame?, reason: NIOLoopBoundBox<DisconnectReason?>) {
            self.machine = machine
            self.afterHandshake = afterHandshake
            self.reason = reason
        }

        func channelActive(context: ChannelHandlerContext) {
            if case .send(let hello) = machine.start() { context.writeAndFlush(wrapOutboundOut(hello.frame()), promise: nil) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let message = try? P2PMessage(frame: unwrapInboundIn(data)) else { return }
            if case .disconnect(let reason) = message { self.reason.value = reason }
            if case .sendAuth(let auth) = machine.receive(message) {
                context.write(wrapOutboundOut(auth.frame()), promise: nil)
                if let afterHandshake { context.write(wrapOutboundOut(afterHandshake), promise: nil) }
                context.flush()
            }
        }
    }

    struct Connection {
        let channel: any Channel
        let reason: NIOLoopBoundBox<DisconnectReason?>
        func disconnectReason() async -> DisconnectReason? {
            try? await channel.eventLoop.submit { reason.value }.get()
        }
    }

    static func connect(to port: Int, key: Secp256k1.PrivateKey, afterHandshake: P2PFrame?) async throws -> Connection {
        let loop = group.next()
        let reason = try await loop.submit { NIOLoopBoundBox<DisconnectReason?>(nil, eventLoop: loop) }.get()
        var nonce = SystemRandomNumberGenerator()
        let hello = Hello(
            protocolVersion: P2PMessage.protocolVersion, chainID: 1, genesisHash: TestNetwork.genesis, nodeID: key.address,
            listenPort: 0, nonce: Hash32(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &nonce) })!)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder()), MessageToByteHandler(FrameEncoder()),
                        Handler(machine: HandshakeStateMachine(local: hello, key: key), afterHandshake: afterHandshake, reason: reason),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return Connection(channel: channel, reason: reason)
    }
}
