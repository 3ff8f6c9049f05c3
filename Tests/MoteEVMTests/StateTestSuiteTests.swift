import Foundation
import MoteEVM
import MoteTestSupport
import Testing

/// ethereum/tests GeneralStateTests (../shared/vectors/GeneralStateTests): every Cancun case,
/// with pass/fail counts per folder printed.
@Suite struct StateTestSuiteTests {
    @Test func everyCancunCasePasses() throws {
        let root = Vectors.url("GeneralStateTests").path
        let files = StateTestRunner.files(at: root)
        #expect(files.count >= 2000, "the GeneralStateTests snapshot has 2,179 files")
        let (summary, failures) = EVMThread.run { () -> (StateTestSummary, [String]) in
            var summary = StateTestSummary()
            var failures: [String] = []
            for file in files {
                let folder = String((file as NSString).deletingLastPathComponent.dropFirst(root.count + 1))
                do {
                    for result in try StateTestRunner.run(file: file, forks: ["Cancun"]) {
                        summary.count(pass: result.pass, folder: folder)
                        if !result.pass {
                            failures.append("\((file as NSString).lastPathComponent) \(result.name) [\(result.index)]: \(result.error ?? "")")
                        }
                    }
                } catch {
                    summary.count(pass: false, folder: folder)
                    failures.append("\(file): \(error)")
                }
            }
            return (summary, failures)
        }
        print("GeneralStateTests, Cancun:\n" + summary.table, terminator: "")
        let passed = summary.passed
        #expect(passed > 17_000)
        #expect(failures.isEmpty, "\(failures.count) failing: \(failures.prefix(20).joined(separator: "\n"))")
    }
}
