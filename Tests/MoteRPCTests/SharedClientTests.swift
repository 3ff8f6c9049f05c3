import Foundation
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteRPC
import MoteRPCClient
import MoteTransactions
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The one JSON-RPC client (MoteRPCClient) against a real RPC server over a real ledger:
/// typed errors, bounded answers, batches, contract views and signed transactions.
@Suite struct SharedClientTests {
    /// A server over `chain` on a free loopback port, and a client for it.
    func serve(_ chain: TestChain, maxResponseBytes: Int = 1 << 20) async throws -> (RPCServer, JSONRPCClient) {
        let server = RPCServer(service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: nil)
        let ports = try await server.start()
        return (server, JSONRPCClient(url: URL(string: "http://127.0.0.1:\(ports.http)")!, timeout: 30, maxResponseBytes: maxResponseBytes))
    }

    @Test func callsRefusalsBatchesAndBounds() async throws {
        let chain = try TestChain()
        let (server, client) = try await serve(chain)
        defer { Task { await server.shutdown() } }

        #expect(try await client.call("eth_chainId") == .string("0x1251"))
        // A JSON-RPC error is a refusal with the node's code and message.
        await #expect { try await client.call("eth_noSuchMethod") } throws: { error in
            guard let error = error as? RPCClientError, case .refused(code: -32601, _) = error.kind else { return false }
            return error.description.hasPrefix("node refused: ")
        }
        // A batch answers per call, in order, a refusal failing only its own call.
        let answers = try await client.batch([
            (method: "eth_chainId", params: []), (method: "eth_noSuchMethod", params: []), (method: "eth_blockNumber", params: []),
        ])
        #expect(answers.count == 3)
        #expect(try answers[0].get() == .string("0x1251"))
        #expect(throws: RPCClientError.self) { try answers[1].get() }
        #expect(try answers[2].get() == .string("0x0"))

        // An answer over the bound is cut off: a bad response, not a crash or a huge buffer.
        let small = JSONRPCClient(url: client.url, timeout: 30, maxResponseBytes: 64)
        await #expect { try await small.call("eth_getBlockByNumber", [.string("latest"), .bool(true)]) } throws: { error in
            (error as? RPCClientError)?.kind == .badResponse && "\(error)".contains("over 64 bytes")
        }
        // Nobody listening: unreachable, named as such.
        let nowhere = JSONRPCClient(url: URL(string: "http://127.0.0.1:1")!, timeout: 2)
        await #expect { try await nowhere.call("eth_chainId") } throws: { error in
            (error as? RPCClientError)?.kind == .unreachable && "\(error)".contains("cannot reach the node at http://127.0.0.1:1")
        }
        // The blocking form, for the CLI.
        #expect(try client.callBlocking("eth_chainId") == .string("0x1251"))
        // URLs are checked before anything is sent.
        #expect(throws: RPCClientError.self) { try RPCEndpoint.validate("ftp://node", source: "--rpc") }
        #expect(throws: RPCClientError.self) { try RPCEndpoint.validate("127.0.0.1:8545", source: "--rpc") }
        #expect(try RPCEndpoint.validate("http://node:8545", source: "--rpc").host == "node")
    }

    @Test func contractViewsAreDecodedByTheirABI() async throws {
        let chain = try TestChain()
        let (server, client) = try await serve(chain)
        defer { Task { await server.shutdown() } }
        let caller = ContractCaller(client: client)

        let parameters = try await caller.call(DeviceRegistryABI.deviceParameters, of: DeviceRegistryABI.self)
        #expect(parameters.count == DeviceRegistryABI.deviceParameters.outputNames.count)
        #expect(try await caller.call(StakingABI.candidateCount, of: StakingABI.self) == [.uint(0)])
        // An account without code answers no bytes: its outputs do not decode.
        await #expect { try await caller.call(StakingABI.candidateCount, at: TestChain.keys[0].address) } throws: { error in
            (error as? RPCClientError)?.kind == .badResponse
        }
        // A view that reverts is the node's refusal with code 3 and the contract's reason.
        await #expect {
            try await caller.call(StakingABI.candidateByName, of: StakingABI.self, [.string("nobody")])
        } throws: { error in
            (error as? RPCClientError)?.revertReason?.isEmpty == false
        }
    }

    @Test func theSenderFillsSignsAndRefusesCallsThatWouldRevert() async throws {
        let chain = try TestChain()
        let (server, client) = try await serve(chain)
        defer { Task { await server.shutdown() } }
        let sender = TransactionSender(client: client, key: TestChain.keys[0])
        let recipient = TestChain.keys[1].address

        let prepared = try await sender.prepare(.init(to: recipient, value: UInt256(1_000)))
        #expect(prepared.chainID == TestChain.chainID && prepared.nonce == 0 && prepared.gasLimit == 21_000)
        #expect(prepared.tip == FeePolicy.defaultTip)
        #expect(prepared.maxFee == FeePolicy.maxFee(baseFee: chain.genesis.baseFee, tip: prepared.tip))  // the latest block's base fee
        #expect(prepared.signed.sender == TestChain.keys[0].address)
        let hash = try await sender.send(.init(to: recipient, value: UInt256(1_000)))
        #expect(hash == prepared.signed.hash)
        #expect(try await sender.receipt(hash) == nil)
        try chain.produce()
        #expect(try await sender.receipt(hash)?["status"] == .string("0x1"))

        // A contract call that would revert is refused with the reason; nothing reaches the pool.
        let pooled = chain.pool.count
        let call = TransactionSender.Request(to: StakingABI.address, data: try StakingABI.withdrawStake.abi.encodeCall([.uint(999)]))
        await #expect {
            try await sender.send(call)
        } throws: { error in
            guard case .wouldRevert(let reason)? = error as? TransactionSender.Failure else { return false }
            return !reason.isEmpty
        }
        #expect(try await sender.simulate(call) != nil)
        #expect(chain.pool.count == pooled)
    }

    @Test func feePolicyNeverOverflows() {
        #expect(FeePolicy.maxFee(baseFee: UInt256(7), tip: UInt256(1)) == UInt256(15))
        #expect(FeePolicy.maxFee(baseFee: UInt256.max, tip: .zero) == nil)
        #expect(FeePolicy.maxFee(baseFee: UInt256.max / 2, tip: UInt256(2)) == nil)
        #expect(FeePolicy.callGasLimit(estimate: 100_000) == 125_000)
        #expect(FeePolicy.callGasLimit(estimate: .max) == .max)
    }
}

/// Routes registered from outside the RPC server (the seam the explorer uses).
@Suite struct RPCServerRoutesTests {
    @Test func routesFromOutsideAreServedBesideJSONRPC() async throws {
        let chain = try TestChain()
        let server = RPCServer(
            service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: nil,
            routes: [{ router in router.get("/explorer/hello") { _, _ in "hello" } }])
        let ports = try await server.start()
        defer { Task { await server.shutdown() } }
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(ports.http)/explorer/hello")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "hello")
        let client = JSONRPCClient(url: URL(string: "http://127.0.0.1:\(ports.http)")!, timeout: 30)
        #expect(try await client.call("eth_chainId") == .string("0x1251"))
    }
}

/// The shared client over the node's WebSocket port: calls by id and `eth_subscribe` streams.
@Suite struct WebSocketClientTests {
    @Test func callsAndSubscriptionsOverOneWebSocket() async throws {
        let chain = try TestChain()
        let server = RPCServer(service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: 0)
        let ports = try await server.start()
        defer { Task { await server.shutdown() } }
        let client = try await JSONRPCWebSocketClient.connect(url: URL(string: "ws://127.0.0.1:\(try #require(ports.ws))")!, timeout: 30)
        #expect(try await client.call("eth_chainId") == .string("0x1251"))
        await #expect { try await client.call("eth_noSuchMethod") } throws: { error in
            guard case .refused(code: -32601, _)? = (error as? RPCClientError)?.kind else { return false }
            return true
        }
        // A new block arrives as a newHeads notification.
        let (_, heads) = try await client.subscribe([.string("newHeads")])
        try chain.produce()
        var iterator = heads.makeAsyncIterator()
        let head = try #require(await iterator.next())
        #expect(head["number"] == .string("0x1"))
        // Closed: calls fail, the stream ends.
        await client.close()
        await #expect(throws: RPCClientError.self) { try await client.call("eth_chainId") }
        #expect(await iterator.next() == nil)
        // Nobody listening: unreachable.
        await #expect(throws: RPCClientError.self) {
            try await JSONRPCWebSocketClient.connect(url: URL(string: "ws://127.0.0.1:1")!, timeout: 5)
        }
    }
}
