import Foundation
import MoteTestSupport
import Testing

@testable import MoteTrie

/// ethereum/tests TrieTests: every case must reproduce its root.
@Suite struct TrieConformanceTests {
    /// The `in` of a case as (key, value) pairs, value nil for a delete.
    static func pairs(_ input: Any) throws -> [([UInt8], [UInt8]?)] {
        if let list = input as? [[Any]] {
            return try list.map { pair in
                (try TrieTestSupport.bytes(try #require(pair[0] as? String)),
                 try (pair[1] as? String).map(TrieTestSupport.bytes))
            }
        }
        let object = try #require(input as? [String: Any])
        return try object.sorted { $0.key < $1.key }.map { key, value in
            (try TrieTestSupport.bytes(key), try (value as? String).map(TrieTestSupport.bytes))
        }
    }

    static func root(of pairs: [([UInt8], [UInt8]?)], secure: Bool) throws -> String {
        if secure {
            var trie = SecureTrie()
            for (key, value) in pairs { try trie.set(key, value ?? []) }
            return trie.rootHash.hex
        }
        var trie = MerklePatriciaTrie()
        for (key, value) in pairs { try trie.set(key, value ?? []) }
        return trie.rootHash.hex
    }

    /// Runs every case of `file`; for unordered inputs, also in `shuffles` other orders.
    func run(_ file: String, secure: Bool, shuffles: Int = 0, expectedCases: Int) throws {
        let cases = try #require(try Vectors.json("TrieTests/\(file)") as? [String: [String: Any]])
        var passed = 0
        var rng = SplitMix64(seed: 42)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let expected = try #require(c["root"] as? String)
            let input = try Self.pairs(try #require(c["in"]))
            #expect(try Self.root(of: input, secure: secure) == expected, "\(file) \(name)")
            for _ in 0..<shuffles {
                let order = input.shuffled(using: &rng)
                #expect(try Self.root(of: order, secure: secure) == expected, "\(file) \(name) shuffled")
            }
            passed += 1
        }
        #expect(passed == expectedCases)
        print("TrieTests \(file): \(passed) passed")
    }

    @Test func trietest() throws { try run("trietest.json", secure: false, expectedCases: 5) }
    @Test func trieanyorder() throws { try run("trieanyorder.json", secure: false, shuffles: 8, expectedCases: 7) }
    @Test func trietestSecure() throws { try run("trietest_secureTrie.json", secure: true, expectedCases: 3) }
    @Test func trieanyorderSecure() throws {
        try run("trieanyorder_secureTrie.json", secure: true, shuffles: 8, expectedCases: 7)
    }
    @Test func hexEncodedSecure() throws {
        try run("hex_encoded_securetrie_test.json", secure: true, shuffles: 8, expectedCases: 3)
    }

    @Test func emptyTrieRoot() {
        var trie = MerklePatriciaTrie()
        #expect(trie.rootHash.hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(MerklePatriciaTrie.emptyRoot == trie.rootHash)
        #expect(trie.commit().nodes.isEmpty)
    }
}
