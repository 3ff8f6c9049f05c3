import ArgumentParser
import Foundation
import MoteFuzz

/// `mote fuzz TARGET --runs N [--seed S]`: seeded mutation fuzzing of one decoder (or `all`),
/// for long runs beyond the test suite's (docs/CONFORMANCE.md). A decoder that traps kills the
/// process: the input that did it is written to `--crash-file` first. A round trip that does
/// not hold is a failure: printed with its input, exit status 1.
///
/// `mote fuzz contracts --runs N [--seed S]`: N calls to the system contracts with the
/// invariants checked after every block (`ContractFuzzer`); a violation exits with status 1.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz a decoder with seeded mutations of valid encodings, or the system contracts with invariants (targets: mote fuzz --list).")

    @Argument(help: "The target (rlp, transaction, p2p-frame, telemetry-envelope, jsonrpc, mqtt-frame, block, consensus, contracts) or all (the decoders).")
    var target: String?
    @Option(help: "Inputs per target, or calls for contracts (1 to 10000000000).") var runs: Int = 100_000
    @Option(help: "The seed: the same seed gives the same inputs.") var seed: UInt64 = 1
    @Option(help: "Where the input that crashed a decoder is written (default: fuzz-crash-<target>.bin).") var crashFile: String?
    @Flag(help: "List the targets and what each decodes.") var list = false
    @Flag(help: "One JSON object per target instead of text.") var json = false

    func validate() throws {
        guard list || target != nil else { throw ValidationError("name a target (or all); mote fuzz --list shows them") }
        guard (1...10_000_000_000).contains(runs) else { throw ValidationError("--runs must be in 1...10000000000") }
        if let target, target != "all", target != "contracts", !FuzzTargets.names.contains(target) {
            throw ValidationError("no fuzz target \(target.prefix(64)); targets: \(FuzzTargets.names.joined(separator: ", ")), contracts, all")
        }
    }

    func run() throws {
        if target == "contracts", !list { return try runContracts() }
        let command = self
        let failed = FailedFlag()
        try runBlocking { try await command.runAsync(failed) }
        if failed.value { throw ExitCode(1) }
    }

    /// Whether any target failed, set from the async run.
    final class FailedFlag: @unchecked Sendable {
        var value = false
    }

    func runAsync(_ result: FailedFlag) async throws {
        if list {
            for name in FuzzTargets.names {
                guard let target = try FuzzTargets.named(name) else { continue }
                print("\(name.padding(toLength: 19, withPad: " ", startingAt: 0)) \(target.summary)")
            }
            print("\("contracts".padding(toLength: 19, withPad: " ", startingAt: 0)) calls to every system contract, invariants checked after each block")
            return
        }
        let names = target == "all" ? FuzzTargets.names : [target!]
        var failed = false
        for name in names {
            guard let fuzzTarget = try FuzzTargets.named(name) else { continue }
            let capture = CrashCapture(path: crashFile ?? "fuzz-crash-\(name).bin", target: name, capacity: fuzzTarget.maxInputSize)
            capture.install()
            let report = await FuzzEngine.run(
                fuzzTarget, runs: runs, seed: seed,
                progressInterval: max(100_000, runs / 20),
                progress: { report in
                    FileHandle.standardError.write(Data("fuzz \(name): \(report.runs) runs, \(report.accepted) accepted, \(report.failureCount) failures, \(String(format: "%.0f", report.seconds)) s\n".utf8))
                },
                observe: { capture.record($0) })
            capture.uninstall()
            failed = failed || !report.succeeded
            if json {
                JSONOutput.print([
                    "target": name, "seed": NSNumber(value: seed), "runs": report.runs, "accepted": report.accepted, "rejected": report.rejected,
                    "failures": report.failureCount, "corpus": report.corpusSize, "seconds": report.seconds,
                    "failed": report.failures.map { ["run": $0.run, "message": $0.message, "input": hex($0.input)] as [String: Any] },
                ] as [String: Any])
            } else {
                let rate = report.seconds > 0 ? Double(report.runs) / report.seconds : 0
                print(
                    "fuzz \(name): \(report.runs) runs (seed \(seed)), \(report.accepted) accepted, \(report.rejected) rejected, "
                        + "\(report.failureCount) failures, corpus \(report.corpusSize), \(String(format: "%.1f", report.seconds)) s "
                        + "(\(Int(rate)) runs/s)")
                for failure in report.failures {
                    print("  failure at run \(failure.run): \(failure.message)\n    input \(hex(failure.input))")
                }
            }
            fflush(nil)
        }
        result.value = failed
    }

    /// The invariant fuzzer of the system contracts (`--runs` calls).
    func runContracts() throws {
        let fuzzer = try ContractFuzzer(seed: seed)
        let report = fuzzer.run(calls: runs, progressInterval: max(10_000, runs / 20)) { report in
            FileHandle.standardError.write(Data(
                "fuzz contracts: \(report.calls) calls, \(report.blocks) blocks, \(report.epochs) epochs, \(report.violations.count) violations, \(String(format: "%.0f", report.seconds)) s\n".utf8))
        }
        if json {
            JSONOutput.print([
                "target": "contracts", "seed": NSNumber(value: seed), "calls": report.calls, "succeeded": report.succeeded,
                "reverted": report.reverted, "excluded": report.excluded, "blocks": report.blocks, "epochs": report.epochs,
                "refusalsChecked": report.refusalsChecked, "viewCalls": report.viewCalls, "seconds": report.seconds,
                "violations": report.violations,
            ] as [String: Any])
        } else {
            print(
                "fuzz contracts: \(report.calls) calls (seed \(seed)): \(report.succeeded) succeeded, \(report.reverted) reverted, "
                    + "\(report.excluded) left out; \(report.blocks) blocks, \(report.epochs) epochs, \(report.refusalsChecked) reverts re-checked, "
                    + "\(report.viewCalls) view calls; \(report.violations.count) violations, \(String(format: "%.1f", report.seconds)) s")
            print("  succeeded by function: " + report.succeededByFunction.map { "\($0.function) \($0.count)" }.joined(separator: ", "))
            print("  most frequent reverts:")
            for (reason, count) in report.topReverts { print("    \(count)× \(reason)") }
            for violation in report.violations { print("  violation: \(violation)") }
        }
        fflush(nil)
        if !report.violations.isEmpty { throw ExitCode(1) }
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// Keeps the input being decoded where a signal handler can reach it, and on a trap
/// (SIGILL/SIGTRAP: Swift's checks; SIGSEGV, SIGBUS, SIGFPE, SIGABRT) writes it to a file and
/// says so before the process dies of the signal. Only async-signal-safe calls in the handler.
final class CrashCapture: @unchecked Sendable {
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    private let path: String
    private let message: String
    private let capacity: Int

    init(path: String, target: String, capacity: Int) {
        self.path = path
        self.message = "mote fuzz \(target): a decoder crashed; the input is in \(path)\n"
        self.capacity = capacity
    }

    func install() {
        CrashState.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity, 1))
        CrashState.length = 0
        CrashState.path = strdup(path)
        CrashState.message = strdup(message)
        for signal in Self.signals {
            var action = sigaction()
            #if os(Linux)
                action.__sigaction_handler.sa_handler = crashHandler
            #else
                action.__sigaction_u.__sa_handler = crashHandler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)  // 0x80000000 on Linux
            sigaction(signal, &action, nil)
        }
    }

    func record(_ input: [UInt8]) {
        let count = min(input.count, capacity)
        CrashState.length = 0
        input.withUnsafeBufferPointer { CrashState.buffer?.update(from: $0.baseAddress!, count: count) }
        CrashState.length = count
    }

    func uninstall() {
        for signal in Self.signals { Foundation.signal(signal, SIG_DFL) }
        CrashState.buffer?.deallocate()
        CrashState.buffer = nil
        free(CrashState.path)
        free(CrashState.message)
        CrashState.path = nil
        CrashState.message = nil
    }
}

/// The crash handler's state: globals, since a signal handler captures nothing.
enum CrashState {
    nonisolated(unsafe) static var buffer: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var message: UnsafeMutablePointer<CChar>?
}

private func crashHandler(_ signal: Int32) {
    if let path = CrashState.path, let buffer = CrashState.buffer {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            _ = write(fd, buffer, CrashState.length)
            close(fd)
        }
        if let message = CrashState.message { _ = write(2, message, strlen(message)) }
    }
    raise(signal)  // SA_RESETHAND: the default action now, so the process dies of it
}
