import MotePrimitives
import Testing

/// SplitMix64: a tiny, seeded, deterministic generator for property tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Random ABI types and values.
struct ABIGenerator {
    var rng: SplitMix64

    mutating func type(depth: Int = 1, maxDepth: Int = 4) -> ABIType {
        let leaf = depth >= maxDepth
        switch rng.below(leaf ? 7 : 10) {
        case 0: return .uint(8 * (1 + rng.below(32)))
        case 1: return .int(8 * (1 + rng.below(32)))
        case 2: return .address
        case 3: return .bool
        case 4: return .fixedBytes(1 + rng.below(32))
        case 5: return .bytes
        case 6: return .string
        case 7: return .array(type(depth: depth + 1, maxDepth: maxDepth))
        case 8: return .fixedArray(type(depth: depth + 1, maxDepth: maxDepth), 1 + rng.below(3))
        default: return .tuple((0...rng.below(3)).map { _ in type(depth: depth + 1, maxDepth: maxDepth) })
        }
    }

    mutating func word() -> UInt256 {
        switch rng.below(4) {
        case 0: return UInt256(UInt64(rng.below(3)))
        case 1: return .max
        default: return UInt256(limbs: rng.next(), rng.next(), rng.next(), rng.next())
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }

    mutating func value(_ type: ABIType) -> ABIValue {
        switch type {
        case .uint(let bits):
            return .uint(word() >> (256 - bits))
        case .int(let bits):
            var v = word() >> (256 - bits)  // a random `bits`-bit pattern, then sign-extend it
            if bits < 256, v.bit(bits - 1) { v = v | (UInt256.max << bits) }
            return .int(v)
        case .address: return .address(Address(bytes: bytes(20))!)
        case .bool: return .bool(rng.below(2) == 1)
        case .fixedBytes(let n): return .fixedBytes(bytes(n))
        case .bytes: return .bytes(bytes(rng.below(4) == 0 ? 0 : rng.below(70)))
        case .string:
            let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "é", "ß", "€", "中", "😀", "\u{301}", "\u{0}"]
            return .string(String(String.UnicodeScalarView((0..<rng.below(20)).map { _ in pool[rng.below(pool.count)] })))
        case .array(let element): return .array((0..<rng.below(4)).map { _ in value(element) })
        case .fixedArray(let element, let k): return .array((0..<k).map { _ in value(element) })
        case .tuple(let components): return .tuple(components.map { value($0) })
        }
    }
}

@Suite struct ABIPropertyTests {
    @Test func randomValuesRoundTrip() throws {
        var gen = ABIGenerator(rng: SplitMix64(seed: 0xAB1_5EED))
        let iterations = 1000
        var bytesSeen = 0
        for i in 0..<iterations {
            let types = (0..<gen.rng.below(4)).map { _ in gen.type() }
            let values = types.map { gen.value($0) }
            let encoded = try ABI.encode(values, as: types)
            #expect(encoded.count % 32 == 0)
            let decoded = try ABI.decode(types, from: encoded, canonical: true)
            #expect(decoded == values, "iteration \(i): \(types)")
            #expect(try ABI.encode(decoded, as: types) == encoded, "iteration \(i)")
            // Each type's canonical name parses back to the same type.
            for type in types { #expect(try ABIType(type.canonicalName) == type) }
            bytesSeen += encoded.count
        }
        print("ABI round-trips: \(iterations) passed (\(bytesSeen) bytes encoded)")
    }

    /// Random words biased towards small numbers and plausible offsets, for every kind of type.
    @Test func randomBytesNeverCrash() throws {
        var gen = ABIGenerator(rng: SplitMix64(seed: 0xF022))
        var fixed: [[ABIType]] = [
            [.uint(8)], [.bool], [.address], [.bytes], [.string], [.fixedBytes(4)], [.array(.uint(256))],
            [.array(.bytes)], [.array(.array(.uint(8)))], [.fixedArray(.string, 3)],
            [.tuple([.uint(256), .array(.string)]), .bytes], [.array(.tuple([.bool, .bytes]))],
        ]
        for _ in 0..<40 { fixed.append([gen.type(maxDepth: 5)]) }
        var accepted = 0, rejected = 0
        let attempts = 6000
        for i in 0..<attempts {
            let types = fixed[i % fixed.count]
            let wordCount = gen.rng.below(14)
            var data: [UInt8] = []
            for _ in 0..<wordCount {
                switch gen.rng.below(6) {
                case 0: data += abiWords(String(32 * gen.rng.below(wordCount + 2), radix: 16))
                case 1: data += abiWords(String(gen.rng.below(4), radix: 16))
                case 2: data += gen.bytes(32)
                case 3: data += abiWords(String(gen.rng.below(100), radix: 16))
                case 4: data += gen.word().bigEndianBytes
                default: data += [UInt8](repeating: 0, count: 32)
                }
            }
            if gen.rng.below(4) == 0, !data.isEmpty { data.removeLast(gen.rng.below(min(data.count, 40))) }
            if gen.rng.below(8) == 0 { data = gen.bytes(gen.rng.below(200)) }
            if let values = try? ABI.decode(types, from: data) {
                accepted += 1
                // Whatever decodes must be valid: it re-encodes and decodes back canonically.
                let again = try? ABI.encode(values, as: types)
                #expect(again != nil, "\(types) \(data.hexString)")
                if let again { #expect(try ABI.decode(types, from: again, canonical: true) == values) }
            } else {
                rejected += 1
            }
        }
        print("ABI random inputs: \(attempts) decoded without crashing (\(accepted) accepted, \(rejected) rejected)")
    }

    /// Valid encodings with a few bytes or words corrupted.
    @Test func mutatedEncodingsNeverCrash() throws {
        var gen = ABIGenerator(rng: SplitMix64(seed: 0x3117A7E))
        let attempts = 3000
        var rejected = 0
        for _ in 0..<attempts {
            let types = (0..<(1 + gen.rng.below(3))).map { _ in gen.type() }
            var data = try ABI.encode(types.map { gen.value($0) }, as: types)
            guard !data.isEmpty else { continue }
            for _ in 0...gen.rng.below(3) where !data.isEmpty {
                let at = gen.rng.below(data.count)
                switch gen.rng.below(4) {
                case 0: data[at] = UInt8(truncatingIfNeeded: gen.rng.next())
                case 1: data[at] ^= 1
                case 2:
                    let word = at / 32 * 32
                    if word + 32 <= data.count { data.replaceSubrange(word..<word + 32, with: gen.word().bigEndianBytes) }
                default: data.removeLast(min(data.count, 1 + gen.rng.below(64)))
                }
            }
            if let values = try? ABI.decode(types, from: data) {
                #expect(throws: Never.self) { try ABI.encode(values, as: types) }
            } else {
                rejected += 1
            }
        }
        print("ABI mutated inputs: \(attempts) decoded without crashing (\(rejected) rejected)")
    }
}
