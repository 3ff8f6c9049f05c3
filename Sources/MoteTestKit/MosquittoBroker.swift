import Foundation
import MoteMQTT

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private mosquitto broker on a free loopback port, for tests and benchmarks: a temporary
/// config (`listener PORT 127.0.0.1`, no persistence, no in-flight limit), the process, and its
/// log. Anonymous by default; with `Security`, locked down as `mote devnet` does it
/// (`MosquittoSecurity`: users, the Mote ACL, a packet limit). `restart()` stops it and starts
/// it again on the same port; `stop()` ends it and removes its files.
///
/// `@unchecked Sendable`: `Process` is not marked Sendable; the current process is read and
/// replaced only under `lock`; `port` and `directory` never change.
public final class MosquittoBroker: @unchecked Sendable {
    public let port: Int
    private var process: Process
    private let lock = NSLock()
    private let directory: URL
    private let config: URL

    /// A locked-down broker: who may connect, the stream node's user for the ACL, the largest packet.
    public struct Security: Sendable {
        public var users: [String: String]
        public var streamUser: String
        public var maxPacketSize: Int

        public init(users: [String: String], streamUser: String, maxPacketSize: Int = 1 << 20) {
            self.users = users
            self.streamUser = streamUser
            self.maxPacketSize = maxPacketSize
        }
    }

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
    public init(security: Security? = nil) throws {
        guard Self.executable != nil else { throw MQTTError(.notConnected, "mosquitto is not installed (apt-get install mosquitto)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-mosquitto-\(UUID().uuidString)")
        config = directory.appendingPathComponent("mosquitto.conf")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let passwordFile = directory.appendingPathComponent("mosquitto.passwd").path
        let aclFile = directory.appendingPathComponent("mosquitto.acl").path
        if let security {
            try MosquittoSecurity.addUsers(security.users.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, toPasswordFile: passwordFile)
            try MosquittoSecurity.acl(streamUser: security.streamUser).write(toFile: aclFile, atomically: true, encoding: .utf8)
        }
        var lastError = "no free port"
        for _ in 0..<5 {
            let port = try Self.freePort()
            let common = ["persistence false", "max_inflight_messages 0", "max_queued_messages 0", "log_dest stderr", "log_type error", "log_type warning"]
            let text: String
            if let security {
                text = MosquittoSecurity.config(port: port, passwordFile: passwordFile, aclFile: aclFile, maxPacketSize: security.maxPacketSize, extra: common)
            } else {
                text = (["listener \(port) 127.0.0.1", "allow_anonymous true"] + common).joined(separator: "\n") + "\n"
            }
            try text.write(to: config, atomically: true, encoding: .utf8)
            let (process, log) = try Self.launch(config: config, directory: directory)
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

    private static func launch(config: URL, directory: URL) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? "/usr/sbin/mosquitto")
        process.arguments = ["-c", config.path]
        let log = directory.appendingPathComponent("mosquitto.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, log)
    }

    /// The broker's process id.
    public var pid: Int32 { lock.withLock { process.processIdentifier } }

    /// The broker's log so far (errors and warnings).
    public var log: String { (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? "" }

    /// Adds users to a secured broker and makes it reload its password file.
    public func addUsers(_ users: [String: String]) throws {
        try MosquittoSecurity.addUsers(
            users.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, toPasswordFile: directory.appendingPathComponent("mosquitto.passwd").path)
        try MosquittoSecurity.reload(pid: pid)
        usleep(200_000)
    }

    /// Kills the broker (every client loses its connection) and starts it again on the same
    /// port with the same config; waits until it accepts connections again.
    public func restart() throws {
        try lock.withLock {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            for _ in 0..<50 {
                let (fresh, _) = try Self.launch(config: config, directory: directory)
                if Self.waitUntilListening(port: port, process: fresh) {
                    process = fresh
                    return
                }
                // The port may linger for a moment after the kill.
                if fresh.isRunning { kill(fresh.processIdentifier, SIGKILL) }
                fresh.waitUntilExit()
                usleep(100_000)
            }
            throw MQTTError(.notConnected, "mosquitto did not restart on port \(port)")
        }
    }

    /// Stops the broker and removes its files.
    public func stop() {
        lock.withLock {
            if process.isRunning {
                // SIGKILL: a child spawned from a thread that blocks SIGTERM inherits the block.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
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
