import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import Testing

@Suite("P2P gossip relay policy", .serialized)
struct GossipRelayTests {
    @Test func uncheckedGossipIsDeliveredButNotRelayed() async throws {
        // A–B–C in a line with the default policy: B's application sees what A sends, C sees
        // nothing until B's application relays it (after checking it).
        let nodes = try await P2PNodeTests.network(3, links: [1: [0], 2: [1]], relay: false)
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        #expect(await eventually { await peerCounts(nodes) == [1, 2, 1] })
        let garbage: [P2PMessage] = [
            .proposal([UInt8](repeating: 0xee, count: 100_000)), .vote([1, 2, 3]), .transactions([[4, 5]]), .block([6, 7]),
        ]
        for message in garbage { await a.node.broadcast(message) }
        #expect(await eventually { await b.log.gossip.count == garbage.count })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await c.log.gossip.isEmpty)
        #expect(await b.node.statistics().gossipSent == 0)

        // B relays what it verified: it reaches C and is not echoed back to A, its sender.
        for message in garbage { #expect(await b.node.broadcast(message) == 1) }
        #expect(await eventually { await c.log.gossip.count == garbage.count })
        try await Task.sleep(for: .milliseconds(200))
        #expect(await a.log.gossip.isEmpty)
        #expect(await b.node.statistics().gossipSent == garbage.count)
        #expect(await a.node.statistics().gossipDuplicates == 0)
        print("p2p relay: unchecked gossip delivered to B but not relayed; B's broadcast after checking reached C and skipped the sender A")
        await TestNetwork.stop(nodes)
    }

    @Test func broadcastExceptSkipsTheNamedPeers() async throws {
        let nodes = try await P2PNodeTests.network(3, links: [1: [0], 2: [0]], relay: false)  // B–A–C
        #expect(await eventually { await peerCounts(nodes) == [2, 1, 1] })
        #expect(await nodes[0].node.broadcast(.vote([9]), except: [nodes[1].id]) == 1)
        #expect(await eventually { await nodes[2].log.gossip == [.vote([9])] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(await nodes[1].log.gossip.isEmpty)
        await TestNetwork.stop(nodes)
    }

    @Test func autoRelayTypesAreStillFlooded() async throws {
        // Only votes are relayed by the p2p layer here; proposals wait for the application.
        var nodes: [TestNode] = []
        for index in 0..<3 {
            var config = TestNetwork.config(peers: index == 0 ? [] : [nodes[index - 1].endpoint])
            config.autoRelayTypes = [P2PMessage.MessageType.vote]
            nodes.append(try await TestNetwork.start(seed: UInt64(200 + index), config: config))
        }
        #expect(await eventually { await peerCounts(nodes) == [1, 2, 1] })
        await nodes[0].node.broadcast(.vote([1]))
        await nodes[0].node.broadcast(.proposal([2]))
        #expect(await eventually { await nodes[2].log.gossip == [.vote([1])] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(await nodes[2].log.gossip == [.vote([1])])
        #expect(Set(await nodes[1].log.gossip) == [.vote([1]), .proposal([2])])
        await TestNetwork.stop(nodes)
    }

    @Test func aForgottenMessageIsDeliveredAgain() async throws {
        let nodes = try await P2PNodeTests.network(2, links: [1: [0]], relay: false)
        #expect(await eventually { await peerCounts(nodes) == [1, 1] })
        await nodes[0].node.broadcast(.proposal([7]))
        #expect(await eventually { await nodes[1].log.gossip == [.proposal([7])] })
        await nodes[0].node.forgetSeen(.proposal([7]))  // A's own copy: B still drops a resend…
        await nodes[0].node.broadcast(.proposal([7]))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await nodes[1].log.gossip == [.proposal([7])])
        await nodes[1].node.forgetSeen(.proposal([7]))  // …until B forgets it too
        await nodes[0].node.broadcast(.proposal([7]))
        #expect(await eventually { await nodes[1].log.gossip == [.proposal([7]), .proposal([7])] })
        await TestNetwork.stop(nodes)
    }

    @Test func seenCacheRemembersTheFirstSenders() {
        var cache = SeenCache(capacity: 4)
        let digest = Hash32(bytes: [UInt8](repeating: 1, count: 32))!
        let peers = (0..<12).map { TestNetwork.key(UInt64(300 + $0)).address }
        let first = cache.insert(digest, from: peers[0])
        #expect(first)
        for peer in peers[1...] + [peers[0]] {
            let inserted = cache.insert(digest, from: peer)
            #expect(!inserted)
        }
        #expect(cache.senders(of: digest) == Array(peers.prefix(SeenCache.sendersPerDigest)))
        #expect(cache.senders(of: Hash32(bytes: [UInt8](repeating: 2, count: 32))!).isEmpty)
    }
}
