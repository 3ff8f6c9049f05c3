/// An error from the peer-to-peer layer: a bad frame, a malformed message, a refused handshake,
/// a failed request. A struct around a private enum, so new cases do not break callers.
public struct P2PError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case zeroLengthFrame
        case frameTooLarge(length: Int, maximum: Int)
        case unknownMessageType(UInt8)
        case malformedMessage(type: UInt8, detail: String)
        case handshakeRefused(DisconnectReason)
        case unexpectedMessage(type: UInt8)
        case peerNotConnected
        case requestTimedOut
        case peerUnresponsive
        case disconnected(DisconnectReason)
        case notRunning
    }

    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .zeroLengthFrame: return "p2p: frame of length zero (a frame holds at least its type byte)"
        case .frameTooLarge(let length, let maximum): return "p2p: frame of \(length) bytes exceeds the maximum of \(maximum)"
        case .unknownMessageType(let type): return "p2p: unknown message type 0x\(String(type, radix: 16))"
        case .malformedMessage(let type, let detail): return "p2p: malformed message of type 0x\(String(type, radix: 16)): \(detail)"
        case .handshakeRefused(let reason): return "p2p: handshake refused: \(reason)"
        case .unexpectedMessage(let type): return "p2p: message of type 0x\(String(type, radix: 16)) not allowed now"
        case .peerNotConnected: return "p2p: peer not connected"
        case .requestTimedOut: return "p2p: request timed out"
        case .peerUnresponsive: return "p2p: peer has not answered recently (its pings are overdue); ask another"
        case .disconnected(let reason): return "p2p: peer disconnected (\(reason))"
        case .notRunning: return "p2p: node is not running"
        }
    }

    /// A frame announced zero bytes.
    public static var zeroLengthFrame: P2PError { P2PError(.zeroLengthFrame) }
    /// A frame announced more bytes than the configured maximum.
    public static func frameTooLarge(length: Int, maximum: Int) -> P2PError { P2PError(.frameTooLarge(length: length, maximum: maximum)) }
    /// A frame carried a message type this node does not know.
    public static func unknownMessageType(_ type: UInt8) -> P2PError { P2PError(.unknownMessageType(type)) }
    /// A request to a peer that is not (or no longer) connected.
    public static var peerNotConnected: P2PError { P2PError(.peerNotConnected) }
    /// A request whose response did not arrive in time.
    public static var requestTimedOut: P2PError { P2PError(.requestTimedOut) }
    /// A request to a peer from which nothing arrived for two ping intervals: it is probably
    /// gone (it will be dropped at `pingTimeout`), so the request is refused at once.
    public static var peerUnresponsive: P2PError { P2PError(.peerUnresponsive) }
    /// The node has not been started or has shut down.
    public static var notRunning: P2PError { P2PError(.notRunning) }

    static func malformed(_ type: UInt8, _ detail: String) -> P2PError { P2PError(.malformedMessage(type: type, detail: detail)) }

    /// True for errors that mean the remote side broke the wire protocol (bad frame or message);
    /// such peers are disconnected and banned.
    public var isProtocolViolation: Bool {
        switch kind {
        case .zeroLengthFrame, .frameTooLarge, .unknownMessageType, .malformedMessage, .unexpectedMessage: return true
        default: return false
        }
    }
}
