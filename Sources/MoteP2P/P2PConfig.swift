import MotePrimitives
import NIOCore

/// A peer's dialable address.
public struct PeerEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// The endpoint `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// Settings for a `P2PNode`.
public struct P2PConfig: Sendable {
    /// The chain id peers must share.
    public var chainID: UInt64
    /// The genesis hash peers must share.
    public var genesisHash: Hash32
    /// The protocol version announced and required.
    public var protocolVersion: UInt32 = P2PMessage.protocolVersion
    /// The address to listen on.
    public var listenHost = "127.0.0.1"
    /// The port to listen on; 0 picks a free one (see `P2PNode.listenPort`).
    public var listenPort = 0
    /// Nodes dialed at start and redialed whenever the connection drops.
    public var staticPeers: [PeerEndpoint] = []
    /// Entry points to the network; dialed and redialed like static peers.
    public var bootnodes: [PeerEndpoint] = []
    /// Node ids of known validators (or other peers this node must keep talking to): an
    /// established preferred peer is never refused for lack of room and never evicted for an
    /// unknown one; when `maxPeers` is reached, a preferred peer takes the place of a
    /// non-preferred one. The node ids learned at `staticPeers` and `bootnodes` count as
    /// preferred too. Replace at run time with `P2PNode.setPreferredPeers(_:)`.
    public var preferredPeers: Set<Address> = []
    /// The most established peers (inbound and outbound together; preferred peers may exceed it
    /// by evicting others, see `preferredPeers`).
    public var maxPeers = 50
    /// The most inbound connections still in their handshake. This node's own dials do not
    /// count: they are bounded by the endpoints it dials.
    public var maxPendingConnections = 32
    /// The most inbound connections from one IP address still in their handshake.
    public var maxPendingPerHost = 8
    /// When the inbound handshake slots are full, a new connection takes the place of the
    /// oldest one that has been in its handshake for at least this long (a real peer finishes
    /// in a round trip); the oldest of the host with the most pending connections goes first.
    public var pendingEvictionAge: TimeAmount = .seconds(1)
    /// The largest frame (type byte + payload) sent or accepted.
    public var maxFrameSize = P2PFrame.defaultMaximumSize
    /// The most messages queued to one peer; beyond it messages to that peer are dropped and,
    /// after another `maxSendQueue` drops in a row, the peer is disconnected as slow.
    public var maxSendQueue = 4096
    /// How long a connection may take to finish the handshake.
    public var handshakeTimeout: TimeAmount = .seconds(5)
    /// How long the dial of one endpoint may take. Short, so that an endpoint across a
    /// partition is retried soon after the partition heals (a lost SYN is retransmitted by the
    /// kernel after 1 s, then 3 s: a dial that missed the heal is abandoned and redone).
    public var connectTimeout: TimeAmount = .seconds(2)
    /// Delays between redials of a static peer or bootnode: at most 1 s apart while it is down,
    /// so a healed partition or a restarted peer is reconnected within about a second.
    public var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
    /// How often each side pings an established peer.
    public var pingInterval: TimeAmount = .seconds(1)
    /// A peer from which nothing (no pong, no other byte) arrived for this long is disconnected
    /// (`DisconnectReason.timeout`) and, if it is a static peer or bootnode, redialed.
    public var pingTimeout: TimeAmount = .seconds(3)
    /// `TCP_USER_TIMEOUT` on every peer socket: the kernel aborts a connection whose sent data
    /// stays unacknowledged this long (Linux only; nil leaves the kernel default of ~15 min).
    /// A second line behind the pings.
    public var tcpUserTimeout: TimeAmount? = .seconds(6)
    /// TCP keepalive on every peer socket: probes after this much idle time, then every second,
    /// three at most (Linux; nil turns keepalive off). A second line behind the pings.
    public var tcpKeepaliveIdle: TimeAmount? = .seconds(2)
    /// How long a misbehaving peer stays banned.
    public var banDuration: TimeAmount = .minutes(30)
    /// Also ban the misbehaving peer's host (IP), not only its node id. Turn off where many
    /// nodes share a host (tests on 127.0.0.1, NAT).
    public var banHosts = true
    /// Accumulated misbehaviour penalty at which a peer is banned (a protocol violation is 100).
    public var banThreshold = 100
    /// How many gossip digests are remembered for de-duplication.
    public var seenCacheCapacity = 100_000
    /// Gossip message types (`P2PMessage.MessageType`) that the node relays to its other peers
    /// by itself, before the application has looked at them. Empty by default: proposals,
    /// votes, transactions and blocks are delivered to the application, which relays what it
    /// verified with `P2PNode.broadcast` (so no peer can make the network carry payloads that
    /// nobody checked). Set it (e.g. `P2PMessage.gossipTypes`) for a plain flooding network.
    public var autoRelayTypes: Set<UInt8> = []
    /// How long `requestBlocks` waits for the answer (a dead peer fails it sooner: see
    /// `pingTimeout`).
    public var requestTimeout: TimeAmount = .seconds(5)
    /// The most blocks sent in (or accepted from) one `blocks` answer.
    public var maxBlocksPerResponse: UInt32 = 128
    /// The most events buffered for a slow consumer of `P2PNode.events`; newer ones are dropped.
    public var eventBufferLimit = 1_000_000
    /// Receives one human-readable line per notable event: peer connected, peer disconnected
    /// (with the reason), an endpoint found unreachable, sync requests and their outcome.
    /// Called on the node's event loop: it must return quickly. Nil: no log.
    public var log: (@Sendable (String) -> Void)?

    /// A configuration for the chain `chainID` with genesis `genesisHash`; other settings default.
    public init(chainID: UInt64, genesisHash: Hash32) {
        self.chainID = chainID
        self.genesisHash = genesisHash
    }
}

extension P2PConfig {
    /// `pingInterval`, at least 10 ms (a zero or negative setting would spin).
    var effectivePingInterval: TimeAmount { max(pingInterval, .milliseconds(10)) }
}
