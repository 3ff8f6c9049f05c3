import Foundation
import MoteTestSupport
import Testing

/// Issue 14 items 9, 10 and 12 with real processes: `mote status` reads a store read-only
/// (beside a running node, never creating one), a busy port makes `mote node` and `mote
/// devnet` fail loudly, a service that dies stops the devnet with exit status 1, and the
/// stream node of a devnet made with a relative `--datadir` (as `make run` does) answers.
@Suite(.serialized) struct DevnetSupervisionTests {
    /// A long-running `mote` child with its output in files; cwd `directory`.
    final class Child {
        let process = Process()
        let out: URL
        let err: URL

        init(_ arguments: [String], in directory: URL, name: String) throws {
            out = directory.appendingPathComponent("\(name).out")
            err = directory.appendingPathComponent("\(name).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = MoteBinary.url
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.environment = ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": directory.path]
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        /// Waits for the exit; nil if still running after `seconds`.
        func exitStatus(within seconds: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            return process.isRunning ? nil : process.terminationStatus
        }

        func stop(_ signal: Int32 = SIGTERM) {
            if process.isRunning { kill(process.processIdentifier, signal) }
            process.waitUntilExit()
        }

        /// The ids of this process's children (Linux: /proc).
        var childPIDs: [Int32] {
            let pid = process.processIdentifier
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.flatMap { task -> [Int32] in
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
    }

    /// A TCP listener that holds a loopback port.
    final class BusyPort {
        let fd: Int32
        let port: Int

        init() throws {
            #if os(Linux)
                let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
                let socketFD = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard socketFD >= 0, bound == 0, listen(socketFD, 8) == 0 else {
                close(socketFD)
                throw CocoaError(.fileWriteUnknown)
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
            }
            fd = socketFD
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    static func ports() -> Int { 23_000 + Int.random(in: 0..<600) * 10 }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(200_000)
        }
        return condition()
    }

    @Test(.timeLimit(.minutes(3)))
    func statusIsReadOnlyRefusesNonChainsAndWorksBesideARunningNode() throws {
        let box = try Sandbox()
        // A folder with nothing: refused, and nothing created in it.
        let empty = box.root.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try box.mote(["status", "--datadir", empty])
        #expect(none.status != 0)
        #expect(none.stdout.contains("holds no chain"), "\(none.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)

        // An initialised-looking folder (genesis.json, no chain/): refused, chain/ not created.
        let root = box.root.appendingPathComponent("devnet").path
        let base = Self.ports()
        let setup = try box.mote([
            "devnet", "--datadir", root, "--nodes", "1", "--block-time", "300", "--base-port", "\(base)", "--rpc-port", "\(base + 1)",
            "--ws-port", "\(base + 2)", "--setup-only",
        ])
        #expect(setup.status == 0, "\(setup.stdout)\(setup.stderr)")
        let data = root + "/node-0/data"
        let early = try box.mote(["status", "--datadir", data])
        #expect(early.status != 0)
        #expect(early.stdout.contains("no chain/"), "\(early.stdout)")
        #expect(!FileManager.default.fileExists(atPath: data + "/chain"))

        // Beside the running node (which holds the store's exclusive lock): read-only works.
        let node = try Child(["node", "--config", root + "/node-0/config.toml"], in: box.root, name: "node")
        defer { node.stop() }
        var last = ""
        let advanced = waitUntil(60) {
            guard let run = try? box.mote(["status", "--datadir", data]), run.status == 0,
                let json = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                let height = (json["height"] as? NSNumber)?.intValue
            else { return false }
            last = run.stdout
            return height >= 2
        }
        #expect(advanced, "status beside the node: \(last)\nnode: \(node.stdout)\(node.stderr)")
        #expect(node.process.isRunning, "the node must not be disturbed: \(node.stderr)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aBusyPortFailsTheNodeAndTheDevnetByName() throws {
        let box = try Sandbox()
        let busy = try BusyPort()
        let root = box.root.appendingPathComponent("devnet").path
        let base = Self.ports()
        let setup = try box.mote([
            "devnet", "--datadir", root, "--nodes", "1", "--block-time", "300", "--base-port", "\(busy.port)", "--rpc-port", "\(base + 1)",
            "--ws-port", "\(base + 2)", "--setup-only",
        ])
        #expect(setup.status == 0, "\(setup.stdout)\(setup.stderr)")

        let node = try box.mote(["node", "--config", root + "/node-0/config.toml"])
        #expect(node.status == 1, "\(node.stdout)\(node.stderr)")
        #expect(node.stderr.contains("p2p 127.0.0.1:\(busy.port)"), "\(node.stderr)")
        #expect(!node.stdout.contains("stopped"))

        let devnet = try box.mote(["devnet", "--datadir", root])
        #expect(devnet.status == 1, "\(devnet.stdout)\(devnet.stderr)")
        #expect(devnet.stderr.contains("node-0 p2p 127.0.0.1:\(busy.port)"), "\(devnet.stderr)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aNodeThatDiesStopsTheDevnetWithItsName() throws {
        let box = try Sandbox()
        let root = box.root.appendingPathComponent("devnet").path
        let base = Self.ports()
        let devnet = try Child(
            [
                "devnet", "--datadir", root, "--nodes", "2", "--block-time", "300", "--base-port", "\(base)", "--rpc-port", "\(base + 3)",
                "--ws-port", "\(base + 6)",
            ], in: box.root, name: "devnet")
        defer { devnet.stop() }
        #expect(waitUntil(90) { devnet.stdout.contains("devnet running: 2 nodes") }, "\(devnet.stdout)\(devnet.stderr)")
        let children = devnet.childPIDs
        #expect(children.count == 2)
        guard let victim = children.first else { return }
        kill(victim, SIGKILL)
        let status = devnet.exitStatus(within: 30)
        #expect(status == 1, "\(devnet.stderr)")
        #expect(devnet.stderr.contains("was killed by signal 9 while the devnet was running"), "\(devnet.stderr)")
        #expect(devnet.stderr.contains("its last output"), "\(devnet.stderr)")
        // The other node was stopped with it: no orphan.
        for pid in children { #expect(kill(pid, 0) != 0, "node \(pid) outlived the devnet") }
    }

    @Test(.timeLimit(.minutes(4)))
    func makeRunsStreamNodeAnswersWithARelativeDatadir() throws {
        let box = try Sandbox()
        let base = Self.ports()
        let streamPort = base + 7
        // As `make run`: a relative --datadir, resolved against the working directory.
        let devnet = try Child(
            [
                "devnet", "--datadir", "devnet", "--stream", "--nodes", "1", "--block-time", "300", "--base-port", "\(base)",
                "--rpc-port", "\(base + 1)", "--ws-port", "\(base + 2)", "--stream-port", "\(streamPort)", "--mqtt-port", "\(base + 8)",
            ], in: box.root, name: "devnet")
        defer { devnet.stop() }
        #expect(
            waitUntil(120) { devnet.stdout.contains("stream node on \(streamPort)") || !devnet.process.isRunning },
            "\(devnet.stdout)\(devnet.stderr)")
        #expect(devnet.process.isRunning, "\(devnet.stdout)\(devnet.stderr)")
        #expect(!devnet.stderr.contains("cannot be read"), "\(devnet.stderr)")
        // The stream node answers HTTP on its port (a GET of the POST-only path: any HTTP answer).
        let answered = waitUntil(20) { Self.httpStatusLine(port: streamPort)?.hasPrefix("HTTP/1.1 ") == true }
        #expect(answered, "\(devnet.stdout)\(devnet.stderr)")
        let toml = try String(contentsOfFile: box.root.path + "/devnet/stream/stream.toml", encoding: .utf8)
        #expect(toml.contains("store = \"sqlite:stream.db\""), "\(toml)")
        devnet.stop(SIGINT)
        #expect(devnet.process.terminationStatus == 0, "\(devnet.stderr)")
        #expect(devnet.stdout.contains("devnet stopped"))
    }

    /// The status line of a plain HTTP GET to `127.0.0.1:port`, or nil when nothing answers.
    static func httpStatusLine(port: Int) -> String? {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET /v1/telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).components(separatedBy: "\r\n").first
    }
}
