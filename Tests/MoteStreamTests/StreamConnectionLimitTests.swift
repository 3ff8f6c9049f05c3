import Foundation
import MoteStream
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stream node's HTTP connection limits with real sockets (issue 14, item 6: 19,800 idle
/// connections were all held): idle connections are closed after the timeout, one address at
/// its cap cannot lock another out, and past the total cap new connections are closed at once
/// while the node stays healthy.
@Suite(.serialized) struct StreamConnectionLimitTests {
    func server(_ configure: (inout StreamConnectionLimits) -> Void) async throws -> (StreamHTTPServer, Int) {
        var limits = StreamConnectionLimits()
        configure(&limits)
        let server = StreamHTTPServer(pipeline: StreamFixture().pipeline, host: "127.0.0.1", port: 0, limits: limits)
        return (server, try await server.start())
    }

    @Test func closesIdleConnectionsAfterTheTimeout() async throws {
        // 2 s: long enough that a loaded machine sends the request before the connection idles out.
        let (server, port) = try await server { $0.idleTimeoutSeconds = 2 }
        defer { Task { await server.shutdown() } }
        // One that never sends anything, one that is idle after an answer.
        let silent = try RawSocket(from: "127.0.0.1", port: port)
        let served = try RawSocket(from: "127.0.0.1", port: port)
        try served.send("GET /health HTTP/1.1\r\nHost: stream\r\n\r\n")
        #expect(served.readStatus(timeout: 5) == 200)
        // Closed by the server after the 2 s timeout; the bound is generous because the whole
        // suite shares two cores (without the timeout they would stay open for good).
        let start = ContinuousClock.now
        #expect(silent.closedByPeer(within: .seconds(15)))
        #expect(served.closedByPeer(within: .seconds(15)))
        #expect(ContinuousClock.now - start < .seconds(15))
        for _ in 0..<50 where server.connections.current.total > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.connections.current.total == 0)
    }

    @Test func oneAddressAtItsCapCannotLockAnotherOut() async throws {
        let (server, port) = try await server {
            $0.maxConnectionsPerIP = 4
            $0.maxConnections = 64
        }
        defer { Task { await server.shutdown() } }
        // 127.0.0.2 holds its four connections (and they stay open) …
        let held = try (0..<4).map { _ in try RawSocket(from: "127.0.0.2", port: port) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(held.allSatisfy { !$0.closedByPeer(within: .milliseconds(10)) })
        // … a fifth from it is closed at once …
        let extra = try RawSocket(from: "127.0.0.2", port: port)
        #expect(extra.closedByPeer(within: .seconds(2)))
        #expect(server.connections.refused.perIP >= 1)
        // … while 127.0.0.1 is served.
        let other = try RawSocket(from: "127.0.0.1", port: port)
        try other.send("GET /health HTTP/1.1\r\nHost: stream\r\nConnection: close\r\n\r\n")
        #expect(other.readStatus(timeout: 15) == 200)
        #expect(server.connections.current.total <= 5)
        _ = held
    }

    @Test func pastTheTotalCapNewConnectionsAreClosedAtOnceAndTheNodeStaysHealthy() async throws {
        let (server, port) = try await server {
            $0.maxConnections = 8
            $0.maxConnectionsPerIP = 8
        }
        defer { Task { await server.shutdown() } }
        var held = try (0..<8).map { i in try RawSocket(from: "127.0.0.\(3 + i % 2)", port: port) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.connections.current.total == 8)
        let start = ContinuousClock.now
        let flood = try (0..<40).map { i in try RawSocket(from: "127.0.0.\(5 + i % 3)", port: port) }
        #expect(flood.allSatisfy { $0.closedByPeer(within: .seconds(2)) })
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(server.connections.current.total == 8)
        #expect(server.connections.refused.total >= 40)
        // The flood ends: slots come back and requests are served.
        held.removeAll()
        _ = flood
        for _ in 0..<100 where server.connections.current.total > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.connections.current.total == 0)
        let probe = try RawSocket(from: "127.0.0.1", port: port)
        try probe.send("GET /health HTTP/1.1\r\nHost: stream\r\nConnection: close\r\n\r\n")
        #expect(probe.readStatus(timeout: 5) == 200)
    }
}

/// A blocking TCP socket from a chosen loopback source address to 127.0.0.1; closed on deinit.
final class RawSocket {
    let fd: Int32

    init(from source: String, port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StreamError("socket() failed") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }
        guard bound == 0, connected == 0 else {
            close(fd)
            throw StreamError("cannot connect from \(source) to port \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw StreamError("write failed") }
    }

    /// Reads until the status line is in; its status code.
    func readStatus(timeout: Int) -> Int? {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(Double(timeout))
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) >= 0 else { return nil }
            guard poller.revents != 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4_096)
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { break }
            received += buffer[0..<n]
            let text = String(decoding: received, as: UTF8.self)
            if let line = text.split(separator: "\r\n").first, text.contains("\r\n") {
                let parts = line.split(separator: " ")
                return parts.count >= 2 ? Int(parts[1]) : nil
            }
        }
        return nil
    }

    /// Whether the peer closes the connection within `duration` (reads what it still sends).
    func closedByPeer(within duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        repeat {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 20)
            if ready < 0 { return true }
            if ready > 0 {
                var buffer = [UInt8](repeating: 0, count: 4_096)
                if read(fd, &buffer, buffer.count) <= 0 { return true }
            }
        } while ContinuousClock.now < deadline
        return false
    }
}
