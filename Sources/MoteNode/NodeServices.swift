import Foundation
import Logging
import MoteRPC
import MoteStream
import ServiceLifecycle

/// The services of one node process, for a `ServiceGroup`: the p2p network, the node
/// (consensus), the stream node (`[stream] enabled`) and the RPC servers (`[rpc] enabled`), in
/// that order. A group shuts services down in reverse order, so on SIGINT or SIGTERM the node
/// first stops taking RPC requests, then stops the stream node, then consensus, then leaves
/// the p2p network.
public enum NodeServices {
    /// The services running `node`, in start order. `output` gets their start-up lines.
    public static func make(node: Node, output: @escaping @Sendable (String) -> Void) async throws -> [any Service] {
        let config = node.config
        let network = await node.makeNetworkService()
        guard let server = await node.makeRPCServer() else {
            if config.streamEnabled { throw NodeConfigError("[stream] needs [rpc] enabled: devices are looked up through it") }
            return [network, node]
        }
        let rpc = NodeRPCService(node: node, server: server, output: output)
        guard config.streamEnabled else { return [network, node, rpc] }
        let stream = StreamService {
            guard let ports = await rpc.listening.wait() else {
                // The RPC servers could not start: their error stops the group, not this one.
                try? await gracefulShutdown()
                throw CancellationError()
            }
            return try await embeddedStreamNode(node: node, rpcPort: ports.http)
        } failure: { error in
            error is NodeConfigError ? error : NodeConfigError("cannot start the stream node on \(config.streamListen): \(error)")
        } started: { _, port in
            output("node \(config.name): stream http://\(config.streamListen.host):\(port)/v1/telemetry"
                + (config.streamMQTTBroker.map { ", MQTT broker \($0)" } ?? ""))
        }
        return [network, node, stream, rpc]
    }

    /// Runs `services` in a group until SIGINT or SIGTERM (then shuts them down gracefully, in
    /// reverse order) or until one fails (then the others are cancelled and its error thrown).
    public static func run(_ services: [any Service]) async throws {
        let logger = Logger(label: "mote.services", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The stream node embedded in a node: devices are looked up through the node's own RPC on
    /// `rpcPort`; a relative SQLite path is in the data directory.
    static func embeddedStreamNode(node: Node, rpcPort: Int) async throws -> StreamNode {
        let config = node.config
        var stream = StreamConfig()
        stream.chainID = node.genesis.chainID
        stream.rpcURL = "http://\(config.rpcListen.host == "0.0.0.0" ? "127.0.0.1" : config.rpcListen.host):\(rpcPort)"
        stream.httpHost = config.streamListen.host
        stream.httpPort = config.streamListen.port
        var store = config.streamStore
        if store.hasPrefix("sqlite:"), !store.dropFirst(7).hasPrefix("/") { store = "sqlite:" + config.datadir + "/" + store.dropFirst(7) }
        do { stream.store = try StreamConfig.StoreLocation(parsing: store) } catch { throw NodeConfigError("stream.store: \(error)") }
        stream.resultPoster = config.streamOperator
        if let broker = config.streamMQTTBroker {
            var mqtt = StreamConfig.MQTTBroker(host: broker.host, port: broker.port)
            mqtt.clientID = "mote-stream-\(config.name)"
            stream.mqtt = mqtt
        }
        do { return try await StreamNode.open(config: stream) } catch {
            throw NodeConfigError("cannot start the stream node on \(config.streamListen): \(error)")
        }
    }
}

/// A node's p2p network as a service: started (with the node, whichever asks first) when the
/// group starts, left on graceful shutdown or cancellation, after the node has stopped.
public struct NetworkService: Service {
    let node: Node

    public func run() async throws {
        try await node.startNetwork()
        try? await gracefulShutdown()
        await node.stopNetwork()
    }
}

/// A node's RPC servers as a service: they serve until graceful shutdown, and the node learns
/// their ports (and so does the embedded stream node, through `listening`).
struct NodeRPCService: Service {
    let node: Node
    let server: RPCServer
    let output: @Sendable (String) -> Void
    /// The bound ports once the servers listen; nil if they could not start.
    let listening = Latch<(http: Int, ws: Int?)>()

    func run() async throws {
        let config = node.config
        let ports: (http: Int, ws: Int?)
        do { ports = try await server.start() } catch {
            listening.set(nil)
            await server.shutdown()
            throw NodeConfigError("cannot start the RPC servers on \(config.rpcListen) and \(config.wsListen): \(error)")
        }
        await node.rpcListening(ports)
        listening.set(ports)
        output("node \(config.name): rpc http://\(config.rpcListen.host):\(ports.http) ws://\(config.wsListen.host):\(ports.ws ?? 0)")
        try? await gracefulShutdown()
        await server.shutdown()
    }
}

/// A stream node as a service (`mote stream`, or beside a node): opened and started when the
/// group starts, stopped on graceful shutdown or cancellation. A stream node that cannot open
/// or start fails the group.
public struct StreamService: Service {
    let open: @Sendable () async throws -> StreamNode
    let failure: @Sendable (any Error) -> any Error
    let started: @Sendable (StreamNode, Int) -> Void

    /// `open` makes the stream node; `failure` says what an error opening or starting it means;
    /// `started` hears its HTTP port once it listens.
    public init(
        open: @escaping @Sendable () async throws -> StreamNode, failure: @escaping @Sendable (any Error) -> any Error = { $0 },
        started: @escaping @Sendable (StreamNode, Int) -> Void
    ) {
        self.open = open
        self.failure = failure
        self.started = started
    }

    public func run() async throws {
        let node: StreamNode
        do { node = try await open() } catch { throw failure(error) }
        let port: Int
        do { port = try await node.start() } catch {
            await node.shutdown()
            throw failure(error)
        }
        started(node, port)
        try? await gracefulShutdown()
        await node.shutdown()
    }
}

/// A value set once, awaited by any number of tasks (nil: it never will be).
///
/// `@unchecked Sendable`: the value and the waiters are only touched under `lock`.
final class Latch<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value??
    private var waiters: [CheckedContinuation<Value?, Never>] = []

    /// Sets the value (once; later calls are ignored) and wakes every waiter.
    func set(_ newValue: Value?) {
        let woken = lock.withLock { () -> [CheckedContinuation<Value?, Never>] in
            guard value == nil else { return [] }
            value = .some(newValue)
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume(returning: newValue) }
    }

    /// The value, once set.
    func wait() async -> Value? {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> Value?? in
                if let value { return value }
                waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
