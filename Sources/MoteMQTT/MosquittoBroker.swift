import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private mosquitto broker on a free loopback port, for tests and benchmarks: a temporary
/// config (`listener PORT 127.0.0.1`, anonymous, no persistence, no in-flight limit), the
/// process, and its log. `stop()` ends it and removes its files.
///
/// `@unchecked Sendable`: `Process` is not marked Sendable; `port` and `directory` never
/// change, and `stop()` only asks the process to end and waits for it.
public final class MosquittoBroker: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let directory: URL

    /// Whether `mosquitto` is on PATH (or in /usr/sbin, where Debian puts it).
    public static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin"] {
            let candidate = folder + "/mosquitto"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts a broker and waits (up to 10 s) until it accepts connections.
    public init() throws {
        guard let executable = Self.executable else { throw MQTTError(.notConnected, "mosquitto is not installed (apt-get install mosquitto)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError = "no free port"
        for _ in 0..<5 {
            let port = try Self.freePort()
            let config = directory.appendingPathComponent("mosquitto.conf")
            try """
                listener \(port) 127.0.0.1
                allow_anonymous true
                persistence false
                max_inflight_messages 0
                max_queued_messages 0
                log_dest stderr
                log_type error
                log_type warning

                """.write(to: config, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-c", config.path]
            let log = directory.appendingPathComponent("mosquitto.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            if Self.waitUntilListening(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            lastError = (try? String(contentsOf: log, encoding: .utf8)) ?? "mosquitto exited"
        }
        try? FileManager.default.removeItem(at: directory)
        throw MQTTError(.notConnected, "mosquitto did not start: \(lastError.suffix(500))")
    }

    /// Stops the broker and removes its files.
    public func stop() {
        if process.isRunning {
            // SIGKILL: a child spawned from a thread that blocks SIGTERM inherits the block.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// A loopback port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MQTTError(.notConnected, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw MQTTError(.notConnected, "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw MQTTError(.notConnected, "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Polls a TCP connect to the port until it succeeds, the process dies, or 10 s pass.
    static func waitUntilListening(port: Int, process: Process) -> Bool {
        for _ in 0..<200 {
            guard process.isRunning else { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}
