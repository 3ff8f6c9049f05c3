import MoteCrypto
import MotePrimitives
import NIOCore

/// A message between peers. Consensus and ledger payloads (transactions, proposals, votes,
/// blocks) are opaque bytes here: this layer moves them, the application interprets them.
///
/// Encodings (frame payload per type), all strict: any deviation is a protocol error.
/// | type | message | payload |
/// |------|---------|---------|
/// | 0x00 | hello | RLP list, see `Hello` |
/// | 0x01 | auth | 65 bytes: r(32) ‖ s(32) ‖ recovery id(1), over `Hello.authHash` |
/// | 0x02 | ping | RLP integer nonce |
/// | 0x03 | pong | RLP integer nonce |
/// | 0x04 | disconnect | 1 byte reason |
/// | 0x10 | transactions | RLP list of byte strings |
/// | 0x11 | proposal | raw bytes |
/// | 0x12 | vote | raw bytes |
/// | 0x13 | block | raw bytes |
/// | 0x20 | getBlocks | RLP list `[requestID, fromHeight, count]` |
/// | 0x21 | blocks | RLP list `[requestID, [block bytes…]]` |
public enum P2PMessage: Hashable, Sendable {
    /// Handshake step 1: identity, chain and a challenge nonce.
    case hello(Hello)
    /// Handshake step 2: the signature over `Hello.authHash(peerNonce:)`.
    case auth(Secp256k1.RecoverableSignature)
    /// Liveness probe; answered with `pong` carrying the same nonce.
    case ping(UInt64)
    /// Answer to `ping`.
    case pong(UInt64)
    /// Gossip: a batch of encoded transactions.
    case transactions([[UInt8]])
    /// Gossip: an encoded block proposal.
    case proposal([UInt8])
    /// Gossip: an encoded vote.
    case vote([UInt8])
    /// Gossip: an encoded block.
    case block([UInt8])
    /// Sync request: up to `count` blocks from height `from`.
    case getBlocks(requestID: UInt64, from: UInt64, count: UInt32)
    /// Sync response to the `getBlocks` with the same request id.
    case blocks(requestID: UInt64, [[UInt8]])
    /// The sender is closing the connection, and why.
    case disconnect(DisconnectReason)

    /// The wire protocol version this code speaks.
    public static let protocolVersion: UInt32 = 1

    /// Wire type codes.
    public enum MessageType {
        public static let hello: UInt8 = 0x00
        public static let auth: UInt8 = 0x01
        public static let ping: UInt8 = 0x02
        public static let pong: UInt8 = 0x03
        public static let disconnect: UInt8 = 0x04
        public static let transactions: UInt8 = 0x10
        public static let proposal: UInt8 = 0x11
        public static let vote: UInt8 = 0x12
        public static let block: UInt8 = 0x13
        public static let getBlocks: UInt8 = 0x20
        public static let blocks: UInt8 = 0x21
    }

    /// The wire type code.
    public var type: UInt8 {
        switch self {
        case .hello: return MessageType.hello
        case .auth: return MessageType.auth
        case .ping: return MessageType.ping
        case .pong: return MessageType.pong
        case .transactions: return MessageType.transactions
        case .proposal: return MessageType.proposal
        case .vote: return MessageType.vote
        case .block: return MessageType.block
        case .getBlocks: return MessageType.getBlocks
        case .blocks: return MessageType.blocks
        case .disconnect: return MessageType.disconnect
        }
    }

    /// The gossip message types: transactions, proposal, vote, block.
    public static let gossipTypes: Set<UInt8> = [
        MessageType.transactions, MessageType.proposal, MessageType.vote, MessageType.block,
    ]

    /// True for messages that are gossiped: de-duplicated, delivered once as `P2PEvent.gossip`.
    public var isGossip: Bool {
        switch self {
        case .transactions, .proposal, .vote, .block: return true
        default: return false
        }
    }

    /// The frame payload bytes.
    public var payload: [UInt8] {
        switch self {
        case .hello(let hello): return RLP.encode(hello.rlp)
        case .auth(let sig): return sig.r.bigEndianBytes + sig.s.bigEndianBytes + [sig.recoveryID]
        case .ping(let nonce), .pong(let nonce): return RLP.encode(.uint(nonce))
        case .transactions(let txs): return RLP.encode(.list(txs.map { .bytes($0) }))
        case .proposal(let bytes), .vote(let bytes), .block(let bytes): return bytes
        case .getBlocks(let id, let from, let count):
            return RLP.encode(.list([.uint(id), .uint(from), .uint(UInt64(count))]))
        case .blocks(let id, let blocks): return RLP.encode(.list([.uint(id), .list(blocks.map { .bytes($0) })]))
        case .disconnect(let reason): return [reason.rawValue]
        }
    }

    /// The frame for this message.
    public func frame(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> P2PFrame {
        P2PFrame(type: type, payload: allocator.buffer(bytes: payload))
    }

    /// Decodes a frame strictly; throws `P2PError` (a protocol violation) for an unknown type
    /// or a malformed payload.
    public init(frame: P2PFrame) throws(P2PError) {
        try self.init(type: frame.type, payload: Array(frame.payload.readableBytesView))
    }

    /// Decodes a type code and payload strictly.
    public init(type: UInt8, payload: [UInt8]) throws(P2PError) {
        do {
            switch type {
            case MessageType.hello:
                self = .hello(try Hello(rlp: RLP.decode(payload)))
            case MessageType.auth:
                guard payload.count == 65, let r = UInt256(bigEndian: payload[0..<32]),
                    let s = UInt256(bigEndian: payload[32..<64])
                else { throw P2PError.malformed(type, "auth must be 65 bytes") }
                let sig = Secp256k1.RecoverableSignature(r: r, s: s, recoveryID: payload[64])
                guard sig.hasValidValues else { throw P2PError.malformed(type, "signature values out of range") }
                self = .auth(sig)
            case MessageType.ping:
                self = .ping(try RLP.decode(payload).uint64Value())
            case MessageType.pong:
                self = .pong(try RLP.decode(payload).uint64Value())
            case MessageType.disconnect:
                guard payload.count == 1 else { throw P2PError.malformed(type, "disconnect must be 1 byte") }
                self = .disconnect(DisconnectReason(rawValue: payload[0]))
            case MessageType.transactions:
                self = .transactions(try RLP.decode(payload).listValue().map { item throws(RLPError) in try item.bytesValue() })
            case MessageType.proposal:
                self = .proposal(payload)
            case MessageType.vote:
                self = .vote(payload)
            case MessageType.block:
                self = .block(payload)
            case MessageType.getBlocks:
                let fields = try RLP.decode(payload).listValue()
                guard fields.count == 3 else { throw RLPError.wrongShape }
                let count = try fields[2].uint64Value()
                guard count <= UInt64(UInt32.max) else { throw P2PError.malformed(type, "count too large") }
                self = .getBlocks(requestID: try fields[0].uint64Value(), from: try fields[1].uint64Value(), count: UInt32(count))
            case MessageType.blocks:
                let fields = try RLP.decode(payload).listValue()
                guard fields.count == 2 else { throw RLPError.wrongShape }
                let blocks = try fields[1].listValue().map { item throws(RLPError) in try item.bytesValue() }
                self = .blocks(requestID: try fields[0].uint64Value(), blocks)
            default:
                throw P2PError.unknownMessageType(type)
            }
        } catch let error as P2PError {
            throw error
        } catch {
            throw P2PError.malformed(type, "\(error)")
        }
    }
}
