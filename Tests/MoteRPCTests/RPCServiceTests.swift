import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPC
import MoteTransactions
import MoteTrie
import Testing

/// The JSON-RPC API against a real ledger and pool, without the network.
@Suite struct RPCServiceTests {
    let chain: TestChain
    let rpc: RPCService

    init() throws {
        chain = try TestChain()
        rpc = RPCService(backend: chain)
    }

    static let recipient = Address(suffixOf: Keccak256.hash(utf8: "rpc recipient"))

    @discardableResult
    func send(_ tx: SignedTransaction) async throws -> JSON {
        try await rpc.result("eth_sendRawTransaction", [.string(Hex.encode(tx.rawBytes))])
    }

    // MARK: Envelope

    @Test func answersTheEnvelopeAsJSONRPC2() async throws {
        #expect(try await rpc.result("eth_chainId") == .string("0x1251"))
        #expect(try await rpc.result("net_version") == .string("4689"))
        #expect(try await rpc.result("eth_blockNumber") == .string("0x0"))
        #expect(try await rpc.result("web3_sha3", [.s("0x")]) == .string(Keccak256.hash([]).hex))
        #expect(try await rpc.error("eth_nothing").code == -32601)
        #expect(try await rpc.error("eth_getBalance", [.s("0x1234")]).code == -32602)
        #expect(try await rpc.error("eth_getBalance", []).message.contains("missing value"))
        #expect(try await rpc.error("eth_blockNumber", [.int(1)]).message.contains("too many arguments"))

        let caller = RPCCaller(address: "t")
        func answer(_ text: String) async throws -> JSON { try JSON.parse(try #require(await rpc.handle(body: Array(text.utf8), caller: caller))) }
        #expect(try await answer("{").text.contains("-32700"))
        #expect(try await answer(#"{"id":1,"method":"eth_chainId"}"#)["error"]?["code"] == .int(-32600))
        #expect(try await answer(#"{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}"#)["error"]?["code"] == .int(-32600))
        #expect(try await answer("[]")["error"]?["code"] == .int(-32600))
        // The id is echoed exactly; a notification gets no answer.
        #expect(try await answer(#"{"jsonrpc":"2.0","id":"abc","method":"eth_chainId"}"#)["id"] == .string("abc"))
        #expect(try await answer(#"{"jsonrpc":"2.0","id":1e3,"method":"eth_chainId"}"#)["id"] == .number("1e3"))
        #expect(await rpc.handle(body: Array(#"{"jsonrpc":"2.0","method":"eth_chainId"}"#.utf8), caller: caller) == nil)
        // A batch answers each request in order, errors included.
        let batch = try await answer(#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"x"},5]"#)
        let items = try #require(batch.arrayValue)
        #expect(items.count == 3)
        #expect(items[0]["result"] == .string("0x1251"))
        #expect(items[1]["error"]?["code"] == .int(-32601))
        #expect(items[2]["error"]?["code"] == .int(-32600))
    }

    @Test func enforcesBodyBatchAndRateLimits() async throws {
        var limits = RPCLimits()
        limits.maxBatch = 3
        limits.maxBodyBytes = 2_000
        limits.requestsPerSecond = 5
        let limited = RPCService(backend: chain, limits: limits)
        let one = #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#
        let four = "[" + Array(repeating: one, count: 4).joined(separator: ",") + "]"
        let big = #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[""# + String(repeating: "a", count: 3_000) + "\"]}"
        func answer(_ text: String, from address: String) async throws -> JSON {
            try JSON.parse(try #require(await limited.handle(body: Array(text.utf8), caller: RPCCaller(address: address))))
        }
        #expect(try await answer(four, from: "a")["error"]?["code"] == .int(-32005))
        #expect(try await answer(big, from: "b")["error"]?["code"] == .int(-32005))
        // 10 per second in bursts: the eleventh request in a burst is refused; another address is not affected.
        var refused = 0
        for _ in 0..<20 where try await answer(one, from: "c")["error"]?["code"] == .int(-32005) { refused += 1 }
        #expect(refused >= 9)
        #expect(try await answer(one, from: "d")["result"] == .string("0x1251"))
    }

    // MARK: Transactions, blocks and receipts

    @Test func transferTravelsFromSubmissionToReceipt() async throws {
        let sender = TestChain.keys[0].address
        let tx = TestChain.transfer(0, to: Self.recipient, value: 12_345, nonce: 0)
        #expect(try await send(tx) == .hash(tx.hash))
        // Pending: visible by hash without a block, and in the pending nonce.
        let pending = try await rpc.result("eth_getTransactionByHash", [.hash(tx.hash)])
        #expect(pending["blockHash"] == .null)
        #expect(try await rpc.result("eth_getTransactionCount", [.address(sender), .s("pending")]) == .string("0x1"))
        #expect(try await rpc.result("eth_getTransactionCount", [.address(sender), .s("latest")]) == .string("0x0"))
        #expect(try await rpc.result("eth_getTransactionReceipt", [.hash(tx.hash)]) == .null)

        let block = try chain.produce()
        let receipt = try await rpc.result("eth_getTransactionReceipt", [.hash(tx.hash)])
        #expect(receipt["status"] == .s("0x1"))
        #expect(receipt["gasUsed"] == .s("0x5208"))
        #expect(receipt["cumulativeGasUsed"] == .s("0x5208"))
        #expect(receipt["blockNumber"] == .s("0x1"))
        #expect(receipt["blockHash"] == .hash(block.hash))
        #expect(receipt["from"] == .address(sender))
        #expect(receipt["to"] == .address(Self.recipient))
        #expect(receipt["type"] == .s("0x2"))
        #expect(receipt["contractAddress"] == .null)
        let price = min(UInt256(10_000_000_000), UInt256(2_000_000_000) + block.header.baseFee)
        #expect(receipt["effectiveGasPrice"] == .quantity(price))

        let mined = try await rpc.result("eth_getTransactionByHash", [.hash(tx.hash)])
        #expect(mined["blockNumber"] == .s("0x1"))
        #expect(mined["transactionIndex"] == .s("0x0"))
        #expect(mined["from"] == .address(sender))
        #expect(mined["value"] == .s("0x3039"))
        #expect(mined["gasPrice"] == .quantity(price))
        #expect(mined["yParity"] == .quantity(UInt64(tx.signature.recoveryID)))
        #expect(try await rpc.result("eth_getTransactionByBlockNumberAndIndex", [.s("0x1"), .s("0x0")]) == mined)
        #expect(try await rpc.result("eth_getTransactionByBlockHashAndIndex", [.hash(block.hash), .s("0x0")]) == mined)
        #expect(try await rpc.result("eth_getTransactionByBlockNumberAndIndex", [.s("0x1"), .s("0x1")]) == .null)

        #expect(try await rpc.result("eth_getBalance", [.address(Self.recipient), .s("latest")]) == .s("0x3039"))
        let spent = TestChain.ether * 100 - UInt256(12_345) - UInt256(21_000) * price
        #expect(try await rpc.result("eth_getBalance", [.address(sender)]) == .quantity(spent))
        #expect(try await rpc.result("eth_getTransactionCount", [.address(sender), .s("latest")]) == .string("0x1"))

        let full = try await rpc.result("eth_getBlockByNumber", [.s("latest"), .bool(true)])
        #expect(full["hash"] == .hash(block.hash))
        #expect(full["transactions"]?.arrayValue?.first == mined)
        #expect(full["miner"] == .address(TestChain.producer))
        #expect(full["stateRoot"] == .hash(block.header.stateRoot))
        #expect(full["baseFeePerGas"] == .quantity(block.header.baseFee))
        let byHash = try await rpc.result("eth_getBlockByHash", [.hash(block.hash), .bool(false)])
        #expect(byHash["transactions"] == .array([.hash(tx.hash)]))
        for tag in ["finalized", "safe", "pending", "0x1"] {
            #expect(try await rpc.result("eth_getBlockByNumber", [.s(tag), .bool(false)]) == byHash)
        }
        #expect(try await rpc.result("eth_getBlockByNumber", [.s("0x2"), .bool(false)]) == .null)
        #expect(try await rpc.result("eth_getBlockTransactionCountByNumber", [.s("0x1")]) == .s("0x1"))
        #expect(try await rpc.result("eth_getBlockTransactionCountByHash", [.hash(block.hash)]) == .s("0x1"))
        #expect(try await rpc.result("eth_getBlockReceipts", [.s("latest")]) == .array([receipt]))
        // State is kept for the latest block only.
        #expect(try await rpc.error("eth_getBalance", [.address(sender), .s("0x0")]).message.contains("historical state"))
        #expect(try await rpc.error("eth_getBalance", [.address(sender), .s("0x9")]).code == -32001)
    }

    @Test func poolRejectionsUseEthereumMessages() async throws {
        let tx = TestChain.transfer(1, to: Self.recipient, value: 1, nonce: 0)
        try await send(tx)
        func rejection(_ tx: SignedTransaction) async throws -> String {
            try await rpc.error("eth_sendRawTransaction", [.string(Hex.encode(tx.rawBytes))]).message
        }
        #expect(try await rejection(tx) == "already known")
        #expect(try await rejection(TestChain.transfer(1, to: Self.recipient, value: 2, nonce: 0, tip: 2_100_000_000))
            .hasPrefix("replacement transaction underpriced"))
        #expect(try await rejection(TestChain.transfer(1, to: Self.recipient, value: 1, nonce: 1, chainID: 1)).hasPrefix("invalid chain id"))
        #expect(try await rejection(TestChain.transfer(1, to: Self.recipient, value: TestChain.ether * 1_000, nonce: 1))
            .hasPrefix("insufficient funds for gas * price + value"))
        try chain.produce()
        #expect(try await rejection(TestChain.transfer(1, to: Self.recipient, value: 3, nonce: 0)).hasPrefix("nonce too low"))
        let tooBig = Transaction.dynamicFee(
            chainID: TestChain.chainID, nonce: 1, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 40_000_000,
            to: Self.recipient, value: 1
        ).signed(with: TestChain.keys[1])
        #expect(try await rejection(tooBig).hasPrefix("exceeds block gas limit"))
        #expect(try await rpc.error("eth_sendRawTransaction", [.s("0x01")]).message.hasPrefix("invalid transaction"))
        let unprotected = Transaction.legacy(
            chainID: nil, nonce: 1, gasPrice: 10_000_000_000, gasLimit: 21_000, to: Self.recipient, value: 1
        ).signed(with: TestChain.keys[1])
        #expect(try await rejection(unprotected) == "only replay-protected (EIP-155) transactions allowed over RPC")
    }

    @Test func feesAndEstimates() async throws {
        try await send(TestChain.transfer(0, to: Self.recipient, value: 1, nonce: 0))
        try chain.produce()
        try chain.produce()
        let history = try await rpc.result("eth_feeHistory", [.s("0x2"), .s("latest"), .array([.int(50)])])
        #expect(history["oldestBlock"] == .s("0x1"))
        #expect(history["baseFeePerGas"]?.arrayValue?.count == 3)
        #expect(history["gasUsedRatio"]?.arrayValue?.count == 2)
        #expect(history["reward"]?.arrayValue?.first == .array([.s("0x77359400")]))
        #expect(history["reward"]?.arrayValue?.last == .array([.s("0x0")]))
        #expect(try await rpc.error("eth_feeHistory", [.s("0x2"), .s("latest"), .array([.int(60), .int(50)])]).code == -32602)
        let tip = try await rpc.result("eth_maxPriorityFeePerGas")
        #expect(tip == .s("0x3b9aca00"))
        let gasPriceText = try await rpc.result("eth_gasPrice").stringValue ?? ""
        let gasPrice = try #require(UInt256(gasPriceText))
        #expect(gasPrice == chain.ledger.nextBaseFee + UInt256(1_000_000_000))
        let call: JSON = .object(["from": .address(TestChain.keys[2].address), "to": .address(Self.recipient), "value": .s("0x1")])
        #expect(try await rpc.result("eth_estimateGas", [call]) == .s("0x5208"))
        let poor: JSON = .object(["from": .address(Self.recipient), "to": .address(TestChain.producer), "value": .s("0xffffff")])
        #expect(try await rpc.error("eth_estimateGas", [poor]).message.hasPrefix("insufficient funds"))
        #expect(try await rpc.error("eth_call", [.object(["to": .s("0x12")])]).code == -32602)
        #expect(try await rpc.error("eth_call", [.object(["to": .address(Self.recipient), "bogus": .s("1")])]).code == -32602)
    }

    // MARK: System contracts, logs and filters

    @Test func systemContractCallsLogsAndFilters() async throws {
        let registry = NodeRegistryContract(genesis: Genesis(chainID: 1, timestamp: 0, gasLimit: 30_000_000, baseFee: 0, allocations: []))
        let blockFilter = try #require(try await rpc.result("eth_newBlockFilter").stringValue)
        let pendingFilter = try #require(try await rpc.result("eth_newPendingTransactionFilter").stringValue)
        let logFilter = try #require(try await rpc.result("eth_newFilter", [.object(["address": .address(registry.address)])]).stringValue)
        let calldata = try NodeRegistryABI.register.abi.encodeCall([.string("node-a"), .string("tcp://10.0.0.1:7000")])
        let from = TestChain.keys[3]
        // The estimate is exactly what the transaction then uses.
        let callObject: JSON = .object(["from": .address(from.address), "to": .address(registry.address), "data": .data(calldata)])
        let estimate = try #require(try await rpc.result("eth_estimateGas", [callObject]).stringValue)
        let gas = try #require(UInt64(estimate.dropFirst(2), radix: 16))
        #expect(gas > 21_000)
        let tx = Transaction.dynamicFee(
            chainID: TestChain.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: gas,
            to: registry.address, value: 0, data: calldata
        ).signed(with: from)
        try await send(tx)
        #expect(try await rpc.result("eth_getFilterChanges", [.s(pendingFilter)]) == .array([.hash(tx.hash)]))
        let block = try chain.produce()
        let receipt = try await rpc.result("eth_getTransactionReceipt", [.hash(tx.hash)])
        #expect(receipt["status"] == .s("0x1"))
        #expect(receipt["gasUsed"] == .s(estimate))
        let logs = try #require(receipt["logs"]?.arrayValue)
        #expect(logs.count == 1)
        let topic0 = NodeRegistryABI.registered.abi.topic0
        #expect(logs[0]["topics"]?.arrayValue?.first == .hash(topic0))
        #expect(logs[0]["logIndex"] == .s("0x0"))

        // eth_getLogs: by address, by topic, by block hash; misses stay empty.
        let byTopic: JSON = .object(["fromBlock": .s("0x0"), "toBlock": .s("latest"), "topics": .array([.hash(topic0)])])
        #expect(try await rpc.result("eth_getLogs", [byTopic]) == .array(logs))
        let byHash: JSON = .object(["blockHash": .hash(block.hash), "address": .array([.address(registry.address)])])
        #expect(try await rpc.result("eth_getLogs", [byHash]) == .array(logs))
        let operatorTopic = Hash32(bytes: [UInt8](repeating: 0, count: 12) + from.address.bytes)!
        let second: JSON = .object(["fromBlock": .s("earliest"), "topics": .array([.null, .array([.hash(operatorTopic)])])])
        #expect(try await rpc.result("eth_getLogs", [second]) == .array(logs))
        let miss: JSON = .object(["fromBlock": .s("0x0"), "topics": .array([.null, .hash(.zero)])])
        #expect(try await rpc.result("eth_getLogs", [miss]) == .array([]))
        #expect(try await rpc.error("eth_getLogs", [.object(["fromBlock": .s("0x2"), "toBlock": .s("0x1")])]).code == -32602)
        var limits = RPCLimits()
        limits.maxLogRange = 1
        limits.maxLogResults = 0
        let narrow = RPCService(backend: chain, limits: limits)
        #expect(try await narrow.error("eth_getLogs", [.object(["fromBlock": .s("0x0"), "toBlock": .s("0x1")])]).message.hasPrefix("block range of 2 blocks"))
        #expect(try await narrow.error("eth_getLogs", [byHash]).message.hasPrefix("query returned more than 0 results"))
        #expect(try await rpc.error("eth_getLogs", [.object(["topics": .array([.null, .null, .null, .null, .null])])]).code == -32602)

        // Filters see what happened since they were installed, once.
        #expect(try await rpc.result("eth_getFilterChanges", [.s(blockFilter)]) == .array([.hash(block.hash)]))
        #expect(try await rpc.result("eth_getFilterChanges", [.s(blockFilter)]) == .array([]))
        #expect(try await rpc.result("eth_getFilterChanges", [.s(logFilter)]) == .array(logs))
        #expect(try await rpc.result("eth_getFilterChanges", [.s(logFilter)]) == .array([]))
        #expect(try await rpc.result("eth_getFilterLogs", [.s(logFilter)]) == .array(logs))
        #expect(try await rpc.result("eth_uninstallFilter", [.s(logFilter)]) == .bool(true))
        #expect(try await rpc.result("eth_uninstallFilter", [.s(logFilter)]) == .bool(false))
        #expect(try await rpc.error("eth_getFilterChanges", [.s(logFilter)]).message == "filter not found")

        // Read-only calls; a revert carries Error(string) data.
        let count = try await rpc.result("eth_call", [.object(["to": .address(registry.address), "data": .data(NodeRegistryABI.nodeCount.abi.selector)])])
        #expect(count == .data(try NodeRegistryABI.nodeCount.abi.encodeOutput([.uint(1)])))
        let reverted = try await rpc.request("eth_call", [.object(["to": .address(registry.address), "data": .s("0xdeadbeef")])])
        #expect(reverted["error"]?["code"] == .int(3))
        #expect(reverted["error"]?["data"]?.stringValue?.hasPrefix("0x08c379a0") == true)
        #expect(try await rpc.error("eth_subscribe", [.s("newHeads")]).message == "notifications not supported")
    }

    @Test func proofsVerifyAgainstTheStateRoot() async throws {
        let address = TestChain.keys[4].address
        let proof = try await rpc.result("eth_getProof", [.address(address), .array([.s("0x0")]), .s("latest")])
        #expect(proof["balance"] == .quantity(TestChain.ether * 100))
        #expect(proof["nonce"] == .s("0x0"))
        let nodes = try #require(proof["accountProof"]?.arrayValue).map { try [UInt8](hex: $0.stringValue ?? "") }
        let value = try SecureTrie.verifyProof(root: chain.ledger.head.stateRoot, key: address.bytes, proof: nodes)
        #expect(value == Account(balance: TestChain.ether * 100).encoded)
        #expect(proof["storageProof"]?.arrayValue?.count == 1)
        #expect(try await rpc.error("eth_getProof", [.address(address), .s("0x0")]).code == -32602)
    }

    @Test func chainInfoAndStorage() async throws {
        let info = try await rpc.result("mote_chainInfo")
        #expect(info["epoch"] == .s("0x1"))
        #expect(info["producers"] == .array([.address(TestChain.producer)]))
        #expect(info["totalSupply"] == .quantity(TestChain.ether * 600))
        #expect(try await rpc.result("eth_getStorageAt", [.address(TestChain.producer), .s("0x0"), .s("latest")])
            == .data([UInt8](repeating: 0, count: 32)))
        #expect(try await rpc.result("eth_getCode", [.address(TestChain.producer), .s("latest")]) == .s("0x"))
        // A system contract shows its marker: INVALID, "MOTE", its index.
        #expect(try await rpc.result("eth_getCode", [.address(StakingABI.address), .s("latest")]) == .s("0xfe4d4f54450002"))
        #expect(try await rpc.result("eth_syncing") == .bool(false))
        #expect(try await rpc.result("mote_poolStatus")["pending"] == .s("0x0"))
        // Quantities are strict: no leading zeros, a 0x prefix, at most 64 bits for numbers.
        #expect(try await rpc.error("eth_getBlockByNumber", [.s("0x01"), .bool(false)]).code == -32602)
        #expect(try await rpc.error("eth_getBlockByNumber", [.s("1"), .bool(false)]).code == -32602)
        #expect(try await rpc.error("eth_getBlockByNumber", [.s("0x10000000000000000"), .bool(false)]).code == -32602)
    }

    @Test func stakingMethodsDescribeCandidatesBucketsAndEpochs() async throws {
        let chain = try TestChain(balance: TestChain.ether * 100_000)
        let rpc = RPCService(backend: chain)
        let (owner, operatorKey) = (TestChain.keys[0], TestChain.keys[1])
        let fee = TestChain.ether * 100
        let register = Transaction.dynamicFee(
            chainID: TestChain.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 2_000_000,
            to: StakingABI.address, value: fee + TestChain.ether * 20_000,
            data: try StakingABI.registerCandidate.abi.encodeCall([
                .string("alpha"), .address(operatorKey.address), .address(owner.address), .uint(30), .bool(true), .uint(2_500),
                .bytes(OperatorProof.proof(by: operatorKey, chainID: TestChain.chainID, owner: owner.address)),
            ])
        ).signed(with: owner)
        _ = try await rpc.result("eth_sendRawTransaction", [.data(register.rawBytes)])
        try chain.produce()
        #expect(try await rpc.result("eth_getTransactionReceipt", [.hash(register.hash)])["status"] == .s("0x1"))

        let candidates = try #require(try await rpc.result("mote_candidates").arrayValue)
        #expect(candidates.count == 1)
        #expect(candidates[0]["name"] == .s("alpha"))
        #expect(candidates[0]["operatorAddress"] == .address(operatorKey.address))
        #expect(candidates[0]["voterShareBps"] == .s("0x9c4"))
        #expect(candidates[0]["selfStake"] == .quantity(TestChain.ether * 20_000))
        #expect(try await rpc.result("mote_candidate", [.s("alpha")]) == candidates[0])
        #expect(try await rpc.error("mote_candidate", [.s("nobody")]).code == -32001)

        let buckets = try #require(try await rpc.result("mote_buckets", [.address(owner.address)]).arrayValue)
        #expect(buckets.count == 1)
        #expect(buckets[0]["candidate"] == .s("alpha"))
        #expect(buckets[0]["autoStake"] == .bool(true))
        #expect(buckets[0]["selfStake"] == .bool(true))
        #expect(buckets[0]["votes"] == candidates[0]["votes"])
        #expect(try await rpc.result("mote_bucket", [.s("0x0")]) == buckets[0])
        #expect(try await rpc.result("mote_votes", [.s("alpha")])["buckets"] == .array(buckets))

        let epoch = try await rpc.result("mote_epoch")
        #expect(epoch["epoch"] == .s("0x1"))
        #expect(epoch["firstHeight"] == .s("0x1"))
        let fund = try await rpc.result("mote_rewardFund")
        #expect(fund["fund"] == .quantity(fee))
        #expect(try await rpc.result("mote_rewards", [.address(owner.address), .s("0x1")])["unclaimed"] == .s("0x0"))
        #expect(try await rpc.result("mote_probation") == .array([]))
    }
}
