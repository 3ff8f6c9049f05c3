import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MoteChain
import MotePrimitives
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The node's API servers (Hummingbird): JSON-RPC over HTTP POST at `/` with `/health` and
/// `/metrics` beside it, and JSON-RPC with subscriptions over WebSocket on its own port.
///
/// The two Hummingbird applications run as services of one `ServiceGroup` the server owns.
/// `start()` returns once both listen and `shutdown()` stops them; or, as a `Service` itself,
/// `run()` starts them and stops them on graceful shutdown or cancellation.
public final class RPCServer: Service, Sendable {
    public let service: RPCService
    let httpHost: String
    let httpPort: Int
    let wsHost: String
    let wsPort: Int
    /// The group running the applications, while they run.
    private let running = NIOLockedValueBox<Task<Void, any Error>?>(nil)
    /// Open connections, in all and per client: WebSocket, and HTTP.
    let wsConnections: ClientCounter
    let httpConnections: ClientCounter

    /// Routes registered from outside (an explorer, an Etherscan-style API), served on the HTTP
    /// port after the node's own (`POST /`, `/health`, `/metrics`).
    public typealias Routes = @Sendable (Router<RPCRequestContext>) -> Void
    private let extraRoutes: [Routes]

    /// `wsPort` nil: no WebSocket server.
    public init(service: RPCService, httpHost: String, httpPort: Int, wsHost: String, wsPort: Int?, routes: [Routes] = []) {
        extraRoutes = routes
        self.service = service
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.wsHost = wsHost
        self.wsPort = wsPort ?? -1
        let limits = service.limits
        wsConnections = ClientCounter(limit: limits.maxConnections, perClientLimit: limits.maxConnectionsPerIP)
        httpConnections = ClientCounter(limit: limits.maxConnections, perClientLimit: limits.maxConnectionsPerIP)
    }

    /// Starts listening; returns the bound ports (useful with port 0) once both servers accept,
    /// or the error of the one that could not start (both are then stopped).
    public func start() async throws -> (http: Int, ws: Int?) {
        var logger = Logger(label: "mote.rpc")
        logger.logLevel = .critical
        let limits = service.limits
        let idle = ConnectionGuard.timeAmount(limits.idleTimeout)
        // Each application reports its port (0: HTTP, 1: WebSocket) once it listens.
        let (bound, report) = AsyncStream<(server: Int, port: Int)>.makeStream()
        let http = Application(
            router: makeRouter(),
            server: .guarded(limiter: httpConnections, limits: limits, server: "HTTP") { responder in
                HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle))
            },
            configuration: .init(address: .hostname(httpHost, port: httpPort), serverName: "mote"),
            onServerRunning: { report.yield((0, $0.localAddress?.port ?? 0)) }, logger: logger)
        var applications: [any Service] = [http]
        if wsPort >= 0 {
            let shouldUpgrade: @Sendable (HTTPRequest, any Channel, Logger) throws
                -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> = { _, channel, _ in
                    // Runs on the connection's event loop: from here on its bytes are frames.
                    try? channel.pipeline.syncOperations.handler(type: ConnectionGuard.self).startWebSocket()
                    return self.upgrade(remote: channel.remoteAddress)
                }
            applications.append(
                Application(
                    router: Router(),
                    server: .guarded(limiter: wsConnections, limits: limits, server: "WebSocket") { responder in
                        HTTP1WebSocketUpgradeChannel(
                            responder: responder,
                            configuration: .init(http1: .init(idleTimeout: idle), ws: .init(maxFrameSize: max(limits.maxBodyBytes, 1_024))),
                            shouldUpgrade: shouldUpgrade)
                    },
                    configuration: .init(address: .hostname(wsHost, port: wsPort), serverName: "mote"),
                    onServerRunning: { report.yield((1, $0.localAddress?.port ?? 0)) }, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: applications, logger: logger))
        let task = Task {
            defer { report.finish() }
            try await group.run()
        }
        running.withLockedValue { $0 = task }
        var ports: [Int: Int] = [:]
        for await (server, port) in bound {
            ports[server] = port
            if ports.count == applications.count { break }
        }
        guard let httpBound = ports[0], ports.count == applications.count else {
            await shutdown()
            try await task.value
            throw RPCServerError("the server stopped before it listened")
        }
        return (httpBound, ports[1])
    }

    /// Stops both servers: open connections are closed, not drained.
    public func shutdown() async {
        guard let task = running.withLockedValue({ task in
            defer { task = nil }
            return task
        }) else { return }
        task.cancel()
        _ = await task.result
    }

    /// Serves until graceful shutdown or cancellation, then stops.
    public func run() async throws {
        _ = try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    // MARK: HTTP

    func makeRouter() -> Router<RPCRequestContext> {
        let router = Router(context: RPCRequestContext.self)
        let service = self.service
        router.post("/") { request, context -> Response in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: service.limits.maxBodyBytes) } catch {
                return Self.json(RPCService.response(id: .null, error: .limitExceeded("request body over \(service.limits.maxBodyBytes) bytes")).serialized)
            }
            let caller = RPCCaller(address: RPCClientKey.of(context.remoteAddress))
            guard let out = await service.handle(body: Array(buffer: body), caller: caller) else { return Response(status: .ok) }
            return Self.json(out)
        }
        router.get("/health") { _, _ -> Response in
            let (status, body) = await service.health()
            return Self.json(body.serialized, status: status ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ -> Response in
            let bytes = service.metrics?.exposition() ?? []
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        for register in extraRoutes { register(router) }
        return router
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: WebSocket

    func upgrade(remote: SocketAddress?) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let service = self.service
        let address = RPCClientKey.of(remote)
        return .upgrade([:]) { inbound, outbound, _ in
            let session = WebSocketSession(service: service, address: address)
            let writer = Task {
                for await message in session.outbox {
                    try await outbound.write(.text(message))
                }
            }
            var failure: (any Error)?
            do {
                for try await message in inbound.messages(maxSize: service.limits.maxBodyBytes) {
                    let body: [UInt8]
                    switch message {
                    case .text(let text): body = Array(text.utf8)
                    case .binary(let buffer): body = Array(buffer: buffer)
                    }
                    await session.receive(body)
                }
            } catch {
                // A protocol error: the WebSocket handler closes with its code once the session
                // has ended. (Oversize messages never get here: the connection guard closes them
                // with 1009 and a reason from their frame header.)
                failure = error
            }
            await session.close()
            _ = await writer.result
            if let failure { throw failure }
        }
    }
}

/// A request context that knows the client's address (for the rate limit).
public struct RPCRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are bounded by `RPCLimits.maxBodyBytes` when collected.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// A server that could not start.
public struct RPCServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
