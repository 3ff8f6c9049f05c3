import MoteFuzz
import Testing

/// The invariant fuzzer of the system contracts with a small budget (issue 15); long runs:
/// `mote fuzz contracts --runs N` (docs/CONFORMANCE.md).
@Suite struct ContractFuzzTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func invariantsHoldOverRandomCalls(seed: UInt64) throws {
        let report = try ContractFuzzer(seed: seed).run(calls: 1_500)
        #expect(report.violations.isEmpty, "\(report.violations.joined(separator: "\n"))")
        #expect(report.calls >= 1_500)
        #expect(report.epochs >= 10, "the run crosses epoch boundaries")
        #expect(report.succeeded > report.calls / 20, "enough calls succeed to reach deep states: \(report.succeeded)")
        #expect(report.refusalsChecked > 10)
    }

    @Test func theSameSeedGivesTheSameRun() throws {
        let a = try ContractFuzzer(seed: 9).run(calls: 300)
        let b = try ContractFuzzer(seed: 9).run(calls: 300)
        #expect(a.succeeded == b.succeeded && a.reverted == b.reverted && a.blocks == b.blocks && a.excluded == b.excluded)
    }
}
