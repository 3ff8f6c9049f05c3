import MotePrimitives
import Testing

/// Decoding data built to break the decoder: every case must throw, never crash or allocate big.
@Suite struct ABIHostileInputTests {
    private func expectError(_ kind: ABIError.Kind, _ types: [ABIType], _ data: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: ABIError(kind), sourceLocation: sourceLocation) { try ABI.decode(types, from: data) }
    }

    private let ffff = String(repeating: "f", count: 64)

    @Test func offsetPointingPastTheEnd() {
        expectError(.offsetOutOfRange(at: 0), [.bytes], abiWords("1000"))
        expectError(.offsetOutOfRange(at: 0), [.bytes], abiWords(ffff))
        expectError(.offsetOutOfRange(at: 0), [.string], abiWords("21"))
        // Exactly at the end: in range, but there is no length word there.
        expectError(.truncated(at: 32, needed: 32, available: 0), [.bytes], abiWords("20"))
        // Inside a nested array.
        expectError(.offsetOutOfRange(at: 64), [.array(.bytes)], abiWords("20", "1", "1000"))
    }

    @Test func hugeLengths() {
        expectError(.lengthOutOfRange(at: 32), [.bytes], abiWords("20", "8" + String(repeating: "0", count: 63)))
        expectError(.lengthOutOfRange(at: 32), [.bytes], abiWords("20", ffff))
        expectError(.lengthOutOfRange(at: 32), [.bytes], abiWords("20", "40", "0"))
        expectError(.lengthOutOfRange(at: 32), [.array(.uint(256))], abiWords("20", "8" + String(repeating: "0", count: 63)))
        expectError(.lengthOutOfRange(at: 32), [.array(.uint(256))], abiWords("20", "ffffffffffffffff"))
        // A length no bigger than the data, but more elements than the bytes left can hold.
        expectError(.lengthOutOfRange(at: 32), [.array(.uint(256))], abiWords("20", "3", "1", "2"))
        expectError(.lengthOutOfRange(at: 32), [.array(.tuple([.uint(256), .uint(256)]))], abiWords("20", "2", "1", "2", "3"))
        // Nested: the outer array is honest, the inner one claims 2^40 elements.
        expectError(.lengthOutOfRange(at: 96), [.array(.array(.uint(8)))], abiWords("20", "1", "20", "10000000000"))
    }

    @Test func missingBytesAndPadding() {
        // Length 3 with its padding word absent.
        expectError(.lengthOutOfRange(at: 32), [.bytes], abiWords("20", "3") + [0x61, 0x62, 0x63])
        // Non-zero padding after bytes, string and bytes<M>.
        expectError(.nonZeroPadding(at: 67), [.bytes], abiWords("20", "3", "61626300000000000000000000000000000000000000000000000000000000ff"))
        expectError(.nonZeroPadding(at: 65), [.string], abiWords("20", "1", "61" + String(repeating: "0", count: 60) + "01"))
        expectError(.nonZeroPadding(at: 3), [.fixedBytes(3)], abiWords("6162630000000000000000000000000000000000000000000000000000000001"))
    }

    @Test func wordsOutOfRangeForTheirType() throws {
        expectError(.invalidWord("bool", at: 0), [.bool], abiWords("2"))
        expectError(.invalidWord("bool", at: 32), [.uint(8), .bool], abiWords("1", ffff))
        expectError(.invalidWord("uint8", at: 0), [.uint(8)], abiWords("100"))
        expectError(.invalidWord("uint248", at: 0), [.uint(248)], abiWords("01" + String(repeating: "0", count: 62)))
        expectError(.invalidWord("int8", at: 0), [.int(8)], abiWords("80"))
        expectError(.invalidWord("int8", at: 0), [.int(8)], abiWords(String(repeating: "f", count: 62) + "7f"))
        expectError(.invalidWord("address", at: 0), [.address], abiWords("1" + String(repeating: "0", count: 40)))
        expectError(.invalidWord("address", at: 0), [.address], abiWords(ffff))
        #expect(try ABI.decode([.address], from: abiWords(String(repeating: "f", count: 40)))[0].addressValue?.hex == "0x" + String(repeating: "f", count: 40))
    }

    @Test func invalidUTF8IsRejected() throws {
        expectError(.invalidUTF8(at: 32), [.string], abiWords("20", "2", "c328" + String(repeating: "0", count: 60)))
        expectError(.invalidUTF8(at: 32), [.string], abiWords("20", "1", "ff" + String(repeating: "0", count: 62)))
        // Bytes are not UTF-8 checked.
        #expect(try ABI.decode([.bytes], from: abiWords("20", "1", "ff" + String(repeating: "0", count: 62))) == [.bytes([0xff])])
    }

    @Test func truncatedHeads() {
        expectError(.truncated(at: 0, needed: 64, available: 63), [.uint(256), .uint(256)], [UInt8](repeating: 0, count: 63))
        expectError(.truncated(at: 0, needed: 32, available: 0), [.bool], [])
        expectError(.truncated(at: 0, needed: 96, available: 64), [.fixedArray(.uint(256), 3)], abiWords("1", "2"))
    }

    @Test func hugeStaticTypesDoNotOverflow() {
        let cases: [ABIType] = [
            .fixedArray(.uint(256), Int.max), .fixedArray(.fixedArray(.uint(8), 1 << 40), 1 << 40),
            .fixedArray(.bytes, Int.max), .fixedArray(.string, 1 << 40),
        ]
        for type in cases {
            #expect(throws: ABIError.self, "\(type)") { try ABI.decode([type], from: abiWords("20", "0", "0")) }
            #expect(throws: ABIError.self, "\(type)") { try ABI.decode([.array(type)], from: abiWords("20", "1", "20", "0")) }
        }
    }

    /// Many offsets aliasing one tail would decode to far more elements than the input holds.
    @Test func aliasedTailsHitTheElementLimit() throws {
        // uint256[][]: 300 offsets all pointing at the same 300-element array.
        let n = 300
        var words: [String] = ["20", String(n, radix: 16)]
        words += Array(repeating: String(32 * n, radix: 16), count: n)
        words += [String(n, radix: 16)] + Array(repeating: "1", count: n)
        let data = words.flatMap { abiWords($0) }
        #expect(throws: ABIError(.tooManyElements(limit: data.count + 64))) {
            try ABI.decode([.array(.array(.uint(256)))], from: data)
        }
        // bytes[]: 100 offsets at the same 3,200-byte value.
        var bytesWords: [String] = ["20", "64"] + Array(repeating: String(32 * 100, radix: 16), count: 100)
        bytesWords += [String(3200, radix: 16)] + Array(repeating: "ab", count: 100)
        let bytesData = bytesWords.flatMap { abiWords($0) }
        #expect(throws: ABIError(.tooManyElements(limit: bytesData.count + 64))) {
            try ABI.decode([.array(.bytes)], from: bytesData)
        }
        // Exponential nesting: each level has two offsets to the same next level.
        var deepType = ABIType.uint(256)
        var level = abiWords("2", "1", "1")  // uint256[] of two ones, at its own start
        for _ in 0..<20 {
            deepType = .array(deepType)
            // Length 2, two offsets (relative to the element area) to the previous level right after.
            level = abiWords("2", "40", "40") + level
        }
        let deepData = abiWords("20") + level
        #expect(throws: ABIError.self) { try ABI.decode([.array(deepType)], from: deepData) }
    }

    @Test func honestLargeInputsStayWithinTheLimit() throws {
        // The element limit never trips on canonical encodings: 31 nested one-element arrays.
        var type = ABIType.uint(8)
        var value = ABIValue.uint(1)
        for _ in 0..<(ABIType.maxDepth - 2) {
            type = .fixedArray(type, 1)
            value = .array([value])
        }
        let many = ABIValue.array(Array(repeating: value, count: 1000))
        let data = try ABI.encode([many], as: [.array(type)])
        #expect(try ABI.decode([.array(type)], from: data, canonical: true) == [many])
        let strings = ABIValue.array(Array(repeating: .string(String(repeating: "x", count: 100)), count: 500))
        #expect(try ABI.decode([.array(.string)], from: ABI.encode([strings], as: [.array(.string)])) == [strings])
    }
}
