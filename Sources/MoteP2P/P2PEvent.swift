import MotePrimitives

/// Which side opened a connection.
public enum ConnectionDirection: Hashable, Sendable {
    /// The peer dialed us.
    case inbound
    /// We dialed the peer.
    case outbound
}

/// A connected peer, as reported to the application.
public struct PeerInfo: Hashable, Sendable {
    /// The peer's node id (address of its node key).
    public var nodeID: Address
    /// The remote socket address, as text.
    public var remoteAddress: String
    /// Who dialed.
    public var direction: ConnectionDirection
    /// The port the peer says it listens on.
    public var listenPort: UInt16

    /// A peer as a network reports it (`P2PNode`, or a network double in tests).
    public init(nodeID: Address, remoteAddress: String, direction: ConnectionDirection, listenPort: UInt16) {
        self.nodeID = nodeID
        self.remoteAddress = remoteAddress
        self.direction = direction
        self.listenPort = listenPort
    }
}

/// What a `P2PNode` tells the application, in order, through `P2PNode.events`.
public enum P2PEvent: Sendable {
    /// A handshake finished and the peer joined the peer table.
    case peerConnected(PeerInfo)
    /// An established peer left, and why.
    case peerDisconnected(Address, DisconnectReason)
    /// A connection was refused or dropped during the handshake (wrong chain, self, ban, timeout…).
    case handshakeFailed(remoteAddress: String, DisconnectReason)
    /// New gossip (transactions, proposal, vote or block) from a peer; each payload is reported
    /// once, however many peers send it.
    case gossip(P2PMessage, from: Address)
    /// A peer was banned (node id, if known, and host).
    case peerBanned(Address?, host: String?)
}

/// Counters for monitoring and tests.
public struct P2PStats: Hashable, Sendable {
    /// Gossip messages received that were new.
    public var gossipAccepted = 0
    /// Gossip messages received again (already seen) and dropped.
    public var gossipDuplicates = 0
    /// Gossip frames sent (own broadcasts and relays, per peer).
    public var gossipSent = 0
    /// Messages dropped because a peer's send queue was full.
    public var sendQueueDrops = 0
    /// Dials started (first tries and redials).
    public var dials = 0
    /// Dials that failed to connect.
    public var dialFailures = 0
    /// Peers disconnected for protocol violations.
    public var protocolViolations = 0
    /// Peers disconnected because nothing arrived from them for `pingTimeout`.
    public var pingTimeouts = 0
    /// Inbound connections refused because the handshake slots (in all, or of their host) were
    /// full of connections too young to evict.
    public var pendingRefused = 0
    /// Inbound connections closed during their handshake to make room for a newer one.
    public var pendingEvicted = 0
}
