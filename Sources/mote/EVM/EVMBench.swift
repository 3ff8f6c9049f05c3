import ArgumentParser
import Foundation
import MoteEVM
import MotePrimitives

/// `mote bench evm`: the benchmark contracts of bench/evm through MoteEVM and, in the same run,
/// through revm (pyrevm), with the same bytecode and calldata.
struct EVMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evm",
        abstract: "Time the bench/evm contracts in MoteEVM and in revm (pyrevm), side by side.",
        discussion: """
            Each contract is deployed once in a fresh in-memory state; its benchmark call is then timed \
            --repeat times, each from the same state (deployment excluded). revm runs through \
            bench/evm/revm_bench.py with --python (the e2e venv has pyrevm). Mote/revm is the ratio of \
            the minimum times.
            """)

    @Option(help: "The contracts manifest.") var manifest = "bench/evm/contracts.json"
    @Option(name: .customLong("repeat"), help: "Timed calls per contract (1…1000).") var repetitions = 10
    @Option(help: "The Python with pyrevm; empty skips revm.") var python = ".venv-e2e/bin/python"
    @Option(help: "Only the contract with this name.") var only: String?
    @Flag(help: "Print JSON lines instead of a table.") var json = false

    func validate() throws {
        guard (1...1000).contains(repetitions) else { throw ValidationError("--repeat must be 1…1000") }
    }

    struct Contract {
        var name: String
        var bytecode: [UInt8]
        var calldata: [UInt8]
        var description: String
    }

    struct Timing {
        var gasUsed: UInt64
        var minMs: Double
        var medianMs: Double
        var output: String
        var success: Bool
    }

    func run() throws {
        let contracts = try loadManifest()
        var mote: [String: Timing] = [:]
        for contract in contracts {
            let timing = EVMThread.run { [repetitions] in Self.timeInMote(contract, repetitions: repetitions) }
            guard let timing else { throw ValidationError("\(contract.name): deployment failed in MoteEVM") }
            mote[contract.name] = timing
        }
        let revm = python.isEmpty ? [:] : try timeInRevm()
        printReport(contracts, mote: mote, revm: revm)
    }

    private func loadManifest() throws -> [Contract] {
        guard let data = FileManager.default.contents(atPath: manifest),
              let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { throw ValidationError("cannot read the manifest \(manifest)") }
        let folder = (manifest as NSString).deletingLastPathComponent
        var contracts: [Contract] = []
        for entry in entries {
            guard let name = entry["name"] as? String, let file = entry["bytecode"] as? String,
                  let calldata = entry["calldata"] as? String
            else { throw ValidationError("manifest entry without name, bytecode or calldata") }
            if let only, only != name { continue }
            let code = try RunCommand.hexArgument("@" + (folder as NSString).appendingPathComponent(file), name: name, allowFile: true)
            contracts.append(Contract(
                name: name, bytecode: code, calldata: try RunCommand.hexArgument(calldata, name: name, allowFile: false),
                description: entry["description"] as? String ?? ""))
        }
        if contracts.isEmpty { throw ValidationError("no contracts to run") }
        return contracts
    }

    static func timeInMote(_ contract: Contract, repetitions: Int) -> Timing? {
        let gas: UInt64 = 1_000_000_000
        let runner = CodeRunner(gasLimit: gas)
        guard let deployment = try? runner.deploy(initCode: contract.bytecode, gas: 100_000_000),
              deployment.status.isSuccess, let address = deployment.createdAddress
        else { return nil }
        var times: [Double] = []
        var last: TransactionOutcome?
        // One untimed warm-up call, then the timed ones.
        for i in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = try? runner.call(address, input: contract.calldata, gas: gas)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if i > 0 { times.append(elapsed) }
            last = outcome
        }
        guard let last else { return nil }
        let sorted = times.sorted()
        return Timing(
            gasUsed: last.gasUsed, minMs: sorted[0], medianMs: sorted[sorted.count / 2], output: Hex.encode(last.output),
            success: last.status.isSuccess)
    }

    private func timeInRevm() throws -> [String: Timing] {
        let script = ((manifest as NSString).deletingLastPathComponent as NSString).appendingPathComponent("revm_bench.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, manifest, "--repeat", String(repetitions)] + (only.map { ["--only", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            throw ValidationError("cannot run \(python) \(script): \(error) (make e2e creates the venv with pyrevm; --python '' skips revm)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("revm_bench.py failed (exit \(process.terminationStatus))") }
        var timings: [String: Timing] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = object["name"] as? String
            else { continue }
            timings[name] = Timing(
                gasUsed: (object["gasUsed"] as? NSNumber)?.uint64Value ?? 0,
                minMs: (object["minMs"] as? NSNumber)?.doubleValue ?? .nan,
                medianMs: (object["medianMs"] as? NSNumber)?.doubleValue ?? .nan,
                output: object["output"] as? String ?? "", success: object["success"] as? Bool ?? false)
        }
        return timings
    }

    private func printReport(_ contracts: [Contract], mote: [String: Timing], revm: [String: Timing]) {
        if !json {
            print("mote bench evm: \(repetitions) timed calls per contract, one core, minimum (median) ms")
            print("contract            gas used     Mote ms            revm ms            Mote Mgas/s  revm Mgas/s  Mote/revm")
        }
        for contract in contracts {
            guard let m = mote[contract.name] else { continue }
            let r = revm[contract.name]
            let ratio = r.map { m.minMs / $0.minMs }
            // The same bytecode and calldata must give the same output, status and gas in both.
            let sameResult = r.map { $0.output == m.output && $0.success == m.success && $0.gasUsed == m.gasUsed }
            if json {
                var object: [String: Any] = [
                    "name": contract.name, "gasUsed": Int(m.gasUsed), "moteMinMs": m.minMs, "moteMedianMs": m.medianMs,
                    "moteMgasPerSecond": Double(m.gasUsed) / m.minMs / 1000, "success": m.success,
                ]
                if let r {
                    object["revmGasUsed"] = Int(r.gasUsed)
                    object["revmMinMs"] = r.minMs
                    object["revmMedianMs"] = r.medianMs
                    object["revmMgasPerSecond"] = Double(r.gasUsed) / r.minMs / 1000
                    object["ratio"] = ratio
                    object["sameOutput"] = sameResult
                }
                let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let revmText = r.map { String(format: "%8.2f (%8.2f)", $0.minMs, $0.medianMs) } ?? "         -         "
                let revmRate = r.map { String(format: "%11.0f", Double($0.gasUsed) / $0.minMs / 1000) } ?? "          -"
                print(contract.name.padding(toLength: 18, withPad: " ", startingAt: 0)
                    + String(format: " %10llu  %8.2f (%8.2f) ", m.gasUsed, m.minMs, m.medianMs) + revmText
                    + String(format: "  %11.0f  ", Double(m.gasUsed) / m.minMs / 1000) + revmRate
                    + (ratio.map { String(format: "  %8.2fx", $0) } ?? "         -")
                    + (sameResult == false ? "  (results differ!)" : "")
                    + (m.success ? "" : "  (failed in Mote)"))
            }
        }
    }
}
