import Foundation
import MoteCrypto
import MotePrimitives
import MoteRPC
import Testing

/// `/health` says "stalled" (HTTP 503, with why) when no block was finalized for 10 block
/// intervals; "ok" again once one is.
@Suite struct RPCHealthTests {
    @Test func healthReportsAStalledChain() async throws {
        let chain = try TestChain()
        let rpc = RPCService(backend: chain)
        // A backend that cannot tell: no stall check.
        #expect(await rpc.health().ok)
        #expect(await rpc.health().body["status"] == .string("ok"))

        let now = Date()
        chain.reportedLiveness = RPCLiveness(lastFinalized: now.addingTimeInterval(-9), blockInterval: .seconds(1))
        var health = await rpc.health(now: now)
        #expect(health.ok)
        #expect(health.body["status"] == .string("ok"))
        #expect(health.body["lastBlockAgeMs"] == .int(9_000))
        #expect(health.body["blockIntervalMs"] == .int(1_000))

        chain.reportedLiveness = RPCLiveness(lastFinalized: now.addingTimeInterval(-11), blockInterval: .seconds(1))
        health = await rpc.health(now: now)
        #expect(!health.ok)
        #expect(health.body["status"] == .string("stalled"))
        #expect(health.body["reason"]?.stringValue == "no block finalized for 11 s, over 10 block intervals of 1000 ms")
        #expect(health.body["height"] == .int(0))

        // A clock set back, or an absurd interval, reads as healthy and never traps.
        chain.reportedLiveness = RPCLiveness(lastFinalized: now.addingTimeInterval(3_600), blockInterval: .seconds(1))
        #expect(await rpc.health(now: now).ok)
        chain.reportedLiveness = RPCLiveness(lastFinalized: .distantPast, blockInterval: .seconds(Int64.max))
        #expect(await rpc.health(now: now).ok)
        chain.reportedLiveness = RPCLiveness(lastFinalized: .distantPast, blockInterval: .zero)
        #expect(await rpc.health(now: now).ok)
    }

    @Test func finalityClockFollowsFinalizedBlocks() async throws {
        let chain = try TestChain()
        let clock = FinalityClock(events: chain.events, now: Date(timeIntervalSince1970: 0))
        #expect(clock.lastFinalized == Date(timeIntervalSince1970: 0))
        try chain.produce()
        #expect(Date().timeIntervalSince(clock.lastFinalized) < 5)
    }

    @Test func healthEndpointAnswers503WhenStalled() async throws {
        let chain = try TestChain()
        let clock = FinalityClock(events: chain.events, now: Date().addingTimeInterval(-60))
        chain.reportedLiveness = RPCLiveness(lastFinalized: clock.lastFinalized, blockInterval: .milliseconds(500))
        let server = RPCServer(service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: nil)
        let ports = try await server.start()
        func get() async throws -> (status: Int, json: JSON) {
            let port = ports.http
            let response = try await blocking {
                let socket = try RawSocket(port: port)
                try socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return try socket.receiveHTTPResponse()
            }
            return (response.status, try JSON.parse(response.body))
        }
        let stalled = try await get()
        #expect(stalled.status == 503)
        #expect(stalled.json["status"] == .string("stalled"))
        // At least 60 s (more on a loaded machine: the clock started before the server did).
        #expect(stalled.json["reason"]?.stringValue?.hasPrefix("no block finalized for ") == true, "\(stalled.json.text)")
        #expect((stalled.json["lastBlockAgeMs"]?.intValue ?? 0) >= 60_000, "\(stalled.json.text)")
        // A block is finalized: healthy again.
        try chain.produce()
        chain.reportedLiveness = RPCLiveness(lastFinalized: clock.lastFinalized, blockInterval: .milliseconds(500))
        let ok = try await get()
        #expect(ok.status == 200)
        #expect(ok.json["status"] == .string("ok"))
        #expect(ok.json["height"] == .int(1))
        await server.shutdown()
    }
}
