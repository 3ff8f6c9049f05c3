import Hummingbird
import HummingbirdCore
import Logging
import MotePrimitives
import NIOConcurrencyHelpers
import NIOCore

/// The key one client is counted under for the per-client limits (connections, filters,
/// subscriptions, request rate): its IPv4 address; for IPv6 its /64 prefix, since one host
/// commonly holds a whole /64 (an IPv4-mapped IPv6 address counts as its IPv4 address).
public enum RPCClientKey {
    public static func of(_ address: SocketAddress?) -> String {
        switch address {
        case .v4?:
            return address?.ipAddress ?? "unknown"
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            guard bytes.count == 16 else { return address?.ipAddress ?? "unknown" }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        case .unixDomainSocket?:
            return "local"
        case nil:
            return "unknown"
        }
    }
}

/// Counts things a client holds (connections, filters, subscriptions) against a cap over
/// everyone and a cap per client.
final class ClientCounter: Sendable {
    enum Refusal: Equatable {
        /// Every slot is taken.
        case full
        /// This client holds its share.
        case clientFull
    }
    private struct State {
        var total = 0
        var perClient: [String: Int] = [:]
    }
    private let state = NIOLockedValueBox(State())
    let limit: Int
    let perClientLimit: Int

    init(limit: Int, perClientLimit: Int) {
        self.limit = max(limit, 0)
        self.perClientLimit = max(perClientLimit, 0)
    }

    /// Takes a slot for `client`; the reason when none is left.
    func acquire(_ client: String) -> Refusal? {
        state.withLockedValue { state in
            let held = state.perClient[client, default: 0]
            guard held < perClientLimit else { return .clientFull }
            guard state.total < limit else { return .full }
            state.total += 1
            state.perClient[client] = held + 1
            return nil
        }
    }

    /// Gives back a slot `client` took.
    func release(_ client: String) {
        state.withLockedValue { state in
            guard let held = state.perClient[client], held > 0 else { return }
            state.total -= 1
            state.perClient[client] = held == 1 ? nil : held - 1
        }
    }

    var current: Int { state.withLockedValue { $0.total } }

    func current(_ client: String) -> Int { state.withLockedValue { $0.perClient[client, default: 0] } }
}

/// A Hummingbird child channel with a `ConnectionGuard` in front of its pipeline: every
/// connection of the server, HTTP or WebSocket, is admitted, timed and bounded there before
/// any HTTP parsing.
struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner
    let limiter: ClientCounter
    let limits: RPCLimits
    let server: String

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let guardHandler = ConnectionGuard(limiter: limiter, limits: limits, server: server)
        do {
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}

extension HTTPServerBuilder {
    /// `inner` with a `ConnectionGuard` in front of every connection.
    static func guarded(
        limiter: ClientCounter, limits: RPCLimits, server: String,
        _ inner: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) -> any ServerChildChannel
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            func wrap<C: ServerChildChannel>(_ channel: C) -> any ServerChildChannel {
                GuardedChildChannel(inner: channel, limiter: limiter, limits: limits, server: server)
            }
            return wrap(inner(responder))
        }
    }
}

/// The first handler of every API connection, on raw bytes:
///
/// - admission: a connection over `maxConnections`, or over `maxConnectionsPerIP` from its
///   client, is answered `503` with a JSON-RPC -32005 error saying which, then closed;
/// - a connection that has not completed a request (had its first answer, or its WebSocket
///   upgrade) within `firstRequestTimeout` is closed;
/// - after a WebSocket upgrade, each frame header is checked before the frame is passed on: a
///   message over `maxBodyBytes` gets a close frame 1009 with the reason, the rest of its
///   bytes are read and dropped, and the connection is closed once the client closes its side
///   (or after `lingerTimeout`), so the client reads the close frame rather than a reset.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How long a refused connection may take to send the request its refusal answers.
    static let refusalGrace: TimeAmount = .seconds(1)
    /// How long a closing connection waits for the client to close its side.
    static let lingerTimeout: TimeAmount = .seconds(2)

    private let limiter: ClientCounter
    private let limits: RPCLimits
    private let server: String
    private var state: State = .new
    private var answered = false
    private var closing = false
    private var timer: Scheduled<Void>?
    private var frames: WebSocketFrameGuard?

    private enum State {
        case new
        case admitted(String)
        case refused(String)
        case released
    }

    init(limiter: ClientCounter, limits: RPCLimits, server: String) {
        self.limiter = limiter
        self.limits = limits
        self.server = server
    }

    // MARK: Admission and timers

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context: context)
        context.fireChannelActive()
    }

    private func admit(context: ChannelHandlerContext) {
        guard case .new = state else { return }
        let client = RPCClientKey.of(context.channel.remoteAddress)
        if let refusal = limiter.acquire(client) {
            let message: String
            switch refusal {
            case .full: message = "too many \(server) connections (limit \(limiter.limit)); retry later"
            case .clientFull:
                message = "too many \(server) connections from this address (limit \(limiter.perClientLimit) per client); close idle ones or retry later"
            }
            state = .refused(message)
            arm(context: context, after: Self.refusalGrace)
        } else {
            state = .admitted(client)
            arm(context: context, after: Self.timeAmount(limits.firstRequestTimeout))
        }
    }

    /// Closes the connection after `delay` unless disarmed.
    private func arm(context: ChannelHandlerContext, after delay: TimeAmount) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .nanoseconds(seconds < 0 ? 0 : .max) }
        let (total, carry) = nanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        return .nanoseconds(carry ? .max : max(total, 0))
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func release() {
        disarm()
        if case .admitted(let client) = state { limiter.release(client) }
        state = .released
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }  // draining before the close
        if case .refused(let message) = state {
            refuse(context: context, message: message)
            return
        }
        guard frames != nil else { return context.fireChannelRead(data) }
        var buffer = unwrapInboundIn(data)
        let outcome = frames!.admit(&buffer)
        for piece in outcome.pieces { context.fireChannelRead(wrapInboundOut(piece)) }
        if let size = outcome.oversize {
            closeWebSocket(context: context, code: 1009, reason: "message over \(limits.maxBodyBytes) bytes (\(size) or more); limit exceeded")
        }
    }

    /// Answers a refused connection's request with 503 and the JSON-RPC error, then closes.
    private func refuse(context: ChannelHandlerContext, message: String) {
        let body = RPCService.response(id: .null, error: .limitExceeded(message)).serialized
        let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        lingeringClose(context: context)
    }

    /// Sends a WebSocket close frame with `code` and `reason` straight to the socket, then closes.
    private func closeWebSocket(context: ChannelHandlerContext, code: UInt16, reason: String) {
        var reasonBytes = Array(reason.utf8.prefix(123))
        while !reasonBytes.isEmpty, String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        var frame = context.channel.allocator.buffer(capacity: 4 + reasonBytes.count)
        frame.writeInteger(UInt8(0x88))  // FIN, close
        frame.writeInteger(UInt8(2 + reasonBytes.count))  // unmasked, ≤ 125
        frame.writeInteger(code)
        frame.writeBytes(reasonBytes)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(frame)), promise: nil)
        lingeringClose(context: context)
    }

    /// Stops passing bytes either way, closes the output once written, drops what the client
    /// still sends, and closes fully when it closes its side or after `lingerTimeout`.
    private func lingeringClose(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        disarm()
        let channel = context.channel
        context.close(mode: .output, promise: nil)
        timer = context.eventLoop.scheduleTask(in: Self.lingerTimeout) { channel.close(promise: nil) }
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        if !answered {
            // The first answer (or the 101 of a WebSocket upgrade): a request was completed.
            answered = true
            disarm()
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
    }

    /// From now on the bytes are WebSocket frames (called at the upgrade).
    func startWebSocket() {
        if frames == nil { frames = WebSocketFrameGuard(maxMessage: UInt64(max(limits.maxBodyBytes, 0))) }
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}

/// Follows the frame boundaries of a client's WebSocket byte stream (RFC 6455 §5.2) and
/// refuses a message (one frame, or the fragments of one) over `maxMessage` bytes at the
/// header of the frame that would exceed it, before any of that frame is passed on.
struct WebSocketFrameGuard {
    let maxMessage: UInt64
    /// The bytes of a header not complete yet (at most 14).
    private var header: [UInt8] = []
    /// Payload bytes of the current frame still to pass on.
    private var payloadLeft: UInt64 = 0
    /// The size of the data message so far (fragments before this frame).
    private var messageSize: UInt64 = 0

    init(maxMessage: UInt64) { self.maxMessage = maxMessage }

    /// The pieces of `buffer` to pass on, in order; `oversize` (the message size reached)
    /// when a frame would take its message over the limit, in which case nothing of it or
    /// after it is passed on.
    mutating func admit(_ buffer: inout ByteBuffer) -> (pieces: [ByteBuffer], oversize: UInt64?) {
        var pieces: [ByteBuffer] = []
        while buffer.readableBytes > 0 {
            if payloadLeft > 0 {
                let count = Int(min(UInt64(buffer.readableBytes), payloadLeft))
                if let slice = buffer.readSlice(length: count) { pieces.append(slice) }
                payloadLeft -= UInt64(count)
                continue
            }
            guard let byte = buffer.readInteger(as: UInt8.self) else { break }
            header.append(byte)
            guard let length = Self.headerLength(header), header.count == length else { continue }
            let (opcode, fin, payload) = Self.parse(header)
            if opcode & 0x8 == 0 {  // a data frame: continuation, text or binary
                let (size, overflow) = messageSize.addingReportingOverflow(payload)
                guard !overflow, size <= maxMessage else { return (pieces, overflow ? .max : size) }
                messageSize = fin ? 0 : size
            }
            pieces.append(ByteBuffer(bytes: header))
            header = []
            payloadLeft = payload
        }
        return (pieces, nil)
    }

    /// The full length of a header from its first bytes; nil until two are known.
    static func headerLength(_ header: [UInt8]) -> Int? {
        guard header.count >= 2 else { return nil }
        let masked = header[1] & 0x80 != 0
        let base: Int
        switch header[1] & 0x7f {
        case 126: base = 4
        case 127: base = 10
        default: base = 2
        }
        return base + (masked ? 4 : 0)
    }

    /// Opcode, FIN and payload length of a complete header.
    static func parse(_ header: [UInt8]) -> (opcode: UInt8, fin: Bool, payload: UInt64) {
        let opcode = header[0] & 0x0f
        let fin = header[0] & 0x80 != 0
        let length: UInt64
        switch header[1] & 0x7f {
        case 126: length = UInt64(header[2]) << 8 | UInt64(header[3])
        case 127: length = header[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
        case let short: length = UInt64(short)
        }
        return (opcode, fin, length)
    }
}
