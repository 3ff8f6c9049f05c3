import Foundation
import MoteCrypto
import MoteP2P
import MotePrimitives

/// Nodes in one process connected without sockets, for in-process tests (as NIOEmbedded is
/// to NIOPosix): every started endpoint is connected to every other one it can reach; gossip
/// is delivered once per payload to each reachable peer, in order per sender; block requests
/// call the peer's block provider directly. `partition(_:)` splits the nodes into groups that
/// cannot reach each other (peers disconnect), `heal()` joins them again (peers connect, and
/// nodes catch up as they do after a real reconnect).
///
/// `@unchecked Sendable`: every mutable field is read and written under `lock`.
public final class InMemoryNetwork: @unchecked Sendable {
    private let lock = NSLock()
    /// The endpoints on the network (started and not shut down), by node id.
    private var endpoints: [Address: Endpoint] = [:]
    /// Each node's group while partitioned (a node in no group is in group 0).
    private var groups: [Address: Int] = [:]

    public init() {}

    /// Makes nodes join this network: pass it to `Node`'s initializer.
    public var factory: NetworkFactory {
        NetworkFactory { key, _, blocks in Endpoint(network: self, nodeID: key.address, blocks: blocks) }
    }

    /// Splits the network: nodes in different groups cannot reach each other (nodes in no
    /// group form one more group). Connected peers that are now apart disconnect.
    public func partition(_ groups: [[Address]]) {
        update {
            self.groups = [:]
            for (index, group) in groups.enumerated() {
                for id in group { self.groups[id] = index + 1 }
            }
        }
    }

    /// Joins every group again: peers that could not reach each other connect.
    public func heal() { update { self.groups = [:] } }

    /// The node ids on the network now.
    public var members: Set<Address> { lock.withLock { Set(endpoints.keys) } }

    /// Changes the groups and tells each endpoint which peers it gained or lost.
    private func update(_ change: () -> Void) {
        let (lost, gained) = lock.withLock { () -> ([(Endpoint, Endpoint)], [(Endpoint, Endpoint)]) in
            let before = pairs()
            change()
            let after = pairs()
            func same(_ x: (Endpoint, Endpoint), _ y: (Endpoint, Endpoint)) -> Bool { x.0 === y.0 && x.1 === y.1 }
            return (before.filter { pair in !after.contains { same($0, pair) } }, after.filter { pair in !before.contains { same($0, pair) } })
        }
        for (a, b) in lost {
            a.emit(.peerDisconnected(b.nodeID, .connectionClosed))
            b.emit(.peerDisconnected(a.nodeID, .connectionClosed))
        }
        for (a, b) in gained {
            a.emit(.peerConnected(b.info))
            b.emit(.peerConnected(a.info))
        }
    }

    /// Every pair of endpoints that reach each other (`lock` held).
    private func pairs() -> [(Endpoint, Endpoint)] {
        let all = endpoints.values.sorted { $0.nodeID < $1.nodeID }
        var out: [(Endpoint, Endpoint)] = []
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where canReach(a.nodeID, b.nodeID) { out.append((a, b)) }
        }
        return out
    }

    private func canReach(_ a: Address, _ b: Address) -> Bool { groups[a, default: 0] == groups[b, default: 0] }

    /// The endpoints `id` can reach now, but itself.
    fileprivate func peers(of id: Address) -> [Endpoint] {
        lock.withLock {
            guard endpoints[id] != nil else { return [] }
            return endpoints.values.filter { $0.nodeID != id && canReach(id, $0.nodeID) }
        }
    }

    fileprivate func join(_ endpoint: Endpoint) throws {
        let peers = try lock.withLock { () throws -> [Endpoint] in
            guard endpoints[endpoint.nodeID] == nil else { throw P2PError.notRunning }
            endpoints[endpoint.nodeID] = endpoint
            return endpoints.values.filter { $0.nodeID != endpoint.nodeID && canReach(endpoint.nodeID, $0.nodeID) }
        }
        for peer in peers {
            peer.emit(.peerConnected(endpoint.info))
            endpoint.emit(.peerConnected(peer.info))
        }
    }

    fileprivate func leave(_ endpoint: Endpoint) {
        let peers = lock.withLock { () -> [Endpoint] in
            guard endpoints[endpoint.nodeID] === endpoint else { return [] }
            let peers = endpoints.values.filter { $0.nodeID != endpoint.nodeID && canReach(endpoint.nodeID, $0.nodeID) }
            endpoints[endpoint.nodeID] = nil
            return peers
        }
        for peer in peers { peer.emit(.peerDisconnected(endpoint.nodeID, .shutdown)) }
    }

    /// One node's place on an `InMemoryNetwork`.
    ///
    /// `@unchecked Sendable`: `seen` and `seenOrder` are only touched under `lock`.
    final class Endpoint: NodeNetwork, @unchecked Sendable {
        let nodeID: Address
        let events: AsyncStream<P2PEvent>
        private let sink: AsyncStream<P2PEvent>.Continuation
        private let blocks: P2PNode.BlockProvider
        private let network: InMemoryNetwork
        private let lock = NSLock()
        /// Gossip this endpoint has sent or received (delivered once, as `P2PNode`'s seen cache does).
        private var seen: Set<P2PMessage> = []
        private var seenOrder: [P2PMessage] = []
        private static let seenCapacity = 20_000

        init(network: InMemoryNetwork, nodeID: Address, blocks: @escaping P2PNode.BlockProvider) {
            self.network = network
            self.nodeID = nodeID
            self.blocks = blocks
            (events, sink) = AsyncStream.makeStream(of: P2PEvent.self)
        }

        var info: PeerInfo { PeerInfo(nodeID: nodeID, remoteAddress: "memory:\(nodeID.hex)", direction: .outbound, listenPort: 0) }

        func emit(_ event: P2PEvent) { sink.yield(event) }

        /// Marks `message` seen; false if it was already.
        private func firstSight(_ message: P2PMessage) -> Bool {
            lock.withLock {
                guard seen.insert(message).inserted else { return false }
                seenOrder.append(message)
                if seenOrder.count > Self.seenCapacity {
                    let drop = seenOrder.prefix(Self.seenCapacity / 2)
                    for old in drop { seen.remove(old) }
                    seenOrder.removeFirst(drop.count)
                }
                return true
            }
        }

        func receive(_ message: P2PMessage, from peer: Address) {
            if firstSight(message) { emit(.gossip(message, from: peer)) }
        }

        func start() async throws -> Int {
            try network.join(self)
            return 0
        }

        func shutdown() async {
            network.leave(self)
            sink.finish()
        }

        func broadcast(_ message: P2PMessage, except: Set<Address>) async -> Int {
            _ = firstSight(message)
            let targets = network.peers(of: nodeID).filter { !except.contains($0.nodeID) }
            for peer in targets { peer.receive(message, from: nodeID) }
            return targets.count
        }

        func send(_ message: P2PMessage, to peer: Address) async -> Bool {
            guard let target = network.peers(of: nodeID).first(where: { $0.nodeID == peer }) else { return false }
            target.receive(message, from: nodeID)
            return true
        }

        func connectedPeers() async -> [PeerInfo] { network.peers(of: nodeID).map(\.info) }

        func requestBlocks(from: UInt64, count: UInt32, peer: Address) async throws -> [[UInt8]] {
            guard let target = network.peers(of: nodeID).first(where: { $0.nodeID == peer }) else { throw P2PError.peerNotConnected }
            return await target.blocks(from, count)
        }

        func reportMisbehaviour(_ peer: Address, penalty: Int?) async {}

        func setPreferredPeers(_ ids: Set<Address>) async {}
    }
}
