import Foundation
import MoteChain
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTransactions
import Testing

@testable import MoteNode

/// Four real `Node` actors, each on its own temporary data directory (LMDB, vote WAL), over one
/// `InMemoryNetwork`: the whole node (consensus, ledger, pool, sync) without sockets, so a test
/// can crash a node, restart it from its data directory, or split the network.
///
/// Heights and hashes are polled with generous deadlines: the nodes run on real timers, and a
/// loaded two-core machine may slow them down, never make them wrong.
@Suite(.serialized) struct InProcessNetworkTests {
    @Test func fourNodesFinalizeTheSameBlocks() async throws {
        let network = try await InProcessNetwork.started(finalizing: 3)
        defer { network.removeFiles() }
        try await network.expectSameChain(upTo: 3)
        await network.stopAll()
    }

    @Test func aCrashedNodeRestartsFromItsDataDirectoryAndCatchesUp() async throws {
        let network = try await InProcessNetwork.started(finalizing: 2)
        defer { network.removeFiles() }
        // Node 3 stops (its task cancelled mid-consensus): three of four still finalize.
        await network.stop(3)
        let stoppedAt = try network.storedHeight(3)
        try await network.waitUntil("the other three finalize 3 blocks more") {
            await network.heights(of: [0, 1, 2]).allSatisfy { $0 >= stoppedAt + 3 }
        }
        // Restarted from the same data directory, it resumes at its stored head and catches up.
        try network.start(3)
        let target = (await network.heights(of: [0, 1, 2])).max()! + 1
        try await network.waitUntilEveryNode(finalizes: target)
        try await network.expectSameChain(upTo: target)
        await network.stopAll()
    }

    @Test func aTwoTwoPartitionHaltsFinalityAndHealingResumesIt() async throws {
        let network = try await InProcessNetwork.started(finalizing: 2)
        defer { network.removeFiles() }
        network.hub.partition([[network.id(0), network.id(1)], [network.id(2), network.id(3)]])
        // A decision already under way may still land; then no half has the 3 votes of 4 it needs
        // (a node may still catch up within its half, to the newest block there).
        try await Task.sleep(for: .seconds(1))
        let halted = (await network.heights()).max()!
        try await Task.sleep(for: .seconds(3))
        #expect((await network.heights()).max()! == halted, "no side of a 2|2 partition finalizes")
        network.hub.heal()
        try await network.waitUntilEveryNode(finalizes: halted + 2)
        try await network.expectSameChain(upTo: halted + 2)
        await network.stopAll()
    }

    @Test func aSubmittedTransferIsFinalizedOnEveryNode() async throws {
        let network = try await InProcessNetwork.started(finalizing: 1)
        defer { network.removeFiles() }
        let recipient = Address(suffixOf: Keccak256.hash(utf8: "in-process recipient"))
        let transfer = Transaction.dynamicFee(
            chainID: InProcessNetwork.chainID, nonce: 0, maxPriorityFeePerGas: 1_000_000_000, maxFeePerGas: 100_000_000_000,
            gasLimit: 21_000, to: recipient, value: 12_345
        ).signed(with: InProcessNetwork.user)
        let submitted = await network.node(1).submit([transfer.rawBytes])
        #expect(throws: Never.self) { try submitted[0].get() }
        try await network.waitUntil("every node has the transfer's value at the recipient") {
            for i in 0..<4 where await network.node(i).balance(of: recipient) != 12_345 { return false }
            return true
        }
        await network.stopAll()
    }

    @Test func aFailedDurableWriteStopsTheNodeAndRunThrowsIt() async throws {
        let network = try InProcessNetwork()
        defer { network.removeFiles() }
        let disk = FailingWALStorage()
        for i in 0..<3 { try network.start(i) }
        try network.start(3, walStorage: disk)
        try await network.waitUntilEveryNode(finalizes: 2)
        // Node 3's disk fills up: its next vote cannot be made durable, so it is never sent.
        disk.fail()
        let failure = try #require(await network.exit(of: 3, within: .seconds(60)))
        #expect("\(failure)".contains("vote WAL write failed"), "run() threw \(failure)")
        // The other three go on without it.
        let stoppedAt = try network.storedHeight(3)
        try await network.waitUntil("the other three finalize 2 blocks more") {
            await network.heights(of: [0, 1, 2]).allSatisfy { $0 >= stoppedAt + 2 }
        }
        await network.stopAll()
    }
}

/// A WAL store in memory that fails every write once told to (a full disk).
///
/// `@unchecked Sendable`: `failing` is read and written under `lock`.
final class FailingWALStorage: WALStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var failing = false
    private let memory = InMemoryWALStorage()

    func fail() { lock.withLock { failing = true } }

    private func check() throws(WALError) {
        if lock.withLock({ failing }) { throw WALError.injected("no space left on device") }
    }

    func readAll() throws(WALError) -> [UInt8] { try memory.readAll() }
    func append(_ bytes: [UInt8]) throws(WALError) {
        try check()
        try memory.append(bytes)
    }
    func sync() throws(WALError) { try check() }
    func truncate(to length: Int) throws(WALError) {
        try check()
        try memory.truncate(to: length)
    }
    func replaceAll(with bytes: [UInt8]) throws(WALError) {
        try check()
        try memory.replaceAll(with: bytes)
    }
}

/// Four delegates of one genesis, their data directories, and the nodes running now.
final class InProcessNetwork {
    static let chainID: UInt64 = 31_337
    /// A funded account that sends the tests' transactions.
    static let user = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "in-process user").bytes)

    let hub = InMemoryNetwork()
    let root: String
    let operators: [Secp256k1.PrivateKey]
    let vrfKeys: [ECVRF.SecretKey]
    let genesis: Genesis
    private var nodes: [Node?] = Array(repeating: nil, count: 4)
    private var tasks: [Task<(any Error)?, Never>?] = Array(repeating: nil, count: 4)
    /// Each stopped node's chain store, to see it released before the node restarts on it.
    private var stores: [Int: Weak] = [:]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mote-inprocess-\(UUID().uuidString)").path
        let operators = try (0..<4).map { try Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "in-process operator \($0)").bytes) }
        let vrfKeys = try (0..<4).map { try ECVRF.SecretKey(seed: Keccak256.hash(utf8: "in-process vrf \($0)").bytes) }
        self.operators = operators
        self.vrfKeys = vrfKeys
        var parameters = ProtocolParameters()
        parameters.epochLength = 1_000
        parameters.blockIntervalMs = 100
        parameters.numDelegates = 4
        parameters.numCandidateDelegates = 4
        let mote = ProtocolParameters.mote
        genesis = Genesis(
            chainID: Self.chainID, timestamp: 1_000, gasLimit: 30_000_000,
            allocations: [(Self.user.address, mote * 1_000)] + operators.map { ($0.address, mote * 100_000) },
            delegates: (0..<4).map { i in
                Genesis.Delegate(
                    name: "delegate-\(i)", operatorAddress: operators[i].address, rewardAddress: operators[i].address,
                    vrfPublicKey: vrfKeys[i].publicKey.bytes)
            },
            parameters: parameters)
    }

    deinit {
        for task in tasks { task?.cancel() }
    }

    /// Four nodes started, once every one has finalized block `height`.
    static func started(finalizing height: UInt64) async throws -> InProcessNetwork {
        let network = try InProcessNetwork()
        for i in 0..<4 { try network.start(i) }
        try await network.waitUntilEveryNode(finalizes: height)
        return network
    }

    /// Waits until every running node has finalized block `height`.
    func waitUntilEveryNode(finalizes height: UInt64) async throws {
        try await waitUntil("every node finalizes block \(height)") { await heights().allSatisfy { $0 >= height } }
    }

    func id(_ i: Int) -> Address { operators[i].address }

    func node(_ i: Int) -> Node { nodes[i]! }

    /// Starts delegate `i` on its data directory (created on the first start), with its vote
    /// WAL on `walStorage` if given.
    func start(_ i: Int, walStorage: FailingWALStorage? = nil) throws {
        precondition(nodes[i] == nil)
        var config = NodeConfig()
        config.name = "node-\(i)"
        config.datadir = root + "/node-\(i)"
        config.rpcEnabled = false
        config.blockIntervalMs = 100
        config.proposeTimeoutMs = 1_000
        config.voteTimeoutMs = 500
        config.roundTimeoutDeltaMs = 250
        try FileManager.default.createDirectory(atPath: config.datadir, withIntermediateDirectories: true)
        let chain = try LMDBChainStore(dataDirectory: config.datadir)
        var storage = try NodeStorage(chain: chain, datadir: config.datadir, delegate: true)
        if let walStorage { storage.wal = try VoteWAL(storage: walStorage) }
        let node = try Node(
            config: config, genesis: genesis, storage: storage,
            keys: NodeKeys(operatorKey: operators[i], vrfKey: vrfKeys[i]), network: hub.factory, output: { _ in })
        stores[i] = Weak(chain)
        nodes[i] = node
        tasks[i] = Task {
            do { try await node.run() } catch { return error }
            return nil
        }
    }

    /// Stops node `i` as a crash would reach it mid-consensus (its task cancelled), and waits
    /// until its stores are closed.
    func stop(_ i: Int) async {
        guard let task = tasks[i] else { return }
        task.cancel()
        let failure = await task.value
        #expect(failure == nil, "node \(i) stopped with \(String(describing: failure))")
        await released(i)
    }

    /// Forgets node `i` (stopped) and waits until its chain store is closed.
    private func released(_ i: Int) async {
        tasks[i] = nil
        nodes[i] = nil
        let deadline = ContinuousClock.now + .seconds(10)
        while stores[i]?.object != nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        #expect(stores[i]?.object == nil, "node \(i)'s chain store is still open after it stopped")
    }

    /// Waits up to `timeout` for node `i` to stop by itself; returns what `run()` threw.
    func exit(of i: Int, within timeout: Duration) async throws -> (any Error)? {
        guard let task = tasks[i] else { return nil }
        try await waitUntil("node \(i) stops", timeout: timeout) { await node(i).failed }
        let failure = await task.value
        await released(i)
        return failure
    }

    func stopAll() async {
        for i in 0..<4 { await stop(i) }
    }

    /// The head height stored in node `i`'s data directory (the node stopped).
    func storedHeight(_ i: Int) throws -> UInt64 {
        try LMDBChainStore(readOnlyDataDirectory: root + "/node-\(i)").head()?.height ?? 0
    }

    /// The heights of the running nodes among `indices`.
    func heights(of indices: [Int] = [0, 1, 2, 3]) async -> [UInt64] {
        var out: [UInt64] = []
        for i in indices { if let node = nodes[i] { out.append(await node.height) } }
        return out
    }

    /// Every running node holds the same blocks 1 through `height`.
    func expectSameChain(upTo height: UInt64) async throws {
        for h in 1...height {
            var hashes: Set<Hash32> = []
            for node in nodes.compactMap({ $0 }) { hashes.insert(try #require(await node.blockHash(atHeight: h))) }
            #expect(hashes.count == 1, "nodes disagree on block \(h)")
        }
    }

    /// Polls `condition` every 50 ms until it holds, for at most `timeout`.
    func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let heights = await heights()
        Issue.record("timed out waiting until \(what) (heights \(heights))")
        throw CancellationError()
    }

    func removeFiles() { try? FileManager.default.removeItem(atPath: root) }

    final class Weak {
        weak var object: AnyObject?
        init(_ object: AnyObject) { self.object = object }
    }
}
