import Foundation
import MotePrimitives
import MoteRPC
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server on a real socket: JSON-RPC at `/`, `/health`, `/metrics`, body limits.
@Suite struct RPCServerTests {
    func fetch(_ url: URL, body: [UInt8]? = nil) async throws -> (status: Int, body: Data, type: String) {
        var request = URLRequest(url: url)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    @Test func servesJSONRPCHealthAndMetrics() async throws {
        let chain = try TestChain()
        var limits = RPCLimits()
        limits.maxBodyBytes = 10_000
        let metrics = NodeMetrics()
        let server = RPCServer(
            service: RPCService(backend: chain, limits: limits, metrics: metrics), httpHost: "127.0.0.1", httpPort: 0,
            wsHost: "127.0.0.1", wsPort: 0)
        let ports = try await server.start()
        defer { Task { await server.shutdown() } }
        #expect(ports.ws != nil)
        let base = URL(string: "http://127.0.0.1:\(ports.http)")!

        let answer = try await fetch(base, body: Array(#"{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}"#.utf8))
        #expect(answer.status == 200)
        #expect(answer.type == "application/json")
        #expect(try JSON.parse([UInt8](answer.body)) == .object(["jsonrpc": .string("2.0"), "id": .int(7), "result": .string("0x1251")]))

        let tooBig = try await fetch(base, body: [UInt8](repeating: 0x20, count: 20_000))
        #expect(try JSON.parse([UInt8](tooBig.body))["error"]?["code"] == .int(-32005))

        let health = try await fetch(base.appendingPathComponent("health"))
        #expect(health.status == 200)
        #expect(try JSON.parse([UInt8](health.body))["status"] == .string("ok"))

        metrics.height.record(42)
        let exposition = String(decoding: try await fetch(base.appendingPathComponent("metrics")).body, as: UTF8.self)
        #expect(exposition.contains("mote_chain_height 42"))
        #expect(exposition.contains("mote_rpc_request_duration_seconds_count{method=\"eth_chainId\"} 1"))
    }

    /// A raw TCP connection to loopback that sends nothing (holds a connection slot).
    func idleConnection(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw TestFailure("connect failed") }
        return fd
    }

    @Test func connectionsOverTheLimitGetAClearError() async throws {
        var limits = RPCLimits()
        limits.maxConnections = 1
        let server = RPCServer(service: RPCService(backend: try TestChain(), limits: limits), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: nil)
        let ports = try await server.start()
        let held = try idleConnection(port: ports.http)
        try await Task.sleep(for: .milliseconds(200))
        let refused = try await fetch(URL(string: "http://127.0.0.1:\(ports.http)")!, body: Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#.utf8))
        #expect(refused.status == 503)
        #expect(try JSON.parse([UInt8](refused.body))["error"]?["code"] == .int(-32005))
        close(held)
        try await Task.sleep(for: .milliseconds(200))
        let served = try await fetch(URL(string: "http://127.0.0.1:\(ports.http)")!, body: Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#.utf8))
        #expect(served.status == 200)
        await server.shutdown()
    }

    @Test func aTakenPortIsAClearError() async throws {
        let chain = try TestChain()
        let first = RPCServer(service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: 0, wsHost: "127.0.0.1", wsPort: nil)
        let ports = try await first.start()
        let second = RPCServer(
            service: RPCService(backend: chain), httpHost: "127.0.0.1", httpPort: ports.http, wsHost: "127.0.0.1", wsPort: nil)
        await #expect(throws: (any Error).self) { try await second.start() }
        await second.shutdown()
        await first.shutdown()
    }
}
