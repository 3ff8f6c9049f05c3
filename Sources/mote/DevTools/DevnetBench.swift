import ArgumentParser
import Foundation
import MoteChain
import MoteCrypto
import MoteLedger
import MoteNode
import MoteP2P
import MotePrimitives
import MoteTransactions

/// `mote bench devnet`: a real devnet on loopback under a steady load of signed transfers.
///
/// Starts N `mote node` processes, joins them as a p2p peer, sends `rate` transfers per second
/// (every node gets every batch, as gossip would bring it) for `seconds`, and reads each
/// node's finalized blocks from its output. Transfers have equal tips, so pools include them
/// in arrival order: the i-th transfer sent is final when the finalized count reaches i,
/// which gives its time from submission to finality.
struct DevnetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet", abstract: "Sustained finalized transfers/s, submission-to-finality latency and CPU per node.")

    @Option(help: "Delegate nodes (1 to 16).") var nodes: Int = 4
    @Option(help: "Block interval in milliseconds (100 to 60000).") var blockTime: Int = 1_000
    @Option(help: "Seconds of load (1 to 7200; a soak runs 1800 or more).") var seconds: Int = 60
    @Option(help: "Transfers per second sent (1 to 100000).") var rate: Int = 3_000
    @Option(help: "Sending accounts (1 to 10000).") var accounts: Int = 2_000
    @Option(help: "First p2p port (1024 to 65000).") var basePort: Int = 31_300
    @Option(help: "Measure the overload curve through JSON-RPC instead: offered rates, comma-separated (e.g. 1000,2000,4000,8000,10000); a fresh devnet for each.")
    var curve: String?
    @Option(help: "With --curve: write the curve as an SVG chart to this file.") var plot: String?
    @Option(help: "Soak: sample every node's memory (anonymous and file-backed RSS, /proc) every this many seconds and print it.")
    var rssInterval: Int?

    func validate() throws {
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be in 1...16") }
        guard (100...60_000).contains(blockTime) else { throw ValidationError("--block-time must be in 100...60000") }
        guard (1...7_200).contains(seconds) else { throw ValidationError("--seconds must be in 1...7200") }
        guard (1...100_000).contains(rate) else { throw ValidationError("--rate must be in 1...100000") }
        guard (1...10_000).contains(accounts) else { throw ValidationError("--accounts must be in 1...10000") }
        guard (1_024...65_000).contains(basePort) else { throw ValidationError("--base-port must be in 1024...65000") }
    }

    func run() throws {
        let command = self
        if let curve {
            let rates = curve.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !rates.isEmpty, rates.allSatisfy({ (1...100_000).contains($0) }) else {
                JSONOutput.fail("--curve takes comma-separated rates in 1...100000")
            }
            do {
                try runBlocking {
                    print("mote bench devnet --curve: \(command.nodes) nodes, \(command.blockTime) ms blocks, \(command.seconds) s per rate, through eth_sendRawTransaction")
                    let points = try await command.runCurve(rates)
                    if let plot = command.plot {
                        try Self.plot(points, blockTimeMs: command.blockTime).write(toFile: plot, atomically: true, encoding: .utf8)
                        print("plot: \(plot)")
                    }
                }
            } catch { JSONOutput.fail("\(error)") }
            return
        }
        do { try runBlocking { try await command.runAsync() } } catch { JSONOutput.fail("\(error)") }
    }

    func runAsync() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let root = NSTemporaryDirectory() + "mote-bench-devnet-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let total = rate * seconds
        let genesis = try setUpDevnet(
            binary: binary, root: root, accounts: accounts, poolCapacity: max(4_096, total + 1),
            poolAccountCapacity: total / accounts + 16)

        // Sign the load before starting (setup, not measured).
        print("mote bench devnet: \(nodes) nodes, \(blockTime) ms blocks, \(rate) transfers/s for \(seconds) s from \(accounts) accounts")
        let keys = DevKeys.keys(accounts)
        let recipient = Address(suffixOf: Keccak256.hash(utf8: "bench recipient"))
        let accounts = self.accounts
        let chainID = genesis.chainID
        let raws = SignatureBatchVerifier().concurrentMap(Array(0..<total)) { i in
            Self.transfer(chainID: chainID, nonce: UInt64(i / accounts), from: keys[i % accounts], to: recipient)
        }

        let processes = try startNodes(binary: binary, root: root)
        defer { for (process, _) in processes where process.isRunning { process.terminate(); process.waitUntilExit() } }

        // Join as a peer of every node.
        var config = P2PConfig(chainID: genesis.chainID, genesisHash: try genesisHash(root))
        config.listenPort = 0
        config.staticPeers = (0..<nodes).map { PeerEndpoint(host: "127.0.0.1", port: basePort + $0) }
        config.banHosts = false
        let client = P2PNode(config: config, key: .generate())
        try await client.start()
        let connectDeadline = Date().addingTimeInterval(30)
        while await client.connectedPeers().count < nodes, Date() < connectDeadline { try await Task.sleep(for: .milliseconds(100)) }
        guard processes.allSatisfy({ $0.1.waitForHeight(1, timeout: 30) }) else { throw ValidationError("the devnet did not start") }
        let cpuBefore = processes.map { cpuSeconds($0.0.processIdentifier) }

        // Soak: every node's memory over time, sampled beside the load.
        let pids = processes.map { $0.0.processIdentifier }
        let sampler = rssInterval.map { interval in
            Task.detached {
                var samples: [(Double, [MemorySample])] = []
                let begin = Date()
                print("RSS per node (MB, anonymous / file-backed) every \(interval) s:")
                while !Task.isCancelled {
                    let sample = pids.map(MemorySample.read)
                    let t = Date().timeIntervalSince(begin)
                    samples.append((t, sample))
                    print(String(format: "  t=%5.0f s  ", t) + sample.map { String(format: "%6.1f/%6.1f", $0.anonMB, $0.fileMB) }.joined(separator: "  "))
                    try? await Task.sleep(for: .seconds(interval))
                }
                return samples
            }
        }
        // Send: 10 batches a second.
        let start = Date()
        var sendTimes = [Double](repeating: 0, count: total)
        let batch = max(1, rate / 10)
        var sent = 0
        while sent < total {
            let due = start.addingTimeInterval(Double(sent) / Double(rate))
            let wait = due.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            let end = min(total, sent + batch)
            let now = Date().timeIntervalSince(start)
            for i in sent..<end { sendTimes[i] = now }
            await client.broadcast(.transactions(Array(raws[sent..<end])))
            sent = end
        }
        let sendDuration = Date().timeIntervalSince(start)
        if let sampler {
            sampler.cancel()
            let samples = await sampler.value
            // Growth after warm-up (the first fifth of the run): anonymous memory per node.
            if let warm = samples.first(where: { $0.0 >= sendDuration * 0.2 }), let last = samples.last, last.0 > warm.0 {
                for i in pids.indices {
                    let growth = last.1[i].anonMB - warm.1[i].anonMB
                    print(String(format: "node-%d anonymous RSS %.1f → %.1f MB from t=%.0f s to t=%.0f s (%+.2f MB/min); file-backed %.1f → %.1f MB",
                                 i, warm.1[i].anonMB, last.1[i].anonMB, warm.0, last.0, growth / (last.0 - warm.0) * 60,
                                 warm.1[i].fileMB, last.1[i].fileMB))
                }
            }
        }
        // Wait for the load to be finalized (or give up after 3 block times × 10).
        let log = processes[0].1
        let drainDeadline = Date().addingTimeInterval(Double(blockTime) / 1000 * 30)
        while log.finalizedTransactions < total, Date() < drainDeadline { try await Task.sleep(for: .milliseconds(200)) }
        let elapsed = Date().timeIntervalSince(start)
        let cpuAfter = processes.map { cpuSeconds($0.0.processIdentifier) }
        await client.shutdown()

        // Latency: transfer i is final when the cumulative finalized count reaches i + 1.
        let finals = log.events(since: start)
        var latencies: [Double] = []
        var index = 0
        for (time, cumulative) in finals {
            while index < min(cumulative, total) {
                latencies.append(time - sendTimes[index])
                index += 1
            }
        }
        latencies.sort()
        let finalized = index
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let lastFinal = finals.last?.0 ?? elapsed
        let overall = Double(finalized) / max(lastFinal, sendDuration)
        // Steady state: what was finalized while the load ran, after the first 20 % of it.
        let windowStart = sendDuration * 0.2
        let before = finals.last { $0.0 <= windowStart }?.1 ?? 0
        let during = finals.last { $0.0 <= sendDuration }?.1 ?? 0
        let steady = Double(during - before) / (sendDuration - windowStart)
        print(String(format: "sent %d transfers in %.1f s; finalized %d: %.0f transfers/s sustained under load, %.0f/s including the drain",
                     total, sendDuration, finalized, steady, overall))
        print(String(format: "submission → finality: p50 %.2f s, p99 %.2f s (block interval %.1f s)", percentile(0.5), percentile(0.99), Double(blockTime) / 1000))
        for (i, (before, after)) in zip(cpuBefore, cpuAfter).enumerated() {
            print(String(format: "node-%d CPU: %.1f s over %.1f s (%.0f %% of one core)", i, after - before, elapsed, (after - before) / elapsed * 100))
        }
        print("heights: " + processes.map { "\($0.1.height)" }.joined(separator: " "))
    }

    /// Writes a devnet's files into `root` (`mote devnet --setup-only`) and returns its genesis.
    func setUpDevnet(binary: URL, root: String, accounts: Int, poolCapacity: Int, poolAccountCapacity: Int) throws -> Genesis {
        let setup = Process()
        setup.executableURL = binary
        setup.arguments = [
            "devnet", "--datadir", root, "--nodes", "\(nodes)", "--block-time", "\(blockTime)", "--accounts", "\(accounts)",
            "--base-port", "\(basePort)", "--rpc-port", "\(basePort + 100)", "--ws-port", "\(basePort + 200)",
            "--pool-capacity", "\(poolCapacity)", "--pool-account-capacity", "\(poolAccountCapacity)", "--setup-only",
        ]
        setup.standardOutput = FileHandle.nullDevice
        try setup.run()
        setup.waitUntilExit()
        guard setup.terminationStatus == 0 else { throw ValidationError("devnet setup failed") }
        return readGenesis(root + "/genesis.json")
    }

    /// Starts one `mote node` process per node of the devnet in `root`, each with its
    /// finalized blocks read from its output.
    func startNodes(binary: URL, root: String) throws -> [(Process, FinalizedLog)] {
        var processes: [(Process, FinalizedLog)] = []
        for i in 0..<nodes {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["node", "--config", root + "/node-\(i)/config.toml"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            let log = FinalizedLog()
            pipe.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
            try process.run()
            processes.append((process, log))
        }
        return processes
    }

    /// A signed 1-wei transfer with the bench's fees (equal tips, so pools keep arrival order).
    static func transfer(chainID: UInt64, nonce: UInt64, from key: Secp256k1.PrivateKey, to recipient: Address) -> [UInt8] {
        Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: 1_000, maxFeePerGas: 1_000_000_000_000, gasLimit: 21_000,
            to: recipient, value: 1
        ).signed(with: key).rawBytes
    }

    private func genesisHash(_ root: String) throws -> Hash32 {
        try Ledger.genesisCommit(readGenesis(root + "/genesis.json")).block.hash
    }
}

/// Finalized heights and transaction counts read from a node's output, with arrival times.
///
/// `@unchecked Sendable`: every field is read and written under `lock`.
final class FinalizedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = ""
    private var entries: [(time: Date, height: UInt64, cumulative: Int)] = []
    private var count = 0

    func append(_ data: Data) {
        let now = Date()
        lock.lock()
        defer { lock.unlock() }
        pending += String(decoding: data, as: UTF8.self)
        while let newline = pending.firstIndex(of: "\n") {
            let line = pending[..<newline]
            pending = String(pending[pending.index(after: newline)...])
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(of: "finalized"), i + 3 < words.count, let height = UInt64(words[i + 1]),
                words[i + 3].hasPrefix("txs="), let txs = Int(words[i + 3].dropFirst(4))
            else { continue }
            count += txs
            entries.append((now, height, count))
        }
    }

    var height: UInt64 { lock.lock(); defer { lock.unlock() }; return entries.last?.height ?? 0 }
    var finalizedTransactions: Int { lock.lock(); defer { lock.unlock() }; return count }

    func events(since start: Date) -> [(Double, Int)] {
        lock.lock()
        defer { lock.unlock() }
        return entries.map { ($0.time.timeIntervalSince(start), $0.cumulative) }
    }

    /// When each height was finalized, in seconds since `start`.
    func heightTimes(since start: Date) -> [(UInt64, Double)] {
        lock.lock()
        defer { lock.unlock() }
        return entries.map { ($0.height, $0.time.timeIntervalSince(start)) }
    }

    func waitForHeight(_ height: UInt64, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while self.height < height, Date() < deadline { usleep(50_000) }
        return self.height >= height
    }
}

/// A process's resident memory from /proc/PID/status: anonymous (heap) and file-backed
/// (mapped files such as the LMDB store, reclaimable by the kernel) in MB.
struct MemorySample: Sendable {
    var anonMB: Double
    var fileMB: Double

    static func read(_ pid: Int32) -> MemorySample {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return MemorySample(anonMB: 0, fileMB: 0) }
        func kb(_ key: String) -> Double {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0
        }
        return MemorySample(anonMB: kb("RssAnon") / 1024, fileMB: (kb("RssFile") + kb("RssShmem")) / 1024)
    }
}

/// A thrown error carried out of a task.
///
/// `@unchecked Sendable`: written by the task before it signals, read after the wait.
final class ResultBox: @unchecked Sendable { var error: Error? }

/// User + system CPU seconds of a process (Linux /proc).
func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
