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
    /// The most established peers (inbound and outbound together).
    public var maxPeers = 50
    /// The most connections still in their handshake.
    public var maxPendingConnections = 32
    /// The largest frame (type byte + payload) sent or accepted.
    public var maxFrameSize = P2PFrame.defaultMaximumSize
    /// The most messages queued to one peer; beyond it messages to that peer are dropped and,
    /// after another `maxSendQueue` drops in a row, the peer is disconnected as slow.
    public var maxSendQueue = 4096
    /// How long a connection may take to finish the handshake.
    public var handshakeTimeout: TimeAmount = .seconds(5)
    /// How long the dial of one endpoint may take.
    public var connectTimeout: TimeAmount = .seconds(3)
    /// Delays between redials of a static peer or bootnode.
    public var backoff = Backoff()
    /// How long a misbehaving peer stays banned.
    public var banDuration: TimeAmount = .minutes(30)
    /// Also ban the misbehaving peer's host (IP), not only its node id. Turn off where many
    /// nodes share a host (tests on 127.0.0.1, NAT).
    public var banHosts = true
    /// Accumulated misbehaviour penalty at which a peer is banned (a protocol violation is 100).
    public var banThreshold = 100
    /// How many gossip digests are remembered for de-duplication.
    public var seenCacheCapacity = 100_000
    /// How long `requestBlocks` waits for the answer.
    public var requestTimeout: TimeAmount = .seconds(10)
    /// The most blocks sent in (or accepted from) one `blocks` answer.
    public var maxBlocksPerResponse: UInt32 = 128
    /// The most events buffered for a slow consumer of `P2PNode.events`; newer ones are dropped.
    public var eventBufferLimit = 1_000_000

    /// A configuration for the chain `chainID` with genesis `genesisHash`; other settings default.
    public init(chainID: UInt64, genesisHash: Hash32) {
        self.chainID = chainID
        self.genesisHash = genesisHash
    }
}
