import Foundation
import MoteCrypto
import MoteP2P
import MotePrimitives
import Testing
import XCTest

/// A real network partition between two processes (issue 14 item 14).
///
/// The test makes three network namespaces of its own: `a` and `b` each hold one P2P node
/// (a child process: this test binary re-run as `PartitionPeerProcess`), and `m` holds a
/// bridge joining them through two veth pairs (10.200.77.1 and 10.200.77.2, private addresses
/// that exist only inside these namespaces). It cuts the link by taking `a`'s port off the
/// bridge: frames from `a` are then silently dropped in `m`, both ends keep their carrier and
/// routes, and the TCP connection stays ESTABLISHED for the kernel, exactly like a partition
/// somewhere in the network. After the partition it puts the port back and measures how long
/// the two nodes take to be connected again. It removes the namespaces (and so the veths)
/// whatever happens. Needs root and `ip` with namespace, veth and bridge support; otherwise it
/// is skipped with the reason.
extension P2PStressTests {
@Suite("P2P partition between network namespaces", .serialized)
struct PartitionTests {
    static let availability = NetworkNamespaces.probe()

    @Test(
        .enabled(if: availability == nil, "network namespaces unavailable: \(availability ?? "")"),
        .timeLimit(.minutes(3)))
    func connectionsResumeWithin3sOfTheHealWhateverThePartitionLength() async throws {
        let seconds = Int(ProcessInfo.processInfo.environment["MOTE_PARTITION_SECONDS"] ?? "") ?? 20
        let net = try NetworkNamespaces(tag: "\(getpid() % 100_000)")
        defer { net.remove() }
        let a = try net.startPeer(in: net.a, seed: 1, listen: "10.200.77.1", peer: "10.200.77.2")
        let b = try net.startPeer(in: net.b, seed: 2, listen: "10.200.77.2", peer: "10.200.77.1")
        defer {
            a.stop()
            b.stop()
        }
        #expect(await a.waitFor("connected", after: .now - .seconds(60), timeout: .seconds(15)) != nil, "a: \(a.output)")
        #expect(await b.waitFor("connected", after: .now - .seconds(60), timeout: .seconds(15)) != nil, "b: \(b.output)")

        try await Task.sleep(for: .seconds(1))  // both dialed: let the duplicate connections collapse

        // Partition.
        let cut = ContinuousClock.now
        try net.cut()
        let droppedA = await a.waitFor("disconnected", containing: "ping timeout", after: cut, timeout: .seconds(8))
        let droppedB = await b.waitFor("disconnected", containing: "ping timeout", after: cut, timeout: .seconds(8))
        #expect(droppedA != nil && droppedB != nil, "no ping timeout: a \(a.output) b \(b.output)")
        for dropped in [droppedA, droppedB] {
            if let dropped { #expect(dropped.at - cut < .milliseconds(3_800), "dropped \(dropped.at - cut) after the cut") }
        }
        try await Task.sleep(until: cut + .seconds(seconds))

        // Heal.
        let heal = ContinuousClock.now
        try net.heal()
        let backA = await a.waitFor("connected", after: heal, timeout: .seconds(10))
        let backB = await b.waitFor("connected", after: heal, timeout: .seconds(10))
        #expect(backA != nil && backB != nil, "not reconnected: a \(a.output) b \(b.output)")
        if let backA, let backB {
            let resumed = max(backA.at, backB.at) - heal
            #expect(resumed <= .seconds(3), "reconnected \(resumed) after the heal")
            print("p2p partition: \(seconds) s partition between namespaces; ping timeout after \((droppedA?.at ?? cut) - cut) (a) and \((droppedB?.at ?? cut) - cut) (b); reconnected \(resumed) after the heal")
        }
    }
}
}

/// Three namespaces `a`, `m`, `b`: `a` ⟷ bridge in `m` ⟷ `b`.
final class NetworkNamespaces: @unchecked Sendable {
    let a: String, b: String, m: String
    private var created: [String] = []

    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Nil when namespaces work here, else why not.
    static func probe() -> String? {
        guard geteuid() == 0 else { return "needs root (creates network namespaces)" }
        guard ip != nil else { return "the `ip` command (iproute2) is not installed" }
        let name = "motep2p-probe-\(getpid())"
        defer { _ = try? run(["netns", "del", name]) }
        do {
            try run(["netns", "add", name])
            try run(["-n", name, "link", "add", "probebr", "type", "bridge"])
            try run(["-n", name, "link", "add", "probea", "type", "veth", "peer", "name", "probeb"])
        } catch {
            return "this machine does not allow network namespaces, bridges or veths: \(error)"
        }
        return nil
    }

    struct CommandError: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `ip arguments…`; throws with its output when it fails.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let ip else { throw CommandError(description: "no ip command") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandError(description: "ip \(arguments.joined(separator: " ")): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output
    }

    init(tag: String) throws {
        a = "motep2p-\(tag)-a"
        b = "motep2p-\(tag)-b"
        m = "motep2p-\(tag)-m"
        do {
            for name in [a, b, m] {
                try Self.run(["netns", "add", name])
                created.append(name)
                try Self.run(["-n", name, "link", "set", "lo", "up"])
            }
            try Self.run(["-n", m, "link", "add", "br0", "type", "bridge"])
            try Self.run(["-n", m, "link", "set", "br0", "up"])
            for (ns, address) in [(a, "10.200.77.1/24"), (b, "10.200.77.2/24")] {
                let port = ns == a ? "pa" : "pb"
                try Self.run(["link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", m])
                try Self.run(["-n", m, "link", "set", port, "master", "br0"])
                try Self.run(["-n", m, "link", "set", port, "up"])
                try Self.run(["-n", ns, "addr", "add", address, "dev", "eth0"])
                try Self.run(["-n", ns, "link", "set", "eth0", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Drops every frame from `a` in the middle (both ends keep carrier and routes).
    func cut() throws { try Self.run(["-n", m, "link", "set", "pa", "nomaster"]) }

    /// Joins `a` again.
    func heal() throws { try Self.run(["-n", m, "link", "set", "pa", "master", "br0"]) }

    /// Deletes the namespaces (their veths and bridge go with them).
    func remove() {
        for name in created.reversed() { _ = try? Self.run(["netns", "del", name]) }
        created = []
    }

    /// Runs one P2P node in namespace `ns` as a child process: this test binary, running the
    /// XCTest `PartitionPeerProcess`.
    func startPeer(in ns: String, seed: UInt64, listen: String, peer: String) throws -> PeerProcess {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ip!)
        process.arguments = ["netns", "exec", ns, binary, "MoteP2PTests.PartitionPeerProcess/testPartitionPeer"]
        var environment = ProcessInfo.processInfo.environment
        environment[PartitionPeerProcess.variable] = "\(seed);\(listen);\(peer)"
        process.environment = environment
        return try PeerProcess(process)
    }
}

/// A child running one node; its lines tagged `PARTITION-PEER` are kept with their arrival time.
final class PeerProcess: @unchecked Sendable {
    private let process: Process
    private let input = Pipe()
    private let lock = NSLock()
    private var lines: [(at: ContinuousClock.Instant, line: String)] = []
    private var partial = ""

    init(_ process: Process) throws {
        self.process = process
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            let now = ContinuousClock.now
            self.lock.lock()
            self.partial += String(decoding: data, as: UTF8.self)
            while let newline = self.partial.firstIndex(of: "\n") {
                let line = String(self.partial[..<newline])
                self.partial = String(self.partial[self.partial.index(after: newline)...])
                if line.hasPrefix(PartitionPeerProcess.tag) {
                    self.lines.append((now, String(line.dropFirst(PartitionPeerProcess.tag.count + 1))))
                }
            }
            self.lock.unlock()
        }
        try process.run()
    }

    /// Everything the child said, for failure messages.
    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.map(\.line).joined(separator: " | ")
    }

    /// The first line starting with `event` (and containing `containing`) that arrived after
    /// `after`, waiting up to `timeout`.
    func waitFor(
        _ event: String, containing: String = "", after: ContinuousClock.Instant, timeout: Duration
    ) async -> (at: ContinuousClock.Instant, line: String)? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = lock.withLock { lines.first { $0.at > after && $0.line.hasPrefix(event) && (containing.isEmpty || $0.line.contains(containing)) } }
            if let found { return found }
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Closes the child's stdin (it exits), then makes sure it is gone.
    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// The child side of `PartitionTests`: runs one P2P node with the default liveness settings
/// and prints its events until its stdin closes. Skipped unless started by that test.
final class PartitionPeerProcess: XCTestCase {
    static let variable = "MOTE_P2P_PARTITION_PEER"
    static let tag = "PARTITION-PEER"

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data("\(tag) \(line)\n".utf8))
    }

    func testPartitionPeer() async throws {
        guard let spec = ProcessInfo.processInfo.environment[Self.variable] else {
            throw XCTSkip("runs only as a child process of the network-namespace partition test")
        }
        let fields = spec.split(separator: ";").map(String.init)
        guard fields.count == 3, let seed = UInt64(fields[0]) else { throw XCTSkip("bad \(Self.variable)") }
        var config = P2PConfig(chainID: 1, genesisHash: TestNetwork.genesis)
        config.listenHost = fields[1]
        config.listenPort = 30_777
        config.staticPeers = [PeerEndpoint(host: fields[2], port: 30_777)]
        config.log = { Self.say("log \($0)") }
        let node = P2PNode(config: config, key: TestNetwork.key(seed))
        try await node.start()
        // Exit when the parent closes stdin (or after 5 minutes at most).
        Thread.detachNewThread {
            _ = FileHandle.standardInput.readDataToEndOfFile()
            exit(0)
        }
        let limit = Task {
            try await Task.sleep(for: .seconds(300))
            exit(1)
        }
        for await event in node.events {
            switch event {
            case .peerConnected(let info): Self.say("connected \(info.nodeID) \(info.remoteAddress)")
            case .peerDisconnected(let id, let reason): Self.say("disconnected \(id) \(reason)")
            default: break
            }
        }
        limit.cancel()
    }
}
