import ArgumentParser
import Foundation
import MoteEVM
import MotePrimitives
import MoteTransactions

/// `mote evm …`: the Ethereum virtual machine on its own (state tests, bytecode runs).
struct EVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evm", abstract: "Run the EVM on its own: ethereum/tests state tests, bytecode.",
        subcommands: [StateTestCommand.self, RunCommand.self])
}

/// `mote evm statetest [--json] [--fork Cancun] FILE|DIR…`
struct StateTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statetest",
        abstract: "Run ethereum/tests GeneralStateTests files; one result per (test, fork, post index).")

    @Flag(help: "One JSON line per result: {name, fork, index, pass, stateRoot, logsHash, error}.") var json = false
    @Option(help: "Only this fork's post states (e.g. Cancun, Shanghai, Paris); 'all' for every fork in the files.")
    var fork = "Cancun"
    @Option(help: "Files run in parallel (default: the number of cores).") var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print only the per-folder summary (and failures).") var quiet = false
    @Argument(help: "State-test files or folders of them.") var paths: [String]

    func validate() throws {
        guard fork == "all" || Fork(testName: fork).map(EVM.supports) == true else {
            throw ValidationError("unknown fork \(fork): use Cancun, Shanghai, Paris or all")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1…64") }
    }

    func run() throws {
        var found: [(file: String, root: String)] = []
        for path in paths {
            let files = StateTestRunner.files(at: path)
            if files.isEmpty { throw ValidationError("no state-test files at \(path)") }
            found += files.map { ($0, path) }
        }
        let forks: Set<String>? = fork == "all" ? nil : [fork]
        let files = found
        let output = StateTestOutput(json: json, quiet: quiet)
        let next = WorkIndex()
        let threads = min(jobs, files.count)
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            let thread = Thread {
                while let i = next.take(below: files.count) {
                    let (file, root) = files[i]
                    do {
                        output.report(try StateTestRunner.run(file: file, forks: forks), folder: Self.folder(of: file, root: root))
                    } catch {
                        output.fileError(file, "\(error)", folder: Self.folder(of: file, root: root))
                    }
                }
                group.leave()
            }
            thread.stackSize = EVMThread.stackSize
            thread.start()
        }
        group.wait()
        output.printSummary()
        if output.failed > 0 { throw ExitCode(1) }
    }

    /// The folder a file is counted under: its directory relative to the argument it came from.
    static func folder(of file: String, root: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        if directory.hasPrefix(root) {
            let relative = directory.dropFirst(root.count).drop(while: { $0 == "/" })
            return relative.isEmpty ? (root as NSString).lastPathComponent : String(relative)
        }
        return directory
    }
}

/// Hands out indexes to worker threads.
private final class WorkIndex: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Collects results from worker threads and prints them.
private final class StateTestOutput: @unchecked Sendable {
    let json: Bool
    let quiet: Bool
    private let lock = NSLock()
    private var summary = StateTestSummary()
    var failed: Int { lock.withLock { summary.failed } }

    init(json: Bool, quiet: Bool) {
        self.json = json
        self.quiet = quiet
    }

    func report(_ results: [StateTestResult], folder: String) {
        lock.lock(); defer { lock.unlock() }
        for result in results {
            summary.count(pass: result.pass, folder: folder)
            if json {
                print(result.jsonLine)
            } else if !result.pass {
                print("FAIL \(result.file) \(result.name) \(result.fork)[\(result.index)]: \(result.error ?? "")")
            } else if !quiet {
                print("pass \(result.name) \(result.fork)[\(result.index)]")
            }
        }
    }

    func fileError(_ file: String, _ message: String, folder: String) {
        lock.lock(); defer { lock.unlock() }
        summary.count(pass: false, folder: folder)
        FileHandle.standardError.write(Data("error: \(file): \(message)\n".utf8))
    }

    func printSummary() {
        let text = lock.withLock { summary.table }
        if json {
            FileHandle.standardError.write(Data(text.utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
