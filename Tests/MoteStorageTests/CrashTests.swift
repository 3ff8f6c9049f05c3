import Foundation
import MoteChain
import MotePrimitives
import MoteStorage
import MoteTestKit
import MoteTestSupport
import Testing

/// Kills a real writer process (`mote debug write-blocks`) with SIGKILL at random moments and
/// checks, after each kill, that nothing it had committed is lost and nothing half-written is
/// visible.
@Suite struct CrashTests {
    @Test(.timeLimit(.minutes(2)))
    func killNineNeverLosesACommittedBlock() throws {
        let binary = MoteBinary.url
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path),
            "no mote binary at \(binary.path): build it (swift build --product mote) or set MOTE_BINARY")
        let directory = try TemporaryDirectory("mote-crash")
        let datadir = directory.path + "/datadir"
        var rng = SplitMix64(seed: 0x6b69_6c6c_2d39)
        let kills = 24
        var expected = ExpectedChain()
        var head: UInt64?  // the durable head after the previous kill
        var unreported = 0  // kills that landed between a commit and its report

        for round in 0..<kills {
            // From "before the store is even open" to "dozens of blocks in".
            let delay = UInt32.random(in: 0...300_000, using: &rng)
            let run = try killWriter(binary, datadir: datadir, after: delay, scratch: directory.path, round: round)
            try #require(
                run.killed,
                "the writer exited by itself (status \(run.status); is DebugCommand registered in Mote.swift?): \(run.stderr)")

            // Heights are reported only after their commit returned: consecutive, after the old head.
            let first = head.map { $0 + 1 } ?? 0
            #expect(run.reported == Array(first..<first + UInt64(run.reported.count)), "round \(round)")
            let lastDurable = run.reported.last ?? head

            let store = try LMDBChainStore(dataDirectory: datadir)
            let now = try store.head()?.height
            var problems: [String] = []
            // The head is the last reported height, or the next (killed between commit and print).
            switch (lastDurable, now) {
            case (nil, nil), (nil, 0): break
            case (let reported?, let stored?) where stored == reported || stored == reported + 1: break
            default: problems.append("head \(String(describing: now)) after reports up to \(String(describing: lastDurable))")
            }
            if let now {
                // Blocks below the previous head were checked in an earlier round (LMDB never
                // rewrites a committed page in place); the last round checks them all again.
                let from = round == kills - 1 ? 0 : head ?? 0
                problems += try intactnessProblems(store, from: from, upTo: now, expected: &expected)
            }
            guard problems.isEmpty else {
                Issue.record("after kill \(round + 1) (at \(delay) µs): \(problems.prefix(5).joined(separator: "; "))")
                return
            }
            if now != lastDurable { unreported += 1 }
            head = now
        }
        let final = head.map { "\($0)" } ?? "none"
        print("crash test: \(kills) kills, no committed block lost (final height \(final); \(unreported) kills between a commit and its report)")
    }

    /// What one writer run did before it was killed.
    struct WriterRun {
        var killed: Bool
        var status: Int32
        var reported: [UInt64]
        var stderr: String
    }

    /// Starts `mote debug write-blocks` on `datadir`, waits `microseconds`, kills it with SIGKILL
    /// and returns the heights it had printed.
    private func killWriter(
        _ binary: URL, datadir: String, after microseconds: UInt32, scratch: String, round: Int
    ) throws -> WriterRun {
        let outURL = URL(fileURLWithPath: scratch + "/stdout-\(round)")
        let errURL = URL(fileURLWithPath: scratch + "/stderr-\(round)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["debug", "write-blocks", "--datadir", datadir, "--count", "1000000"]
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        usleep(microseconds)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Only whole lines: a kill in the middle of a print leaves a partial one.
        let text = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return WriterRun(
            killed: process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
            status: process.terminationStatus, reported: lines.compactMap { UInt64($0) },
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// What is wrong with `store` as the synthetic chain at `height`: blocks `from...height`
    /// present, equal to the synthetic ones (receipts too), each the child of the one before;
    /// the head and flat state the synthetic chain's at `height`; nothing above it. Empty when
    /// all is well.
    private func intactnessProblems(
        _ store: LMDBChainStore, from: UInt64, upTo height: UInt64, expected: inout ExpectedChain
    ) throws -> [String] {
        var problems: [String] = []
        var parent = from == 0 ? Hash32.zero : expected.commit(atHeight: from - 1).block.hash
        for h in from...height {
            let commit = expected.commit(atHeight: h)
            guard let block = try store.block(atHeight: h) else { return problems + ["block \(h) of \(height) is missing"] }
            if block.header.parentHash != parent { problems.append("block \(h)'s parent hash is not block \(h - 1)'s hash") }
            if block != commit.block { problems.append("block \(h) differs") }
            if try store.receipts(atHeight: h) != commit.receipts { problems.append("receipts \(h) differ") }
            if try store.blockHash(atHeight: h) != commit.block.hash { problems.append("block hash \(h) differs") }
            parent = block.hash
        }
        if try store.block(atHeight: height + 1) != nil { problems.append("a block above the head") }
        if try store.head() != expected.commit(atHeight: height).head { problems.append("head totals differ") }
        let state = SyntheticChain.state(atHeight: height)
        for i in 0..<SyntheticChain.accountCount {
            let address = SyntheticChain.address(i)
            if try store.account(address) != state.accounts[address] { problems.append("account \(i) differs") }
            for j in 0..<SyntheticChain.slotCount {
                let slot = SyntheticChain.slot(j)
                if try store.storageValue(address, slot: slot) != state.storage[.init(address: address, slot: slot)] {
                    problems.append("slot \(j) of account \(i) differs")
                }
            }
        }
        return problems
    }
}

/// The synthetic chain's commits, computed once each.
private struct ExpectedChain {
    private var commits: [BlockCommit] = []

    mutating func commit(atHeight height: UInt64) -> BlockCommit {
        while commits.count <= Int(height) {
            commits.append(SyntheticChain.commit(atHeight: UInt64(commits.count), parentHash: commits.last?.head.hash ?? .zero))
        }
        return commits[Int(height)]
    }
}
