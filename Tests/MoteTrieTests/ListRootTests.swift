import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTrie

/// The one-pass list root equals the general trie's root.
@Suite struct ListRootTests {
    @Test func matchesTheGeneralTrie() throws {
        var rng = SplitMix64(seed: 31)
        for count in [0, 1, 2, 15, 16, 17, 127, 128, 129, 300, 1_000] {
            let items = (0..<count).map { _ in rng.bytes(Int(rng.next() % 200) + (rng.next() % 4 == 0 ? 0 : 1)) }
            var trie = MerklePatriciaTrie()
            for (i, item) in items.enumerated() where !item.isEmpty { try trie.set(RLP.encode(.uint(UInt64(i))), item) }
            let nonEmpty = items.allSatisfy { !$0.isEmpty }
            if nonEmpty { #expect(MerklePatriciaTrie.listRoot(items) == trie.rootHash, "\(count) items") }
        }
        #expect(MerklePatriciaTrie.listRoot([]) == MerklePatriciaTrie.emptyRoot)
    }

    @Test func sortedRootMatchesForRandomKeys() throws {
        var rng = SplitMix64(seed: 32)
        for round in 0..<40 {
            var pairs: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<(1 + rng.next() % 200) {
                pairs[rng.bytes(Int(rng.next() % 6) + (round % 2 == 0 ? 32 : 0))] = rng.bytes(Int(rng.next() % 40) + 1)
            }
            var trie = MerklePatriciaTrie()
            for (key, value) in pairs { try trie.set(key, value) }
            let sorted = pairs.map { (key: $0.key, value: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            // Keys that are prefixes of others are fine too, as long as none is empty.
            if !pairs.keys.contains([]) { #expect(MerklePatriciaTrie.root(ofSorted: sorted) == trie.rootHash, "round \(round)") }
        }
    }
}
