/// Why a connection ends: sent in a `disconnect` message (one byte) and reported in events.
///
/// A struct over the wire code rather than an enum, so codes from newer peers still decode.
public struct DisconnectReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The one-byte wire code.
    public var rawValue: UInt8
    /// A reason from its wire code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The application or operator asked for it.
    public static let requested = DisconnectReason(rawValue: 0)
    /// A malformed frame or message, or a message not allowed in the current state.
    public static let protocolError = DisconnectReason(rawValue: 1)
    /// The peers speak different protocol versions.
    public static let incompatibleVersion = DisconnectReason(rawValue: 2)
    /// The peers are on different chains (chain id).
    public static let wrongChain = DisconnectReason(rawValue: 3)
    /// The peers have different genesis blocks.
    public static let wrongGenesis = DisconnectReason(rawValue: 4)
    /// The node connected to itself.
    public static let selfConnection = DisconnectReason(rawValue: 5)
    /// Another connection to the same node id is kept instead.
    public static let duplicateConnection = DisconnectReason(rawValue: 6)
    /// The node has no room for another peer.
    public static let tooManyPeers = DisconnectReason(rawValue: 7)
    /// The handshake did not finish in time.
    public static let handshakeTimeout = DisconnectReason(rawValue: 8)
    /// The handshake signature did not prove the claimed node id.
    public static let badHandshake = DisconnectReason(rawValue: 9)
    /// The peer (node id or host) is banned.
    public static let banned = DisconnectReason(rawValue: 10)
    /// The application reported the peer as misbehaving.
    public static let misbehaviour = DisconnectReason(rawValue: 11)
    /// The node is shutting down.
    public static let shutdown = DisconnectReason(rawValue: 12)
    /// The peer could not keep up: its send queue overflowed.
    public static let slowPeer = DisconnectReason(rawValue: 13)
    /// Nothing (not even a pong) arrived from the peer within `P2PConfig.pingTimeout`.
    public static let timeout = DisconnectReason(rawValue: 14)
    /// Local only: the TCP connection closed without a `disconnect` message.
    public static let connectionClosed = DisconnectReason(rawValue: 255)

    public var description: String {
        switch self {
        case .requested: return "requested"
        case .protocolError: return "protocol error"
        case .incompatibleVersion: return "incompatible protocol version"
        case .wrongChain: return "wrong chain id"
        case .wrongGenesis: return "wrong genesis hash"
        case .selfConnection: return "connected to self"
        case .duplicateConnection: return "duplicate connection"
        case .tooManyPeers: return "too many peers"
        case .handshakeTimeout: return "handshake timeout"
        case .badHandshake: return "bad handshake signature"
        case .banned: return "banned"
        case .misbehaviour: return "misbehaviour"
        case .shutdown: return "shutdown"
        case .slowPeer: return "slow peer"
        case .timeout: return "ping timeout"
        case .connectionClosed: return "connection closed"
        default: return "reason \(rawValue)"
        }
    }
}
