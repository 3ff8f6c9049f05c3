import MoteFuzz
import Testing

/// The seeded decoder fuzz run of the suite: every target for a few thousand inputs (a trap
/// in a decoder kills the test process; a round trip that does not hold fails the test). Long
/// runs: `mote fuzz TARGET --runs N` (docs/CONFORMANCE.md).
@Suite struct DecoderFuzzTests {
    /// Runs per target here; seconds in a debug build.
    static let runs = 3_000

    @Test(arguments: FuzzTargets.names)
    func seedsDecode(_ name: String) async throws {
        let target = try #require(try FuzzTargets.named(name))
        for (i, seed) in target.seeds.enumerated() {
            let outcome = await target.check(seed)
            if name == "jsonrpc" {
                // Seeds call every method with a common parameter shape; many get an error answer, which must be well-formed.
                if case .failure(let message) = outcome { Issue.record("jsonrpc seed \(i): \(message)") }
            } else {
                #expect(outcome == .accepted, "\(name) seed \(i) is not accepted: \(outcome)")
            }
        }
    }

    @Test(arguments: FuzzTargets.names)
    func mutantsNeverBreakADecoder(_ name: String) async throws {
        let target = try #require(try FuzzTargets.named(name))
        let report = await FuzzEngine.run(target, runs: Self.runs, seed: 0x4D6F_7465)
        #expect(report.runs == Self.runs)
        #expect(report.accepted + report.rejected + report.failureCount == Self.runs)
        #expect(report.accepted >= (name == "jsonrpc" ? 1 : target.seeds.count), "\(name): only \(report.accepted) accepted")
        #expect(report.rejected > 0, "\(name): mutants were never refused")
        for failure in report.failures {
            Issue.record("\(name) run \(failure.run): \(failure.message); input \(failure.input.map { String(format: "%02x", $0) }.joined())")
        }
        #expect(report.failureCount == 0)
    }

    @Test func sameSeedSameInputs() async throws {
        let target = try #require(try FuzzTargets.named("rlp"))
        var first: [[UInt8]] = []
        var second: [[UInt8]] = []
        _ = await FuzzEngine.run(target, runs: 500, seed: 7, observe: { first.append($0) })
        _ = await FuzzEngine.run(target, runs: 500, seed: 7, observe: { second.append($0) })
        var other: [[UInt8]] = []
        _ = await FuzzEngine.run(target, runs: 500, seed: 8, observe: { other.append($0) })
        #expect(first == second)
        #expect(first != other)
    }

    @Test func mutationsStayWithinTheSizeLimit() {
        var random = FuzzRandom(seed: 1)
        let mutator = FuzzMutator(dictionary: [Array(repeating: 0xAA, count: 100)], maxSize: 64)
        var input: [UInt8] = Array(repeating: 1, count: 64)
        for _ in 0..<10_000 {
            input = mutator.mutate(input.isEmpty ? [0] : input, other: Array(repeating: 2, count: 300), random: &random)
            #expect(input.count <= 64)
        }
    }
}
