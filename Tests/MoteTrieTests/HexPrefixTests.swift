import MoteTestSupport
import Testing

@testable import MoteTrie

/// BasicTests/hexencodetest.json and hex-prefix round trips.
@Suite struct HexPrefixTests {
    @Test func hexEncodeVectors() throws {
        let cases = try #require(try Vectors.json("BasicTests/hexencodetest.json") as? [String: [String: Any]])
        var passed = 0
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let sequence = try #require(c["seq"] as? [Int]).map { UInt8($0) }
            let isLeaf = try #require(c["term"] as? Bool)
            let expected = try [UInt8](hex: try #require(c["out"] as? String))
            #expect(HexPrefix.encode(sequence, isLeaf: isLeaf) == expected, "\(name)")
            let decoded = try HexPrefix.decode(expected)
            #expect(decoded.nibbles == sequence && decoded.isLeaf == isLeaf, "\(name) decodes back")
            passed += 1
        }
        #expect(passed == 12)
        print("BasicTests hexencodetest.json: \(passed) passed")
    }

    @Test func roundTripsAndRejectsBadFlags() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<1_000 {
            let nibbles = (0..<Int(rng.next() % 70)).map { _ in UInt8(rng.next() % 16) }
            let isLeaf = rng.next() & 1 == 1
            let decoded = try HexPrefix.decode(HexPrefix.encode(nibbles, isLeaf: isLeaf))
            #expect(decoded.nibbles == nibbles && decoded.isLeaf == isLeaf)
        }
        #expect(throws: TrieError.self) { try HexPrefix.decode([]) }
        #expect(throws: TrieError.self) { try HexPrefix.decode([0x40]) }  // unknown flag
        #expect(throws: TrieError.self) { try HexPrefix.decode([0x01, 0x23]) }  // even path, non-zero pad
        #expect(throws: TrieError.self) { try HexPrefix.decode([0x25]) }
    }
}
