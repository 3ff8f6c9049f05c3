import MotePrimitives
import Testing

/// Bytes from 32-byte words written as hex (each padded on the left to 64 digits).
func abiWords(_ words: String...) -> [UInt8] {
    words.flatMap { word -> [UInt8] in
        let digits = String(repeating: "0", count: 64 - word.count) + word
        return try! [UInt8](hex: digits)
    }
}

/// A word with `text` left-aligned (for `bytes<M>` and string contents).
func abiLeft(_ text: String) -> String {
    let hex = Hex.encode(Array(text.utf8), prefix: false)
    return hex + String(repeating: "0", count: 64 - hex.count)
}

@Suite struct ABICodecTests {
    private func check(_ types: [String], _ values: [ABIValue], _ expected: [UInt8]) throws {
        let parsed = try types.map { try ABIType($0) }
        let encoded = try ABI.encode(values, as: parsed)
        #expect(encoded.hexString == expected.hexString)
        #expect(try ABI.decode(parsed, from: expected) == values)
        #expect(try ABI.decode(parsed, from: expected, canonical: true) == values)
    }

    // Examples from the Solidity ABI specification (arguments only; selectors are in MoteCryptoTests).

    @Test func specBaz() throws {
        try check(["uint32", "bool"], [.uint(69), .bool(true)], abiWords("45", "1"))
    }

    @Test func specBar() throws {
        try check(
            ["bytes3[2]"], [.array([.fixedBytes(Array("abc".utf8)), .fixedBytes(Array("def".utf8))])],
            abiWords(abiLeft("abc"), abiLeft("def")))
    }

    @Test func specSam() throws {
        try check(
            ["bytes", "bool", "uint256[]"],
            [.bytes(Array("dave".utf8)), .bool(true), .array([.uint(1), .uint(2), .uint(3)])],
            abiWords("60", "1", "a0", "4", abiLeft("dave"), "3", "1", "2", "3"))
    }

    @Test func specF() throws {
        try check(
            ["uint", "uint32[]", "bytes10", "bytes"],
            [.uint(0x123), .array([.uint(0x456), .uint(0x789)]), .fixedBytes(Array("1234567890".utf8)),
             .bytes(Array("Hello, world!".utf8))],
            abiWords("123", "80", abiLeft("1234567890"), "e0", "2", "456", "789", "d", abiLeft("Hello, world!")))
    }

    @Test func specG() throws {
        try check(
            ["uint[][]", "string[]"],
            [.array([.array([.uint(1), .uint(2)]), .array([.uint(3)])]),
             .array([.string("one"), .string("two"), .string("three")])],
            abiWords(
                "40", "140", "2", "40", "a0", "2", "1", "2", "1", "3",
                "3", "60", "a0", "e0", "3", abiLeft("one"), "3", abiLeft("two"), "5", abiLeft("three")))
    }

    @Test func dynamicTupleInsideStaticArray() throws {
        // (uint256,string)[2]: the fixed array is dynamic, so it sits behind an offset and its
        // elements are themselves offsets.
        try check(
            ["(uint256,string)[2]"],
            [.array([.tuple([.uint(1), .string("a")]), .tuple([.uint(2), .string("b")])])],
            abiWords("20", "40", "c0", "1", "40", "1", abiLeft("a"), "2", "40", "1", abiLeft("b")))
    }

    @Test func emptyValues() throws {
        try check(["bytes", "string", "uint8[]"], [.bytes([]), .string(""), .array([])], abiWords("60", "80", "a0", "0", "0", "0"))
        try check([], [], [])
    }

    @Test func longBytesArePaddedPerWord() throws {
        let payload = [UInt8](repeating: 0xab, count: 33)
        let encoded = try ABI.encode([.bytes(payload)], as: [.bytes])
        #expect(encoded.count == 32 + 32 + 64)
        #expect(Array(encoded[64..<97]) == payload)
        #expect(encoded[97...].allSatisfy { $0 == 0 })
    }

    @Test func signedIntegers() throws {
        #expect(try ABI.encode([.int(-1)], as: [.int(8)]) == [UInt8](repeating: 0xff, count: 32))
        #expect(try ABI.encode([.int(-128)], as: [.int(8)]) == abiWords(String(repeating: "f", count: 62) + "80"))
        #expect(try ABI.encode([.int(127)], as: [.int(8)]) == abiWords("7f"))
        #expect(try ABI.decode([.int(8)], from: abiWords(String(repeating: "f", count: 62) + "80")) == [.int(-128)])
        #expect(ABIValue.int(-5).signedMagnitude! == (true, 5))
        #expect(ABIValue.int(Int.min).signedMagnitude! == (true, UInt256(UInt64(1) << 63)))
        let min256 = ABIValue.int(negative: true, magnitude: UInt256.one << 255)!
        #expect(min256 == .int(UInt256.one << 255))
        #expect(ABIValue.int(negative: true, magnitude: (UInt256.one << 255) + 1) == nil)
        #expect(ABIValue.int(negative: false, magnitude: UInt256.one << 255) == nil)
        #expect(try ABI.decode([.int(256)], from: ABI.encode([min256], as: [.int(256)])) == [min256])
        #expect(ABIValue.int(-42).description == "-42")
    }

    @Test func encodingValidatesValues() {
        let cases: [(ABIType, ABIValue)] = [
            (.uint(8), .uint(256)),
            (.uint(248), .uint(UInt256.max)),
            (.int(8), .int(128)),
            (.int(8), .int(-129)),
            (.int(16), .uint(1)),
            (.uint(256), .int(1)),
            (.fixedBytes(4), .fixedBytes([1, 2, 3, 4, 5])),
            (.fixedBytes(4), .bytes([1, 2, 3, 4])),
            (.fixedArray(.bool, 2), .array([.bool(true)])),
            (.fixedArray(.bool, 2), .tuple([.bool(true), .bool(false)])),
            (.tuple([.bool, .bool]), .tuple([.bool(true)])),
            (.array(.uint(8)), .array([.uint(1), .uint(300)])),
            (.string, .bytes([])),
            (.address, .uint(1)),
            (.array(.string), .array([.string("ok"), .bytes([])])),
        ]
        for (type, value) in cases {
            #expect(throws: ABIError.self, "\(type) \(value)") { try ABI.encode([value], as: [type]) }
        }
        #expect(throws: ABIError.self) { try ABI.encode([.bool(true)], as: [.bool, .bool]) }
    }

    @Test func valueAccessors() throws {
        let address = try Address(hex: "0x00000000000000000000000000000000000000ff")
        let values = try ABI.decode(
            [.address, .uint(256), .bool, .string, .bytes, .tuple([.bool])],
            from: ABI.encode(
                [.address(address), .uint(7), .bool(true), .string("hi"), .bytes([1]), .tuple([.bool(false)])],
                as: [.address, .uint(256), .bool, .string, .bytes, .tuple([.bool])]))
        #expect(values[0].addressValue == address)
        #expect(values[1].uintValue == 7)
        #expect(values[2].boolValue == true)
        #expect(values[3].stringValue == "hi")
        #expect(values[4].bytesValue == [1])
        #expect(values[5].elements == [.bool(false)])
        #expect(values[0].uintValue == nil)
    }

    @Test func canonicalModeRejectsOtherLayouts() throws {
        let types: [ABIType] = [.bytes]
        let canonical = abiWords("20", "3", abiLeft("abc"))
        #expect(try ABI.decode(types, from: canonical, canonical: true) == [.bytes(Array("abc".utf8))])
        // A gap before the tail: accepted normally, rejected in canonical mode.
        let gapped = abiWords("40", "0", "3", abiLeft("abc"))
        #expect(try ABI.decode(types, from: gapped) == [.bytes(Array("abc".utf8))])
        #expect(throws: ABIError(.nonCanonical)) { try ABI.decode(types, from: gapped, canonical: true) }
        // Trailing bytes likewise.
        let trailing = canonical + [0]
        #expect(try ABI.decode(types, from: trailing) == [.bytes(Array("abc".utf8))])
        #expect(throws: ABIError(.nonCanonical)) { try ABI.decode(types, from: trailing, canonical: true) }
    }
}
