import ArgumentParser
import Foundation
import MoteEVM
import MotePrimitives

/// `mote evm run --code HEX|@FILE [--create] [--input HEX] [--gas N] [--repeat N] [--json]`
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run bytecode in a fresh in-memory state and print its output and gas.",
        discussion: """
            Without --create the code is installed at 0x2000…0002 and called with --input. With --create it \
            is creation code: it is deployed first, then the deployed contract is called with --input. \
            gasUsed is the gas the call's code used (the transaction's gas after refunds, less the intrinsic \
            21000 and calldata gas). --repeat N times the call alone N times (each from the same state) and \
            prints the minimum and median in ms.
            """)

    @Option(help: "The code as hex, or @FILE holding hex.") var code: String
    @Flag(help: "The code is creation code: deploy it, then call the contract.") var create = false
    @Option(help: "Calldata as hex.") var input = ""
    @Option(help: "Gas for the call (and for the deployment).") var gas: UInt64 = 30_000_000
    @Option(name: .customLong("repeat"), help: "Time the call this many times.") var repetitions = 1
    @Flag(help: "Print {output, gasUsed, minMs, medianMs, error} as JSON.") var json = false

    func validate() throws {
        guard (1...100_000).contains(repetitions) else { throw ValidationError("--repeat must be 1…100000") }
        guard gas >= 21000 && gas <= 1_000_000_000_000 else { throw ValidationError("--gas must be 21000…10^12") }
    }

    func run() throws {
        let codeBytes = try Self.hexArgument(code, name: "--code", allowFile: true)
        let inputBytes = try Self.hexArgument(input, name: "--input", allowFile: true)
        let result = EVMThread.run { [create, gas, repetitions] in
            Self.execute(code: codeBytes, create: create, input: inputBytes, gas: gas, repetitions: repetitions)
        }
        if json {
            var object: [String: Any] = ["output": Hex.encode(result.output), "gasUsed": Int(result.gasUsed)]
            let sorted = result.times.sorted()
            object["minMs"] = sorted.first.map { $0 as Any } ?? NSNull()
            object["medianMs"] = sorted.isEmpty ? NSNull() : sorted[sorted.count / 2] as Any
            if let error = result.error { object["error"] = error } else { object["error"] = NSNull() }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("output:   \(Hex.encode(result.output))")
            print("gas used: \(result.gasUsed)")
            if repetitions > 1, !result.times.isEmpty {
                print(String(format: "time:     min %.3f ms, median %.3f ms over %d runs",
                             result.times.min()!, result.times.sorted()[result.times.count / 2], result.times.count))
            }
            if let error = result.error { print("error:    \(error)") }
        }
        if result.error != nil { throw ExitCode(1) }
    }

    struct Result {
        var output: [UInt8] = []
        var gasUsed: UInt64 = 0
        var times: [Double] = []
        var error: String?
    }

    static func execute(code: [UInt8], create: Bool, input: [UInt8], gas: UInt64, repetitions: Int) -> Result {
        let runner = CodeRunner(gasLimit: max(gas, 30_000_000))
        var result = Result()
        let target: Address
        do {
            if create {
                let deployment = try runner.deploy(initCode: code, gas: gas)
                guard deployment.status.isSuccess, let address = deployment.createdAddress else {
                    result.output = deployment.output
                    result.error = "deployment failed: \(describe(deployment.status))"
                    return result
                }
                target = address
            } else {
                target = try! Address(hex: "0x2000000000000000000000000000000000000002")
                runner.install(code: code, at: target)
            }
            let intrinsic = TransactionProcessor.intrinsicGas(
                EVMTransaction(sender: runner.caller, to: target, nonce: 0, gasLimit: gas, data: input), fork: runner.fork)
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                let outcome = try runner.call(target, input: input, gas: gas)
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                result.times.append(Double(elapsed) / 1e6)
                result.output = outcome.output
                result.gasUsed = outcome.gasUsed - intrinsic
                result.error = outcome.status.isSuccess ? nil : describe(outcome.status)
            }
        } catch {
            result.error = "invalid transaction: \(error)"
        }
        return result
    }

    static func describe(_ status: ExecutionStatus) -> String {
        switch status {
        case .success: return "none"
        case .reverted: return "execution reverted"
        case .halted(let reason): return reason.rawValue
        }
    }

    /// Hex from the argument or, with `@FILE`, from a file (whitespace ignored); bounded at 16 MiB.
    static func hexArgument(_ text: String, name: String, allowFile: Bool) throws -> [UInt8] {
        var hex = text
        if allowFile, text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = attributes[.size] as? Int, size <= 32 << 20,
                  let data = FileManager.default.contents(atPath: path)
            else { throw ValidationError("\(name): cannot read \(path) (missing, unreadable or over 32 MiB)") }
            hex = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
        }
        guard hex.utf8.count <= 32 << 20 else { throw ValidationError("\(name): over 16 MiB") }
        if hex.isEmpty || hex == "0x" { return [] }
        do { return try Hex.decode(hex) } catch { throw ValidationError("\(name): not hex (\(error))") }
    }
}
