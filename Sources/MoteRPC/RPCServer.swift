import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MoteChain
import MotePrimitives
import NIOConcurrencyHelpers
import NIOCore

/// The node's API servers (Hummingbird): JSON-RPC over HTTP POST at `/` with `/health` and
/// `/metrics` beside it, and JSON-RPC with subscriptions over WebSocket on its own port.
public final class RPCServer: Sendable {
    public let service: RPCService
    let httpHost: String
    let httpPort: Int
    let wsHost: String
    let wsPort: Int
    private let tasks = NIOLockedValueBox([Task<Void, any Error>]())
    /// Open connections, in all and per client: WebSocket, and HTTP.
    let wsConnections: ClientCounter
    let httpConnections: ClientCounter

    /// `wsPort` nil: no WebSocket server.
    public init(service: RPCService, httpHost: String, httpPort: Int, wsHost: String, wsPort: Int?) {
        self.service = service
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.wsHost = wsHost
        self.wsPort = wsPort ?? -1
        let limits = service.limits
        wsConnections = ClientCounter(limit: limits.maxConnections, perClientLimit: limits.maxConnectionsPerIP)
        httpConnections = ClientCounter(limit: limits.maxConnections, perClientLimit: limits.maxConnectionsPerIP)
    }

    /// Starts listening; returns the bound ports (useful with port 0) once both servers accept.
    public func start() async throws -> (http: Int, ws: Int?) {
        var logger = Logger(label: "mote.rpc")
        logger.logLevel = .critical
        let limits = service.limits
        let idle = ConnectionGuard.timeAmount(limits.idleTimeout)
        let httpBound = try await run { onRunning in
            Application(
                router: self.makeRouter(),
                server: .guarded(limiter: self.httpConnections, limits: limits, server: "HTTP") { responder in
                    HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle))
                },
                configuration: .init(address: .hostname(self.httpHost, port: self.httpPort), serverName: "mote"),
                onServerRunning: onRunning, logger: logger)
        }
        guard wsPort >= 0 else { return (httpBound, nil) }
        let shouldUpgrade: @Sendable (HTTPRequest, any Channel, Logger) throws
            -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> = { _, channel, _ in
                // Runs on the connection's event loop: from here on its bytes are frames.
                try? channel.pipeline.syncOperations.handler(type: ConnectionGuard.self).startWebSocket()
                return self.upgrade(remote: channel.remoteAddress)
            }
        let wsBound = try await run { onRunning in
            Application(
                router: Router(),
                server: .guarded(limiter: self.wsConnections, limits: limits, server: "WebSocket") { responder in
                    HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        configuration: .init(http1: .init(idleTimeout: idle), ws: .init(maxFrameSize: max(limits.maxBodyBytes, 1_024))),
                        shouldUpgrade: shouldUpgrade)
                },
                configuration: .init(address: .hostname(self.wsHost, port: self.wsPort), serverName: "mote"),
                onServerRunning: onRunning, logger: logger)
        }
        return (httpBound, wsBound)
    }

    /// Runs an application in a task; returns its port once it listens, or its start-up error.
    private func run<App: ApplicationProtocol>(
        _ make: (@escaping @Sendable (any Channel) async -> Void) -> App
    ) async throws -> Int {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = make { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        let task = Task {
            defer { continuation.finish() }
            try await app.run()
        }
        tasks.withLockedValue { $0.append(task) }
        for await port in ports { return port }
        try await task.value
        throw RPCServerError("the server stopped before it listened")
    }

    /// Stops both servers.
    public func shutdown() async {
        let running = tasks.withLockedValue { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { _ = await task.result }
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
