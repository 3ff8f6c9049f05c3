import MotePrimitives
import NIOCore

/// The last handler of a peer connection's pipeline (after the frame decoder and encoder).
///
/// It runs the connection's `HandshakeStateMachine`, enforces the handshake timeout and the
/// per-peer send-queue bound, and hands established traffic to its `P2PNode`. All its state is
/// touched only on the channel's event loop, which is also the node's loop.
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

    /// The peer's hello, once the node accepted the handshake.
    private(set) var peer: Hello?
    /// The remote address as text (for events and logs).
    private(set) var remoteAddress = "?"
    /// The remote IP, used for host bans.
    private(set) var remoteHost: String?
    /// Why the connection ended, when known (our reason or the peer's `disconnect`).
    var closeReason: DisconnectReason?
    /// Set when the node replaced this connection with another to the same peer.
    var replaced = false
    /// Writes handed to the channel and not yet completed.
    private(set) var queuedWrites = 0
    /// Messages dropped in a row because the queue was full.
    private var consecutiveDrops = 0
    private var closing = false

    init(node: P2PNode, connectionID: UInt64, direction: ConnectionDirection, endpoint: PeerEndpoint?) {
        self.node = node
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
        if let address = context.remoteAddress {
            remoteAddress = "\(address)"
            remoteHost = address.ipAddress
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

    /// Called by the node when it accepts the handshake.
    func markEstablished(_ hello: Hello) {
        peer = hello
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
