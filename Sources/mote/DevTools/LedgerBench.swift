import ArgumentParser
import Foundation
import MoteChain
import MoteCrypto
import MoteLedger
import MoteMempool
import MoteNode
import MotePrimitives
import MoteStorage
import MoteTransactions

/// `mote bench ledger`: the full path from signed transfers to committed LMDB blocks,
/// against the machine's ceiling (signature recovery on all cores for the same transactions).
struct LedgerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Pool admission → block building → execution → state root → LMDB commit, vs. the ecrecover ceiling.")

    @Option(help: "Funded accounts M (1000 to 2000000).") var accounts: Int = 100_000
    @Option(help: "Signed transfers N (1000 to 1000000).") var transactions: Int = 60_000
    @Option(help: "Transfers per block (100 to 20000).") var blockSize: Int = 5_000
    @Option(help: "Where to put the data directory (default: a fresh temporary one, removed afterwards).") var datadir: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1_000...2_000_000).contains(accounts) else { throw ValidationError("--accounts must be in 1000...2000000") }
        guard (1_000...1_000_000).contains(transactions) else { throw ValidationError("--transactions must be in 1000...1000000") }
        guard (100...20_000).contains(blockSize) else { throw ValidationError("--block-size must be in 100...20000") }
    }

    func run() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let clock = ContinuousClock()
        func log(_ text: String) { if !json { print(text) } }
        log("mote bench ledger: \(cores) cores, M = \(accounts) accounts, N = \(transactions) transfers, \(blockSize) per block")

        // Keys, genesis and signed transfers (setup; not timed).
        let onAllCores = SignatureBatchVerifier(concurrency: cores)
        let keys = onAllCores.concurrentMap(Array(0..<accounts)) { i in
            try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "mote bench account \(i)").bytes)
        }
        let addresses = onAllCores.concurrentMap(keys) { $0.address }
        let chainID: UInt64 = 4_689
        let genesis = Genesis(
            chainID: chainID, timestamp: 1_700_000_000, gasLimit: UInt64(blockSize) * 21_000, baseFee: 1_000_000_000,
            allocations: addresses.map { ($0, UInt256(decimal: "1000000000000000000000")!) })
        let accounts = self.accounts
        let raws = onAllCores.concurrentMap(Array(0..<transactions)) { i -> [UInt8] in
            var rng = SplitMix(seed: UInt64(i))
            let to = addresses[Int(rng.next() % UInt64(accounts))]
            return Transaction.dynamicFee(
                chainID: chainID, nonce: UInt64(i / accounts), maxPriorityFeePerGas: UInt256(1 + rng.next() % 1_000),
                maxFeePerGas: 100_000_000_000, gasLimit: 21_000, to: to, value: UInt256(1 + rng.next() % 1_000_000)
            ).signed(with: keys[i % accounts]).rawBytes
        }

        // (a) The ceiling: recover every sender on all cores.
        let rules = TransactionRules(chainID: chainID)
        let decoded = raws.map { try! UnverifiedTransaction(decoding: $0, rules: rules) }
        let items = decoded.map { (hash: $0.signingHash, signature: $0.signature) }
        let verifier = SignatureBatchVerifier(concurrency: cores)
        _ = verifier.recoverSecp256k1(Array(items.prefix(1_000)))
        let ceilingStart = clock.now
        let ceilingCPUStart = processCPUSeconds()
        let recovered = verifier.recoverSecp256k1(items)
        let ceilingTime = seconds(clock.now - ceilingStart)
        let ceilingCPU = processCPUSeconds() - ceilingCPUStart
        precondition(recovered.allSatisfy { $0 != nil })
        let ceiling = Double(transactions) / ceilingTime
        log(String(format: "(a) ceiling: %.0f recoveries/s on %d cores", ceiling, cores))

        // A fresh LMDB data directory with the genesis of M accounts.
        let directory = datadir ?? NSTemporaryDirectory() + "mote-bench-ledger-\(UUID().uuidString)"
        defer { if datadir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let store = failOnError { () throws(StorageError) in try LMDBChainStore(dataDirectory: directory) }
        let genesisStart = clock.now
        let ledger = failOnError { () throws(LedgerError) in try Ledger(store: store, genesis: genesis) }
        let genesisTime = seconds(clock.now - genesisStart)
        let genesisBytes = directorySize(directory)
        log(String(format: "genesis: %d accounts committed in %.2f s; data directory %.1f MiB (%.0f MiB per million accounts)",
                   accounts, genesisTime, Double(genesisBytes) / 1_048_576, Double(genesisBytes) / 1_048_576 / Double(accounts) * 1e6))

        // (b) The full path.
        let pool = TransactionPool(
            config: PoolConfig(rules: rules, capacity: transactions + 1, accountCapacity: max(64, transactions / accounts + 2)),
            state: StorePoolState(store: store))
        // Admission runs on its own thread, as RPC handlers would feed a node, while this
        // thread builds, seals and commits blocks from what is pending.
        let feeder = Feeder()
        var executeTime = 0.0, sealTime = 0.0, commitTime = 0.0
        var blocks = 0, included = 0
        let start = clock.now
        let cpuStart = processCPUSeconds()
        let chunks = stride(from: 0, to: transactions, by: 2_048).map { Array(raws[$0..<min($0 + 2_048, transactions)]) }
        // Two feeders, as two RPC connections would: one's decoding and recovery (all cores)
        // overlaps the other's stateful checks (one thread, under the pool's lock).
        let feeders = 2
        for lane in 0..<feeders {
            let mine = chunks.enumerated().filter { $0.offset % feeders == lane }.map(\.element)
            Thread.detachNewThread {
                let clock = ContinuousClock()
                for chunk in mine {
                    let t = clock.now
                    let results = pool.add(rawTransactions: chunk, now: 0)
                    feeder.admitted(seconds(clock.now - t), failures: results.filter { if case .failure = $0 { true } else { false } }.count)
                }
                feeder.finish(lanes: feeders)
            }
        }
        while true {
            let finished = feeder.isFinished
            if !finished, pool.pendingCount < blockSize {
                usleep(500)
                continue
            }
            let candidates = pool.select(baseFee: ledger.nextBaseFee, gasLimit: genesis.gasLimit, maxCount: blockSize)
            if candidates.isEmpty {
                if finished { break }
                continue
            }
            var t = clock.now
            let executed = failOnError { () throws(LedgerError) in
                try ledger.executeCandidates(candidates, producer: addresses[0], timestamp: 1_700_000_000 + UInt64(blocks + 1), epoch: 0)
            }
            executeTime += seconds(clock.now - t)
            t = clock.now
            let built = failOnError { () throws(LedgerError) in try ledger.seal(executed) }
            sealTime += seconds(clock.now - t)
            guard built.excluded.isEmpty else { JSONOutput.fail("block left out \(built.excluded.count): \(built.excluded[0].reason)") }
            t = clock.now
            failOnError { () throws(LedgerError) in try ledger.commit(built.commit) }
            commitTime += seconds(clock.now - t)
            pool.blockCommitted(built.block.transactions)
            blocks += 1
            included += built.block.transactions.count
        }
        let admitTime = feeder.seconds
        guard feeder.failures == 0, included == transactions else {
            JSONOutput.fail("\(feeder.failures) transfers refused by the pool; \(included) of \(transactions) included")
        }
        let total = seconds(clock.now - start)
        let fullPathCPU = processCPUSeconds() - cpuStart
        let rate = Double(included) / total
        let finalBytes = directorySize(directory)
        let perBlock = { (x: Double) in x / Double(blocks) * 1_000 }
        log(String(format: "(b) full path: %.0f transfers/s (%d transfers in %d blocks, %.2f s)", rate, included, blocks, total))
        log(String(format: "    admission (2 lanes: decode + parallel ecrecover + checks, beside block production) %.2f s of lane time; per block: execute %.1f ms, state root + seal %.1f ms, LMDB commit %.1f ms",
                   admitTime, perBlock(executeTime), perBlock(sealTime), perBlock(commitTime)))
        log(String(format: "ratio (b)/(a): %.2f  (target ≥ 0.50)", rate / ceiling))
        log(String(format: "CPU per transfer: (a) %.1f µs, (b) %.1f µs; (a)/(b) %.2f (the ratio on an otherwise idle machine, if (b) kept every core busy)",
                   ceilingCPU / Double(transactions) * 1e6, fullPathCPU / Double(included) * 1e6, ceilingCPU / fullPathCPU))
        log(String(format: "data directory after: %.1f MiB; head %d, state root %@", Double(finalBytes) / 1_048_576, ledger.head.height, ledger.head.stateRoot.hex))
        if json {
            JSONOutput.print([
                "cores": cores, "accounts": accounts, "transactions": transactions, "blockSize": blockSize, "blocks": blocks,
                "ceilingRecoveriesPerSecond": ceiling.rounded(), "fullPathTransfersPerSecond": rate.rounded(),
                "ratio": (rate / ceiling * 100).rounded() / 100, "admissionSeconds": admitTime,
                "executeMsPerBlock": perBlock(executeTime), "stateRootMsPerBlock": perBlock(sealTime),
                "commitMsPerBlock": perBlock(commitTime), "genesisSeconds": genesisTime,
                "ceilingCPUSeconds": ceilingCPU, "fullPathCPUSeconds": fullPathCPU,
                "datadirBytesAfterGenesis": genesisBytes, "datadirBytesPerMillionAccounts": Double(genesisBytes) / Double(accounts) * 1e6,
                "datadirBytesAfter": finalBytes,
            ])
        }
    }
}

/// Progress of the admission thread.
///
/// `@unchecked Sendable`: every field is read and written under `lock`.
final class Feeder: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var total = 0.0
    private var refused = 0

    func admitted(_ seconds: Double, failures: Int) {
        lock.lock()
        total += seconds
        refused += failures
        lock.unlock()
    }

    private var finishedLanes = 0

    /// One admission lane is done; all are done after `lanes` calls.
    func finish(lanes: Int = 1) {
        lock.lock()
        finishedLanes += 1
        done = finishedLanes >= lanes
        lock.unlock()
    }

    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return done }
    var seconds: Double { lock.lock(); defer { lock.unlock() }; return total }
    var failures: Int { lock.lock(); defer { lock.unlock() }; return refused }
}

/// A tiny deterministic generator for benchmark data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// CPU time (user + system) this process has used so far, on all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func value(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return value(usage.ru_utime) + value(usage.ru_stime)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Bytes allocated on disk under `path` (sparse files count what they use).
func directorySize(_ path: String) -> Int {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    for case let name as String in enumerator {
        var info = stat()
        if stat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int(info.st_blocks) * 512 }
    }
    return total
}
