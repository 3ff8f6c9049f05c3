import Foundation
import MoteCrypto
import MoteMQTT
import MoteStreamStore
import NIOConcurrencyHelpers

/// Opens the telemetry store a config names: in memory, an SQLite file, or a PostgreSQL
/// database (whose connection pool then runs for the life of the process, and whose schema is
/// created or checked before the store is handed out).
public enum TelemetryStoreOpener {
    public static func open(_ location: StreamConfig.StoreLocation) async throws(StreamError) -> any TelemetryStore {
        switch location {
        case .memory:
            return InMemoryTelemetryStore()
        case .sqlite(let path):
            do { return try SQLiteTelemetryStore(path: path) } catch { throw StreamError("store \"sqlite:\(path)\": \(error)") }
        case .postgres(let url):
            let configuration: PostgresStoreConfiguration
            do { configuration = try PostgresStoreConfiguration(url: url) } catch { throw StreamError("store \"postgres://…\": \(error)") }
            let store = PostgresTelemetryStore(configuration: configuration)
            Task.detached { await store.run() }
            await Task.yield()
            do { try await store.prepareSchema() } catch { throw StreamError("store \"postgres://…\": \(error)") }
            return store
        }
    }
}

/// A stream node: the ingestion pipeline behind its HTTP API and, if configured, an MQTT
/// broker, with the retention job beside them.
public final class StreamNode: Sendable {
    public let config: StreamConfig
    public let pipeline: IngestPipeline
    public let bridge: StreamMQTTBridge?
    public let http: StreamHTTPServer
    public let retention: RetentionJob
    private let tasks = NIOLockedValueBox([Task<Void, Never>]())

    /// A node with an explicit store and directory (tests, benchmarks, embedding).
    public init(config: StreamConfig, store: any TelemetryStore, directory: any DeviceDirectory, verifier: SignatureBatchVerifier = SignatureBatchVerifier()) {
        self.config = config
        let pipeline = IngestPipeline(chainID: config.chainID, directory: directory, store: store, limits: config.limits, verifier: verifier)
        self.pipeline = pipeline
        bridge = config.mqtt.map { broker in
            var mqtt = MQTTConfiguration(host: broker.host, port: broker.port, clientID: broker.clientID)
            mqtt.username = broker.username
            mqtt.password = broker.password.map { Array($0.utf8) }
            // Witness attestations go to the chain node this stream node reads devices from.
            return StreamMQTTBridge(
                pipeline: pipeline, configuration: mqtt, attestations: URL(string: config.rpcURL).map { RPCAttestationForwarder(url: $0) })
        }
        let bridge = bridge
        http = StreamHTTPServer(pipeline: pipeline, host: config.httpHost, port: config.httpPort, mqttState: { bridge?.state ?? "off" })
        retention = RetentionJob(store: store, directory: directory, interval: .seconds(config.retentionIntervalSeconds))
    }

    /// A node as its config says: the store it names, the chain node's `mote_device` as directory.
    public static func open(config: StreamConfig) async throws(StreamError) -> StreamNode {
        guard let url = URL(string: config.rpcURL) else { throw StreamError("rpc is not a URL") }
        return StreamNode(config: config, store: try await TelemetryStoreOpener.open(config.store), directory: RPCDeviceDirectory(url: url))
    }

    /// Starts HTTP, MQTT (connecting in the background, with retries) and retention; returns
    /// the HTTP port.
    public func start() async throws -> Int {
        let port = try await http.start()
        var started: [Task<Void, Never>] = [Task { [retention] in await retention.run() }]
        if let bridge { started.append(Task { await bridge.run() }) }
        tasks.withLockedValue { $0 += started }
        return port
    }

    /// Stops everything.
    public func shutdown() async {
        let running = tasks.withLockedValue { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        await http.shutdown()
    }
}
