import Foundation
import MoteCrypto
import MotePrimitives
import Testing

@testable import MoteRPC

/// Every method of the API (from `RPCService.methods`, so a new method is swept without a
/// change here), every parameter position, extreme and malformed values: none may trap (a trap
/// kills this process, so a crash is a failure), and each answer is a well-formed JSON-RPC
/// response: a result, or an error with a standard code and a message — never an internal error.
@Suite struct RPCExtremeValueTests {
    static let address = JSON.string(Address(suffixOf: Keccak256.hash(utf8: "sweep")).hex)
    static let hash = JSON.string(Keccak256.hash(utf8: "sweep").hex)

    /// Values for any one position: numbers at the 64- and 256-bit edges, negative numbers,
    /// huge and broken hex, wrong types, nested garbage, very long strings.
    static let extremes: [JSON] = {
        var values: [JSON] = [
            .null, .bool(true), .bool(false), .int(0), .int(-1), .number("-9223372036854775809"), .number("18446744073709551615"),
            .number("18446744073709551616"), .number("1e400"), .number("-1e400"), .number("0.5"), .number("1e-400"),
            .string(""), .string("0x"), .string("0X"), .string("0xzz"), .string("zz"), .string("0x0"), .string("0x00"),
            .string("0x1"), .string("0x444444444444446"), .string("0x8000000000000000"), .string("0xffffffffffffffff"),
            .string("0x10000000000000000"), .string("0x" + String(repeating: "f", count: 64)),
            .string("0x1" + String(repeating: "0", count: 64)), .string("-0x1"), .string("-1"), .string("18446744073709551615"),
            .string("0x" + String(repeating: "a", count: 100_001)), .string(String(repeating: "x", count: 100_000)),
            .string("latest"), .string("pending"), .string("earliest"), .string("finalized"), .string("newHeads"), .string("logs"),
            .string("newPendingTransactions"), .string("\u{0}\u{FFFD}🦀"), address, hash,
            .string("0x" + String(repeating: "0", count: 40)), .string("0x" + String(repeating: "f", count: 432)),
            .array([]), .array([.null]), .array([address, hash]), .array(Array(repeating: hash, count: 300)),
            .object([:]), .object(["a": .array([.array([.object(["b": .null])])])]),
            .object(["blockNumber": .string("0xffffffffffffffff")]), .object(["blockHash": .string("0x")]),
            .object(["blockNumber": .string("0x1"), "blockHash": hash]),
            .object(["fromBlock": .string("0xffffffffffffffff"), "toBlock": .string("0xffffffffffffffff")]),
            .object(["fromBlock": .string("0x0"), "toBlock": .string("0xffffffffffffffff")]),
            .object(["fromBlock": .string("0xffffffffffffffff"), "toBlock": .string("0x0")]),
            .object(["fromBlock": .string("earliest"), "address": .array(Array(repeating: address, count: 1_001))]),
            .object(["topics": .array([.null, .array([hash, .null]), hash, .array([]), .null])]),
            .object(["blockHash": hash, "fromBlock": .string("0x0")]),
            .object([
                "to": address, "from": address, "gas": .string("0xffffffffffffffff"), "value": .string("0x" + String(repeating: "f", count: 64)),
                "data": .string("0x00"), "input": .string("0x01"),
            ]),
            .object(["to": address, "gas": .string("0x0"), "maxFeePerGas": .string("0x1" + String(repeating: "0", count: 64))]),
            .object(["height": .string("0xffffffffffffffff"), "blockHash": hash, "witnessKey": hash, "proof": .string("0x"), "signature": .string("0x")]),
        ]
        var deep: JSON = .null
        for _ in 0..<60 { deep = .array([deep]) }
        values.append(deep)
        return values
    }()

    /// What fills the positions before the one being swept.
    static let fillers: [JSON] = [address, .string("0x1")]

    /// Every parameter list the sweep sends to `method`: each value alone, each value after
    /// one or two fillers, one list past any method's arity, and params that are not a list.
    static func parameterLists() -> [JSON?] {
        var lists: [JSON?] = [nil, .array([]), .object([:]), .string("0x1"), .int(7), .null]
        for value in extremes {
            lists.append(.array([value]))
            for filler in fillers {
                lists.append(.array([filler, value]))
                lists.append(.array([filler, filler, value]))
            }
        }
        lists.append(.array([address, hash, .string("latest"), .string("0x1"), .null]))
        return lists
    }

    static func request(_ method: String, _ params: JSON?, id: Int) -> JSON {
        var object: [String: JSON] = ["jsonrpc": .string("2.0"), "id": .int(id), "method": .string(method)]
        if let params { object["params"] = params }
        return .object(object)
    }

    /// A response to request `id` that is well formed; the error code when it is an error.
    @discardableResult
    static func check(_ response: JSON, id: Int, method: String, params: JSON?, session: Bool) -> Int? {
        let context = "\(method) \(params.map { String($0.text.prefix(200)) } ?? "-"): \(response.text.prefix(300))"
        #expect(response["jsonrpc"] == .string("2.0"), "\(context)")
        #expect(response["id"] == .int(id), "\(context)")
        if response["result"] != nil {
            #expect(response["error"] == nil, "\(context)")
            return nil
        }
        guard let error = response["error"], let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
            Issue.record("neither a result nor an error: \(context)")
            return nil
        }
        #expect(!message.isEmpty, "\(context)")
        #expect(message.utf8.count < 2_000, "an error message echoes too much input: \(context)")
        let allowed: Set<Int> = [-32602, -32000, -32001, -32005, 3]
        let unsupported = !session && ["eth_subscribe", "eth_unsubscribe"].contains(method) && code == -32601
        #expect(allowed.contains(code) || unsupported, "unexpected code \(code): \(context)")
        return code
    }

    /// A chain with a few blocks and transactions, so that the sweep reaches real data.
    static func chain() async throws -> (TestChain, RPCService) {
        let chain = try TestChain()
        var limits = RPCLimits()
        limits.requestsPerSecond = 1_000_000
        limits.maxBatch = 10_000
        let rpc = RPCService(backend: chain, limits: limits)
        for nonce in 0..<2 {
            let tx = TestChain.transfer(0, to: Address(suffixOf: Keccak256.hash(utf8: "to")), value: 1, nonce: UInt64(nonce))
            _ = try await rpc.result("eth_sendRawTransaction", [.string(Hex.encode(tx.rawBytes))])
            try chain.produce()
        }
        return (chain, rpc)
    }

    @Test func everyMethodEveryPositionExtremeValuesInProcess() async throws {
        let (_, rpc) = try await Self.chain()
        let methods = RPCService.methods.sorted()
        #expect(methods.count >= 70, "the method table lists every method")
        let lists = Self.parameterLists()
        var id = 0
        var answered = 0
        for method in methods {
            // Over a WebSocket session too, where eth_subscribe is available.
            let session = WebSocketSession(service: rpc, address: "sweep-ws")
            for params in lists {
                for caller in [RPCCaller(address: "sweep"), RPCCaller(address: "sweep-ws", session: session)] {
                    id += 1
                    guard let out = await rpc.handle(body: Self.request(method, params, id: id).serialized, caller: caller) else {
                        Issue.record("no answer to \(method)")
                        continue
                    }
                    Self.check(try JSON.parse(out), id: id, method: method, params: params, session: caller.session != nil)
                    answered += 1
                }
            }
            await session.close()
        }
        #expect(answered == methods.count * lists.count * 2)
    }

    /// The defect of issue 14: an epoch whose heights overflow 64 bits trapped the node.
    @Test func epochsBeyondSixtyFourBitHeightsAreInvalidParams() async throws {
        let (_, rpc) = try await Self.chain()
        for epoch in ["0x444444444444446", "0xffffffffffffffff", "0x8000000000000000", "0x1000000000000000"] {
            for method in ["mote_epochSeed", "mote_epoch"] {
                let error = try await rpc.error(method, [.string(epoch)])
                #expect(error.code == -32602, "\(method) \(epoch): \(error)")
                #expect(error.message.contains("epoch \(UInt64(epoch.dropFirst(2), radix: 16)!) is out of range"), "\(error.message)")
                #expect(error.message.contains("\(UInt64.max / 720)"), "names the last epoch: \(error.message)")
            }
        }
        // The last epoch whose heights fit is not out of range: its seed is just not known yet.
        #expect(try await rpc.error("mote_epochSeed", [.string("0x" + String(UInt64.max / 720, radix: 16))]).code == -32001)
        #expect(try await rpc.result("mote_epochSeed", [.string("0x1")])["lastHeight"] == .string("0x2d0"))
    }

    /// The same values in batches over a real HTTP connection and a real WebSocket.
    @Test func extremeValuesOverHTTPAndWebSocket() async throws {
        let (_, rpc) = try await Self.chain()
        let server = RPCServer(service: rpc, httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: 0)
        let ports = try await server.start()
        let http = try RawSocket(port: ports.http, timeout: 30)
        let ws = try RawSocket(port: try #require(ports.ws), timeout: 30)
        #expect(try await blocking { try ws.upgradeToWebSocket() } == 101)
        let values = Self.extremes.filter { $0.text.utf8.count < 10_000 }
        var id = 0
        for method in RPCService.methods.sorted() {
            var batch: [JSON] = []
            var sent: [Int: JSON?] = [:]
            for params in [nil, JSON.object([:])] + values.map({ JSON.array([$0]) }) + values.map({ JSON.array([Self.address, $0]) }) {
                id += 1
                batch.append(Self.request(method, params, id: id))
                sent[id] = params
            }
            let body = JSON.array(batch).text
            let (status, answer) = try await blocking { try http.post(body) }
            #expect(status == 200)
            try ws.sendText(body)
            let wsAnswer = try await blocking { try ws.receiveJSON() }
            for (answers, session) in [(answer, false), (wsAnswer, true)] {
                let items = try #require(answers.arrayValue, "\(method): \(answers.text.prefix(300))")
                #expect(items.count == batch.count)
                for item in items {
                    let itemID = try #require(item["id"]?.intValue)
                    Self.check(item, id: itemID, method: method, params: sent[itemID] ?? nil, session: session)
                }
            }
        }
        // Raw bodies that are not JSON-RPC at all.
        for raw in ["", "{", "[", "[[]]", "null", "0", "\"x\"", "[1,2,3]", String(repeating: "[", count: 10_000), "{\"jsonrpc\":\"2.0\",\"id\":{}}"] {
            let (_, answer) = try await blocking { try http.post(raw.isEmpty ? " " : raw) }
            let error = answer.arrayValue?.first?["error"] ?? answer["error"]
            #expect([-32700, -32600].contains(error?["code"]?.intValue ?? 0), "\(raw.prefix(20)): \(answer.text.prefix(200))")
        }
        await server.shutdown()
    }
}
