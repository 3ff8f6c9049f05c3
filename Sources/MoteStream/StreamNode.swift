import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteRPCClient
import Logging
import MoteStreamStore
import NIOConcurrencyHelpers
import ServiceLifecycle

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
/// broker, with the retention job beside them. The jobs (retention, the MQTT bridge, the
/// result poster) run as services of one `ServiceGroup` while the node runs.
public final class StreamNode: Sendable {
    public let config: StreamConfig
    public let pipeline: IngestPipeline
    public let bridge: StreamMQTTBridge?
    public let http: StreamHTTPServer
    public let retention: RetentionJob
    /// The MachineFi result poster, when the config has `[operator]`.
    public let poster: ResultPoster?
    /// The group running the jobs, while they run.
    private let jobs = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// A node with an explicit store and directory (tests, benchmarks, embedding).
    public init(
        config: StreamConfig, store: any TelemetryStore, directory: any DeviceDirectory, verifier: SignatureBatchVerifier = SignatureBatchVerifier(),
        poster: ResultPoster? = nil, ackKey: Ed25519.PrivateKey? = nil
    ) {
        self.poster = poster
        self.config = config
        let pipeline = IngestPipeline(chainID: config.chainID, directory: directory, store: store, limits: config.limits, verifier: verifier)
        self.pipeline = pipeline
        bridge = config.mqtt.map { broker in
            var mqtt = MQTTConfiguration(host: broker.host, port: broker.port, clientID: broker.clientID)
            mqtt.username = broker.username
            mqtt.password = broker.password.map { Array($0.utf8) }
            // Witness attestations go to the chain node this stream node reads devices from.
            return StreamMQTTBridge(
                pipeline: pipeline, configuration: mqtt, attestations: URL(string: config.rpcURL).map { RPCAttestationForwarder(url: $0) },
                ackKey: ackKey ?? .generate())
        }
        let bridge = bridge
        http = StreamHTTPServer(
            pipeline: pipeline, host: config.httpHost, port: config.httpPort, mqttState: { bridge?.state ?? "off" },
            operatorState: { poster?.countersJSON }, limits: config.connectionLimits, ackKey: bridge.map { Hex.encode($0.ackPublicKey.bytes) })
        retention = RetentionJob(store: store, directory: directory, interval: .seconds(config.retentionIntervalSeconds))
    }

    /// A node as its config says: the store it names, the chain node's `mote_device` as
    /// directory, and with `[operator]` the result poster signing with its key file.
    public static func open(config: StreamConfig) async throws(StreamError) -> StreamNode {
        guard let url = URL(string: config.rpcURL) else { throw StreamError("rpc is not a URL") }
        let key = try config.resultPoster.map { poster throws(StreamError) in try OperatorKeyFile.load(poster.keyFile) }
        let ackKey = try config.mqtt?.ackKeyFile.map { file throws(StreamError) in try AckKeyFile.load(file) }
        let store = try await TelemetryStoreOpener.open(config.store)
        let poster = both(config.resultPoster, key).map { posterConfig, key in
            ResultPoster(chain: RPCProjectChain(client: JSONRPCClient(url: url), key: key), store: store, settings: posterConfig.settings)
        }
        return StreamNode(config: config, store: store, directory: RPCDeviceDirectory(url: url), poster: poster, ackKey: ackKey)
    }

    /// Starts HTTP, MQTT (connecting in the background, with retries) and retention; returns
    /// the HTTP port.
    public func start() async throws -> Int {
        let port = try await http.start()
        var services: [StreamJob] = [StreamJob { [retention] in await retention.run() }]
        if let bridge { services.append(StreamJob { await bridge.run() }) }
        if let poster { services.append(StreamJob { await poster.run() }) }
        // Each job runs until cancelled; one that ends leaves the others running.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore) },
                logger: Logger(label: "mote.stream.jobs", factory: { _ in SwiftLogNoOpLogHandler() })))
        jobs.withLockedValue { $0 = Task { try? await group.run() } }
        return port
    }

    /// Stops the jobs (cancelled), then the HTTP server.
    public func shutdown() async {
        let running = jobs.withLockedValue { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
        await http.shutdown()
    }
}

/// The operator's key file: a secp256k1 private key as 64 hex digits (`0x` optional),
/// whitespace around it ignored — the wallet CLI's `--key-file` format.
public enum OperatorKeyFile {
    public static func load(_ path: String) throws(StreamError) -> Secp256k1.PrivateKey {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StreamError("operator key file \(path) cannot be read") }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4_096) else { throw StreamError("operator key file \(path) is empty") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64 || (text.hasPrefix("0x") && text.utf8.count == 66), let bytes = try? Hex.decode(text), bytes.count == 32 else {
            throw StreamError("operator key file \(path) must hold a private key: 64 hex digits (0x optional)")
        }
        do { return try Secp256k1.PrivateKey(bytes: bytes) } catch { throw StreamError("operator key file \(path): \(error)") }
    }
}

/// The MQTT ack key file: an Ed25519 seed as 64 hex digits (`0x` optional), whitespace around
/// it ignored. `mote devnet` writes one (`stream/stream-ack.key`).
public enum AckKeyFile {
    public static func load(_ path: String) throws(StreamError) -> Ed25519.PrivateKey {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StreamError("ack key file \(path) cannot be read") }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4_096) else { throw StreamError("ack key file \(path) is empty") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64 || (text.hasPrefix("0x") && text.utf8.count == 66), let bytes = try? Hex.decode(text), bytes.count == 32 else {
            throw StreamError("ack key file \(path) must hold an Ed25519 seed: 64 hex digits (0x optional)")
        }
        do { return try Ed25519.PrivateKey(seed: bytes) } catch { throw StreamError("ack key file \(path): \(error)") }
    }
}

private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// One of the stream node's long-running jobs as a service: it runs until cancelled.
struct StreamJob: Service {
    let body: @Sendable () async -> Void

    init(_ body: @escaping @Sendable () async -> Void) { self.body = body }

    func run() async throws { await body() }
}
