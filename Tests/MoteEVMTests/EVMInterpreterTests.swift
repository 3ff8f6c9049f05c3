import MoteEVM
import MoteTestSupport
import MotePrimitives
import Testing

/// Hostile and edge-case bytecode: every one ends in a clear halt with the right gas, never a trap.
@Suite struct EVMInterpreterTests {
    static let target = try! Address(hex: "0x2000000000000000000000000000000000000002")

    /// Runs `code` at `target` with `gas`; returns the outcome and the gas the code used.
    static func run(_ hex: String, input: [UInt8] = [], gas: UInt64 = 1_000_000) throws -> (TransactionOutcome, UInt64) {
        let code = try Hex.decode(hex)
        return try EVMThread.run {
            let runner = CodeRunner()
            runner.install(code: code, at: target)
            let outcome = try runner.call(target, input: input, gas: gas)
            return (outcome, outcome.gasUsed - 21000 - UInt64(input.reduce(0) { $0 + ($1 == 0 ? 4 : 16) }))
        }.get()
    }

    static func word(_ outcome: TransactionOutcome) -> UInt256 { UInt256(bigEndian: outcome.output) ?? .zero }

    /// PUSH32 a, PUSH32 b, OP, store and return the word.
    static func binary(_ op: String, _ a: String, _ b: String) throws -> UInt256 {
        let (outcome, _) = try run("7f" + b + "7f" + a + op + "60005260206000f3")
        #expect(outcome.status == .success)
        return word(outcome)
    }

    static let max = String(repeating: "f", count: 64)
    static func hex(_ v: UInt64) -> String { String(repeating: "0", count: 48) + String(format: "%016llx", v) }

    @Test func arithmeticAtTheEdges() throws {
        let minSigned = "8" + String(repeating: "0", count: 63)
        #expect(try Self.binary("01", Self.max, Self.hex(1)) == .zero)                    // ADD wraps
        #expect(try Self.binary("03", Self.hex(0), Self.hex(1)) == .max)                  // SUB wraps
        #expect(try Self.binary("02", Self.max, Self.max) == .one)                        // MUL wraps
        #expect(try Self.binary("04", Self.max, Self.hex(0)) == .zero)                    // DIV by 0
        #expect(try Self.binary("06", Self.max, Self.hex(0)) == .zero)                    // MOD by 0
        #expect(try Self.binary("05", minSigned, Self.max) == UInt256(hexQuantity: minSigned)!)  // -2^255 / -1
        #expect(try Self.binary("07", Self.max, Self.hex(0)) == .zero)                    // SMOD by 0
        #expect(try Self.binary("04", Self.max, Self.hex(3)) == UInt256(hexQuantity: String(repeating: "5", count: 64))!)
        #expect(try Self.binary("0a", Self.hex(2), Self.hex(255)) == UInt256(hexQuantity: minSigned)!)  // EXP
        #expect(try Self.binary("0a", Self.max, Self.max) == .max)                        // (-1)^odd
        #expect(try Self.binary("1b", Self.hex(300), Self.hex(1)) == .zero)               // SHL ≥ 256
        #expect(try Self.binary("1d", Self.hex(300), Self.max) == .max)                   // SAR of negative
        #expect(try Self.binary("1a", Self.hex(31), Self.hex(0xab)) == UInt256(0xab))     // BYTE
        #expect(try Self.binary("0b", Self.hex(0), Self.hex(0x80)) == .max - UInt256(0x7f))  // SIGNEXTEND
        // ADDMOD and MULMOD keep full precision.
        let (addmod, _) = try Self.run("6003" + "7f" + Self.max + "7f" + Self.max + "08" + "60005260206000f3")
        #expect(Self.word(addmod) == UInt256(0))   // (2·(2^256−1)) mod 3 = 0
        let (mulmod, _) = try Self.run("600c" + "7f" + Self.max + "7f" + Self.max + "09" + "60005260206000f3")
        #expect(Self.word(mulmod) == UInt256(9))   // (2^256−1)^2 mod 12 = 9
    }

    @Test func hugeMemoryOffsetRunsOutOfGas() throws {
        // MSTORE at 2^255: no allocation, all gas used.
        let (outcome, used) = try Self.run("6001" + "7f8" + String(repeating: "0", count: 63) + "52", gas: 100_000)
        #expect(outcome.status == .halted(.outOfGas))
        #expect(used == 100_000 - 21000)
        // RETURN with a size of 2^64.
        let (ret, _) = try Self.run("680100000000000000006000f3", gas: 100_000)
        #expect(ret.status == .halted(.outOfGas))
        // Offset and size just below 2^37 each (their sum's words squared would overflow 64 bits):
        // CALLDATACOPY(2^37 − 1, 0, 2^37 − 1) with a billion gas is still out of gas.
        let big = "641fffffffff"
        let (copy, copyUsed) = try Self.run(big + "6000" + big + "37", gas: 1_000_000_000)
        #expect(copy.status == .halted(.outOfGas))
        #expect(copyUsed == 1_000_000_000 - 21000)
    }

    @Test func jumpIntoPushDataIsInvalid() throws {
        // PUSH1 3, JUMP, PUSH1 0x5b: offset 3 is a 0x5b byte inside PUSH data.
        let (outcome, used) = try Self.run("600356605b", gas: 50_000)
        #expect(outcome.status == .halted(.invalidJump))
        #expect(used == 50_000 - 21000)
        let (valid, _) = try Self.run("6004565b5b00", gas: 50_000)
        #expect(valid.status == .success)  // offset 4 is a real JUMPDEST
        let (ok, okUsed) = try Self.run("6003565b00", gas: 50_000)
        #expect(ok.status == .success)
        #expect(okUsed == 3 + 8 + 1)
    }

    @Test func stackUnderflowAndOverflow() throws {
        #expect(try Self.run("01").0.status == .halted(.stackUnderflow))
        #expect(try Self.run(String(repeating: "5f", count: 1024) + "00").0.status == .success)
        #expect(try Self.run(String(repeating: "5f", count: 1025)).0.status == .halted(.stackOverflow))
        #expect(try Self.run("5f80" + String(repeating: "80", count: 1022) + "80").0.status == .halted(.stackOverflow))
    }

    @Test func undefinedOpcodesHalt() throws {
        for op in ["fe", "0c", "21", "4b", "ef", "f6", "fb"] {
            let (outcome, used) = try Self.run(op, gas: 30_000)
            #expect(outcome.status == .halted(.invalidOpcode), "opcode \(op)")
            #expect(used == 9000)
        }
    }

    @Test func deepRecursionStopsAtTheCallDepthLimit() throws {
        // Calls itself with all gas until a call fails; returns how deep it got in storage slot 0 … here
        // simply: CALL(gas, ADDRESS, 0, 0, 0, 0, 0); SSTORE(0, result).
        let code = "6000600060006000600030" + "5a" + "f1" + "600055" + "00"
        let (outcome, _) = try Self.run(code, gas: 30_000_000)
        #expect(outcome.status == .success)
    }

    @Test func staticCallCannotWrite() throws {
        // Inner: SSTORE(0, 1). Outer: STATICCALL(gas, inner) and return the success flag.
        let inner = try Address(hex: "0x3000000000000000000000000000000000000003")
        let outcome = try EVMThread.run {
            let runner = CodeRunner()
            runner.install(code: try! Hex.decode("600160005500"), at: inner)
            runner.install(code: try! Hex.decode("6000600060006000733000000000000000000000000000000000000003" + "5a" + "fa" + "60005260206000f3"), at: Self.target)
            return try runner.call(Self.target, input: [], gas: 1_000_000)
        }.get()
        #expect(outcome.status == .success)
        #expect(Self.word(outcome) == .zero)
    }

    @Test func creationRejectsCodeStartingWithEF() throws {
        // Initcode returning one byte 0xEF: the deployment fails (EIP-3541).
        let outcome = try EVMThread.run {
            let runner = CodeRunner()
            return try runner.deploy(initCode: try! Hex.decode("60ef60005360016000f3"), gas: 1_000_000)
        }.get()
        #expect(outcome.status == .halted(.invalidContractPrefix))
        let ok = try EVMThread.run {
            try CodeRunner().deploy(initCode: try! Hex.decode("60fe60005360016000f3"), gas: 1_000_000)
        }.get()
        #expect(ok.status == .success)
    }

    @Test func returnDataCopyOutOfBoundsHalts() throws {
        let (outcome, _) = try Self.run("6001600060003e")  // RETURNDATACOPY(0, 0, 1) with no return data
        #expect(outcome.status == .halted(.returnDataOutOfBounds))
    }

    @Test func invalidTransactionsChangeNothing() throws {
        let runner = CodeRunner()
        #expect(throws: InvalidTransaction.self) { try runner.call(Self.target, input: [], gas: 20_000) }
        #expect(throws: InvalidTransaction.self) { try runner.deploy(initCode: [UInt8](repeating: 0, count: 49153), gas: 30_000_000) }
    }
}

extension EVMThread {
    /// Runs a throwing body on the large-stack thread.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Result<T, any Error> {
        run { () -> Result<T, any Error> in Result { try body() } }
    }
}

/// Random bytecode, biased toward real opcodes and extreme operands: every program ends in a
/// result or a clear halt, never a trap, and the gas accounting stays within the limit.
@Suite struct EVMRandomBytecodeTests {
    static let extremes: [String] = [
        String(repeating: "ff", count: 32), "80" + String(repeating: "00", count: 31), String(repeating: "00", count: 32),
        String(repeating: "00", count: 28) + "ffffffff", String(repeating: "00", count: 31) + "20",
        String(repeating: "00", count: 24) + "ffffffffffffffff", String(repeating: "00", count: 31) + "01",
    ]

    static let defined: [UInt8] = Array(0x00...0x0b) + Array(0x10...0x1d) + [0x20] + Array(0x30...0x4a)
        + Array(0x50...0x5f) + Array(0x80...0x9f) + Array(0xa0...0xa4) + [0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xfa, 0xfd, 0xff]

    @Test func randomProgramsNeverTrap() throws {
        let outcomes = try EVMThread.run { () -> [String: Int] in
            var rng = SplitMix64(seed: 0xE7A)
            var counts: [String: Int] = [:]
            let runner = CodeRunner()
            let target = EVMInterpreterTests.target
            for _ in 0..<20_000 {
                var code: [UInt8] = []
                let length = Int(rng.next() % 64) + 1
                for _ in 0..<length {
                    switch rng.next() % 6 {
                    case 0:  // a PUSH32 of an extreme value
                        code.append(0x7f)
                        code += try! Hex.decode(Self.extremes[Int(rng.next() % UInt64(Self.extremes.count))])
                    case 1:  // a small PUSH1
                        code += [0x60, UInt8(truncatingIfNeeded: rng.next() % 64)]
                    case 2:  // any byte
                        code.append(UInt8(truncatingIfNeeded: rng.next()))
                    default:  // a defined opcode (calls and creates included)
                        code.append(Self.defined[Int(rng.next() % UInt64(Self.defined.count))])
                    }
                }
                runner.install(code: code, at: target)
                let input = rng.bytes(Int(rng.next() % 80))
                let outcome = try runner.call(target, input: input, gas: 2_000_000)
                #expect(outcome.gasUsed <= 2_000_000)
                let key: String
                switch outcome.status {
                case .success: key = "success"
                case .reverted: key = "reverted"
                case .halted(let reason): key = reason.rawValue
                }
                counts[key, default: 0] += 1
            }
            return counts
        }.get()
        print("random bytecode outcomes:", outcomes.sorted { $0.key < $1.key })
        #expect(outcomes.values.reduce(0, +) == 20_000)
        #expect(outcomes.count >= 4, "the programs reach several kinds of ending")
    }
}
