import Foundation
import MoteTestSupport
import Testing

/// A real node data directory (`mote init`) with the real ledger producing blocks in another
/// process, killed with SIGKILL at random moments: every reopen resumes at the last committed
/// block with the state root that block reported, and production carries on from there.
@Suite struct LedgerCrashTests {
    /// Runs `mote debug produce` for at most `milliseconds`, then SIGKILLs it; returns the
    /// `height stateRoot` lines it printed.
    func produceAndKill(_ box: Sandbox, datadir: String, milliseconds: Int) throws -> [(UInt64, String)] {
        let process = Process()
        process.executableURL = MoteBinary.url
        process.arguments = ["debug", "produce", "--datadir", datadir, "--accounts", "20", "--count", "100000", "--transfers", "40"]
        let output = box.root.appendingPathComponent("produce-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(useconds_t(milliseconds * 1_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        // The last line may be cut by the kill: keep whole lines only.
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let height = UInt64(parts[0]), parts[1].count == 66 else { return nil }
            return (height, String(parts[1]))
        }
    }

    @Test func killNineResumesAtTheLastCommittedBlock() throws {
        let box = try Sandbox()
        let genesis = try box.mote(["debug", "dev-genesis", "--accounts", "20"])
        #expect(genesis.status == 0)
        let genesisFile = try box.file("genesis.json", genesis.stdout)
        let datadir = box.root.appendingPathComponent("data").path
        let initialised = try box.mote(["init", "--genesis", genesisFile, "--datadir", datadir])
        #expect(initialised.status == 0, "\(initialised.stdout)")

        var rng = SplitMix64(seed: 2_024)
        var roots: [UInt64: String] = [:]
        var lastReported: UInt64 = 0
        var kills = 0
        for _ in 0..<12 {
            // The first moments include opening the ledger (rebuilding the state trie); vary widely.
            let reported = try produceAndKill(box, datadir: datadir, milliseconds: 150 + Int(rng.next() % 900))
            kills += 1
            for (height, root) in reported {
                if let known = roots[height] { #expect(known == root, "height \(height) committed twice with different roots") }
                roots[height] = root
                lastReported = max(lastReported, height)
            }
            let status = try box.mote(["status", "--datadir", datadir])
            #expect(status.status == 0, "reopen failed: \(status.stdout)")
            let height = try #require((status.object["height"] as? NSNumber)?.uint64Value)
            let root = try #require(status.object["stateRoot"] as? String)
            // Committed before the report, so at least the last reported block; at most one more
            // (committed, killed before printing).
            #expect(height == lastReported || height == lastReported + 1, "head \(height), last reported \(lastReported)")
            if let reportedRoot = roots[height] { #expect(reportedRoot == root) } else { roots[height] = root }
            lastReported = height
        }
        #expect(lastReported > 5, "the producer should have committed blocks between kills")
        print("ledger crash test: \(kills) kills, resumed at the last committed block every time (height \(lastReported))")
    }
}
