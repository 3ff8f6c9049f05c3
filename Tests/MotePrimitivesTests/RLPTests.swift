import Foundation
import MoteTestSupport
import Testing

@testable import MotePrimitives

/// ethereum/tests RLPTests plus round-trip and hostile-input properties.
@Suite struct RLPTests {
    /// Converts a vector's `in` value to the item it describes (see vectors/SOURCES.md).
    func item(from json: Any) throws -> RLPItem {
        switch json {
        case let list as [Any]:
            return .list(try list.map(item(from:)))
        case let text as String where text.hasPrefix("#"):
            return .bytes(try #require(Self.bigDecimalBytes(String(text.dropFirst()))))
        case let text as String:
            return .bytes(Array(text.utf8))
        case let number as NSNumber:
            return .uint(number.uint64Value)
        default:
            throw RLPError(.expectedBytes)
        }
    }

    /// Big-endian minimal bytes of a decimal of any size.
    static func bigDecimalBytes(_ digits: String) -> [UInt8]? {
        var bytes: [UInt8] = []  // little-endian while building
        for c in digits.utf8 {
            guard c >= 0x30, c <= 0x39 else { return nil }
            var carry = UInt(c - 0x30)
            for i in bytes.indices {
                let v = UInt(bytes[i]) * 10 + carry
                bytes[i] = UInt8(v & 0xff)
                carry = v >> 8
            }
            while carry > 0 { bytes.append(UInt8(carry & 0xff)); carry >>= 8 }
        }
        return bytes.reversed()
    }

    @Test func validVectorsEncodeAndDecode() throws {
        let cases = try #require(try Vectors.json("RLPTests/rlptest.json") as? [String: [String: Any]])
        var passed = 0
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let expected = try [UInt8](hex: try #require(c["out"] as? String))
            let value = try item(from: try #require(c["in"]))
            #expect(RLP.encode(value) == expected, "\(name) encodes to out")
            #expect(try RLP.decode(expected) == value, "\(name) decodes back")
            #expect(value.encodedLength == expected.count)
            passed += 1
        }
        #expect(passed == 28)
        print("RLPTests rlptest.json: \(passed) passed")
    }

    @Test func invalidVectorsFailToDecode() throws {
        let cases = try #require(try Vectors.json("RLPTests/invalidRLPTest.json") as? [String: [String: Any]])
        var passed = 0
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let bytes = try [UInt8](hex: try #require(c["out"] as? String))
            #expect(throws: RLPError.self, "\(name) must be rejected") { try RLP.decode(bytes) }
            passed += 1
        }
        #expect(passed == 26)
        print("RLPTests invalidRLPTest.json: \(passed) passed")
    }

    @Test func randomVectorsDecodeAndReencode() throws {
        let cases = try #require(try Vectors.json("RLPTests/RandomRLPTests/example.json") as? [String: [String: Any]])
        for (_, c) in cases {
            let bytes = try [UInt8](hex: try #require(c["out"] as? String))
            #expect(RLP.encode(try RLP.decode(bytes)) == bytes)
        }
        print("RLPTests RandomRLPTests: \(cases.count) passed")
    }

    @Test func roundTripsRandomItems() throws {
        var rng = SplitMix64(seed: 7)
        func randomItem(depth: Int) -> RLPItem {
            if depth > 4 || rng.next() % 3 != 0 {
                let length = [0, 1, 1, 2, 55, 56, 57, 300][Int(rng.next() % 8)]
                return .bytes((0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
            return .list((0..<Int(rng.next() % 5)).map { _ in randomItem(depth: depth + 1) })
        }
        for _ in 0..<2_000 {
            let value = randomItem(depth: 0)
            let encoded = RLP.encode(value)
            #expect(try RLP.decode(encoded) == value)
            #expect(encoded.count == value.encodedLength)
        }
        print("RLP round-trips: 2000 passed")
    }

    @Test func randomBytesNeverCrashAndOnlyCanonicalDecodes() {
        var rng = SplitMix64(seed: 99)
        var decoded = 0
        for _ in 0..<50_000 {
            let length = Int(rng.next() % 64)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if let item = try? RLP.decode(bytes) {
                decoded += 1
                // Whatever decodes must be canonical: it re-encodes to the same bytes.
                #expect(RLP.encode(item) == bytes)
            }
        }
        #expect(decoded > 0)
    }

    @Test func rejectsDeepNestingAndHugeLengths() {
        let deep = [UInt8](repeating: 0xc1, count: 200) + [0x80]
        #expect(throws: RLPError.self) { try RLP.decode(deep) }
        #expect(throws: RLPError.self) { try RLP.decode([0xbf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }
        #expect(throws: RLPError.self) { try RLP.decode([0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }
    }

    @Test func integerAccessorsAreCanonical() throws {
        #expect(try RLPItem.bytes([]).uint64Value() == 0)
        #expect(try RLPItem.bytes([1, 0]).uint64Value() == 256)
        #expect(throws: RLPError.self) { try RLPItem.bytes([0, 1]).uint64Value() }
        #expect(throws: RLPError.self) { try RLPItem.bytes([UInt8](repeating: 1, count: 9)).uint64Value() }
        #expect(throws: RLPError.self) { try RLPItem.list([]).uint256Value() }
    }
}
