import Foundation
import MoteCrypto
import MotePrimitives
import NIOCore
import Testing

@testable import MoteRPC

/// Issue 14, item 5: one client cannot lock the API out for others. Real sockets on loopback;
/// 127.0.0.2 and 127.0.0.3 are other clients than 127.0.0.1 (all of 127/8 is loopback on Linux).
@Suite struct RPCClientLimitTests {
    static let chainID = #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#

    func server(_ configure: (inout RPCLimits) -> Void) async throws -> (RPCServer, http: Int, ws: Int) {
        var limits = RPCLimits()
        configure(&limits)
        let server = RPCServer(service: RPCService(backend: try TestChain(), limits: limits), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: 0)
        let ports = try await server.start()
        return (server, ports.http, try #require(ports.ws))
    }

    @Test func oneAddressHoldingIdleConnectionsCannotLockOutAnother() async throws {
        let (server, http, ws) = try await server {
            $0.maxConnections = 16
            $0.maxConnectionsPerIP = 4
            $0.firstRequestTimeout = .seconds(30)
        }
        // 127.0.0.2 opens far more idle connections than its share, on both ports.
        var held: [RawSocket] = []
        for _ in 0..<12 {
            held.append(try RawSocket(port: http, source: "127.0.0.2"))
            held.append(try RawSocket(port: ws, source: "127.0.0.2"))
        }
        try await Task.sleep(for: .milliseconds(300))
        let server_ = server
        #expect(server_.httpConnections.current("127.0.0.2") == 4)
        #expect(server_.wsConnections.current("127.0.0.2") == 4)

        // Another client is served over HTTP and over WebSocket.
        let other = try RawSocket(port: http, source: "127.0.0.1")
        let answer = try await blocking { try other.post(Self.chainID) }
        #expect(answer.status == 200)
        #expect(answer.json["result"] == .string("0x1251"))
        let otherWS = try RawSocket(port: ws, source: "127.0.0.3")
        #expect(try await blocking { try otherWS.upgradeToWebSocket() } == 101)
        try otherWS.sendText(Self.chainID)
        #expect(try await blocking { try otherWS.receiveJSON() }["result"] == .string("0x1251"))

        // The greedy client's extra connections are refused with a clear error: 503 and -32005.
        let refused = try RawSocket(port: http, source: "127.0.0.2")
        let refusal = try await blocking { try refused.post(Self.chainID) }
        #expect(refusal.status == 503)
        #expect(refusal.json["error"]?["code"] == .int(-32005))
        #expect(refusal.json["error"]?["message"]?.stringValue?.contains("from this address (limit 4 per client)") == true, "\(refusal.json.text)")
        #expect(try await blocking { refused.closedByServer() })
        let refusedWS = try RawSocket(port: ws, source: "127.0.0.2")
        try refusedWS.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        #expect(try await blocking { try refusedWS.receiveHTTPResponse().status } == 503)

        // Closing its connections gives the client its share back.
        held.removeAll()
        try await Task.sleep(for: .milliseconds(300))
        #expect(server_.httpConnections.current("127.0.0.2") == 0)
        #expect(try await blocking { try RawSocket(port: http, source: "127.0.0.2").post(Self.chainID).status } == 200)
        await server.shutdown()
    }

    @Test func connectionsThatNeverCompleteARequestAreClosedSoon() async throws {
        // 1.5 s: long enough that a loaded machine sends a request it means to send in time.
        let (server, http, ws) = try await server { $0.firstRequestTimeout = .milliseconds(1_500) }
        // Generous socket timeouts: a loaded test machine schedules late, but the server must
        // close each connection itself, well before the sockets would give up.
        let idle = try RawSocket(port: http, timeout: 15)
        let idleWS = try RawSocket(port: ws, timeout: 15)
        let partial = try RawSocket(port: http, timeout: 15)
        try partial.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  // a request never finished
        let started = ContinuousClock.now
        #expect(try await blocking { idle.closedByServer() })
        #expect(try await blocking { idleWS.closedByServer() })
        #expect(try await blocking { partial.closedByServer() })
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(server.httpConnections.current == 0)

        // A connection that completed a request stays open for its next one (keep-alive).
        let served = try RawSocket(port: http, timeout: 5)
        #expect(try await blocking { try served.post(Self.chainID).status } == 200)
        try await Task.sleep(for: .milliseconds(2_000))
        #expect(try await blocking { try served.post(Self.chainID).json }["result"] == .string("0x1251"))
        // And so does an upgraded WebSocket without traffic.
        let socket = try RawSocket(port: ws, timeout: 5)
        #expect(try await blocking { try socket.upgradeToWebSocket() } == 101)
        try await Task.sleep(for: .milliseconds(2_000))
        try socket.sendText(Self.chainID)
        #expect(try await blocking { try socket.receiveJSON() }["result"] == .string("0x1251"))
        await server.shutdown()
    }

    @Test func filtersAreCappedPerClient() async throws {
        var limits = RPCLimits()
        limits.maxFilters = 5
        limits.maxFiltersPerIP = 3
        let rpc = RPCService(backend: try TestChain(), limits: limits)
        func install(_ client: String) async throws -> JSON {
            try JSON.parse(try #require(await rpc.handle(
                body: Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}"#.utf8), caller: RPCCaller(address: client))))
        }
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try #require(try await install("a")["result"]?.stringValue)) }
        let refused = try await install("a")
        #expect(refused["error"]?["code"] == .int(-32005))
        #expect(refused["error"]?["message"]?.stringValue?.contains("by this address (limit 3 per client)") == true)
        // Another client still gets filters, up to the total.
        #expect(try await install("b")["result"] != nil)
        #expect(try await install("b")["result"] != nil)
        #expect(try await install("c")["error"]?["message"]?.stringValue?.contains("too many filters installed (limit 5)") == true)
        // Uninstalling gives the slot back.
        #expect(try await rpc.result("eth_uninstallFilter", [.string(ids[0])]) == .bool(true))
        #expect(rpc.filters.count(owner: "a") == 2)
        #expect(try await install("c")["result"] != nil)
    }

    @Test func subscriptionsAreCappedPerConnectionAndPerClient() async throws {
        var limits = RPCLimits()
        limits.maxSubscriptions = 2
        limits.maxSubscriptionsPerIP = 3
        let rpc = RPCService(backend: try TestChain(), limits: limits)
        let first = WebSocketSession(service: rpc, address: "a")
        let second = WebSocketSession(service: rpc, address: "a")
        let elsewhere = WebSocketSession(service: rpc, address: "b")
        _ = try await first.subscribe(.newHeads)
        _ = try await first.subscribe(.newHeads)
        await #expect(throws: RPCError.self) { try await first.subscribe(.newHeads) }
        let id = try await second.subscribe(.newHeads)
        do {
            _ = try await second.subscribe(.newHeads)
            Issue.record("a fourth subscription from one client was accepted")
        } catch {
            #expect(error.code == -32005)
            #expect(error.message.contains("from this address (limit 3 per client"))
        }
        _ = try await elsewhere.subscribe(.newHeads)
        #expect(await second.unsubscribe(id))
        _ = try await second.subscribe(.newHeads)
        await first.close()
        #expect(rpc.subscriptionSlots.current("a") == 1)
        _ = try await second.subscribe(.newHeads)
        await second.close()
        await elsewhere.close()
        #expect(rpc.subscriptionSlots.current == 0)
    }

    @Test func anOversizeWebSocketMessageGetsACloseFrameWithAReason() async throws {
        let (server, _, ws) = try await server { $0.maxBodyBytes = 2_000 }
        // One frame over the limit.
        let single = try RawSocket(port: ws)
        #expect(try await blocking { try single.upgradeToWebSocket() } == 101)
        try single.sendText(Self.chainID)
        #expect(try await blocking { try single.receiveJSON() }["result"] == .string("0x1251"))
        try single.sendFrame(opcode: 0x1, payload: [UInt8](repeating: 0x20, count: 3_000))
        let close = try await blocking { try single.receiveClose() }
        #expect(close.code == 1009)
        #expect(close.reason.contains("message over 2000 bytes"), "\(close.reason)")
        #expect(try await blocking { single.closedByServer() })
        // A message over the limit in fragments, each under it.
        let fragmented = try RawSocket(port: ws)
        #expect(try await blocking { try fragmented.upgradeToWebSocket() } == 101)
        try fragmented.sendFrame(opcode: 0x1, fin: false, payload: [UInt8](repeating: 0x20, count: 1_500))
        try fragmented.sendFrame(opcode: 0x0, fin: true, payload: [UInt8](repeating: 0x20, count: 1_500))
        let second = try await blocking { try fragmented.receiveClose() }
        #expect(second.code == 1009)
        #expect(second.reason.contains("limit exceeded"))
        // A huge frame (a 64-bit length) is refused from its header, not read.
        let huge = try RawSocket(port: ws)
        #expect(try await blocking { try huge.upgradeToWebSocket() } == 101)
        try huge.send([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])
        #expect(try await blocking { try huge.receiveClose().code } == 1009)
        await server.shutdown()
    }

    @Test func webSocketFrameGuardFollowsFrameBoundaries() throws {
        var guardian = WebSocketFrameGuard(maxMessage: 10)
        // Two small frames split at every byte boundary pass through whole.
        let frames: [UInt8] = [0x81, 0x83, 1, 2, 3, 4, 9, 9, 9] + [0x89, 0x80, 1, 2, 3, 4] + [0x01, 0x85, 0, 0, 0, 0, 1, 2, 3, 4, 5]
        var passed: [UInt8] = []
        for byte in frames {
            var buffer = ByteBuffer(bytes: [byte])
            let outcome = guardian.admit(&buffer)
            #expect(outcome.oversize == nil)
            for piece in outcome.pieces { passed += piece.readableBytesView }
        }
        #expect(passed == frames)
        // The continuation that takes the message to 11 bytes is refused at its header.
        var rest = ByteBuffer(bytes: [0x80, 0x86, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6])
        let outcome = guardian.admit(&rest)
        #expect(outcome.oversize == 11)
        #expect(outcome.pieces.isEmpty)
    }

    @Test func clientKeysGroupIPv6ByPrefix() throws {
        #expect(RPCClientKey.of(try .init(ipAddress: "127.0.0.2", port: 1)) == "127.0.0.2")
        #expect(RPCClientKey.of(try .init(ipAddress: "2001:db8:1:2:3:4:5:6", port: 1)) == "2001:db8:1:2::/64")
        #expect(RPCClientKey.of(try .init(ipAddress: "2001:db8:1:2:ffff::1", port: 1)) == "2001:db8:1:2::/64")
        #expect(RPCClientKey.of(try .init(ipAddress: "::ffff:10.1.2.3", port: 1)) == "10.1.2.3")
        #expect(RPCClientKey.of(nil) == "unknown")
    }
}
