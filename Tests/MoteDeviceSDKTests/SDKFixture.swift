import Foundation
import MoteDeviceSDK
import MotePrimitives
import MoteStream
import MoteStreamStore
import MoteTelemetry

/// An in-process stream node (HTTP on a loopback port) that knows one active device, and a
/// temporary folder for the device's state.
final class SDKFixture: Sendable {
    static let chainID: UInt64 = 4_689

    let identity = DeviceIdentity.generate(curve: .p256)
    let store = InMemoryTelemetryStore()
    let directory: StaticDeviceDirectory
    let pipeline: IngestPipeline
    let folder: String

    init() throws {
        directory = StaticDeviceDirectory([DeviceRecord(key: identity.publicKey, status: .active, retentionDays: 30)])
        pipeline = IngestPipeline(chainID: Self.chainID, directory: directory, store: store)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mote-sdk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Fast retries for tests.
    static var options: TelemetryClient.Options {
        var options = TelemetryClient.Options()
        options.initialBackoff = .milliseconds(50)
        options.maxBackoff = .milliseconds(400)
        return options
    }

    /// A client of the fixture's device keeping its state in `folder/state`.
    func client(_ transport: any TelemetryTransport, options: TelemetryClient.Options = SDKFixture.options) throws -> TelemetryClient {
        try TelemetryClient(identity: identity, chainID: Self.chainID, directory: folder + "/state", transport: transport, options: options)
    }

    /// Starts an HTTP server on `port` (0: any); returns it and its port.
    func startHTTP(port: Int = 0) async throws -> (StreamHTTPServer, Int) {
        let server = StreamHTTPServer(pipeline: pipeline, host: "127.0.0.1", port: port)
        return (server, try await server.start())
    }

    /// The stored sequence numbers of the device, in order.
    func storedSequences() async -> [UInt64] {
        await store.messages(of: identity.deviceID, from: 0, to: .max, afterSequence: nil, limit: 10_000).map(\.sequence)
    }

    /// A JSON reading.
    static func reading(_ n: Int) -> [UInt8] { Array(#"{"lat":47.3769,"lon":8.5417,"steps":\#(n)}"#.utf8) }
}

/// Collects a client's reports as they come.
actor ReportLog {
    private(set) var reports: [DeliveryReport] = []

    func add(_ report: DeliveryReport) { reports.append(report) }

    /// Follows `client.reports` in a task.
    nonisolated func follow(_ client: TelemetryClient) -> Task<Void, Never> {
        Task { for await report in client.reports { await self.add(report) } }
    }

    /// Waits until `count` reports arrived (or 10 s passed).
    func wait(for count: Int) async -> [DeliveryReport] {
        let deadline = ContinuousClock.now + .seconds(10)
        while reports.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return reports
    }
}
