import Foundation
import MotePrimitives

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on loopback for the connection-limit tests: it can take a source
/// address (127.0.0.2 is another client than 127.0.0.1: all of 127/8 is loopback on Linux),
/// hold a connection without sending, and speak just enough HTTP/1.1 and WebSocket (RFC 6455)
/// to see exactly what the server sends, close frames included.
final class RawSocket: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    /// Connects from `source` (any port) to `127.0.0.1:port`; reads time out after `timeout` seconds.
    init(port: Int, source: String = "127.0.0.1", timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestFailure("bind to \(source) failed")
        }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect to port \(port) failed")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed (the server closed the connection?)") }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads what is there (waiting up to the timeout); nil at end of stream, [] on timeout.
    func receiveSome() -> [UInt8]? {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return nil }
        if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? [] : nil }
        return Array(buffer[0..<n])
    }

    /// Exactly `count` bytes; throws on end of stream or timeout.
    func receive(exactly count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            guard let some = receiveSome() else { throw TestFailure("the server closed the connection") }
            guard !some.isEmpty else { throw TestFailure("no answer in time") }
            out += some
        }
        pending = Array(out[count...]) + pending
        return Array(out[..<count])
    }

    /// Whether the server has closed the connection (end of stream or reset) within the timeout.
    func closedByServer() -> Bool {
        while true {
            guard let some = receiveSome() else { return true }
            if some.isEmpty { return false }
        }
    }

    /// Reads an HTTP/1.1 response head and its Content-Length body.
    func receiveHTTPResponse() throws -> (status: Int, headers: String, body: [UInt8]) {
        var data: [UInt8] = []
        while Self.headEnd(data) == nil {
            guard let some = receiveSome() else { throw TestFailure("the server closed the connection before answering") }
            guard !some.isEmpty else { throw TestFailure("no answer in time") }
            data += some
        }
        let headEnd = Self.headEnd(data)!
        let head = String(decoding: data[..<headEnd], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        pending = Array(data[headEnd...]) + pending
        return (status, head, try receive(exactly: length))
    }

    /// POSTs a JSON-RPC body on this (keep-alive) connection and reads the answer.
    func post(_ body: String) throws -> (status: Int, json: JSON) {
        let bytes = Array(body.utf8)
        try send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n")
        try send(bytes)
        let response = try receiveHTTPResponse()
        return (response.status, try JSON.parse(response.body))
    }

    // MARK: WebSocket

    /// Sends the upgrade request; the response status (101 when upgraded).
    func upgradeToWebSocket() throws -> Int {
        try send(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        var data: [UInt8] = []
        while Self.headEnd(data) == nil {
            guard let some = receiveSome(), !some.isEmpty else { throw TestFailure("no upgrade answer") }
            data += some
        }
        let end = Self.headEnd(data)!
        pending = Array(data[end...]) + pending
        return Int(String(decoding: data[..<end], as: UTF8.self).split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Where an HTTP head ends (after its blank line), if it has.
    static func headEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        let separator: [UInt8] = [13, 10, 13, 10]
        return (0...(data.count - 4)).first { Array(data[$0..<($0 + 4)]) == separator }.map { $0 + 4 }
    }

    /// Sends one masked frame (a client's frames are masked).
    func sendFrame(opcode: UInt8, fin: Bool = true, payload: [UInt8]) throws {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xffff {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (8 * UInt64($0))) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try send(frame)
    }

    func sendText(_ text: String) throws { try sendFrame(opcode: 0x1, payload: Array(text.utf8)) }

    /// Reads one server frame (unmasked): its opcode and payload.
    func receiveFrame() throws -> (opcode: UInt8, payload: [UInt8]) {
        let head = try receive(exactly: 2)
        var length = UInt64(head[1] & 0x7f)
        if length == 126 {
            let b = try receive(exactly: 2)
            length = UInt64(b[0]) << 8 | UInt64(b[1])
        } else if length == 127 {
            length = try receive(exactly: 8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        return (head[0] & 0x0f, try receive(exactly: Int(length)))
    }

    /// The next text message's JSON, skipping pings.
    func receiveJSON() throws -> JSON {
        while true {
            let frame = try receiveFrame()
            if frame.opcode == 0x1 { return try JSON.parse(frame.payload) }
            if frame.opcode == 0x8 { throw TestFailure("closed: \(frame.payload)") }
        }
    }

    /// Reads frames until a close frame: its code and reason.
    func receiveClose() throws -> (code: Int, reason: String) {
        while true {
            let frame = try receiveFrame()
            guard frame.opcode == 0x8 else { continue }
            guard frame.payload.count >= 2 else { return (1005, "") }
            return (Int(frame.payload[0]) << 8 | Int(frame.payload[1]), String(decoding: frame.payload[2...], as: UTF8.self))
        }
    }
}

/// Runs blocking socket work on a thread of its own: blocking a thread of Swift's cooperative
/// pool would starve the server under test, whose handlers run on that pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
