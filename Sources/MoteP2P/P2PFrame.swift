import NIOCore

/// One frame on the wire: `length: UInt32 big-endian | type: UInt8 | payload`, where `length`
/// counts the type byte and the payload (so it is at least 1).
public struct P2PFrame: Hashable, Sendable {
    /// The message type (see `P2PMessage.MessageType`).
    public var type: UInt8
    /// The message body.
    public var payload: ByteBuffer

    /// A frame of `type` carrying `payload`.
    public init(type: UInt8, payload: ByteBuffer) {
        self.type = type
        self.payload = payload
    }

    /// The largest frame `length` accepted by default: 16 MiB.
    public static let defaultMaximumSize = 16 * 1024 * 1024
}

/// Splits a byte stream into `P2PFrame`s.
///
/// The length prefix is checked before anything is buffered for it: zero, or more than
/// `maximumFrameSize`, throws at once (the handler then closes the connection), so a peer
/// cannot make the node reserve the size it claims. Bytes are only accumulated as they arrive,
/// so the buffer never grows beyond one maximum frame plus one read.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = P2PFrame

    /// The largest `length` accepted.
    public let maximumFrameSize: Int

    /// A decoder that accepts frames up to `maximumFrameSize` bytes (type byte + payload).
    public init(maximumFrameSize: Int = P2PFrame.defaultMaximumSize) {
        precondition(maximumFrameSize >= 1 && maximumFrameSize <= Int(UInt32.max))
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.readFrame(from: &buffer, maximumFrameSize: maximumFrameSize) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped: the peer is gone, there is nobody to blame.
        try decode(context: context, buffer: &buffer)
    }

    /// Reads one frame from the front of `buffer`, or returns nil (consuming nothing) when the
    /// frame is not complete yet. No I/O: shared by the channel handler and tests.
    public static func readFrame(from buffer: inout ByteBuffer, maximumFrameSize: Int) throws(P2PError) -> P2PFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length > 0 else { throw .zeroLengthFrame }
        guard UInt64(length) <= UInt64(maximumFrameSize) else {
            throw .frameTooLarge(length: Int(length), maximum: maximumFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let type = buffer.readInteger(as: UInt8.self)!
        let payload = buffer.readSlice(length: Int(length) - 1)!
        return P2PFrame(type: type, payload: payload)
    }
}

/// Writes `P2PFrame`s with their length prefix; refuses (throws for) frames over the maximum.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = P2PFrame

    /// The largest `length` written.
    public let maximumFrameSize: Int

    /// An encoder that refuses frames over `maximumFrameSize` bytes (type byte + payload).
    public init(maximumFrameSize: Int = P2PFrame.defaultMaximumSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    public func encode(data: P2PFrame, out: inout ByteBuffer) throws {
        try Self.write(data, to: &out, maximumFrameSize: maximumFrameSize)
    }

    /// Appends `frame` with its prefix to `out`. No I/O.
    public static func write(_ frame: P2PFrame, to out: inout ByteBuffer, maximumFrameSize: Int) throws(P2PError) {
        let length = 1 + frame.payload.readableBytes
        guard length <= maximumFrameSize else { throw .frameTooLarge(length: length, maximum: maximumFrameSize) }
        out.reserveCapacity(minimumWritableBytes: 4 + length)
        out.writeInteger(UInt32(length))
        out.writeInteger(frame.type)
        var payload = frame.payload
        out.writeBuffer(&payload)
    }
}
