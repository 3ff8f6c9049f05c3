import Foundation
import MoteTestSupport
import Testing

/// A real devnet: four `mote node` processes on loopback agree on blocks; one is killed with
/// SIGKILL, the others go on, and when it restarts it catches up to the same block hashes.
@Suite(.serialized) struct DevnetTests {
    /// A running `mote node` whose output goes to a file.
    final class NodeProcess {
        let process = Process()
        let log: URL

        init(config: String, log: URL) throws {
            self.log = log
            if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.executableURL = MoteBinary.url
            process.arguments = ["node", "--config", config]
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        /// Finalized heights and their block hashes, as the node logged them.
        var finalized: [UInt64: String] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            var out: [UInt64: String] = [:]
            for line in text.split(separator: "\n") where line.contains(" finalized ") {
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "finalized"), i + 2 < words.count, let height = UInt64(words[i + 1]) else { continue }
                out[height] = String(words[i + 2])
            }
            return out
        }

        var height: UInt64 { finalized.keys.max() ?? 0 }

        /// The proposer order the node announced for each new epoch.
        var epochs: [UInt64: String] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            var out: [UInt64: String] = [:]
            for line in text.split(separator: "\n") where line.contains(" producers ") {
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "epoch"), i + 3 < words.count, let epoch = UInt64(words[i + 1]) else { continue }
                out[epoch] = String(words[i + 3])
            }
            return out
        }

        func kill(_ signal: Int32) {
            if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
            process.waitUntilExit()
        }
    }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    @Test(.timeLimit(.minutes(3)))
    func fourNodesFinalizeSurviveAKillAndCatchUp() throws {
        let box = try Sandbox()
        let root = box.root.appendingPathComponent("devnet").path
        let basePort = 21_000 + Int.random(in: 0..<400) * 10
        let setup = try box.mote([
            "devnet", "--datadir", root, "--nodes", "4", "--block-time", "500", "--base-port", "\(basePort)", "--epoch-length", "3",
            "--rpc-port", "\(basePort + 5_000)", "--ws-port", "\(basePort + 6_000)", "--setup-only",
        ])
        #expect(setup.status == 0, "\(setup.stdout)\(setup.stderr)")
        let accounts = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/accounts.json"))) as? [[String: String]]
        #expect(accounts?.count == 5)
        #expect(accounts?.first?["privateKey"]?.count == 66)

        var nodes = try (0..<4).map { i in
            try NodeProcess(config: root + "/node-\(i)/config.toml", log: box.root.appendingPathComponent("node-\(i).log"))
        }
        defer { for node in nodes { node.kill(SIGTERM) } }

        #expect(waitUntil(60) { nodes.allSatisfy { $0.height >= 3 } }, "heights: \(nodes.map(\.height))")

        // Kill one delegate: three of four are still more than 2/3.
        nodes[3].kill(SIGKILL)
        let atKill = nodes[0...2].map(\.height).max()!
        #expect(waitUntil(60) { nodes[0...2].allSatisfy { $0.height >= atKill + 3 } }, "heights: \(nodes.map(\.height))")

        // Restart it: it catches up (sync), then keeps up.
        nodes[3] = try NodeProcess(config: root + "/node-3/config.toml", log: nodes[3].log)
        let target = nodes[0...2].map(\.height).max()!
        #expect(waitUntil(60) { nodes[3].height >= target }, "restarted node at \(nodes[3].height), others at \(target)")

        // Let all four run a few epochs together.
        #expect(waitUntil(60) { nodes.allSatisfy { $0.height >= max(target, 12) } }, "heights: \(nodes.map(\.height))")
        let final = nodes.map(\.height).min()!

        // Every height any two nodes finalized has the same block hash: no forks.
        let logs = nodes.map(\.finalized)
        var compared = 0
        for height in 1...target {
            let hashes = Set(logs.compactMap { $0[height] })
            #expect(hashes.count <= 1, "height \(height) has different blocks: \(hashes)")
            if logs.filter({ $0[height] != nil }).count >= 2 { compared += 1 }
        }
        #expect(compared >= Int(target) - 1)

        // Epochs of 3 blocks: each new epoch's proposer order comes from the VRF outputs in the
        // previous epoch's headers; every node computes the same order, and it changes.
        let epochLogs = nodes.map(\.epochs)
        var orders: [String] = []
        for epoch in 2...max(2, final / 3) {
            let seen = Set(epochLogs.compactMap { $0[epoch] })
            #expect(seen.count <= 1, "epoch \(epoch): nodes disagree on the producers")
            if let order = seen.first { orders.append(order) }
        }
        #expect(orders.count >= 2, "epochs announced: \(epochLogs)")
        #expect(Set(orders).count >= 2 || orders.count < 3, "the proposer order never changed: \(orders)")
        print("devnet test: 4 nodes, 1 killed and restarted, \(target) heights finalized, same block hashes on every node, \(orders.count) epochs with VRF-shuffled producers (\(Set(orders).count) distinct orders)")
    }
}
