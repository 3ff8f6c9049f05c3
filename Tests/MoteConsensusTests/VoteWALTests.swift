import Foundation
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// The vote WAL on real files (torn and corrupt tails) and under a crash at every write.
@Suite struct VoteWALTests {
    static let key = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "wal test").bytes)

    static func records(_ count: Int) -> [WALRecord] {
        (0..<count).map { i in
            let height = UInt64(1 + i / 3)
            if i % 3 == 0 {
                let p = Proposal(height: height, round: 0, blockHash: Keccak256.hash(utf8: "b\(i)"), polRound: nil, chainID: 1, signingWith: key)
                return WALRecord(height: height, round: 0, step: .propose, message: .proposal(p))
            }
            let kind: VoteKind = i % 3 == 1 ? .prevote : .precommit
            let v = Vote(kind: kind, height: height, round: 0, blockHash: i % 2 == 0 ? nil : Keccak256.hash(utf8: "b\(i)"), chainID: 1, signingWith: key)
            return WALRecord(height: height, round: 0, step: kind == .prevote ? .prevote : .precommit, message: .vote(v))
        }
    }

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "mote-wal-\(UUID().uuidString).log"
    }

    @Test func appendsAndReplaysFromAFile() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = Self.records(10)
        do {
            let wal = try VoteWAL(path: path)
            #expect(wal.records.isEmpty)
            for record in written { try wal.append(record) }
        }
        let reopened = try VoteWAL(path: path)
        #expect(reopened.records == written)
        #expect(reopened.truncatedBytes == 0)
        #expect(reopened.truncationReason == nil)
    }

    @Test func tornTailIsTruncated() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = Self.records(6)
        do {
            let wal = try VoteWAL(path: path)
            for record in written { try wal.append(record) }
        }
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let lastFrame = try VoteWAL.frame(written.last!).count
        for cut in [1, 5, 8, lastFrame - 1] {
            try full.prefix(full.count - lastFrame + cut).write(to: URL(fileURLWithPath: path))
            let wal = try VoteWAL(path: path)
            #expect(wal.records == Array(written.dropLast()), "cut \(cut)")
            #expect(wal.truncatedBytes == cut)
            #expect(wal.truncationReason?.contains("torn") == true)
            // The file itself was cut back to the last whole record, and appends go on from there.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == full.count - lastFrame)
            try wal.append(written.last!)
            #expect(try VoteWAL(path: path).records == written)
        }
    }

    /// A flipped bit in the last record is a torn final write: that record is cut. A flipped
    /// bit anywhere before it is corruption with signatures after it: opening refuses,
    /// naming the offset, and the file is left untouched for the operator.
    @Test func flippedByteInTailIsCutAndEarlierOneRefused() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = Self.records(9)
        let frames = try written.map { try VoteWAL.frame($0) }
        let full = frames.flatMap { $0 }
        let lastStart = full.count - frames.last!.count
        var rng = SplitMix64(seed: 0x57a1)
        var refused = 0, cut = 0
        for _ in 0..<60 {
            let position = Int(rng.next() % UInt64(full.count))
            var bytes = full
            bytes[position] ^= UInt8(1 << (rng.next() % 8))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if position >= lastStart + 4 {
                // Inside the last record's checksum or payload: a torn tail.
                let wal = try VoteWAL(path: path)
                #expect(wal.records == Array(written.dropLast()), "flip at \(position)")
                #expect(wal.truncatedBytes == frames.last!.count)
                cut += 1
            } else if position >= lastStart {
                // The last record's length: torn or refused, but never a wrong record kept.
                if let wal = try? VoteWAL(path: path) { #expect(wal.records == Array(written.dropLast())) }
            } else {
                #expect(throws: WALError.self, "flip at \(position)") { try VoteWAL(path: path) }
                #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes), "the file is left as it was")
                refused += 1
            }
        }
        #expect(refused > 0 && cut > 0)
    }

    @Test func pruneKeepsOnlyCurrentHeightsAndSurvivesReopen() throws {
        let path = Self.temporaryPath()
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".tmp")
        }
        let written = Self.records(12)
        let wal = try VoteWAL(path: path)
        for record in written { try wal.append(record) }
        #expect(try wal.prune(belowHeight: 3) == written.filter { $0.height >= 3 }.count)
        // Appending goes on in the rewritten file.
        try wal.append(written[0])
        #expect(try VoteWAL(path: path).records == written.filter { $0.height >= 3 } + [written[0]])
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test func oversizeLengthIsRejected() throws {
        // A length past the end of the log: a torn last write, cut.
        let torn = InMemoryWALStorage(bytes: [0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 1_000))
        let wal = try VoteWAL(storage: torn)
        #expect(wal.records.isEmpty)
        #expect(wal.truncationReason?.contains("torn") == true)
        #expect(torn.bytes.isEmpty)
        // An impossible length with more bytes after it than it claims: corruption, refused.
        let corrupt = InMemoryWALStorage(bytes: [0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 70_000))
        #expect(throws: WALError.self) { try VoteWAL(storage: corrupt) }
        #expect(corrupt.bytes.count == 70_008)
    }

    @Test func unwritableFileIsAClearError() {
        #expect(throws: WALError.self) { try VoteWAL(path: "/nonexistent-dir-\(UUID().uuidString)/wal.log") }
    }

    /// A 4-node network where node 0's WAL dies on its n-th append, for every n in turn (the
    /// record cut at a different byte each time, sometimes whole but never released). After
    /// restarting from the WAL the node never releases two different votes for one
    /// (height, round, kind), and the network keeps deciding, in agreement.
    @Test func crashAtEveryWALWriteNeverDoubleSigns() {
        let heights: UInt64 = 6
        var runs = 0
        for seed: UInt64 in 11...20 {
            let baseline = Simulation(Simulation.Settings(seed: seed))
            baseline.run(untilHeight: heights)
            let writes = baseline.nodes[0].walWrites
            #expect(writes >= Int(heights) * 2)
            for n in 0..<writes {
                let sim = Simulation(Simulation.Settings(seed: seed, crashNode: 0, crashAtWrite: n))
                sim.run(untilHeight: heights + 2, deadline: 300_000)
                #expect(sim.nodes[0].crashes == 1, "seed \(seed) write \(n)")
                #expect(sim.doubleSigns().isEmpty, "seed \(seed) write \(n): \(sim.doubleSigns())")
                #expect(sim.disagreements().isEmpty, "seed \(seed) write \(n)")
                for node in sim.nodes {
                    #expect(node.committedHeight >= heights + 2, "seed \(seed) write \(n): node \(node.index) at \(node.committedHeight)")
                }
                runs += 1
            }
        }
        print("consensus WAL crash test: \(runs) crash points passed")
    }
}
