import MoteCrypto
import MotePrimitives
import NIOCore
import NIOPosix

/// A peer-to-peer node: listens for peers, dials static peers and bootnodes, keeps a peer
/// table, floods gossip once per payload, answers and makes block-sync requests, and bans
/// peers that break the protocol.
///
/// ## Design
/// - **Layers.** Bytes ↔ `P2PFrame` (`FrameDecoder`/`FrameEncoder`, length-prefixed, bounded)
///   ↔ `P2PMessage` (strict RLP/binary) ↔ `PeerChannelHandler` (one per connection, runs the
///   I/O-free `HandshakeStateMachine`) ↔ `P2PNode` (peer table, gossip, dialing, bans,
///   requests). `Backoff`, `SeenCache` and `BanList` are pure values with no I/O or clock.
/// - **One loop.** The node owns a one-thread `MultiThreadedEventLoopGroup`. Every channel and
///   every piece of node state lives on that loop, so handlers call the node synchronously and
///   there are no locks in the hot path. Public `async` methods hop onto the loop.
/// - **Handshake.** Both sides send `hello` with a fresh nonce, then `auth`: a signature by the
///   node key over the domain-separated hash of their own hello and the peer's nonce (see
///   `HandshakeStateMachine`). Version, chain id and genesis must match; self-connections are
///   refused. For two connections to one node id, both sides keep the one dialed by the lower
///   node id, so they agree without talking.
/// - **Gossip.** `broadcast` sends to every peer except those that sent the same payload (and
///   any named in `except`). A received gossip message is keyed by `keccak256(type ‖ payload)`;
///   if the key is new (bounded `SeenCache`, which also keeps its first senders) it is delivered
///   once to `events`, otherwise dropped. It is not relayed here (unless its type is in
///   `autoRelayTypes`): the application relays what it verified with `broadcast`, and reports
///   bad payloads with `reportMisbehaviour`.
/// - **Slots.** Inbound connections in their handshake are capped in all and per IP; when full,
///   a newcomer replaces a handshake older than `pendingEvictionAge` from a host holding more
///   slots. The node's own dials are not counted. Preferred peers (`preferredPeers`, static
///   peers, bootnodes) take the place of others when `maxPeers` is reached.
/// - **Bans.** A protocol violation (bad frame, unknown type, malformed payload, bad handshake)
///   disconnects the peer and bans its node id (and host, if `banHosts`) for `banDuration`.
///   Application reports add penalties; reaching `banThreshold` bans.
/// - **Liveness.** Each side pings every `pingInterval`; a peer silent for `pingTimeout` is
///   closed (a partition leaves TCP connections ESTABLISHED for minutes), and sockets get
///   `TCP_USER_TIMEOUT` and keepalive as a second line. Block requests fail fast on silent or
///   dropped peers.
/// - **Dialing.** Static peers and bootnodes are redialed whenever they are not connected, after
///   `Backoff` delays (exponential, capped at 1 s by default, jittered by the injected random
///   generator); a successful handshake resets the back-off.
/// - **Back-pressure.** Each peer has a bounded send queue; gossip to a full queue is dropped
///   and a peer that stays full is disconnected as slow.
/// - **Lifecycle.** `start()` then `shutdown()`, or `run()` (returns after cancellation or
///   `shutdown()`), which suits a swift-service-lifecycle `Service`.
///
/// `@unchecked Sendable`: the mutable state below is only read or written on `loop`: channel
/// handlers run there (every channel is created on the node's one-thread group), timers are
/// scheduled there, and public methods reach it through `loop.submit`, guarded by `gate` so
/// nothing is scheduled on a loop that has shut down.
public final class P2PNode: @unchecked Sendable {
    /// The answer to a block-sync request: up to `count` encoded blocks from height `from`.
    public typealias BlockProvider = @Sendable (_ from: UInt64, _ count: UInt32) async -> [[UInt8]]

    /// The configuration the node was made with.
    public let config: P2PConfig
    /// This node's id: the address of its node key.
    public let nodeID: Address
    /// Events for the application (peers, gossip, bans). One consumer.
    public let events: AsyncStream<P2PEvent>

    let key: Secp256k1.PrivateKey
    let loop: any EventLoop
    private let group: MultiThreadedEventLoopGroup
    private let gate = LifecycleGate()
    private let eventSink: AsyncStream<P2PEvent>.Continuation
    let blockProvider: BlockProvider?

    // MARK: State confined to `loop`
    enum Lifecycle { case idle, starting, running, stopping, stopped }
    var lifecycle = Lifecycle.idle
    var serverChannel: (any Channel)?
    var boundPort: Int?
    var connections: [UInt64: PeerChannelHandler] = [:]
    var peers: [Address: PeerChannelHandler] = [:]
    var dialTargets: [PeerEndpoint: DialTarget] = [:]
    var bans = BanList()
    var penalties: [Address: Int] = [:]
    var preferred: Set<Address>
    var seen: SeenCache
    var pendingRequests: [UInt64: PendingRequest] = [:]
    var nextConnectionID: UInt64 = 0
    var nextRequestID: UInt64 = 0
    var rng: any RandomNumberGenerator
    var stats = P2PStats()

    /// A node with identity `key`. `rng` jitters reconnect delays (inject a seeded generator in
    /// tests); handshake nonces always come from the system generator. `blockProvider` answers
    /// peers' `getBlocks` (none: answer with no blocks).
    public init(
        config: P2PConfig, key: Secp256k1.PrivateKey,
        rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        blockProvider: BlockProvider? = nil
    ) {
        self.config = config
        self.key = key
        self.nodeID = key.address
        self.rng = rng
        self.blockProvider = blockProvider
        self.seen = SeenCache(capacity: max(1, config.seenCacheCapacity))
        self.preferred = config.preferredPeers
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loop = group.next()
        (events, eventSink) = AsyncStream.makeStream(of: P2PEvent.self, bufferingPolicy: .bufferingOldest(config.eventBufferLimit))
    }

    // MARK: Lifecycle

    /// Starts listening and dialing; returns the port it listens on.
    @discardableResult
    public func start() async throws -> Int {
        try await onLoop { () throws in
            guard self.lifecycle == .idle else { throw P2PError.notRunning }
            self.lifecycle = .starting
        }
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 128)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try self.installPipeline(on: channel, direction: .inbound, endpoint: nil)
                    }
                }
                .bind(host: config.listenHost, port: config.listenPort).get()
        } catch {
            try? await onLoop { self.lifecycle = .idle }
            throw error
        }
        let port = server.localAddress?.port ?? 0
        try await onLoop {
            self.serverChannel = server
            self.boundPort = port
            self.lifecycle = .running
            for endpoint in self.config.staticPeers + self.config.bootnodes { self.addDialTarget(endpoint) }
        }
        return port
    }

    /// Runs until the task is cancelled or `shutdown()` is called, then shuts down. Starts the
    /// node first if needed.
    public func run() async throws {
        if await listenPort() == nil { try await start() }
        await withTaskCancellationHandler {
            await gate.waitUntilClosing()
        } onCancel: {
            Task { await self.shutdown() }
        }
        await shutdown()
    }

    /// Says goodbye to every peer, closes all channels and stops the event loop. Idempotent;
    /// every caller returns once the node has stopped.
    public func shutdown() async {
        guard gate.beginClosing() else {
            await gate.waitUntilClosed()
            return
        }
        _ = try? await loop.flatSubmit { self.closeEverything() }.get() as Void
        gate.markClosed()
        eventSink.finish()
        try? await group.shutdownGracefully()
    }

    /// Replaces the preferred peers (`P2PConfig.preferredPeers`), e.g. with the validators of a
    /// new epoch. Established peers are not disconnected by the change.
    public func setPreferredPeers(_ ids: Set<Address>) async {
        _ = try? await onLoop { self.preferred = ids }
    }

    /// The port the node listens on, once started.
    public func listenPort() async -> Int? {
        (try? await onLoop { self.boundPort }) ?? nil
    }

    /// On the loop: stop dialing, fail requests, disconnect peers, close the listener.
    private func closeEverything() -> EventLoopFuture<Void> {
        lifecycle = .stopping
        for (endpoint, target) in dialTargets {
            target.timer?.cancel()
            dialTargets[endpoint]?.timer = nil
        }
        for (id, request) in pendingRequests {
            request.timeout.cancel()
            request.promise.fail(P2PError(.disconnected(.shutdown)))
            pendingRequests[id] = nil
        }
        var closing: [EventLoopFuture<Void>] = []
        if let serverChannel { closing.append(serverChannel.close().recover { _ in }) }
        for handler in connections.values {
            handler.disconnect(.shutdown)
        }
        closing += connections.values.compactMap { $0.closeFuture }
        return EventLoopFuture.andAllComplete(closing, on: loop).map { self.lifecycle = .stopped }
    }

    // MARK: Loop hand-off

    /// Runs `body` on the loop and returns its result; throws `notRunning` once the loop is gone.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let future = gate.ifLoopAlive({ loop.submit(body) }) else { throw P2PError.notRunning }
        return try await future.get()
    }

    /// Runs `body` on the loop later, unless the loop is gone.
    func execute(_ body: @escaping @Sendable () -> Void) {
        _ = gate.ifLoopAlive { loop.execute(body) }
    }

    /// Sends events to the application.
    func emit(_ event: P2PEvent) {
        eventSink.yield(event)
    }
}
