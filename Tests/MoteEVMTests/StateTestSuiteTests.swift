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
        let collected = EVMThread.run { () -> [String: (pass: Int, fail: [String])] in
            var perFolder: [String: (pass: Int, fail: [String])] = [:]
            for file in files {
                let folder = String((file as NSString).deletingLastPathComponent.dropFirst(root.count + 1))
                var entry = perFolder[folder] ?? (0, [])
                do {
                    for result in try StateTestRunner.run(file: file, forks: ["Cancun"]) {
                        if result.pass {
                            entry.pass += 1
                        } else {
                            entry.fail.append("\((file as NSString).lastPathComponent) \(result.name) [\(result.index)]: \(result.error ?? "")")
                        }
                    }
                } catch {
                    entry.fail.append("\(file): \(error)")
                }
                perFolder[folder] = entry
            }
            return perFolder
        }
        var report = ["GeneralStateTests, Cancun:", "folder".padding(toLength: 48, withPad: " ", startingAt: 0) + "   pass   fail"]
        var passed = 0, failures: [String] = []
        for (folder, entry) in collected.sorted(by: { $0.key < $1.key }) {
            report.append(folder.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: " %6d %6d", entry.pass, entry.fail.count))
            passed += entry.pass
            failures += entry.fail
        }
        report.append("total".padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: " %6d %6d", passed, failures.count))
        print(report.joined(separator: "\n"))
        #expect(passed > 17_000)
        #expect(failures.isEmpty, "\(failures.count) failing: \(failures.prefix(20).joined(separator: "\n"))")
    }
}
