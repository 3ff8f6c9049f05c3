import Foundation
import MoteChain
import MoteCrypto
import MoteLedger
import MoteMempool
import MotePrimitives
import MoteRPC
import MoteStorage
import MoteTransactions

/// A node without consensus or network for the JSON-RPC fuzz target: a real ledger over the
/// in-memory store with a few blocks of transfers, and a real pool.
final class FuzzChain: RPCBackend, @unchecked Sendable {
    let genesis: Genesis
    let ledger: Ledger
    let pool: TransactionPool
    let events = ChainEvents()
    /// Guards `ledger`, whose in-memory state is not thread-safe.
    private let lock = NSLock()
    var store: any ChainStore { ledger.store }
    var chainID: UInt64 { genesis.chainID }
    var clientVersion: String { "Mote/fuzz" }
    var attestationIntake: (any AttestationIntake)? { nil }
    static let producer = FuzzFixtures.address("fuzz producer")

    init() throws {
        genesis = Genesis(
            chainID: FuzzFixtures.chainID, timestamp: 1_000, gasLimit: 30_000_000, baseFee: 1_000_000_000,
            allocations: FuzzFixtures.keys.map { ($0.address, UInt256(decimal: "1000000000000000000000")!) })
        let store = InMemoryChainStore()
        ledger = try Ledger(store: store, genesis: genesis)
        pool = TransactionPool(config: PoolConfig(rules: ledger.rules), state: FuzzPoolState(store: store))
        // Three blocks, the first two with a transfer each, so block, receipt and log queries find something.
        for height in 1...3 {
            if height < 3 {
                let transfer = Transaction.dynamicFee(
                    chainID: FuzzFixtures.chainID, nonce: UInt64(height - 1), maxPriorityFeePerGas: 1_000_000_000, maxFeePerGas: 10_000_000_000,
                    gasLimit: 21_000, to: FuzzFixtures.address("fuzz recipient"), value: 1_000
                ).signed(with: FuzzFixtures.keys[2])
                _ = pool.add(rawTransactions: [transfer.rawBytes], now: 1)
            }
            let candidates = pool.select(baseFee: ledger.nextBaseFee, gasLimit: genesis.gasLimit, maxCount: 100)
            let built = try ledger.buildBlock(candidates: candidates, producer: Self.producer, timestamp: 1_000 + UInt64(height), epoch: 1)
            try ledger.commit(built.commit)
            pool.blockCommitted(built.block.transactions)
        }
    }

    func submit(_ raw: [UInt8]) async -> Result<Hash32, PoolError> { pool.add(rawTransactions: [raw], now: 1)[0] }

    func call(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        try locked { () throws(LedgerError) in try ledger.call(from: from, to: to, data: data, gasLimit: gasLimit) }
    }

    func simulate(from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Ledger.Simulation {
        try locked { () throws(LedgerError) in try ledger.simulate(from: from, to: to, value: value, data: data, gasLimit: gasLimit) }
    }

    func proof(_ address: Address, slots: [Hash32]) async throws(LedgerError) -> (
        stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]]
    ) {
        try locked { () throws(LedgerError) in
            let proof = try ledger.proof(address, slots: slots)
            return (ledger.head.stateRoot, try ledger.account(address), proof.accountProof, proof.storageProofs)
        }
    }

    private func locked<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func isSyncing() async -> Bool { false }
    func peers() async -> [RPCPeer] { [] }

    func chainInfo() async -> RPCChainInfo {
        RPCChainInfo(
            height: ledger.head.height, epoch: 1, epochLength: 720, epochFirstHeight: 1, nextEpochHeight: 721, delegates: [Self.producer],
            producers: [Self.producer])
    }

    // Epochs past the first are not fixed by this three-block chain.
    func producers(ofEpoch epoch: UInt64) async -> [Address]? {
        guard epoch == 1 else { return nil }
        return lock.withLock { try? ledger.producers(ofEpoch: epoch) }
    }

    func epochSeed(ofEpoch epoch: UInt64) async -> Hash32? {
        guard epoch == 1 else { return nil }
        return lock.withLock { try? ledger.seed(ofEpoch: epoch) }
    }

    func nodeInfo() async -> RPCNodeInfo {
        RPCNodeInfo(name: "fuzz", delegate: nil, p2pListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", wsListen: "127.0.0.1:0")
    }
}

/// The pool's view of the store.
struct FuzzPoolState: PoolStateView {
    let store: any ChainStore
    func account(_ address: Address) -> Account { ((try? store.account(address)) ?? nil) ?? Account() }
}

extension FuzzTarget {
    /// JSON-RPC request bodies through the whole `RPCService` (parse, limits, every method's
    /// parameter checks) over a real in-memory chain. Every answer must be a well-formed
    /// JSON-RPC response; any JSON the parser takes must survive serialize → parse.
    public static func jsonRPC() throws -> FuzzTarget {
        let chain = try FuzzChain()
        var limits = RPCLimits()
        limits.requestsPerSecond = 1_000_000_000  // the fuzzer is one caller sending millions
        let service = RPCService(backend: chain, limits: limits)
        let caller = RPCCaller(address: "fuzz")
        let address = FuzzFixtures.keys[0].address.hex
        let block1 = (try? chain.store.blockHash(atHeight: 1))?.hex ?? "0x" + String(repeating: "1", count: 64)
        let txHash = FuzzFixtures.transactions[0].hash.hex
        // One request per method in the method table (a new method is covered without edits),
        // with the parameter shapes Ethereum clients send, plus a batch and a notification.
        let shapes: [String] = [
            "[]", #"["\#(address)","latest"]"#, #"["0x1",true]"#, #"["\#(block1)",false]"#, #"["\#(txHash)"]"#,
            #"[{"from":"\#(address)","to":"\#(address)","data":"0x70a08231","value":"0x1","gas":"0x5208"},"latest"]"#,
            #"[{"fromBlock":"0x0","toBlock":"latest","address":"\#(address)","topics":[null,["0x\#(String(repeating: "ab", count: 32))"]]}]"#,
            #"["0x4","latest",[25,75]]"#, #"["\#(Hex.encode(FuzzFixtures.transactions[3].rawBytes))"]"#, #"["0x1"]"#,
            #"["\#(address)",["0x0"],"latest"]"#,
        ]
        var seeds: [[UInt8]] = []
        for (i, method) in RPCService.methods.sorted().enumerated() {
            let params = shapes[i % shapes.count]
            seeds.append(Array(#"{"jsonrpc":"2.0","id":\#(i),"method":"\#(method)","params":\#(params)}"#.utf8))
        }
        for (i, params) in shapes.enumerated() {
            seeds.append(Array(#"{"jsonrpc":"2.0","id":"s\#(i)","method":"eth_getBalance","params":\#(params)}"#.utf8))
        }
        seeds.append(Array(#"[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","id":null,"method":"eth_getBlockByNumber","params":["latest",false]}]"#.utf8))
        let dictionary: [[UInt8]] = [
            #""0x0""#, #""0x1""#, #""0xffffffffffffffff""#, #""0x10000000000000000""#, #""0x8000000000000000""#, #""0x444444444444446""#,
            #""0x\#(String(repeating: "f", count: 64))""#, #""0x\#(String(repeating: "f", count: 65))""#, #""latest""#, #""pending""#,
            #""earliest""#, #""safe""#, #""finalized""#, #""\#(address)""#, "-1", "1e400", "18446744073709551616", "0.5", "null", "true",
            "[", "]", "{", "}", ",", ":", #"\u0000"#, #"\ud800"#, #""params":"#, #""id":"#, #""method":"#, #""jsonrpc":"2.0""#,
            #"{"blockHash":"\#(block1)"}"#, #""0x""#, #""0x0g""#, "[[[[[[[[", "]]]]]]]]",
        ].map { Array($0.utf8) }
        return FuzzTarget(
            name: "jsonrpc",
            summary: "RPCService.handle(body:) over a real in-memory chain: every method from the method table; answers are well-formed JSON-RPC",
            seeds: seeds, dictionary: dictionary, maxInputSize: 4_096
        ) { input in
            if let parsed = try? JSON.parse(input) {
                guard (try? JSON.parse(parsed.serialized)) == parsed else { return .failure("parsed JSON does not survive serialize → parse") }
            }
            guard let answer = await service.handle(body: input, caller: caller) else {
                return .accepted  // only notifications: nothing to answer
            }
            guard let response = try? JSON.parse(answer) else { return .failure("the answer is not JSON") }
            let objects: [JSON]
            switch response {
            case .object: objects = [response]
            case .array(let items) where !items.isEmpty: objects = items
            default: return .failure("the answer is neither a response object nor a non-empty batch")
            }
            var succeeded = false
            for object in objects {
                guard object["jsonrpc"] == .string("2.0"), object["id"] != nil else { return .failure("a response without jsonrpc 2.0 or id") }
                switch (object["result"], object["error"]) {
                case (.some, nil): succeeded = true
                case (nil, .some(let error)):
                    guard error["code"]?.intValue != nil, error["message"]?.stringValue != nil else {
                        return .failure("an error without an integer code and a message")
                    }
                default: return .failure("a response with both or neither of result and error")
                }
            }
            return succeeded ? .accepted : .rejected
        }
    }
}
