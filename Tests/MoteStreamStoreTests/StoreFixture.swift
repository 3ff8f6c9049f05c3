import Foundation
import MotePrimitives
import MoteStreamStore
import MoteTelemetry
import Testing

/// The stores the conformance suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, sqlite, postgres

    var testDescription: String { rawValue }
}

/// One store's storage (a file, a database) for one test: `open()` opens a store on it, and
/// may be called again to reopen the same data, as a restarted node would.
struct StoreFixture: Sendable {
    let kind: StoreKind
    let open: @Sendable () async throws -> any TelemetryStore
}

/// The `PostgresTelemetryStore`s a test opened, whose pools run until the test ends.
private actor PoolRunners {
    private var tasks: [Task<Void, Never>] = []

    func start(_ store: PostgresTelemetryStore) {
        tasks.append(Task { await store.run() })
    }

    func stopAll() async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        tasks = []
    }
}

/// Runs `body` with fresh storage of `kind`, removed afterwards.
func withFixture(_ kind: StoreKind, _ body: (StoreFixture) async throws -> Void) async throws {
    switch kind {
    case .inMemory:
        let store = InMemoryTelemetryStore()
        try await body(StoreFixture(kind: kind) { store })
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("telemetry.sqlite").path
        try await body(StoreFixture(kind: kind) { try SQLiteTelemetryStore(path: path) })
    case .postgres:
        guard let cluster = PostgresCluster.current else {
            throw PostgresCluster.ClusterError(description: "no PostgreSQL cluster: the suite lacks the .postgresCluster trait")
        }
        let configuration = try cluster.get().createDatabase()
        let runners = PoolRunners()
        do {
            try await body(
                StoreFixture(kind: kind) {
                    let store = PostgresTelemetryStore(configuration: configuration)
                    await runners.start(store)
                    try await store.prepareSchema()
                    return store
                })
        } catch {
            await runners.stopAll()
            throw error
        }
        await runners.stopAll()
    }
}

/// Test messages: device `n` is the address of twenty bytes `n`.
enum Fixtures {
    static func device(_ n: UInt8) -> Address { Address(bytes: [UInt8](repeating: n, count: 20))! }

    /// A message whose payload and signature are made from its device and sequence.
    static func message(
        _ device: Address, _ sequence: UInt64, timestamp: UInt64? = nil, receivedAt: UInt64 = 1_000,
        payload: [UInt8]? = nil, contentType: String = "application/json"
    ) -> StoredMessage {
        let seed = UInt8(truncatingIfNeeded: sequence) ^ device.bytes[0]
        let envelope = TelemetryEnvelope(
            deviceID: device, sequence: sequence, timestamp: timestamp ?? sequence &* 1_000, contentType: contentType,
            payload: payload ?? Array("{\"seq\":\(sequence)}".utf8),
            signature: (0..<64).map { UInt8(truncatingIfNeeded: Int($0) &+ Int(seed)) })
        return StoredMessage(envelope: envelope, receivedAt: receivedAt)
    }

    static func messages(_ device: Address, _ sequences: some Sequence<UInt64>, receivedAt: UInt64 = 1_000) -> [StoredMessage] {
        sequences.map { message(device, $0, receivedAt: receivedAt) }
    }
}
