import Foundation
import MoteChain
import MoteCrypto
import MoteLedger
import MoteMempool
import MotePrimitives
import MoteRPC
import MoteStorage
import MoteTransactions
import NIOConcurrencyHelpers

/// A node without consensus for RPC tests: a real ledger over the in-memory store and a real
/// pool; `produce()` builds and commits a block from the pool, as a delegate would.
final class TestChain: RPCBackend, @unchecked Sendable {
    static let chainID: UInt64 = 4_689
    static let keys = (1...6).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "rpc test key \($0)").bytes) }
    static let producer = Address(suffixOf: Keccak256.hash(utf8: "rpc producer"))
    static let ether = UInt256(decimal: "1000000000000000000")!

    let genesis: Genesis
    let ledger: Ledger
    let pool: TransactionPool
    let events = ChainEvents()
    let lock = NIOLock()
    var store: any ChainStore { ledger.store }
    var chainID: UInt64 { Self.chainID }
    var clientVersion: String { "Mote/test" }
    /// The attestation intake `mote_submitAttestation` uses; none unless a test sets one.
    var intake: (any AttestationIntake)?
    var attestationIntake: (any AttestationIntake)? { intake }
    /// What `liveness()` reports (`/health`'s stall check); none unless a test sets it.
    var reportedLiveness: RPCLiveness?
    func liveness() async -> RPCLiveness? { reportedLiveness }

    init(balance: UInt256 = TestChain.ether * 100, parameters: ProtocolParameters = ProtocolParameters()) throws {
        genesis = Genesis(
            chainID: Self.chainID, timestamp: 1_000, gasLimit: 30_000_000, baseFee: 1_000_000_000,
            allocations: Self.keys.map { ($0.address, balance) }, parameters: parameters)
        let store = InMemoryChainStore()
        ledger = try Ledger(store: store, genesis: genesis)
        pool = TransactionPool(config: PoolConfig(rules: ledger.rules), state: StoreState(store: store))
    }

    /// Builds, commits and announces a block of what the pool holds.
    @discardableResult
    func produce() throws -> Block {
        try lock.withLock {
            let candidates = pool.select(baseFee: ledger.nextBaseFee, gasLimit: genesis.gasLimit, maxCount: 1_000)
            let built = try ledger.buildBlock(
                candidates: candidates, producer: Self.producer, timestamp: 1_000 + ledger.head.height + 1, epoch: 1)
            try ledger.commit(built.commit)
            pool.blockCommitted(built.block.transactions)
            events.publish(.block(built.block, built.commit.receipts))
            return built.block
        }
    }

    func submit(_ raw: [UInt8]) async -> Result<Hash32, PoolError> {
        let result = pool.add(rawTransactions: [raw], now: 1)[0]
        if case .success(let hash) = result { events.publish(.pendingTransactions([hash])) }
        return result
    }

    func call(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        try locked { () throws(LedgerError) in try ledger.call(from: from, to: to, data: data, gasLimit: gasLimit) }
    }

    func simulate(from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Ledger.Simulation {
        try locked { () throws(LedgerError) in try ledger.simulate(from: from, to: to, value: value, data: data, gasLimit: gasLimit) }
    }

    func proof(_ address: Address, slots: [Hash32]) async throws(LedgerError) -> (stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]]) {
        try locked { () throws(LedgerError) in
            let proof = try ledger.proof(address, slots: slots)
            return (ledger.head.stateRoot, try ledger.account(address), proof.accountProof, proof.storageProofs)
        }
    }

    func locked<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func isSyncing() async -> Bool { false }
    func peers() async -> [RPCPeer] { [] }

    func chainInfo() async -> RPCChainInfo {
        RPCChainInfo(
            height: ledger.head.height, epoch: 1, epochLength: 720, epochFirstHeight: 1, nextEpochHeight: 721,
            delegates: [Self.producer], producers: [Self.producer])
    }

    func producers(ofEpoch epoch: UInt64) async -> [Address]? { try? lock.withLock { try ledger.producers(ofEpoch: epoch) } }

    func epochSeed(ofEpoch epoch: UInt64) async -> Hash32? {
        lock.withLock {
            guard epoch >= 1 else { return nil }
            if epoch > 1 {
                guard let previousEnd = ledger.schedule.checkedLastHeight(ofEpoch: epoch - 1), previousEnd <= ledger.head.height else { return nil }
            }
            return try? ledger.seed(ofEpoch: epoch)
        }
    }

    func nodeInfo() async -> RPCNodeInfo {
        RPCNodeInfo(name: "test", delegate: nil, p2pListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", wsListen: "127.0.0.1:0")
    }

    /// A signed EIP-1559 transfer from test key `from`.
    static func transfer(_ from: Int, to: Address, value: UInt256, nonce: UInt64, tip: UInt256 = 2_000_000_000, chainID: UInt64 = chainID) -> SignedTransaction {
        Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: 10_000_000_000, gasLimit: 21_000, to: to,
            value: value
        ).signed(with: keys[from])
    }
}

/// The pool's view of the store.
struct StoreState: PoolStateView {
    let store: any ChainStore
    func account(_ address: Address) -> Account { ((try? store.account(address)) ?? nil) ?? Account() }
}

extension RPCService {
    /// Sends one request and returns the parsed response object.
    func request(_ method: String, _ params: [JSON] = [], caller: RPCCaller = RPCCaller(address: "test")) async throws -> JSON {
        let body = JSON.object(["jsonrpc": .string("2.0"), "id": .int(1), "method": .string(method), "params": .array(params)])
        let out = try #require(await handle(body: body.serialized, caller: caller))
        return try JSON.parse(out)
    }

    /// The result of a request that must succeed.
    func result(_ method: String, _ params: [JSON] = []) async throws -> JSON {
        let response = try await request(method, params)
        guard let result = response["result"] else { throw TestFailure("\(method) failed: \(response.text)") }
        return result
    }

    /// The error of a request that must fail.
    func error(_ method: String, _ params: [JSON] = []) async throws -> (code: Int, message: String) {
        let response = try await request(method, params)
        guard let error = response["error"], let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
            throw TestFailure("\(method) should have failed: \(response.text)")
        }
        return (code, message)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Testing

extension JSON {
    static func s(_ text: String) -> JSON { .string(text) }
}
