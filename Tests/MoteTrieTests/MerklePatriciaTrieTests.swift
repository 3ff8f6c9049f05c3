import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTrie

/// Property tests against a dictionary and against the Yellow Paper's definition of the root.
@Suite struct MerklePatriciaTrieTests {
    /// Keys from a tiny alphabet and short lengths, so that keys are often prefixes of each other
    /// and paths share long runs: every node shape and every collapse case comes up.
    static func denseKey(_ rng: inout SplitMix64) -> [UInt8] {
        let alphabet: [UInt8] = [0x00, 0x01, 0x10, 0x11, 0xff]
        return (0..<Int(rng.next() % 5)).map { _ in alphabet[Int(rng.next() % 5)] }
    }

    /// Values from 1 to 40 bytes, so nodes are both embedded and hashed.
    static func value(_ rng: inout SplitMix64) -> [UInt8] { TrieTestSupport.randomBytes(&rng, 1...40) }

    @Test func randomOperationsMatchDictionaryAndReference() throws {
        var passed = 0
        for seed in UInt64(1)...20 {
            var rng = SplitMix64(seed: seed)
            var trie = MerklePatriciaTrie()
            var model: [[UInt8]: [UInt8]] = [:]
            for step in 0..<400 {
                let key = Self.denseKey(&rng)
                switch rng.next() % 4 {
                case 0:
                    try trie.delete(key)
                    model[key] = nil
                case 1:
                    try trie.set(key, [])  // empty value deletes
                    model[key] = nil
                default:
                    let value = Self.value(&rng)
                    try trie.set(key, value)
                    model[key] = value
                }
                if step % 40 == 39 {
                    for (key, value) in model { #expect(try trie.get(key) == value) }
                    for _ in 0..<20 {
                        let probe = Self.denseKey(&rng)
                        #expect(try trie.get(probe) == model[probe])
                    }
                    #expect(trie.rootHash == TrieTestSupport.referenceRoot(model), "seed \(seed) step \(step)")
                }
            }
            passed += 1
        }
        print("MerklePatriciaTrie random operations vs dictionary and reference root: \(passed) seeds passed")
    }

    @Test func randomKeysOfMixedLengthsMatchReference() throws {
        var rng = SplitMix64(seed: 77)
        for _ in 0..<30 {
            var trie = MerklePatriciaTrie()
            var model: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<Int(rng.next() % 200) {
                let key = TrieTestSupport.randomBytes(&rng, 0...6)
                let value = Self.value(&rng)
                try trie.set(key, value)
                model[key] = value
            }
            #expect(trie.rootHash == TrieTestSupport.referenceRoot(model))
        }
    }

    @Test func rootIsIndependentOfOrderAndDeletingEverythingEmptiesIt() throws {
        var rng = SplitMix64(seed: 5)
        for round in 0..<10 {
            var pairs: [([UInt8], [UInt8])] = []
            var seen = Set<[UInt8]>()
            for _ in 0..<(50 + round * 30) {
                let key = round % 2 == 0 ? Self.denseKey(&rng) : rng.bytes(32)
                if seen.insert(key).inserted { pairs.append((key, Self.value(&rng))) }
            }
            var first = MerklePatriciaTrie()
            for (k, v) in pairs { try first.set(k, v) }
            let root = first.rootHash
            for _ in 0..<3 {
                var other = MerklePatriciaTrie()
                for (k, v) in pairs.shuffled(using: &rng) { try other.set(k, v) }
                #expect(other.rootHash == root)
            }
            // Delete in a random order, checking the root against a fresh build along the way.
            var remaining = Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, $0.1) })
            for (i, (key, _)) in pairs.shuffled(using: &rng).enumerated() {
                try first.delete(key)
                remaining[key] = nil
                if i % 17 == 0 { #expect(first.rootHash == TrieTestSupport.referenceRoot(remaining)) }
            }
            #expect(first.rootHash == MerklePatriciaTrie.emptyRoot)
            #expect(first.isEmpty)
        }
    }

    @Test func commitThenReopenGivesSameState() throws {
        var rng = SplitMix64(seed: 9)
        let store = InMemoryTrieNodeStore()
        var trie = MerklePatriciaTrie(root: MerklePatriciaTrie.emptyRoot, source: store)
        var model: [[UInt8]: [UInt8]] = [:]
        var keys: [[UInt8]] = []  // model's keys in a deterministic order
        var reopened = 0
        for block in 0..<25 {
            // Mix of new keys, updates and deletes of existing keys, dense and hashed keys.
            for _ in 0..<(block == 0 ? 500 : 40) {
                let roll = rng.next() % 10
                if roll < 2, !keys.isEmpty {
                    let existing = keys.remove(at: Int(rng.next() % UInt64(keys.count)))
                    try trie.delete(existing)
                    model[existing] = nil
                } else if roll < 5, !keys.isEmpty {
                    let existing = keys[Int(rng.next() % UInt64(keys.count))]
                    let value = Self.value(&rng)
                    try trie.set(existing, value)
                    model[existing] = value
                } else {
                    let key = roll < 7 ? Self.denseKey(&rng) : rng.bytes(Int(rng.next() % 33))
                    let value = Self.value(&rng)
                    try trie.set(key, value)
                    if model.updateValue(value, forKey: key) == nil { keys.append(key) }
                }
            }
            let (root, nodes) = trie.commit()
            #expect(root == TrieTestSupport.referenceRoot(model))
            for node in nodes { #expect(Keccak256.hash(node.rlp) == node.hash) }
            #expect(Set(nodes.map(\.hash)).count == nodes.count, "no node twice in one commit")
            store.write(nodes)
            // A commit with nothing changed has nothing to write.
            #expect(trie.commit().nodes.isEmpty)
            #expect(trie.rootHash == root)

            // Reopen over the store: same root and gets; then keep working from the reopened
            // trie, so later blocks exercise lazy loading on insert, delete and collapse.
            var fresh = MerklePatriciaTrie(root: root, source: store)
            #expect(fresh.rootHash == root)
            for (key, value) in model { #expect(try fresh.get(key) == value) }
            #expect(try fresh.get([0xab, 0xcd]) == model[[0xab, 0xcd]])
            if block % 3 == 0 { trie = fresh }
            reopened += 1
        }
        print("MerklePatriciaTrie commit/reopen: \(reopened) blocks passed, \(store.count) nodes stored")
    }

    @Test func smallRootIsStoredAndReopens() throws {
        var trie = MerklePatriciaTrie()
        try trie.set([1], [2])
        let (root, nodes) = trie.commit()
        #expect(nodes.count == 1 && nodes[0].hash == root && nodes[0].rlp.count < 32)
        let store = InMemoryTrieNodeStore()
        store.write(nodes)
        var reopened = MerklePatriciaTrie(root: root, source: store)
        #expect(try reopened.get([1]) == [2])
        try reopened.set([1, 2], [3])
        try reopened.delete([1, 2])
        #expect(reopened.rootHash == root)
    }

    @Test func copiesAreIndependent() throws {
        var rng = SplitMix64(seed: 21)
        var a = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<300 {
            let key = rng.bytes(20)
            keys.append(key)
            try a.set(key, Self.value(&rng))
        }
        let rootBefore = a.rootHash
        var b = a  // shares every node
        try b.set(keys[0], [0x42])
        try b.delete(keys[1])
        try b.set(rng.bytes(20), [0x43])
        let unhashedCopy = b  // shares dirty nodes with b
        let rootB = b.rootHash
        #expect(a.rootHash == rootBefore)
        #expect(try a.get(keys[0]) != [0x42])
        #expect(try a.get(keys[1]) != nil)
        #expect(try b.get(keys[0]) == [0x42])
        var c = unhashedCopy
        #expect(c.rootHash == rootB)
        _ = a.commit()
        #expect(b.rootHash == rootB)
    }

    @Test func secureTrieHashesKeys() throws {
        var secure = SecureTrie()
        var plain = MerklePatriciaTrie()
        var rng = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let key = rng.bytes(20)
            let value = Self.value(&rng)
            try secure.set(key, value)
            try plain.set(Keccak256.hash(key).bytes, value)
            #expect(try secure.get(key) == value)
        }
        #expect(secure.rootHash == plain.rootHash)
    }

    @Test func batchUpdateEqualsSets() throws {
        var rng = SplitMix64(seed: 8)
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        for _ in 0..<200 { pairs.append((Self.denseKey(&rng), rng.next() % 4 == 0 ? [] : Self.value(&rng))) }
        var batched = MerklePatriciaTrie()
        try batched.update(pairs)
        var single = MerklePatriciaTrie()
        for pair in pairs { try single.set(pair.key, pair.value) }
        #expect(batched.rootHash == single.rootHash)
    }

    /// A source that vouches for its nodes, so loads skip the hash check.
    struct TrustedSource: TrieNodeSource {
        let store: InMemoryTrieNodeStore
        func trieNode(_ hash: Hash32) -> [UInt8]? { store.trieNode(hash) }
        var isTrusted: Bool { true }
    }

    @Test func trustedSourceReopensTheSame() throws {
        var rng = SplitMix64(seed: 12)
        var trie = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<300 {
            keys.append(rng.bytes(20))
            try trie.set(keys.last!, Self.value(&rng))
        }
        let (root, nodes) = trie.commit()
        let store = InMemoryTrieNodeStore()
        store.write(nodes)
        var trusted = SecureTrie(root: root, source: TrustedSource(store: store))
        for key in keys { #expect(try trusted.get(key) == trie.get(key)) }
        try trusted.delete(keys[0])
        try trie.delete(keys[0])
        #expect(trusted.rootHash == trie.rootHash)
    }
}
