import Foundation
import MoteRPC
import MoteStream
import TOMLKit

/// A node's configuration, read from a TOML file (documented in docs/CONFIG.md). Every field
/// has a default; every value is range-checked, and a bad one is refused with its name.
public struct NodeConfig: Equatable, Sendable {
    /// `[node]`
    public var name = "mote"
    /// The data directory; relative paths are relative to the config file's folder.
    public var datadir = "data"

    /// `[delegate]`: the operator key (secp256k1, hex in a file) that signs blocks and votes;
    /// nil for a follower node.
    public var operatorKeyFile: String?
    /// The ECVRF secret key (Ed25519 seed, hex in a file) for the block VRF proof.
    public var vrfKeyFile: String?

    /// `[p2p]`
    public var p2pListen = HostPort(host: "127.0.0.1", port: 30_303)
    public var peers: [HostPort] = []
    public var bootnodes: [HostPort] = []
    public var maxPeers = 50

    /// `[rpc]`: JSON-RPC over HTTP, and over WebSocket with subscriptions; `rpcEnabled` false
    /// starts neither.
    public var rpcEnabled = true
    public var rpcListen = HostPort(host: "127.0.0.1", port: 8_545)
    public var wsListen = HostPort(host: "127.0.0.1", port: 8_546)
    public var rpcLimits = RPCLimits()

    /// `[stream]`: a stream node inside this node (docs/STREAM.md), reading devices through this
    /// node's RPC; off by default (`mote stream` runs one as its own process).
    public var streamEnabled = false
    public var streamListen = HostPort(host: "127.0.0.1", port: 8_600)
    /// `sqlite:PATH` (relative to the data directory), `postgres://…` or `memory`.
    public var streamStore = "sqlite:stream.db"
    /// The MQTT broker to take telemetry from, if any.
    public var streamMQTTBroker: HostPort?
    /// `[stream.operator]`: the MachineFi result poster inside the stream node (docs/APPLETS.md).
    public var streamOperator: StreamConfig.ResultPosterConfig?

    /// `[consensus]`, in milliseconds.
    public var blockIntervalMs: UInt64 = 5_000
    public var proposeTimeoutMs: UInt64 = 3_000
    public var voteTimeoutMs: UInt64 = 1_000
    public var roundTimeoutDeltaMs: UInt64 = 500

    /// `[pool]`
    public var poolCapacity = 4_096
    public var poolAccountCapacity = 64

    /// The defaults (mainnet-like: 5 s blocks).
    public init() {}

    /// A `host:port` pair.
    public struct HostPort: Equatable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` (IPv6 hosts in brackets: `[::1]:30303`).
        public init(parsing text: String) throws(NodeConfigError) {
            guard text.utf8.count <= 255, let colon = text.lastIndex(of: ":") else {
                throw NodeConfigError("\"\(text.prefix(64))\" is not host:port")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
                throw NodeConfigError("\"\(text.prefix(64))\" is not host:port with a port in 0...65535")
            }
            self.init(host: host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The largest config file read.
    public static let maxFileSize = 1 << 20

    /// Parses TOML text.
    public init(toml text: String) throws(NodeConfigError) {
        guard text.utf8.count <= Self.maxFileSize else { throw NodeConfigError("config file over \(Self.maxFileSize) bytes") }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw NodeConfigError("TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column)")
        } catch {
            throw NodeConfigError("TOML: \(error)")
        }
        var config = NodeConfig()
        let sections: Set<String> = ["node", "delegate", "p2p", "rpc", "stream", "consensus", "pool"]
        for key in table.keys where !sections.contains(key) {
            throw NodeConfigError("unknown section or key \"\(key.prefix(64))\"")
        }
        let node = try Section(table, "node", ["name", "datadir"])
        config.name = try node.string("name") ?? config.name
        config.datadir = try node.string("datadir") ?? config.datadir
        guard !config.name.isEmpty, config.name.utf8.count <= 64 else { throw NodeConfigError("node.name must be 1 to 64 bytes") }

        let delegate = try Section(table, "delegate", ["key_file", "vrf_key_file"])
        config.operatorKeyFile = try delegate.string("key_file")
        config.vrfKeyFile = try delegate.string("vrf_key_file")

        let p2p = try Section(table, "p2p", ["listen", "peers", "bootnodes", "max_peers"])
        if let listen = try p2p.string("listen") { config.p2pListen = try HostPort(parsing: listen) }
        config.peers = try (p2p.strings("peers") ?? []).map { text throws(NodeConfigError) in try HostPort(parsing: text) }
        config.bootnodes = try (p2p.strings("bootnodes") ?? []).map { text throws(NodeConfigError) in try HostPort(parsing: text) }
        config.maxPeers = try p2p.int("max_peers", in: 1...1_000) ?? config.maxPeers

        let rpc = try Section(
            table, "rpc",
            ["enabled", "listen", "ws_listen", "max_body_bytes", "max_batch", "max_log_range", "max_log_results",
             "max_connections", "max_subscriptions", "max_filters", "requests_per_second", "max_connections_per_ip",
             "max_subscriptions_per_ip", "max_filters_per_ip", "first_request_timeout_ms", "idle_timeout_ms"])
        config.rpcEnabled = try rpc.bool("enabled") ?? config.rpcEnabled
        if let listen = try rpc.string("listen") { config.rpcListen = try HostPort(parsing: listen) }
        if let listen = try rpc.string("ws_listen") { config.wsListen = try HostPort(parsing: listen) }
        var limits = config.rpcLimits
        limits.maxBodyBytes = try rpc.int("max_body_bytes", in: 1_024...(64 << 20)) ?? limits.maxBodyBytes
        limits.maxBatch = try rpc.int("max_batch", in: 1...10_000) ?? limits.maxBatch
        limits.maxLogRange = UInt64(try rpc.int("max_log_range", in: 1...1_000_000) ?? Int(limits.maxLogRange))
        limits.maxLogResults = try rpc.int("max_log_results", in: 1...1_000_000) ?? limits.maxLogResults
        limits.maxConnections = try rpc.int("max_connections", in: 1...100_000) ?? limits.maxConnections
        limits.maxSubscriptions = try rpc.int("max_subscriptions", in: 1...10_000) ?? limits.maxSubscriptions
        limits.maxFilters = try rpc.int("max_filters", in: 1...100_000) ?? limits.maxFilters
        limits.requestsPerSecond = try rpc.int("requests_per_second", in: 1...1_000_000) ?? limits.requestsPerSecond
        limits.maxConnectionsPerIP = try rpc.int("max_connections_per_ip", in: 1...100_000) ?? limits.maxConnectionsPerIP
        limits.maxSubscriptionsPerIP = try rpc.int("max_subscriptions_per_ip", in: 1...1_000_000) ?? limits.maxSubscriptionsPerIP
        limits.maxFiltersPerIP = try rpc.int("max_filters_per_ip", in: 1...100_000) ?? limits.maxFiltersPerIP
        if let ms = try rpc.int("first_request_timeout_ms", in: 100...600_000) { limits.firstRequestTimeout = .milliseconds(ms) }
        if let ms = try rpc.int("idle_timeout_ms", in: 1_000...3_600_000) { limits.idleTimeout = .milliseconds(ms) }
        config.rpcLimits = limits

        let stream = try Section(table, "stream", ["enabled", "listen", "store", "mqtt_broker", "operator"])
        config.streamEnabled = try stream.bool("enabled") ?? config.streamEnabled
        if let listen = try stream.string("listen") { config.streamListen = try HostPort(parsing: listen) }
        if let store = try stream.string("store") {
            do { _ = try StreamConfig.StoreLocation(parsing: store) } catch { throw NodeConfigError("stream.store: \(error)") }
            config.streamStore = store
        }
        if let broker = try stream.string("mqtt_broker") { config.streamMQTTBroker = try HostPort(parsing: broker) }
        if let value = stream.table?["operator"] {
            guard let section = value.table else { throw NodeConfigError("stream.operator must be a [section]") }
            do {
                config.streamOperator = try StreamConfig.resultPoster(
                    section, name: "stream.operator", timestampToleranceMs: IngestLimits().timestampToleranceMs)
            } catch { throw NodeConfigError(error.description) }
        }

        let consensus = try Section(
            table, "consensus", ["block_interval_ms", "propose_timeout_ms", "vote_timeout_ms", "round_timeout_delta_ms"])
        config.blockIntervalMs = UInt64(try consensus.int("block_interval_ms", in: 100...600_000) ?? Int(config.blockIntervalMs))
        config.proposeTimeoutMs = UInt64(try consensus.int("propose_timeout_ms", in: 50...600_000) ?? Int(config.proposeTimeoutMs))
        config.voteTimeoutMs = UInt64(try consensus.int("vote_timeout_ms", in: 50...600_000) ?? Int(config.voteTimeoutMs))
        config.roundTimeoutDeltaMs = UInt64(try consensus.int("round_timeout_delta_ms", in: 0...600_000) ?? Int(config.roundTimeoutDeltaMs))

        let pool = try Section(table, "pool", ["capacity", "account_capacity"])
        config.poolCapacity = try pool.int("capacity", in: 1...10_000_000) ?? config.poolCapacity
        config.poolAccountCapacity = try pool.int("account_capacity", in: 1...100_000) ?? config.poolAccountCapacity
        self = config
    }

    /// Reads and parses a config file.
    public init(contentsOf path: String) throws(NodeConfigError) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw NodeConfigError("no config file at \(path)")
        }
        guard ((attributes[.size] as? NSNumber)?.intValue ?? 0) <= Self.maxFileSize,
            let data = FileManager.default.contents(atPath: path)
        else { throw NodeConfigError("config file \(path) is unreadable or over \(Self.maxFileSize) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw NodeConfigError("config file \(path) is not UTF-8") }
        do { try self.init(toml: text) } catch { throw NodeConfigError("\(path): \(error)") }
        // Relative paths are relative to the config file.
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (folder as NSString).appendingPathComponent(p) }
        datadir = resolve(datadir)
        operatorKeyFile = operatorKeyFile.map(resolve)
        vrfKeyFile = vrfKeyFile.map(resolve)
        if let keyFile = streamOperator?.keyFile { streamOperator?.keyFile = resolve(keyFile) }
    }

    /// The file as TOML, with every field (for `mote devnet` and as documentation).
    public var toml: String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = ["[node]", "name = \(quoted(name))", "datadir = \(quoted(datadir))", "", "[delegate]"]
        if let operatorKeyFile { lines.append("key_file = \(quoted(operatorKeyFile))") }
        if let vrfKeyFile { lines.append("vrf_key_file = \(quoted(vrfKeyFile))") }
        lines += [
            "", "[p2p]", "listen = \(quoted(p2pListen.description))",
            "peers = [\(peers.map { quoted($0.description) }.joined(separator: ", "))]",
            "bootnodes = [\(bootnodes.map { quoted($0.description) }.joined(separator: ", "))]", "max_peers = \(maxPeers)",
            "", "[rpc]", "enabled = \(rpcEnabled)", "listen = \(quoted(rpcListen.description))",
            "ws_listen = \(quoted(wsListen.description))", "max_body_bytes = \(rpcLimits.maxBodyBytes)",
            "max_batch = \(rpcLimits.maxBatch)", "max_log_range = \(rpcLimits.maxLogRange)",
            "max_log_results = \(rpcLimits.maxLogResults)", "max_connections = \(rpcLimits.maxConnections)",
            "max_subscriptions = \(rpcLimits.maxSubscriptions)", "max_filters = \(rpcLimits.maxFilters)",
            "requests_per_second = \(rpcLimits.requestsPerSecond)", "max_connections_per_ip = \(rpcLimits.maxConnectionsPerIP)",
            "max_subscriptions_per_ip = \(rpcLimits.maxSubscriptionsPerIP)", "max_filters_per_ip = \(rpcLimits.maxFiltersPerIP)",
            "first_request_timeout_ms = \(RPCLimits.milliseconds(rpcLimits.firstRequestTimeout))",
            "idle_timeout_ms = \(RPCLimits.milliseconds(rpcLimits.idleTimeout))",
            "", "[stream]", "enabled = \(streamEnabled)", "listen = \(quoted(streamListen.description))",
            "store = \(quoted(streamStore))",
        ] + (streamMQTTBroker.map { ["mqtt_broker = \(quoted($0.description))"] } ?? [])
            + (streamOperator.map { poster in
                let s = poster.settings
                return [
                    "", "[stream.operator]", "key_file = \(quoted(poster.keyFile))", "projects = [\(s.projects.map(String.init).joined(separator: ", "))]",
                    "poll_seconds = \(s.pollSeconds)", "lookback_windows = \(s.lookbackWindows)", "settle_seconds = \(s.settleSeconds)",
                ] + (s.bond.map { ["bond = \(quoted($0.description))"] } ?? [])
            } ?? []) + [
            "", "[consensus]", "block_interval_ms = \(blockIntervalMs)", "propose_timeout_ms = \(proposeTimeoutMs)",
            "vote_timeout_ms = \(voteTimeoutMs)", "round_timeout_delta_ms = \(roundTimeoutDeltaMs)",
            "", "[pool]", "capacity = \(poolCapacity)", "account_capacity = \(poolAccountCapacity)", "",
        ]
        return lines.joined(separator: "\n")
    }
}

/// One `[section]` of the config, with the keys it allows.
private struct Section {
    let name: String
    let table: TOMLTable?

    init(_ root: TOMLTable, _ name: String, _ allowed: Set<String>) throws(NodeConfigError) {
        self.name = name
        guard let value = root[name] else {
            table = nil
            return
        }
        guard let table = value.table else { throw NodeConfigError("\(name) must be a [section]") }
        for key in table.keys where !allowed.contains(key) {
            throw NodeConfigError("unknown key \(name).\(key.prefix(64)); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        self.table = table
    }

    func string(_ key: String) throws(NodeConfigError) -> String? {
        guard let value = table?[key] else { return nil }
        guard let text = value.string, text.utf8.count <= 4_096 else { throw NodeConfigError("\(name).\(key) must be a string") }
        return text
    }

    func strings(_ key: String) throws(NodeConfigError) -> [String]? {
        guard let value = table?[key] else { return nil }
        guard let array = value.array, array.count <= 1_000 else { throw NodeConfigError("\(name).\(key) must be an array of strings") }
        var out: [String] = []
        for element in array {
            guard let text = element.string else { throw NodeConfigError("\(name).\(key) must be an array of strings") }
            out.append(text)
        }
        return out
    }

    func bool(_ key: String) throws(NodeConfigError) -> Bool? {
        guard let value = table?[key] else { return nil }
        guard let flag = value.bool else { throw NodeConfigError("\(name).\(key) must be true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(NodeConfigError) -> Int? {
        guard let value = table?[key] else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw NodeConfigError("\(name).\(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}

/// A config file that cannot be used, with the reason.
public struct NodeConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
