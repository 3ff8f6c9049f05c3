import MoteCrypto
import MoteP2P
import MotePrimitives

/// What a `Node` needs of its peer-to-peer network: start and stop, gossip to every peer or
/// send to one, the events it reports (peers, gossip), the connected peers, and block sync.
/// `P2PNode` is the real one (TCP over SwiftNIO); `InMemoryNetwork` connects nodes in one
/// process for tests, with partitions.
public protocol NodeNetwork: AnyObject, Sendable {
    /// This node's id on the network (the address of its node key).
    var nodeID: Address { get }
    /// Peers joining and leaving, and new gossip, in order. One consumer.
    var events: AsyncStream<P2PEvent> { get }
    /// Starts listening and dialing; returns the port it listens on.
    @discardableResult func start() async throws -> Int
    /// Leaves the network; idempotent. `events` finishes.
    func shutdown() async
    /// Gossips `message` to every peer but those in `except`; returns how many it went to.
    @discardableResult func broadcast(_ message: P2PMessage, except: Set<Address>) async -> Int
    /// Sends `message` to one peer; false if it is not connected.
    @discardableResult func send(_ message: P2PMessage, to peer: Address) async -> Bool
    /// The connected peers.
    func connectedPeers() async -> [PeerInfo]
    /// Up to `count` finalized blocks from height `from`, from `peer` (its `BlockProvider`).
    func requestBlocks(from: UInt64, count: UInt32, peer: Address) async throws -> [[UInt8]]
    /// The peer sent something invalid (enough of it bans the peer).
    func reportMisbehaviour(_ peer: Address, penalty: Int?) async
    /// The peers that keep their slots under a flood of unknown connections (the delegates).
    func setPreferredPeers(_ ids: Set<Address>) async
}

extension NodeNetwork {
    /// Gossips `message` to every peer.
    @discardableResult func broadcast(_ message: P2PMessage) async -> Int { await broadcast(message, except: []) }

    /// The peer sent something invalid: enough to ban it.
    func reportMisbehaviour(_ peer: Address) async { await reportMisbehaviour(peer, penalty: nil) }
}

extension P2PNode: NodeNetwork {}

/// Makes the network a node runs on, given what the node brings: its node key, the p2p
/// settings from its config, and the provider of its finalized blocks (what it serves to
/// peers that sync from it).
public struct NetworkFactory: Sendable {
    let make: @Sendable (Secp256k1.PrivateKey, P2PConfig, @escaping P2PNode.BlockProvider) -> any NodeNetwork

    /// A factory from a closure.
    public init(_ make: @escaping @Sendable (Secp256k1.PrivateKey, P2PConfig, @escaping P2PNode.BlockProvider) -> any NodeNetwork) {
        self.make = make
    }

    /// The real network: a `P2PNode` listening and dialing as the config says.
    public static let p2p = NetworkFactory { key, config, blocks in P2PNode(config: config, key: key, blockProvider: blocks) }
}
