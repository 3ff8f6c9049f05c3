import Foundation
import MoteTestSupport
import Testing

/// `mote evm run` and `mote evm statetest` as a user runs them.
@Suite struct EVMCommandTests {
    /// 1 + 2 returned as a word, with gas and timings in JSON.
    @Test func runReturnsOutputAndGas() throws {
        let box = try Sandbox()
        let result = try box.mote(["evm", "run", "--code", "0x600160020160005260206000f3", "--repeat", "3", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.object["output"] as? String == "0x" + String(repeating: "0", count: 63) + "3")
        #expect(result.object["gasUsed"] as? Int == 24)
        #expect((result.object["minMs"] as? Double).map { $0 >= 0 } == true)
        #expect((result.object["medianMs"] as? Double).map { $0 >= 0 } == true)
        #expect(result.object["error"] is NSNull)
    }

    /// --create deploys creation code (from a file), then calls the contract with --input.
    @Test func createThenCall() throws {
        let box = try Sandbox()
        // Runtime: return calldata word 0 + 1. Creation code copies it out.
        let runtime = "600035600101" + "60005260206000f3"
        let length = String(format: "%02x", runtime.count / 2)
        let initCode = "60" + length + "600c60003960" + length + "6000f3" + runtime
        let file = try box.file("init.hex", "0x" + initCode + "\n")
        let input = "0x" + String(repeating: "0", count: 62) + "29"
        let result = try box.mote(["evm", "run", "--code", "@" + file, "--create", "--input", input, "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.object["output"] as? String == "0x" + String(repeating: "0", count: 62) + "2a")
    }

    /// Bad hex, out of gas and invalid opcodes give clear errors and a non-zero exit.
    @Test func errorsAreClear() throws {
        let box = try Sandbox()
        let badHex = try box.mote(["evm", "run", "--code", "0x6zz"])
        #expect(badHex.status != 0)
        #expect(badHex.stderr.contains("--code: not hex"))
        let missing = try box.mote(["evm", "run", "--code", "@/nonexistent/file"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot read"))
        let outOfGas = try box.mote(["evm", "run", "--code", "0x5b600056", "--gas", "50000", "--json"])
        #expect(outOfGas.status != 0)
        #expect(outOfGas.object["error"] as? String == "out of gas")
        #expect(outOfGas.object["gasUsed"] as? Int == 50000 - 21000)
        let invalid = try box.mote(["evm", "run", "--code", "0xfe", "--json"])
        #expect(invalid.object["error"] as? String == "invalid opcode")
        let reverted = try box.mote(["evm", "run", "--code", "0x60006000fd"])
        #expect(reverted.stdout.contains("execution reverted"))
    }

    /// A state-test file gives one JSON line per (test, fork, index), in geth's shape.
    @Test func statetestJSONLines() throws {
        let box = try Sandbox()
        let file = Vectors.url("GeneralStateTests/stExample/add11_yml.json").path
        let result = try box.mote(["evm", "statetest", "--json", file])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["pass"] as? Bool == true)
            #expect(object["fork"] as? String == "Cancun")
            for key in ["name", "index", "stateRoot", "logsHash", "error"] { #expect(object[key] != nil, "\(key)") }
        }
        #expect(result.stderr.contains("total"))
        let unknown = try box.mote(["evm", "statetest", "--fork", "Byzantium2", file])
        #expect(unknown.status != 0)
    }
}
