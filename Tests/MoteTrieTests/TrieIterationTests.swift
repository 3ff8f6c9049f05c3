import MoteTestSupport
import Testing

@testable import MoteTrie

/// In-order iteration, and TrieTests/trietestnextprev.json built on it.
@Suite struct TrieIterationTests {
    static func entries(_ trie: MerklePatriciaTrie) throws -> [([UInt8], [UInt8])] {
        var out: [([UInt8], [UInt8])] = []
        try trie.forEach { key, value in
            out.append((key, value))
            return true
        }
        return out
    }

    @Test func iteratesInKeyOrder() throws {
        var rng = SplitMix64(seed: 51)
        for _ in 0..<20 {
            var trie = MerklePatriciaTrie()
            var model: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<Int(rng.next() % 150) {
                let key = MerklePatriciaTrieTests.denseKey(&rng)
                let value = MerklePatriciaTrieTests.value(&rng)
                try trie.set(key, value)
                model[key] = value
            }
            let expected = model.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            let got = try Self.entries(trie)
            #expect(got.map(\.0) == expected.map(\.key))
            #expect(got.map(\.1) == expected.map(\.value))
            // Also through a store, where nodes load lazily.
            let (root, nodes) = trie.commit()
            let store = InMemoryTrieNodeStore()
            store.write(nodes)
            #expect(try Self.entries(MerklePatriciaTrie(root: root, source: store)).map(\.0) == expected.map(\.key))
        }
    }

    @Test func nextPrevVectors() throws {
        let cases = try #require(try Vectors.json("TrieTests/trietestnextprev.json") as? [String: [String: Any]])
        var passed = 0
        for (name, c) in cases {
            var trie = MerklePatriciaTrie()
            for key in try #require(c["in"] as? [String]) { try trie.set(Array(key.utf8), Array(key.utf8)) }
            let keys = try Self.entries(trie).map(\.0)
            for probe in try #require(c["tests"] as? [[String]]) {
                let target = Array(probe[0].utf8)
                let previous = keys.last { $0.lexicographicallyPrecedes(target) } ?? []
                let next = keys.first { target.lexicographicallyPrecedes($0) } ?? []
                #expect(previous == Array(probe[1].utf8) && next == Array(probe[2].utf8), "\(name) \(probe)")
                passed += 1
            }
        }
        print("TrieTests trietestnextprev.json: \(passed) probes passed")
    }
}
