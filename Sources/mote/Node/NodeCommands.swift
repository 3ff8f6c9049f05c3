import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MoteMQTT
import MoteNode
import MotePrimitives
import MoteTestKit
import ServiceLifecycle

/// `mote node --config FILE`: runs a trusted node until SIGINT or SIGTERM.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a node (delegate or follower) from its TOML config file (docs/CONFIG.md).")

    @Option(help: "The node's config file.") var config: String

    func run() throws {
        let nodeConfig = failOnError { () throws(NodeConfigError) in try NodeConfig(contentsOf: config) }
        let node: Node
        let prefix = "[\(nodeConfig.name)] "
        let output: @Sendable (String) -> Void = { line in FileHandle.standardOutput.write(Data((prefix + line + "\n").utf8)) }
        do { node = try Node(config: nodeConfig, output: output) } catch { JSONOutput.fail("\(error)") }
        // The node, its stream node and RPC servers as services, stopped in reverse order on
        // SIGINT or SIGTERM. An error is a failure to start (a port in use, …) or to go on:
        // said on stderr, with the busy ports named, exit 1.
        ServiceRunner.runUntilStopped(
            { try await NodeServices.make(node: node, output: output) },
            failure: { failure in
                var line = "node \(nodeConfig.name): cannot run: \(failure)"
                let busy = PortProbe.busyListeners(of: nodeConfig)
                if !busy.isEmpty { line += " (in use by another process: \(busy.joined(separator: ", ")))" }
                return line
            },
            stopped: "node \(nodeConfig.name): stopped")
    }
}

/// `mote devnet`: a local network of delegate nodes, one OS process each, on loopback.
struct DevnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Create and start a local devnet: N delegate nodes on loopback, prefunded test accounts.",
        discussion: "Ctrl-C stops every node. Running it again on the same --datadir restarts the same network.")

    @Option(help: "Delegate nodes (1 to 16).") var nodes: Int = 4
    @Option(help: "Block interval in milliseconds (100 to 60000).") var blockTime: Int = 1_000
    @Option(help: "The devnet's folder.") var datadir: String = "devnet"
    @Option(help: "Prefunded test accounts (1 to 10000; the first 10 are printed).") var accounts: Int = 5
    @Option(help: ArgumentHelp("Pool capacity of each node.", visibility: .hidden)) var poolCapacity: Int = 4_096
    @Option(help: ArgumentHelp("Pool capacity per sender of each node.", visibility: .hidden)) var poolAccountCapacity: Int = 64
    @Option(help: "First p2p port; node i listens on base + i.") var basePort: Int = 30_300
    @Option(help: "First JSON-RPC HTTP port; node i listens on rpc-port + i.") var rpcPort: Int = 8_545
    @Option(help: "First JSON-RPC WebSocket port; node i listens on ws-port + i.") var wsPort: Int = 8_645
    @Option(help: "Chain id.") var chainId: UInt64 = 4_689
    @Option(help: "Blocks per epoch (producers are reshuffled by the VRF seed each epoch).") var epochLength: UInt64 = 60
    @Option(help: "Block gas limit (≥ 21000; 200 M fits about 9,500 transfers a block).") var gasLimit: UInt64 = 200_000_000
    @Option(help: "Seconds in a staking day (stake durations and waiting periods count these).") var daySeconds: UInt64 = 60
    @Flag(help: "Create the files and exit without starting the nodes.") var setupOnly = false
    @Flag(help: "Also start a stream node (telemetry over HTTP, and MQTT through a mosquitto broker when one is installed).")
    var stream = false
    @Option(help: "The stream node's HTTP port (with --stream).") var streamPort: Int = 8_600
    @Option(help: "The mosquitto broker's port (with --stream).") var mqttPort: Int = 1_883

    func validate() throws {
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be in 1...16") }
        guard (100...60_000).contains(blockTime) else { throw ValidationError("--block-time must be in 100...60000") }
        guard (1...10_000).contains(accounts) else { throw ValidationError("--accounts must be in 1...10000") }
        guard (1...10_000_000).contains(poolCapacity), (1...100_000).contains(poolAccountCapacity) else {
            throw ValidationError("pool capacities out of range")
        }
        guard (1_024...65_000).contains(basePort) else { throw ValidationError("--base-port must be in 1024...65000") }
        guard (1_024...65_000).contains(rpcPort) else { throw ValidationError("--rpc-port must be in 1024...65000") }
        guard (1_024...65_000).contains(wsPort) else { throw ValidationError("--ws-port must be in 1024...65000") }
        let ranges = [basePort, rpcPort, wsPort].map { $0..<($0 + nodes) }
        guard !ranges[0].overlaps(ranges[1]), !ranges[0].overlaps(ranges[2]), !ranges[1].overlaps(ranges[2]) else {
            throw ValidationError("the p2p, RPC and WebSocket port ranges (\(nodes) ports from --base-port, --rpc-port and --ws-port) overlap")
        }
        guard (1...1_000_000).contains(epochLength) else { throw ValidationError("--epoch-length must be in 1...1000000") }
        guard (21_000...10_000_000_000).contains(gasLimit) else { throw ValidationError("--gas-limit must be in 21000...10000000000") }
        guard (1...86_400).contains(daySeconds) else { throw ValidationError("--day-seconds must be in 1...86400") }
        guard (1_024...65_535).contains(streamPort), (1_024...65_535).contains(mqttPort), streamPort != mqttPort else {
            throw ValidationError("--stream-port and --mqtt-port must be distinct ports in 1024...65535")
        }
    }

    func run() throws {
        let root = (datadir as NSString).expandingTildeInPath
        let fm = FileManager.default
        let genesisPath = root + "/genesis.json"
        let testKeys = DevKeys.keys(accounts)
        if !fm.fileExists(atPath: genesisPath) {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var delegates: [[String: Any]] = []
            var alloc: [String: Any] = [:]
            for key in testKeys { alloc[key.address.checksummed] = ["balance": "1000000000000000000000000"] }
            // The stream node's result poster (MachineFi, docs/APPLETS.md): its own funded
            // account, so it never races a test account's nonces.
            let streamOperator = Secp256k1.PrivateKey.generate()
            try writeSecret(Hex.encode(streamOperator.bytes) + "\n", to: root + "/stream-operator.key")
            alloc[streamOperator.address.checksummed] = ["balance": "1000000000000000000000000"]
            // The reward fund: 1,000,000 MOTE.
            alloc[RewardingABI.address.checksummed] = ["balance": "1000000000000000000000000"]
            // The witness pool's fund (attestation rewards): 100,000 MOTE.
            alloc[WitnessPoolABI.address.checksummed] = ["balance": "100000000000000000000000"]
            for i in 0..<nodes {
                let folder = root + "/node-\(i)"
                try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let key = Secp256k1.PrivateKey.generate()
                try writeSecret(Hex.encode(key.bytes) + "\n", to: folder + "/operator.key")
                let vrf = ECVRF.SecretKey.generate()
                try writeSecret(Hex.encode(vrf.seed) + "\n", to: folder + "/vrf.key")
                delegates.append(["name": "delegate-\(i)", "operator": key.address.checksummed, "vrf": Hex.encode(vrf.publicKey.bytes)])
                alloc[key.address.checksummed] = ["balance": "100000000000000000000000"]  // 100,000 MOTE: enough to stand as a candidate
                var config = NodeConfig()
                config.name = "node-\(i)"
                config.datadir = "data"
                config.operatorKeyFile = "operator.key"
                config.vrfKeyFile = "vrf.key"
                config.p2pListen = .init(host: "127.0.0.1", port: basePort + i)
                config.rpcListen = .init(host: "127.0.0.1", port: rpcPort + i)
                config.wsListen = .init(host: "127.0.0.1", port: wsPort + i)
                config.peers = (0..<nodes).filter { $0 != i }.map { .init(host: "127.0.0.1", port: basePort + $0) }
                config.blockIntervalMs = UInt64(blockTime)
                config.proposeTimeoutMs = UInt64(max(300, blockTime))
                config.voteTimeoutMs = UInt64(max(200, blockTime / 2))
                config.roundTimeoutDeltaMs = UInt64(max(100, blockTime / 4))
                config.poolCapacity = poolCapacity
                config.poolAccountCapacity = poolAccountCapacity
                try config.toml.write(toFile: folder + "/config.toml", atomically: true, encoding: .utf8)
            }
            let genesis: [String: Any] = [
                "chainId": NSNumber(value: chainId), "timestamp": Int(Date().timeIntervalSince1970), "gasLimit": NSNumber(value: gasLimit),
                "baseFee": "1000000000", "alloc": alloc, "delegates": delegates,
                "parameters": [
                    "epochLength": NSNumber(value: epochLength), "blockIntervalMs": blockTime, "numDelegates": nodes,
                    "numCandidateDelegates": nodes, "secondsPerDay": NSNumber(value: daySeconds), "withdrawWaitingDays": 1,
                    "registrationFee": "10000000000000000000", "minSelfStake": "1000000000000000000000",
                    "minStakeAmount": "10000000000000000000", "blockReward": "1000000000000000000",
                    "epochReward": "100000000000000000000", "foundationBonus": "5000000000000000000", "foundationBonusDelegates": nodes,
                    "deviceActivationFee": "100000000000000000", "minimumOperatorBond": "10000000000000000000",
                    "challengeDeposit": "1000000000000000000", "challengerShare": 50, "minimumChallengeSeconds": 10,
                ] as [String: Any],
            ]
            try JSONSerialization.data(withJSONObject: genesis, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: genesisPath))
            let list = testKeys.map { ["address": $0.address.checksummed, "privateKey": Hex.encode($0.bytes)] }
            try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: root + "/accounts.json"))
        }
        let genesis = readGenesis(genesisPath)
        let count = genesis.delegates.count
        for i in 0..<count {
            let data = root + "/node-\(i)/data"
            if !fm.fileExists(atPath: data + "/genesis.json") {
                try fm.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try fm.copyItem(atPath: genesisPath, toPath: data + "/genesis.json")
            }
        }
        print("devnet in \(root): chain id \(genesis.chainID), \(count) delegate nodes, \(genesis.parameters.blockIntervalMs) ms blocks")
        for i in 0..<count {
            let config = failOnError { () throws(NodeConfigError) in try NodeConfig(contentsOf: root + "/node-\(i)/config.toml") }
            print("  node-\(i): p2p \(config.p2pListen)  rpc http://\(config.rpcListen)  ws ws://\(config.wsListen)")
        }
        print("test accounts (also in \(root)/accounts.json; public keys, never use them for value):")
        for key in DevKeys.keys(min(accounts, 10)) { print("  \(key.address.checksummed)  \(Hex.encode(key.bytes))") }
        fflush(nil)  // the banner reaches a pipe before the nodes start (flushes every stream)
        if setupOnly { return }

        // Every service is supervised: one that exits, or does not open its port, stops the
        // devnet with its name, the end of its output and exit status 1.
        let supervisor = DevnetSupervisor()
        DevnetSupervisor.unblockSignals()  // what the children (the broker too) inherit
        let configs = (0..<count).map { i in
            failOnError { () throws(NodeConfigError) in try NodeConfig(contentsOf: root + "/node-\(i)/config.toml") }
        }
        // A port another process holds would fail a service (or answer for it): refused first.
        var busy = configs.flatMap { config in PortProbe.busyListeners(of: config).map { "\(config.name) \($0)" } }
        if stream {
            busy += [("stream node http", streamPort), ("mqtt broker", mqttPort)]
                .filter { PortProbe.isInUse(host: "127.0.0.1", port: $0.1) }.map { "\($0.0) 127.0.0.1:\($0.1)" }
        }
        guard busy.isEmpty else {
            FileHandle.standardError.write(Data("devnet: ports in use by another process: \(busy.joined(separator: ", ")); stop it or choose other ports\n".utf8))
            Foundation.exit(1)
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var ports: [Int] = []
        for (i, config) in configs.enumerated() {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["node", "--config", root + "/node-\(i)/config.toml"]
            let port = config.rpcEnabled ? config.rpcListen.port : config.p2pListen.port
            try supervisor.launch(process, name: "node-\(i)", port: port)
            ports.append(port)
        }
        if stream {
            for process in try startStream(root: root, genesis: genesis, supervisor: supervisor) where !supervisor.supervises(process) {
                try supervisor.adopt(process, name: "mqtt broker (mosquitto)", port: mqttPort)
            }
        }
        let answering = ports.map(String.init).joined(separator: ", ")
        supervisor.waitUntilReady {
            print("devnet running: \(count) node\(count == 1 ? "" : "s") answering (ports \(answering))"
                + (stream ? ", stream node on \(streamPort)" : "") + "; Ctrl-C stops it")
            fflush(nil)
        }
        // Signal handlers only now (the group installs them): on Linux they block SIGINT and
        // SIGTERM in this thread, and a child started after that would inherit the mask
        // (mosquitto would never see SIGTERM).
        ServiceRunner.runUntilStopped({ [DevnetProcesses(supervisor: supervisor)] }, failure: { "devnet: \($0)" }, stopped: "devnet stopped")
    }

    /// A mosquitto broker (when installed) and a `mote stream` node reading devices from node 0,
    /// storing in `stream/stream.db`; their files in `<devnet>/stream`.
    private func startStream(root: String, genesis: Genesis, supervisor: DevnetSupervisor) throws -> [Process] {
        let folder = root + "/stream"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let node0 = try NodeConfig(contentsOf: root + "/node-0/config.toml")
        var processes: [Process] = []
        var mqtt = ""
        if let mosquitto = MosquittoBroker.executable {
            // Authentication, the ACL, a packet limit and the ack key (DevnetBroker.swift, docs/STREAM.md).
            let broker = try DevnetBroker.start(mosquitto: mosquitto, folder: folder, port: mqttPort)
            processes.append(broker.process)
            mqtt = broker.streamSection
        } else {
            print("  mqtt: mosquitto is not installed (apt-get install mosquitto): the stream node takes HTTP only")
        }
        // The result poster posts every project's closed windows with the devnet's operator
        // account, depositing its bond itself; windows settle 5 s after they end.
        var operatorSection = ""
        if FileManager.default.fileExists(atPath: root + "/stream-operator.key") {
            // Relative paths in a config file are relative to the file's folder (`stream/`).
            operatorSection = "\n[operator]\nkey_file = \"../stream-operator.key\"\npoll_seconds = 2\nsettle_seconds = 5\n"
        }
        try """
            chain_id = \(genesis.chainID)
            rpc = "http://\(node0.rpcListen)"
            store = "sqlite:stream.db"

            [http]
            listen = "127.0.0.1:\(streamPort)"
            \(mqtt)\(operatorSection)
            """.write(toFile: folder + "/stream.toml", atomically: true, encoding: .utf8)
        let node = Process()
        node.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        node.arguments = ["stream", "--config", folder + "/stream.toml"]
        try supervisor.launch(node, name: "stream node", port: streamPort)
        processes.append(node)
        print("  stream: http://127.0.0.1:\(streamPort)/v1/telemetry (docs/STREAM.md), config \(folder)/stream.toml")
        if !operatorSection.isEmpty { print("  result poster: operator key \(root)/stream-operator.key (docs/APPLETS.md)") }
        return processes
    }

    private func writeSecret(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
    }
}

/// The devnet's processes as one service: graceful shutdown (SIGINT, SIGTERM) stops them all.
private struct DevnetProcesses: ServiceLifecycle.Service {
    let supervisor: DevnetSupervisor

    func run() async throws {
        try? await gracefulShutdown()
        // Up to 10 s of waiting for the processes to exit: off the concurrency pool.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                supervisor.stopAll()
                done.resume()
            }
        }
    }
}
