import ArgumentParser
import Foundation
import MoteStreamStore
import MoteTestKit

/// `mote bench store`: how many small telemetry messages a store appends per second.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Append throughput of the telemetry store (SQLite by default, or PostgreSQL).",
        discussion: """
            Appends --messages synthetic messages (40 to 100 byte payloads) in appends of --batch, \\
            spread over --devices devices, into a fresh store; every append is durable before the next. \\
            Message generation and hashing happen before the clock starts.
            """)

    @Option(help: "Messages to append.") var messages: Int = 100_000
    @Option(help: "Messages per append.") var batch: Int = 1_000
    @Option(help: "Devices the messages are spread over.") var devices: Int = 100
    @Option(help: "The SQLite file (default: a temporary one, removed afterwards).") var sqlite: String?
    @Option(help: "A postgres://user[:password]@host[:port]/database URL: measure PostgreSQL instead.") var postgres: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...10_000_000).contains(messages) else { throw ValidationError("--messages must be in 1...10000000") }
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be in 1...100000") }
        guard (1...1_000_000).contains(devices) else { throw ValidationError("--devices must be in 1...1000000") }
    }

    func run() throws {
        try runBlocking { try await measure() }
    }

    private func measure() async throws {
        var next = [UInt64](repeating: 1, count: devices)
        let batches: [[StoredMessage]] = stride(from: 0, to: messages, by: batch).map { start in
            (start..<min(start + batch, messages)).map { i in
                let device = i % devices
                defer { next[device] += 1 }
                return SyntheticTelemetry.message(device: device, sequence: next[device])
            }
        }
        let seconds: Double
        let backend: String
        if let postgres {
            backend = "postgresql"
            let configuration = try PostgresStoreConfiguration(url: postgres)
            seconds = try await PostgresTelemetryStore.withStore(configuration: configuration) { store in
                try await Self.timeAppends(batches, into: store)
            }
        } else {
            backend = "sqlite"
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-store-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = sqlite ?? directory.appendingPathComponent("telemetry.sqlite").path
            seconds = try await Self.timeAppends(batches, into: try SQLiteTelemetryStore(path: path))
        }
        let rate = Double(messages) / seconds
        if json {
            print(
                "{\"store\":\"\(backend)\",\"messages\":\(messages),\"batch\":\(batch),\"devices\":\(devices),"
                    + "\"seconds\":\(seconds),\"messagesPerSecond\":\(Int(rate))}")
        } else {
            print("mote bench store (\(backend)): \(messages) messages in appends of \(batch) over \(devices) devices")
            print(String(format: "%.2f s, %.0f messages/s, %.1f ms per append", seconds, rate, seconds * 1_000 / Double((messages + batch - 1) / batch)))
        }
    }

    /// Seconds to append every batch, one after another.
    private static func timeAppends(_ batches: [[StoredMessage]], into store: some TelemetryStore) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        for messages in batches {
            let outcomes = try await store.append(messages)
            guard outcomes.allSatisfy({ $0 == .stored }) else { throw ValidationError("the store was not empty") }
        }
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
