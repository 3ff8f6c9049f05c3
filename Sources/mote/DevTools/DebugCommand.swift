import ArgumentParser
import Foundation
import MotePrimitives
import MoteCrypto
import MoteLedger
import MoteStorage
import MoteStreamStore
import MoteTestKit
import MoteTransactions

/// `mote debug …`: hidden developer tools that drive the storage layer directly.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Developer tools (not for production use).", shouldDisplay: false,
        subcommands: [WriteBlocks.self, CommitBench.self, DevGenesis.self, Produce.self, StoreWriter.self, PostResult.self])

    /// `mote debug write-blocks`: the writer the storage crash test kills with SIGKILL.
    struct WriteBlocks: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "write-blocks",
            abstract: "Append synthetic blocks to a chain store, printing each committed height.",
            discussion: """
                Continues from the store's head. Block content is a pure function of the height \
                (SyntheticChain), so a test can recompute what any height should hold.
                """)

        @Option(help: "The data directory (the store is <datadir>/chain).") var datadir: String
        @Option(help: "How many blocks to write.") var count: UInt64

        func run() throws {
            let store = try LMDBChainStore(dataDirectory: datadir)
            var parent = try store.head()
            for _ in 0..<count {
                let height = parent.map { $0.height + 1 } ?? 0
                let commit = SyntheticChain.commit(atHeight: height, parentHash: parent?.hash ?? .zero)
                try store.commit(commit)
                // Reported only once the commit has returned, i.e. is durable; one unbuffered
                // write, so a reader sees the line as soon as the commit is done.
                FileHandle.standardOutput.write(Data("\(height)\n".utf8))
                parent = commit.head
            }
        }
    }

    /// `mote debug commit-bench`: how long `LMDBChainStore.commit` takes for a large block.
    struct CommitBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commit-bench", abstract: "Time large block commits into a fresh LMDB chain store.")

        @Option(help: "Blocks to commit (after an empty genesis).") var blocks: Int = 10
        @Option(help: "Account writes per block.") var accounts: Int = 5_000
        @Option(help: "New trie nodes per block.") var trieNodes: Int = 10_000
        @Option(help: "Storage slot writes per block.") var storageSlots: Int = 0
        @Option(help: "Transactions per block.") var transactions: Int = 0
        @Option(help: "Data directory (default: a temporary one, removed afterwards).") var datadir: String?

        func validate() throws {
            guard (1...1_000).contains(blocks) else { throw ValidationError("--blocks must be in 1...1000") }
            for (name, value) in [("accounts", accounts), ("trie-nodes", trieNodes), ("storage-slots", storageSlots), ("transactions", transactions)] {
                guard (0...1_000_000).contains(value) else { throw ValidationError("--\(name) must be in 0...1000000") }
            }
        }

        func run() throws {
            let directory = datadir ?? FileManager.default.temporaryDirectory.appendingPathComponent("mote-bench-\(UUID().uuidString)").path
            defer { if datadir == nil { try? FileManager.default.removeItem(atPath: directory) } }
            let store = try LMDBChainStore(dataDirectory: directory)
            var parent = try store.head()
            if parent == nil {
                let genesis = SyntheticChain.largeCommit(
                    atHeight: 0, parentHash: .zero, accounts: 0, trieNodes: 0, storageSlots: 0, transactions: 0)
                try store.commit(genesis)
                parent = genesis.head
            }
            print("mote debug commit-bench: \(accounts) accounts, \(trieNodes) trie nodes, \(storageSlots) slots, \(transactions) transactions per block")
            var seconds: [Double] = []
            var nodeKeys: [Hash32] = []
            var accountKeys: [Address] = []
            for _ in 0..<blocks {
                let head = parent!
                let commit = SyntheticChain.largeCommit(
                    atHeight: head.height + 1, parentHash: head.hash, accounts: accounts, trieNodes: trieNodes,
                    storageSlots: storageSlots, transactions: transactions)
                let start = ContinuousClock.now
                try store.commit(commit)
                let s = microseconds(ContinuousClock.now - start) / 1e6
                seconds.append(s)
                print("height \(commit.block.height): \(String(format: "%.1f", s * 1_000)) ms")
                parent = commit.head
                nodeKeys += commit.trieNodes.map(\.hash)
                accountKeys += commit.accounts.map(\.address)
            }
            let sorted = seconds.sorted()
            let median = sorted[sorted.count / 2]
            let mean = seconds.reduce(0, +) / Double(seconds.count)
            print(String(format: "median %.1f ms, mean %.1f ms, min %.1f ms, max %.1f ms", median * 1_000, mean * 1_000, sorted.first! * 1_000, sorted.last! * 1_000))

            // Point reads in random order, each in its own read transaction (as the store does them).
            var rng = SystemRandomNumberGenerator()
            nodeKeys.shuffle(using: &rng)
            accountKeys.shuffle(using: &rng)
            if !nodeKeys.isEmpty {
                let keys = nodeKeys.prefix(100_000)
                let start = ContinuousClock.now
                for key in keys where try store.trieNode(key) == nil { throw ValidationError("trie node \(key) missing") }
                print(String(format: "trie node reads: %.2f µs each (%d random)", microseconds(ContinuousClock.now - start) / Double(keys.count), keys.count))
            }
            if !accountKeys.isEmpty {
                let keys = accountKeys.prefix(100_000)
                let start = ContinuousClock.now
                for key in keys where try store.account(key) == nil { throw ValidationError("account \(key) missing") }
                print(String(format: "account reads: %.2f µs each (%d random)", microseconds(ContinuousClock.now - start) / Double(keys.count), keys.count))
            }
        }

        private func microseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
        }
    }

    /// `mote debug dev-genesis`: a genesis funding deterministic development keys.
    struct DevGenesis: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev-genesis",
            abstract: "Print a genesis file funding K development keys (key i = keccak(\"mote dev key i\"); never use them for value).")

        @Option(help: "How many keys (1 to 10000).") var accounts: Int = 10
        @Option(help: "Chain id.") var chainId: UInt64 = 4_689

        func validate() throws {
            guard (1...10_000).contains(accounts) else { throw ValidationError("--accounts must be in 1...10000") }
            guard chainId > 0 else { throw ValidationError("--chain-id must be positive") }
        }

        func run() throws {
            var alloc: [String: Any] = [:]
            for key in DevKeys.keys(accounts) { alloc[key.address.checksummed] = ["balance": "1000000000000000000000000"] }
            JSONOutput.print([
                "chainId": NSNumber(value: chainId), "timestamp": 1_700_000_000, "gasLimit": 30_000_000,
                "baseFee": "1000000000", "alloc": alloc,
            ])
        }
    }

    /// `mote debug produce`: builds, executes and commits blocks of transfers between the
    /// development keys on a data directory, printing `height stateRoot` after each commit.
    /// The ledger crash test kills it with SIGKILL and reopens the directory.
    struct Produce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "produce", abstract: "Produce blocks of development transfers on a data directory.")

        @OptionGroup var datadir: DataDirectoryOption
        @Option(help: "Development keys funded in the genesis (see dev-genesis).") var accounts: Int = 10
        @Option(help: "Blocks to produce.") var count: Int = 10
        @Option(help: "Transfers per block.") var transfers: Int = 20

        func validate() throws {
            guard (1...10_000).contains(accounts) else { throw ValidationError("--accounts must be in 1...10000") }
            guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be in 1...1000000") }
            guard (0...10_000).contains(transfers) else { throw ValidationError("--transfers must be in 0...10000") }
        }

        func run() throws {
            let ledger = datadir.openLedger()
            let keys = DevKeys.keys(accounts)
            for _ in 0..<count {
                let height = ledger.head.height + 1
                var nonces: [Int: UInt64] = [:]
                var transactions: [SignedTransaction] = []
                for j in 0..<transfers {
                    let from = Int((height &* 7 &+ UInt64(j)) % UInt64(accounts))
                    let to = keys[Int((height &* 13 &+ UInt64(j) &* 3) % UInt64(accounts))].address
                    let nonce = try nonces[from] ?? ledger.account(keys[from].address).nonce
                    nonces[from] = nonce + 1
                    transactions.append(Transaction.dynamicFee(
                        chainID: ledger.chainID, nonce: nonce, maxPriorityFeePerGas: 1_000, maxFeePerGas: 100_000_000_000,
                        gasLimit: 21_000, to: to, value: UInt256(height &* 1_000 &+ UInt64(j))
                    ).signed(with: keys[from]))
                }
                let built = try ledger.buildBlock(
                    candidates: transactions, producer: keys[0].address, timestamp: 1_700_000_000 + height, epoch: 0)
                guard built.excluded.isEmpty else { throw ValidationError("left out: \(built.excluded[0].reason)") }
                try ledger.commit(built.commit)
                FileHandle.standardOutput.write(Data("\(height) \(ledger.head.stateRoot.hex)\n".utf8))
            }
        }
    }
}

/// Deterministic development keys: key i is keccak("mote dev key i"). Public knowledge; for
/// tests and local networks only.
enum DevKeys {
    static func keys(_ count: Int) -> [Secp256k1.PrivateKey] {
        (0..<count).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "mote dev key \($0)").bytes) }
    }
}

extension DebugCommand {
    /// `mote debug store-writer`: the writer the telemetry store crash test kills with SIGKILL.
    struct StoreWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store-writer",
            abstract: "Append synthetic telemetry to a SQLite store, printing what each append acknowledged.",
            discussion: """
                Continues each device from its last stored sequence. After each append returns (is \
                durable) it prints `acked <device> <sequence>` for the highest sequence of each device \
                in that append. Message content is a pure function of (device, sequence) \
                (SyntheticTelemetry), so a test can recompute what any acknowledged message holds.
                """)

        @Option(help: "The SQLite store's file.") var sqlite: String
        @Option(help: "Devices the batches cycle through.") var devices: Int = 8
        @Option(help: "Messages per append.") var batch: Int = 200
        @Option(help: "Appends to make (default: until killed).") var appends: Int?

        func validate() throws {
            guard (1...100_000).contains(devices) else { throw ValidationError("--devices must be in 1...100000") }
            guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be in 1...100000") }
        }

        func run() throws {
            try runBlocking { try await write() }
        }

        private func write() async throws {
            let store = try SQLiteTelemetryStore(path: sqlite)
            var next: [UInt64] = []
            for index in 0..<devices {
                next.append((try await store.lastSequence(of: SyntheticTelemetry.device(index)) ?? 0) + 1)
            }
            var turn = 0
            var done = 0
            while appends.map({ done < $0 }) ?? true {
                var messages: [StoredMessage] = []
                var highest: [Int: UInt64] = [:]
                for _ in 0..<batch {
                    let index = turn % devices
                    turn += 1
                    messages.append(SyntheticTelemetry.message(device: index, sequence: next[index]))
                    highest[index] = next[index]
                    next[index] += 1
                }
                let outcomes = try await store.append(messages)
                guard outcomes.allSatisfy({ $0 == .stored }) else {
                    throw ValidationError("the store refused a new message: \(outcomes.first { $0 != .stored }!)")
                }
                // One unbuffered write per append, so a reader sees it as soon as the append is done.
                let lines = highest.keys.sorted().map { "acked \(SyntheticTelemetry.device($0).hex) \(highest[$0]!)\n" }
                FileHandle.standardOutput.write(Data(lines.joined().utf8))
                done += 1
            }
        }
    }
}

/// Runs `body` to its end from a synchronous command; rethrows what it threw.
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let semaphore = DispatchSemaphore(value: 0)
    let box = ResultBox()
    Task {
        do { try await body() } catch { box.error = error }
        semaphore.signal()
    }
    semaphore.wait()
    if let error = box.error { throw error }
}
