import Foundation
import MoteChain
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteStorage
import MoteTransactions

/// A client's connection as the API sees it: where it comes from and, for WebSocket, how to
/// hold subscriptions.
public struct RPCCaller: Sendable {
    /// The client's IP address (for the per-IP rate limit).
    public var address: String
    /// The WebSocket session, or nil over HTTP (where `eth_subscribe` is not available).
    public var session: (any RPCSubscriber)?

    public init(address: String, session: (any RPCSubscriber)? = nil) {
        self.address = address
        self.session = session
    }
}

/// A connection that can hold subscriptions (`eth_subscribe`).
public protocol RPCSubscriber: Sendable {
    /// Starts a subscription; returns its id.
    func subscribe(_ kind: SubscriptionKind) async throws(RPCError) -> String
    /// Ends a subscription; false if there is none with that id.
    func unsubscribe(_ id: String) async -> Bool
}

/// What a subscription delivers.
public enum SubscriptionKind: Sendable {
    case newHeads
    case logs(LogFilter)
    /// Hashes, or whole transactions when `full`.
    case newPendingTransactions(full: Bool)
}

/// The JSON-RPC 2.0 API of a node: parses a body (one request or a batch), enforces the
/// limits, runs each method against the backend and writes the response. Transport-free:
/// the HTTP and WebSocket servers hand it bytes and send back what it returns.
public final class RPCService: Sendable {
    public let backend: any RPCBackend
    public let limits: RPCLimits
    public let metrics: NodeMetrics?
    let filters: FilterRegistry
    let rateLimiter: RateLimiter
    /// Subscriptions held per client over all its WebSocket connections.
    let subscriptionSlots: ClientCounter

    public init(backend: any RPCBackend, limits: RPCLimits = RPCLimits(), metrics: NodeMetrics? = nil) {
        self.backend = backend
        self.limits = limits
        self.metrics = metrics
        self.filters = FilterRegistry(events: backend.events, limits: limits)
        self.rateLimiter = RateLimiter(requestsPerSecond: limits.requestsPerSecond)
        self.subscriptionSlots = ClientCounter(limit: .max, perClientLimit: limits.maxSubscriptionsPerIP)
    }

    /// Answers one body: a request object or a batch array. Nil when there is nothing to send
    /// back (only notifications).
    public func handle(body: [UInt8], caller: RPCCaller) async -> [UInt8]? {
        guard body.count <= limits.maxBodyBytes else {
            return Self.response(id: .null, error: .limitExceeded("request body over \(limits.maxBodyBytes) bytes")).serialized
        }
        let document: JSON
        do { document = try JSON.parse(body) } catch {
            return Self.response(id: .null, error: .parseError(error.description)).serialized
        }
        switch document {
        case .array(let requests):
            guard !requests.isEmpty else { return Self.response(id: .null, error: .invalidRequest("empty batch")).serialized }
            guard requests.count <= limits.maxBatch else {
                return Self.response(id: .null, error: .limitExceeded("batch of \(requests.count) requests; the limit is \(limits.maxBatch)"))
                    .serialized
            }
            guard rateLimiter.allow(caller.address, count: requests.count) else {
                return Self.response(id: .null, error: Self.rateLimited).serialized
            }
            var responses: [JSON] = []
            for request in requests {
                if let response = await handle(request: request, caller: caller) { responses.append(response) }
            }
            return responses.isEmpty ? nil : JSON.array(responses).serialized
        default:
            guard rateLimiter.allow(caller.address) else {
                return Self.response(id: document["id"] ?? .null, error: Self.rateLimited).serialized
            }
            return await handle(request: document, caller: caller)?.serialized
        }
    }

    static let rateLimited = RPCError.limitExceeded("rate limit exceeded: too many requests from this address; retry later")

    /// Answers one request object; nil for a notification (no `id`).
    func handle(request: JSON, caller: RPCCaller) async -> JSON? {
        guard let object = request.objectValue else { return Self.response(id: .null, error: .invalidRequest("not an object")) }
        let id = object["id"]
        if let id {
            switch id {
            case .string, .number, .null: break
            default: return Self.response(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return Self.response(id: id ?? .null, error: .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard let method = object["method"]?.stringValue else {
            return Self.response(id: id ?? .null, error: .invalidRequest("method must be a string"))
        }
        let started = ContinuousClock.now
        let result: Result<JSON, RPCError>
        do throws(RPCError) {
            result = .success(try await dispatch(method: method, params: try Params(object["params"]), caller: caller))
        } catch {
            result = .failure(error)
        }
        metrics?.recordRequest(method: Self.methods.contains(method) ? method : "unknown", duration: ContinuousClock.now - started,
            failed: (try? result.get()) == nil)
        guard let id else { return nil }
        switch result {
        case .success(let value): return .object(["jsonrpc": .string("2.0"), "id": id, "result": value])
        case .failure(let error): return Self.response(id: id, error: error)
        }
    }

    static func response(id: JSON, error: RPCError) -> JSON {
        .object(["jsonrpc": .string("2.0"), "id": id, "error": error.json])
    }

    /// Every method the API answers.
    public static let methods: Set<String> = Set<String>([
        "web3_clientVersion", "web3_sha3", "net_version", "net_listening", "net_peerCount",
        "eth_chainId", "eth_syncing", "eth_blockNumber", "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory",
        "eth_accounts", "eth_mining", "eth_hashrate",
        "eth_getBalance", "eth_getTransactionCount", "eth_getCode", "eth_getStorageAt", "eth_call", "eth_estimateGas",
        "eth_sendRawTransaction", "eth_getTransactionByHash", "eth_getTransactionByBlockNumberAndIndex",
        "eth_getTransactionByBlockHashAndIndex", "eth_getTransactionReceipt", "eth_getBlockByNumber", "eth_getBlockByHash",
        "eth_getBlockTransactionCountByNumber", "eth_getBlockTransactionCountByHash", "eth_getBlockReceipts",
        "eth_getUncleCountByBlockNumber", "eth_getUncleCountByBlockHash",
        "eth_getLogs", "eth_newFilter", "eth_newBlockFilter", "eth_newPendingTransactionFilter", "eth_getFilterChanges",
        "eth_getFilterLogs", "eth_uninstallFilter", "eth_getProof", "eth_subscribe", "eth_unsubscribe",
        "mote_chainInfo", "mote_nodeInfo", "mote_peers", "mote_poolStatus",
    ]).union(stakingMethods).union(deviceMethods).union(witnessMethods).union(attestationMethods).union(projectMethods)

    /// Runs one method.
    func dispatch(method: String, params: Params, caller: RPCCaller) async throws(RPCError) -> JSON {
        switch method {
        case "web3_clientVersion":
            try params.expect(0...0)
            return .string(backend.clientVersion)
        case "web3_sha3":
            try params.expect(1...1)
            return .hash(Keccak256.hash(try params.data(0)))
        case "net_version":
            try params.expect(0...0)
            return .string(String(backend.chainID))
        case "net_listening":
            try params.expect(0...0)
            return .bool(true)
        case "net_peerCount":
            try params.expect(0...0)
            return .quantity(await backend.peers().count)
        case "eth_chainId":
            try params.expect(0...0)
            return .quantity(backend.chainID)
        case "eth_syncing":
            try params.expect(0...0)
            guard await backend.isSyncing() else { return .bool(false) }
            let height = try head().height
            return .object([
                "startingBlock": .quantity(height), "currentBlock": .quantity(height), "highestBlock": .quantity(height),
            ])
        case "eth_blockNumber":
            try params.expect(0...0)
            return .quantity(try head().height)
        case "eth_accounts":
            try params.expect(0...0)
            return .array([])
        case "eth_mining":
            try params.expect(0...0)
            return .bool(false)
        case "eth_hashrate":
            try params.expect(0...0)
            return .quantity(0)
        case "eth_gasPrice":
            try params.expect(0...0)
            return .quantity(try nextBaseFee() + suggestedTip)
        case "eth_maxPriorityFeePerGas":
            try params.expect(0...0)
            return .quantity(suggestedTip)
        case "eth_feeHistory": return try feeHistory(params)
        case "eth_getBalance":
            try params.expect(1...2)
            let address = try params.address(0)
            try requireLatestState(try params.blockTag(1))
            return .quantity(try account(address).balance)
        case "eth_getTransactionCount":
            try params.expect(1...2)
            let address = try params.address(0)
            let tag = try params.blockTag(1)
            if tag == .pending { return .quantity(backend.pool.nonce(for: address)) }
            try requireLatestState(tag)
            return .quantity(try account(address).nonce)
        case "eth_getCode":
            try params.expect(1...2)
            let address = try params.address(0)
            try requireLatestState(try params.blockTag(1))
            return .data(await backend.code(at: address))
        case "eth_getStorageAt": return try storageAt(params)
        case "eth_call": return try await call(params)
        case "eth_estimateGas": return try await estimateGas(params)
        case "eth_sendRawTransaction": return try await sendRawTransaction(params)
        case "eth_getTransactionByHash":
            try params.expect(1...1)
            return try transaction(hash: try params.hash(0))
        case "eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionByBlockHashAndIndex":
            try params.expect(2...2)
            let tag = method.hasSuffix("HashAndIndex") ? BlockTag.hash(try params.hash(0)) : try params.blockTag(0)
            let index = try params.quantity(1)
            guard let height = try height(of: tag), let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }),
                index < UInt64(block.transactions.count)
            else { return .null }
            return transactionJSON(block.transactions[Int(index)], block: block, index: Int(index))
        case "eth_getTransactionReceipt":
            try params.expect(1...1)
            return try receipt(hash: try params.hash(0))
        case "eth_getBlockByNumber", "eth_getBlockByHash":
            try params.expect(1...2)
            let tag = method == "eth_getBlockByHash" ? BlockTag.hash(try params.hash(0)) : try params.blockTag(0)
            let full = try params.bool(1, default: false)
            guard let height = try height(of: tag), let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }) else {
                return .null
            }
            return blockJSON(block, full: full)
        case "eth_getBlockTransactionCountByNumber", "eth_getBlockTransactionCountByHash":
            try params.expect(1...1)
            let tag = method.hasSuffix("ByHash") ? BlockTag.hash(try params.hash(0)) : try params.blockTag(0)
            guard let height = try height(of: tag), let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }) else {
                return .null
            }
            return .quantity(block.transactions.count)
        case "eth_getUncleCountByBlockNumber", "eth_getUncleCountByBlockHash":
            try params.expect(1...1)
            let tag = method.hasSuffix("ByHash") ? BlockTag.hash(try params.hash(0)) : try params.blockTag(0)
            return try height(of: tag) == nil ? .null : .quantity(0)
        case "eth_getBlockReceipts":
            try params.expect(1...1)
            guard let height = try height(of: try params.blockTag(0)) else { return .null }
            return try blockReceipts(height: height)
        case "eth_getLogs":
            try params.expect(1...1)
            return .array(try logs(LogFilter(parsing: .object(try params.object(0))), from: nil))
        case "eth_newFilter":
            try params.expect(1...1)
            let filter = try LogFilter(parsing: .object(try params.object(0)))
            return .string(try filters.install(.logs(filter, next: try head().height + 1), owner: caller.address))
        case "eth_newBlockFilter":
            try params.expect(0...0)
            return .string(try filters.install(.blocks(next: try head().height + 1), owner: caller.address))
        case "eth_newPendingTransactionFilter":
            try params.expect(0...1)
            return .string(try filters.install(.pending(hashes: []), owner: caller.address))
        case "eth_getFilterChanges":
            try params.expect(1...1)
            return try filterChanges(id: try params.string(0))
        case "eth_getFilterLogs":
            try params.expect(1...1)
            guard let filter = filters.logFilter(try params.string(0)) else { throw RPCError.server("filter not found") }
            return .array(try logs(filter, from: nil))
        case "eth_uninstallFilter":
            try params.expect(1...1)
            return .bool(filters.uninstall(try params.string(0)))
        case "eth_getProof": return try await proof(params)
        case "eth_subscribe":
            guard let session = caller.session else { throw RPCError(code: -32601, message: "notifications not supported") }
            try params.expect(1...2)
            return .string(try await session.subscribe(try subscriptionKind(params)))
        case "eth_unsubscribe":
            guard let session = caller.session else { throw RPCError(code: -32601, message: "notifications not supported") }
            try params.expect(1...1)
            return .bool(await session.unsubscribe(try params.string(0)))
        case "mote_chainInfo":
            try params.expect(0...0)
            return try await chainInfo()
        case "mote_nodeInfo":
            try params.expect(0...0)
            let info = await backend.nodeInfo()
            return .object([
                "name": .string(info.name), "clientVersion": .string(backend.clientVersion),
                "role": .string(info.delegate == nil ? "follower" : "delegate"),
                "delegate": info.delegate.map { .address($0) } ?? .null,
                "p2p": .string(info.p2pListen), "http": .string(info.httpListen), "ws": .string(info.wsListen),
                "chainId": .quantity(backend.chainID), "head": .quantity(try head().height),
            ])
        case "mote_peers":
            try params.expect(0...0)
            return .array(await backend.peers().map { peer in
                .object([
                    "id": .address(peer.nodeID), "remoteAddress": .string(peer.remoteAddress),
                    "direction": .string(peer.inbound ? "inbound" : "outbound"), "listenPort": .int(Int(peer.listenPort)),
                ])
            })
        case "mote_poolStatus":
            try params.expect(0...0)
            let pool = backend.pool
            return .object(["pending": .quantity(pool.pendingCount), "queued": .quantity(pool.queuedCount), "capacity": .quantity(pool.config.capacity)])
        default:
            if Self.stakingMethods.contains(method) { return try await stakingMethod(method, params) }
            if Self.deviceMethods.contains(method) { return try await deviceMethod(method, params) }
            if Self.witnessMethods.contains(method) { return try await witnessMethod(method, params) }
            if Self.attestationMethods.contains(method) { return try await attestationMethod(method, params) }
            if Self.projectMethods.contains(method) { return try await projectMethod(method, params) }
            throw RPCError.methodNotFound(method)
        }
    }

    // MARK: Reading the chain

    /// Runs a store read, turning a storage failure into an internal error.
    func read<T>(_ body: () throws(StorageError) -> T) throws(RPCError) -> T {
        do { return try body() } catch { throw RPCError.internalError("storage: \(error.description)") }
    }

    func head() throws(RPCError) -> ChainHead {
        guard let head = try read({ () throws(StorageError) in try backend.store.head() }) else {
            throw RPCError.internalError("the chain store is empty")
        }
        return head
    }

    func headHeader() throws(RPCError) -> BlockHeader {
        let height = try head().height
        guard let header = try read({ () throws(StorageError) in try backend.store.header(atHeight: height) }) else {
            throw RPCError.internalError("no header at the head height \(height)")
        }
        return header
    }

    /// The height a tag names, or nil if there is no such block. Since every block is final,
    /// `safe`, `finalized` and `pending` are the latest block.
    func height(of tag: BlockTag) throws(RPCError) -> UInt64? {
        switch tag {
        case .latest, .safe, .finalized, .pending: return try head().height
        case .earliest: return 0
        case .number(let n): return n <= (try head().height) ? n : nil
        case .hash(let hash): return try read({ () throws(StorageError) in try backend.store.height(ofBlock: hash) })
        }
    }

    /// This node keeps only the latest state: a state query for an older block is refused.
    func requireLatestState(_ tag: BlockTag) throws(RPCError) {
        let head = try head()
        switch tag {
        case .latest, .safe, .finalized, .pending: return
        case .earliest where head.height == 0: return
        case .number(let n) where n == head.height: return
        case .hash(let hash) where hash == head.hash: return
        case .number(let n) where n > head.height:
            throw RPCError.resourceNotFound("header not found: block \(n) is above the head \(head.height)")
        case .hash(let hash) where (try read({ () throws(StorageError) in try backend.store.height(ofBlock: hash) })) == nil:
            throw RPCError.resourceNotFound("header for hash \(hash.hex) not found")
        default:
            throw RPCError.server("historical state is not available: this node keeps the state of the latest block (\(head.height)) only")
        }
    }

    func account(_ address: Address) throws(RPCError) -> Account {
        try read({ () throws(StorageError) in try backend.store.account(address) }) ?? Account()
    }

    /// The base fee of the next block.
    func nextBaseFee() throws(RPCError) -> UInt256 {
        FeeMarket.nextBaseFee(parent: try headHeader(), parameters: backend.genesis.parameters)
    }

    /// The priority fee suggested to wallets: the pool's minimum, at least 1 gwei.
    var suggestedTip: UInt256 { max(backend.pool.config.minimumTip, FeePolicy.defaultTip) }

    func chainInfo() async throws(RPCError) -> JSON {
        let info = await backend.chainInfo()
        let head = try head()
        return .object([
            "chainId": .quantity(backend.chainID), "height": .quantity(info.height), "hash": .hash(head.hash),
            "epoch": .quantity(info.epoch), "epochLength": .quantity(info.epochLength),
            "epochFirstHeight": .quantity(info.epochFirstHeight), "nextEpochHeight": .quantity(info.nextEpochHeight),
            "delegates": .array(info.delegates.map { .address($0) }), "producers": .array(info.producers.map { .address($0) }),
            "totalSupply": .quantity(head.totalSupply), "minted": .quantity(head.minted), "burned": .quantity(head.burned),
        ])
    }

    func subscriptionKind(_ params: Params) throws(RPCError) -> SubscriptionKind {
        switch try params.string(0) {
        case "newHeads":
            try params.expect(1...1)
            return .newHeads
        case "logs":
            guard let value = params.value(1) else { return .logs(LogFilter()) }
            return .logs(try LogFilter(parsing: value, allowRange: false))
        case "newPendingTransactions":
            return .newPendingTransactions(full: try params.bool(1, default: false))
        case let other:
            throw RPCError.invalidParams("no \"\(other.prefix(32))\" subscription in eth namespace")
        }
    }
}

// MARK: Health

extension RPCService {
    /// Block intervals without a finalized block after which `/health` says "stalled".
    public static let stallIntervals = 10

    /// `/health`: whether the node serves and the chain moves. `ok` false (HTTP 503) when the
    /// store cannot be read ("unavailable") or no block was finalized for `stallIntervals`
    /// block intervals ("stalled", with the reason); "syncing" and "ok" are healthy.
    public func health(now: Date = Date()) async -> (ok: Bool, body: JSON) {
        let height = try? head().height
        let syncing = await backend.isSyncing()
        let peers = await backend.peers().count
        var object: [String: JSON] = [
            "height": height.map { .int(Int(clamping: $0)) } ?? .null, "peers": .int(peers), "syncing": .bool(syncing),
        ]
        guard height != nil else {
            object["status"] = .string("unavailable")
            object["reason"] = .string("the chain store cannot be read")
            return (false, .object(object))
        }
        if let liveness = await backend.liveness() {
            let intervalMs = Self.milliseconds(liveness.blockInterval)
            // Wall clock (not consensus): a clock set back reads as no delay.
            let ageMs = max(0, min(now.timeIntervalSince(liveness.lastFinalized) * 1_000, 1e15))
            object["lastBlockAgeMs"] = .int(Int(ageMs))
            object["blockIntervalMs"] = .int(Int(min(intervalMs, 1e15)))
            if intervalMs > 0, ageMs > intervalMs * Double(Self.stallIntervals) {
                object["status"] = .string("stalled")
                object["reason"] = .string(
                    "no block finalized for \(Int(ageMs / 1_000)) s, over \(Self.stallIntervals) block intervals of \(Int(min(intervalMs, 1e15))) ms")
                return (false, .object(object))
            }
        }
        object["status"] = .string(syncing ? "syncing" : "ok")
        return (true, .object(object))
    }

    /// A duration in milliseconds, as a Double (never traps).
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
