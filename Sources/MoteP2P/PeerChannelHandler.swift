import MotePrimitives
import NIOCore

/// When a connection last received bytes. Shared by the `ReadActivityHandler` at the front of a
/// pipeline (which sees every read, even part of a large frame) and the `PeerChannelHandler`
/// at its end. Touched only on the channel's event loop.
final class ReadActivity {
    var last = NIODeadline.now()
}

/// The first handler of a peer pipeline: notes the time of every read, then passes it on.
final class ReadActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let activity: ReadActivity

    init(_ activity: ReadActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.last = .now()
        context.fireChannelRead(data)
    }
}

/// The last handler of a peer connection's pipeline (after the frame decoder and encoder).
///
/// It runs the connection's `HandshakeStateMachine`, enforces the handshake timeout and the
/// per-peer send-queue bound, pings an established peer every `pingInterval` and drops it when
/// nothing arrived for `pingTimeout`, and hands established traffic to its `P2PNode`. All its
/// state is touched only on the channel's event loop, which is also the node's loop.
final class PeerChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = P2PFrame
    typealias OutboundOut = P2PFrame

    /// The node's number for this connection.
    let connectionID: UInt64
    /// Who dialed.
    let direction: ConnectionDirection
    /// The dialed endpoint (outbound connections only).
    let endpoint: PeerEndpoint?
    private let node: P2PNode
    private var context: ChannelHandlerContext?
    private var handshake: HandshakeStateMachine?
    private var handshakeTimer: Scheduled<Void>?
    private var pingTimer: Scheduled<Void>?
    private var pingNonce: UInt64 = 0
    /// When bytes last arrived on this connection.
    let activity: ReadActivity
    /// When the connection became active.
    private(set) var openedAt = NIODeadline.now()

    /// The peer's hello, once the node accepted the handshake.
    private(set) var peer: Hello?
    /// The remote address as text, `ip:port` (for events and logs).
    private(set) var remoteAddress = "?"
    /// The remote IP, used for host bans.
    private(set) var remoteHost: String?
    /// Why the connection ended, when known (our reason or the peer's `disconnect`).
    var closeReason: DisconnectReason?
    /// More about why, for the log (e.g. how long the peer was silent).
    var closeDetail: String?
    /// Set when the node replaced this connection with another to the same peer.
    var replaced = false
    /// Writes handed to the channel and not yet completed.
    private(set) var queuedWrites = 0
    /// Messages dropped in a row because the queue was full.
    private var consecutiveDrops = 0
    private var closing = false
    /// True once the connection is being closed (it no longer takes a slot).
    var isClosing: Bool { closing }

    init(node: P2PNode, connectionID: UInt64, direction: ConnectionDirection, endpoint: PeerEndpoint?, activity: ReadActivity) {
        self.node = node
        self.activity = activity
        self.connectionID = connectionID
        self.direction = direction
        self.endpoint = endpoint
    }

    /// The peer's node id once established.
    var peerID: Address? { peer?.nodeID }

    /// A description of the peer for events.
    var info: PeerInfo? {
        peer.map { PeerInfo(nodeID: $0.nodeID, remoteAddress: remoteAddress, direction: direction, listenPort: $0.listenPort) }
    }

    /// Completes when the channel has closed.
    private(set) var closeFuture: EventLoopFuture<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        closeFuture = context.channel.closeFuture
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        openedAt = .now()
        activity.last = openedAt
        if let address = context.remoteAddress {
            remoteHost = address.ipAddress
            if let ip = address.ipAddress, let port = address.port {
                remoteAddress = ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
            } else {
                remoteAddress = "\(address)"
            }
        }
        guard node.connectionOpened(self) else {
            closing = true
            context.close(promise: nil)
            return
        }
        var machine = HandshakeStateMachine(local: node.makeHello(), key: node.key)
        let first = machine.start()
        handshake = machine
        perform(first)
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: node.config.handshakeTimeout) {
            guard var machine = self.handshake, let action = machine.timedOut() else { return }
            self.handshake = machine
            self.perform(action)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        pingTimer?.cancel()
        pingTimer = nil
        closing = true
        node.connectionClosed(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        let message: P2PMessage
        do {
            message = try P2PMessage(frame: frame)
        } catch {
            node.protocolViolation(self, error)
            return
        }
        if peer != nil {
            node.received(message, from: self)
        } else if var machine = handshake {
            let action = machine.receive(message)
            handshake = machine
            perform(action)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !closing else { return }
        if let error = error as? P2PError, error.isProtocolViolation {
            node.protocolViolation(self, error)
        } else {
            closeReason = closeReason ?? .connectionClosed
            close()
        }
    }

    private func perform(_ action: HandshakeStateMachine.Action) {
        switch action {
        case .send(let message), .sendAuth(let message):
            write(message.frame(), bounded: false)
        case .established(let hello):
            handshakeTimer?.cancel()
            handshakeTimer = nil
            node.handshakeCompleted(self, peer: hello)
        case .reject(let reason):
            handshakeTimer?.cancel()
            node.handshakeFailed(self, reason: reason, sentByPeer: false)
        case .peerDisconnected(let reason):
            handshakeTimer?.cancel()
            node.handshakeFailed(self, reason: reason, sentByPeer: true)
        }
    }

    /// Called by the node when it accepts the handshake; starts the pings.
    func markEstablished(_ hello: Hello) {
        peer = hello
        schedulePing()
    }

    /// How long nothing has arrived on this connection.
    var silence: TimeAmount { NIODeadline.now() - activity.last }

    /// Pings every `pingInterval`, and drops the peer as soon as it has been silent for
    /// `pingTimeout` (the timer also wakes at that deadline, not only at the next ping). A live
    /// peer answers each ping within a round trip, so silence means the path is gone
    /// (partition, crashed host) even while the kernel still calls the connection established.
    private func schedulePing(nextPing: NIODeadline? = nil) {
        guard let context, !closing else { return }
        let interval = node.config.effectivePingInterval
        let nextPing = nextPing ?? .now() + interval
        let deadline = activity.last + node.config.pingTimeout
        let wake = max(min(nextPing, deadline), .now() + .milliseconds(5))
        pingTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: wake) {
            self.pingTimer = nil
            guard !self.closing else { return }
            let silence = self.silence
            guard silence < self.node.config.pingTimeout else {
                self.node.pingTimedOut(self, silence: silence)
                return
            }
            var next = nextPing
            if NIODeadline.now() >= nextPing {
                self.pingNonce &+= 1
                self.write(P2PMessage.ping(self.pingNonce).frame(), bounded: false)
                next = .now() + interval
            }
            self.schedulePing(nextPing: next)
        }
    }

    /// Queues `frame` unless the send queue is full; returns false when dropped. A peer whose
    /// queue stays full for another full queue's worth of messages is disconnected as slow.
    @discardableResult
    func send(_ frame: P2PFrame) -> Bool {
        guard !closing, context != nil else { return false }
        guard 1 + frame.payload.readableBytes <= node.config.maxFrameSize else { return false }
        guard queuedWrites < node.config.maxSendQueue else {
            consecutiveDrops += 1
            if consecutiveDrops > node.config.maxSendQueue { disconnect(.slowPeer) }
            return false
        }
        consecutiveDrops = 0
        write(frame, bounded: true)
        return true
    }

    private func write(_ frame: P2PFrame, bounded: Bool) {
        guard let context, !closing else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        queuedWrites += 1
        promise.futureResult.assumeIsolated().whenComplete { _ in self.queuedWrites -= 1 }
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }

    /// Sends `disconnect(reason)` and closes once it is written.
    func disconnect(_ reason: DisconnectReason) {
        guard let context, !closing else { return }
        closeReason = closeReason ?? reason
        closing = true
        context.writeAndFlush(wrapOutboundOut(P2PMessage.disconnect(reason).frame()))
            .assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
        // A peer that does not read could stall the write; close regardless after a grace period.
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.context?.close(promise: nil) }
    }

    /// Closes without a message.
    func close() {
        closing = true
        context?.close(promise: nil)
    }
}
