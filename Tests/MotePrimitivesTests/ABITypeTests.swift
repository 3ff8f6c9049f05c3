import MotePrimitives
import Testing

@Suite struct ABITypeTests {
    @Test(arguments: [
        ("uint256", "uint256"), ("uint", "uint256"), ("int", "int256"), ("uint8", "uint8"),
        ("int72", "int72"), ("address", "address"), ("bool", "bool"), ("bytes", "bytes"),
        ("string", "string"), ("bytes1", "bytes1"), ("bytes32", "bytes32"), ("uint[]", "uint256[]"),
        ("int[3][]", "int256[3][]"), ("(address,uint256[])[2]", "(address,uint256[])[2]"),
        ("(uint,(bool,string)[])", "(uint256,(bool,string)[])"), ("((((bytes4))))", "((((bytes4))))"),
        ("string[999999999]", "string[999999999]"),
    ])
    func parsesCanonicalNames(text: String, canonical: String) throws {
        let type = try ABIType(text)
        #expect(type.canonicalName == canonical)
        #expect(try ABIType(canonical) == type)
    }

    @Test func parsesStructure() throws {
        #expect(try ABIType("(address,uint256[])[2]") == .fixedArray(.tuple([.address, .array(.uint(256))]), 2))
        #expect(try ABIType("bytes10") == .fixedBytes(10))
        #expect(try ABIType("int") == .int(256))
        #expect(try ABIType.parseList("()") == [])
        #expect(try ABIType.parseList("(uint,bytes)") == [.uint(256), .bytes])
        #expect(throws: ABIError.self) { try ABIType.parseList("(uint)[]") }
    }

    @Test(arguments: [
        "", "uint7", "uint0", "uint264", "uint08", "int1", "bytes0", "bytes33", "bytes01", "foo",
        "(", ")", "()", "(uint256,)", "(,uint256)", "uint256[0]", "uint256[", "uint256]", "uint256[01]",
        "uint256 ", " uint256", "uint256[-1]", "fixed128x18", "ufixed", "function", "tuple", "(uint256))",
        "uint256[1000000000]", "UINT256", "bytes32x", "uint256[][", "((uint256)", "uint99999999999999999999",
    ])
    func rejectsMalformed(text: String) {
        #expect(throws: ABIError.self) { try ABIType(text) }
    }

    @Test func rejectsDeepNestingWithoutCrashing() {
        let parens = String(repeating: "(", count: 100_000) + "uint256" + String(repeating: ")", count: 100_000)
        #expect(throws: ABIError(.tooDeep(limit: ABIType.maxDepth))) { try ABIType(parens) }
        let brackets = "uint256" + String(repeating: "[]", count: 100_000)
        #expect(throws: ABIError(.tooDeep(limit: ABIType.maxDepth))) { try ABIType(brackets) }
        let justDeepEnough = "uint256" + String(repeating: "[]", count: ABIType.maxDepth - 1)
        #expect(throws: Never.self) { try ABIType(justDeepEnough) }
        #expect(throws: ABIError.self) { try ABIType(justDeepEnough + "[]") }
        let mixed = String(repeating: "(", count: 16) + "uint" + String(repeating: ")[]", count: 16)
        #expect(throws: ABIError.self) { try ABIType(mixed) }
    }

    @Test func dynamicness() throws {
        for text in ["bytes", "string", "uint256[]", "bytes[2]", "(uint256,string)", "(uint256,(bool[]))[3]"] {
            #expect(try ABIType(text).isDynamic, "\(text)")
        }
        for text in ["uint256", "address", "bool", "bytes32", "uint8[4]", "(uint256,bool)", "(address,(bytes4)[2])[3]"] {
            #expect(try !ABIType(text).isDynamic, "\(text)")
        }
    }

    @Test func handBuiltInvalidTypesAreRejectedWhenUsed() {
        let bad: [ABIType] = [
            .uint(7), .int(0), .uint(264), .fixedBytes(0), .fixedBytes(33), .tuple([]),
            .fixedArray(.bool, 0), .fixedArray(.bool, -1), .array(.tuple([])),
        ]
        for type in bad {
            #expect(throws: ABIError.self) { try ABI.encode([.bool(true)], as: [type]) }
            #expect(throws: ABIError.self) { try ABI.decode([type], from: [UInt8](repeating: 0, count: 64)) }
        }
        var deep = ABIType.bool
        for _ in 0..<40 { deep = .array(deep) }
        #expect(throws: ABIError(.tooDeep(limit: ABIType.maxDepth))) { try ABI.decode([deep], from: []) }
    }

    @Test func errorsDescribeThemselves() {
        do {
            _ = try ABIType("uint7")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("uint7"))
        }
    }
}
