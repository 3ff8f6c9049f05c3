import Foundation
import MoteStream
import Testing

/// The stream node's TOML config.
@Suite struct StreamConfigTests {
    @Test func readsEveryKeyAndRefusesUnknownOnes() throws {
        let config = try StreamConfig(toml: """
            chain_id = 7
            rpc = "http://10.0.0.1:8545"
            store = "sqlite:data/stream.db"
            [http]
            listen = "0.0.0.0:9000"
            [mqtt]
            broker = "broker.local:1883"
            client_id = "s1"
            username = "u"
            password = "p"
            [limits]
            timestamp_tolerance_ms = 60000
            max_payload_bytes = 1024
            max_batch_messages = 50
            max_batch_bytes = 100000
            [retention]
            interval_seconds = 60
            """)
        #expect(config.chainID == 7 && config.rpcURL == "http://10.0.0.1:8545")
        #expect(config.store == .sqlite(path: "data/stream.db"))
        #expect(config.httpHost == "0.0.0.0" && config.httpPort == 9000)
        #expect(config.mqtt?.host == "broker.local" && config.mqtt?.port == 1883 && config.mqtt?.username == "u")
        #expect(config.limits.timestampToleranceMs == 60_000 && config.limits.maxBatchMessages == 50)
        #expect(config.retentionIntervalSeconds == 60)
        #expect(try StreamConfig(toml: "").mqtt == nil)
        #expect(try StreamConfig(toml: #"store = "postgres://u@h/db""#).store == .postgres(url: "postgres://u@h/db"))
        #expect(throws: StreamConfigError.self) { try StreamConfig(toml: "colour = 1") }
        #expect(throws: StreamConfigError.self) { try StreamConfig(toml: "[limits]\nmax_batch_messages = 0") }
        #expect(throws: StreamConfigError.self) { try StreamConfig(toml: #"store = "redis:x""#) }
    }

    @Test func readsTheConnectionLimitsAndTheAckKey() throws {
        let config = try StreamConfig(toml: """
            [http]
            listen = "127.0.0.1:8600"
            idle_timeout_seconds = 5
            max_connections = 100
            max_connections_per_ip = 10
            [mqtt]
            broker = "127.0.0.1:1883"
            username = "mote-stream"
            password = "secret-password"
            ack_key_file = "ack.key"
            """)
        #expect(config.connectionLimits.idleTimeoutSeconds == 5)
        #expect(config.connectionLimits.maxConnections == 100 && config.connectionLimits.maxConnectionsPerIP == 10)
        #expect(config.mqtt?.ackKeyFile == "ack.key")
        let defaults = StreamConfig()
        #expect(defaults.connectionLimits == StreamConnectionLimits())
        #expect(defaults.connectionLimits.idleTimeoutSeconds == 30 && defaults.connectionLimits.maxConnections == 4_096)
        for bad in [
            "[http]\nidle_timeout_seconds = 0", "[http]\nmax_connections = 0", "[http]\nmax_connections_per_ip = 2000000",
            "[http]\nmax_connections = 10\nmax_connections_per_ip = 11", "[mqtt]\nbroker = \"h:1\"\nusername = \"u\"",
            "[mqtt]\nbroker = \"h:1\"\nack_key_file = \"\"",
        ] {
            #expect(throws: StreamConfigError.self, "\(bad)") { try StreamConfig(toml: bad) }
        }
    }

    @Test func loadsTheAckKeyFileRelativeToTheConfig() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mote-ackkey-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try String(repeating: "ab", count: 32).write(toFile: folder + "/ack.key", atomically: true, encoding: .utf8)
        try "store = \"memory\"\n[mqtt]\nbroker = \"127.0.0.1:1\"\nack_key_file = \"ack.key\"\n".write(
            toFile: folder + "/stream.toml", atomically: true, encoding: .utf8)
        let config = try StreamConfig(contentsOf: folder + "/stream.toml")
        #expect(config.mqtt?.ackKeyFile == folder + "/ack.key")
        let key = try AckKeyFile.load(folder + "/ack.key")
        #expect(key.seed == [UInt8](repeating: 0xAB, count: 32))
        try "nonsense".write(toFile: folder + "/ack.key", atomically: true, encoding: .utf8)
        #expect(throws: StreamError.self) { try AckKeyFile.load(folder + "/ack.key") }
    }

    @Test func everyStoreKindOpens() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mote-stream-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sqlite = try await TelemetryStoreOpener.open(.sqlite(path: path))
        #expect(try await sqlite.devices().isEmpty)
        #expect(try await TelemetryStoreOpener.open(.memory).devices().isEmpty)
        // A PostgreSQL URL that is malformed is refused with the reason.
        await #expect(throws: StreamError.self) { try await TelemetryStoreOpener.open(.postgres(url: "postgres://")) }
    }
}
