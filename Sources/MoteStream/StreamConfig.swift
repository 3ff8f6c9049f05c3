import Foundation
import MotePrimitives
import TOMLKit

/// A stream node's configuration, read from TOML (docs/STREAM.md):
///
/// ```toml
/// chain_id = 4689
/// rpc = "http://127.0.0.1:8545"   # the chain node answering mote_device
/// store = "sqlite:stream.db"      # or "postgres://user@host/db", or "memory"
///
/// [http]
/// listen = "127.0.0.1:8600"
/// idle_timeout_seconds = 30       # a connection with no request in progress is closed after this
/// max_connections = 4096          # open connections in all; more are closed at once
/// max_connections_per_ip = 256    # open connections from one IP address
///
/// [mqtt]                          # optional: no [mqtt], no MQTT
/// broker = "127.0.0.1:1883"
/// client_id = "mote-stream"
/// username = "…"                  # optional, with password
/// password = "…"
/// ack_key_file = "ack.key"        # Ed25519 seed (64 hex digits) the acks are signed with; absent: a new key each start
///
/// [limits]
/// timestamp_tolerance_ms = 300000
/// max_payload_bytes = 65536
/// max_batch_messages = 1000
/// max_batch_bytes = 4194304
///
/// [retention]
/// interval_seconds = 3600
///
/// [operator]                      # optional: the MachineFi result poster (docs/APPLETS.md)
/// key_file = "operator.key"       # secp256k1 key, 64 hex digits (as the wallet's --key-file)
/// projects = [1, 2]               # empty or absent: every active project
/// poll_seconds = 10
/// bond = "10000000000000000000"   # wei deposited when the free bond is short (default 10 × minimum)
/// lookback_windows = 7
/// settle_seconds = 300            # default: the timestamp tolerance
/// ```
public struct StreamConfig: Equatable, Sendable {
    public var chainID: UInt64 = 4_689
    public var rpcURL = "http://127.0.0.1:8545"
    public var store: StoreLocation = .memory
    public var httpHost = "127.0.0.1"
    public var httpPort = 8_600
    /// `[http]` idle timeout and connection caps.
    public var connectionLimits = StreamConnectionLimits()
    public var mqtt: MQTTBroker?
    public var limits = IngestLimits()
    public var retentionIntervalSeconds = 3_600
    /// The result poster, when `[operator]` is present.
    public var resultPoster: ResultPosterConfig?

    /// `[operator]`: the key file and the poster's settings.
    public struct ResultPosterConfig: Equatable, Sendable {
        /// The operator's secp256k1 key file (relative paths: relative to the config file).
        public var keyFile: String
        public var settings = OperatorSettings()

        public init(keyFile: String) { self.keyFile = keyFile }
    }

    /// Where accepted messages are kept.
    public enum StoreLocation: Equatable, Sendable {
        case memory
        /// A SQLite file (relative paths: relative to the config file).
        case sqlite(path: String)
        /// A PostgreSQL connection URL.
        case postgres(url: String)

        /// Parses `memory`, `sqlite:PATH` or `postgres://…` (`postgresql://…`).
        public init(parsing text: String) throws(StreamConfigError) {
            if text == "memory" {
                self = .memory
            } else if text.hasPrefix("sqlite:"), text.count > 7 {
                self = .sqlite(path: String(text.dropFirst(7)))
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                self = .postgres(url: text)
            } else {
                throw StreamConfigError("store must be \"memory\", \"sqlite:PATH\" or \"postgres://…\"")
            }
        }
    }

    /// The MQTT broker to take messages from.
    public struct MQTTBroker: Equatable, Sendable {
        public var host: String
        public var port: Int
        public var clientID = "mote-stream"
        public var username: String?
        public var password: String?
        /// The Ed25519 seed file the node signs its acks with (relative paths: relative to the
        /// config file); nil: a fresh key each start (its public key is in `/health`).
        public var ackKeyFile: String?

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init() {}

    /// Parses TOML text; unknown keys and out-of-range values are refused by name.
    public init(toml text: String) throws(StreamConfigError) {
        guard text.utf8.count <= 1 << 20 else { throw StreamConfigError("config file over 1 MiB") }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw StreamConfigError("TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column)")
        } catch {
            throw StreamConfigError("TOML: \(error)")
        }
        var config = StreamConfig()
        let root = try Table(table, nil, ["chain_id", "rpc", "store", "http", "mqtt", "limits", "retention", "operator"])
        config.chainID = UInt64(try root.int("chain_id", in: 1...Int.max) ?? Int(config.chainID))
        if let rpc = try root.string("rpc") {
            guard let url = URL(string: rpc), ["http", "https"].contains(url.scheme ?? "") else { throw StreamConfigError("rpc must be an http(s) URL") }
            config.rpcURL = rpc
        }
        if let store = try root.string("store") { config.store = try StoreLocation(parsing: store) }

        let http = try root.section("http", ["listen", "idle_timeout_seconds", "max_connections", "max_connections_per_ip"])
        if let listen = try http?.string("listen") { (config.httpHost, config.httpPort) = try Self.hostPort(listen, "http.listen") }
        if let http {
            var limits = config.connectionLimits
            limits.idleTimeoutSeconds = try http.int("idle_timeout_seconds", in: 1...3_600) ?? limits.idleTimeoutSeconds
            limits.maxConnections = try http.int("max_connections", in: 1...1_000_000) ?? limits.maxConnections
            limits.maxConnectionsPerIP = try http.int("max_connections_per_ip", in: 1...1_000_000) ?? limits.maxConnectionsPerIP
            guard limits.maxConnectionsPerIP <= limits.maxConnections else {
                throw StreamConfigError("http.max_connections_per_ip must not be above http.max_connections")
            }
            config.connectionLimits = limits
        }

        if let mqtt = try root.section("mqtt", ["broker", "client_id", "username", "password", "ack_key_file"]) {
            guard let brokerText = try mqtt.string("broker") else { throw StreamConfigError("mqtt.broker is required in [mqtt]") }
            let (host, port) = try Self.hostPort(brokerText, "mqtt.broker")
            var broker = MQTTBroker(host: host, port: port)
            broker.clientID = try mqtt.string("client_id") ?? broker.clientID
            guard !broker.clientID.isEmpty, broker.clientID.utf8.count <= 64 else { throw StreamConfigError("mqtt.client_id must be 1 to 64 bytes") }
            broker.username = try mqtt.string("username")
            broker.password = try mqtt.string("password")
            guard (broker.username == nil) == (broker.password == nil) else { throw StreamConfigError("mqtt.username and mqtt.password go together") }
            if let file = try mqtt.string("ack_key_file") {
                guard !file.isEmpty else { throw StreamConfigError("mqtt.ack_key_file must not be empty") }
                broker.ackKeyFile = file
            }
            config.mqtt = broker
        }

        if let limits = try root.section("limits", ["timestamp_tolerance_ms", "max_payload_bytes", "max_batch_messages", "max_batch_bytes"]) {
            config.limits.timestampToleranceMs = UInt64(try limits.int("timestamp_tolerance_ms", in: 1_000...86_400_000) ?? Int(config.limits.timestampToleranceMs))
            config.limits.maxPayloadBytes = try limits.int("max_payload_bytes", in: 1...(1 << 20)) ?? config.limits.maxPayloadBytes
            config.limits.maxBatchMessages = try limits.int("max_batch_messages", in: 1...100_000) ?? config.limits.maxBatchMessages
            config.limits.maxBatchBytes = try limits.int("max_batch_bytes", in: 1_024...(64 << 20)) ?? config.limits.maxBatchBytes
        }
        if let retention = try root.section("retention", ["interval_seconds"]) {
            config.retentionIntervalSeconds = try retention.int("interval_seconds", in: 1...604_800) ?? config.retentionIntervalSeconds
        }
        if let value = table["operator"] {
            guard let section = value.table else { throw StreamConfigError("operator must be a [section]") }
            config.resultPoster = try Self.resultPoster(section, name: "operator", timestampToleranceMs: config.limits.timestampToleranceMs)
        }
        self = config
    }

    /// Reads a config file; a relative SQLite path is made relative to the file's folder.
    public init(contentsOf path: String) throws(StreamConfigError) {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw StreamConfigError("no readable config file at \(path)")
        }
        do { try self.init(toml: String(decoding: data, as: UTF8.self)) } catch { throw StreamConfigError("\(path): \(error)") }
        if case .sqlite(let file) = store, !file.hasPrefix("/") {
            store = .sqlite(path: ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file))
        }
        if let keyFile = mqtt?.ackKeyFile, !keyFile.hasPrefix("/") {
            mqtt?.ackKeyFile = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(keyFile)
        }
        if let keyFile = resultPoster?.keyFile, !keyFile.hasPrefix("/") {
            resultPoster?.keyFile = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(keyFile)
        }
    }

    /// Parses an `[operator]` table (also `[stream.operator]` in a node's config, named `name`).
    public static func resultPoster(_ table: TOMLTable, name: String, timestampToleranceMs: UInt64) throws(StreamConfigError) -> ResultPosterConfig {
        let operatorKeys: Set<String> = [
            "key_file", "projects", "poll_seconds", "bond", "lookback_windows", "settle_seconds",
            // The issue's dashed spellings are accepted too.
            "key-file", "poll-seconds", "lookback-windows", "settle-seconds",
        ]
        let section = try Table(table, name, operatorKeys)
        let keyFileDashed = try section.string("key-file")
        guard let keyFile = try section.string("key_file") ?? keyFileDashed, !keyFile.isEmpty else {
            throw StreamConfigError("\(name).key_file is required in [\(name)]")
        }
        var poster = ResultPosterConfig(keyFile: keyFile)
        poster.settings.settleSeconds = (timestampToleranceMs + 999) / 1000
        if let projects = section.table["projects"] {
            guard let array = projects.array, array.count <= 1_000 else { throw StreamConfigError("\(name).projects must be a list of at most 1000 project ids") }
            poster.settings.projects = try array.map { value throws(StreamConfigError) in
                guard let id = value.int, id > 0 else { throw StreamConfigError("\(name).projects must hold positive integers") }
                return UInt64(id)
            }
        }
        let pollDashed = try section.int("poll-seconds", in: 1...3_600)
        poster.settings.pollSeconds = try section.int("poll_seconds", in: 1...3_600) ?? pollDashed ?? poster.settings.pollSeconds
        if let bond = section.table["bond"] {
            let amount: UInt256? = bond.int.flatMap { $0 > 0 ? UInt256(UInt64($0)) : nil } ?? bond.string.flatMap { UInt256(decimal: $0) }
            guard let amount, amount > .zero else { throw StreamConfigError("\(name).bond must be a positive amount of wei (a decimal string or an integer)") }
            poster.settings.bond = amount
        }
        let lookbackDashed = try section.int("lookback-windows", in: 1...1_000)
        poster.settings.lookbackWindows = try section.int("lookback_windows", in: 1...1_000) ?? lookbackDashed ?? poster.settings.lookbackWindows
        let settleDashed = try section.int("settle-seconds", in: 0...86_400)
        if let settle = try section.int("settle_seconds", in: 0...86_400) ?? settleDashed {
            poster.settings.settleSeconds = UInt64(settle)
        }
        return poster
    }

    static func hostPort(_ text: String, _ name: String) throws(StreamConfigError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw StreamConfigError("\(name) must be host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw StreamConfigError("\(name) must be host:port") }
        return (host, port)
    }
}

/// A config that cannot be used, with the reason.
public struct StreamConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A TOML table with the keys it allows.
private struct Table {
    let name: String?
    let table: TOMLTable

    init(_ table: TOMLTable, _ name: String?, _ allowed: Set<String>) throws(StreamConfigError) {
        self.name = name
        self.table = table
        for key in table.keys where !allowed.contains(key) {
            throw StreamConfigError("unknown key \(name.map { "\($0)." } ?? "")\(key.prefix(64)); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func path(_ key: String) -> String { name.map { "\($0).\(key)" } ?? key }

    func section(_ key: String, _ allowed: Set<String>) throws(StreamConfigError) -> Table? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw StreamConfigError("\(key) must be a [section]") }
        return try Table(inner, key, allowed)
    }

    func string(_ key: String) throws(StreamConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string, text.utf8.count <= 4_096 else { throw StreamConfigError("\(path(key)) must be a string") }
        return text
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(StreamConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw StreamConfigError("\(path(key)) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
