import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTrie

/// Missing and malformed nodes throw; random proofs never crash.
@Suite struct TrieHostileInputTests {
    @Test func missingRootThrows() {
        let store = InMemoryTrieNodeStore()
        var trie = MerklePatriciaTrie(root: Keccak256.hash([1, 2, 3]), source: store)
        #expect(throws: TrieError.self) { try trie.get([1]) }
        #expect(throws: TrieError.self) { try trie.set([1], [2]) }
        #expect(throws: TrieError.self) { try trie.delete([1]) }
        #expect(throws: TrieError.self) { try trie.proof(for: [1]) }
        // Opening is lazy: the root hash is known without loading anything.
        #expect(trie.rootHash == Keccak256.hash([1, 2, 3]))
        #expect(trie.commit().nodes.isEmpty)
        do {
            _ = try SecureTrie(root: Hash32.zero, source: store).get([1])
            Issue.record("read through a missing root")
        } catch {
            #expect(error.isMissingNode && error.missingNodeHash == Hash32.zero)
        }
    }

    @Test func missingInnerNodeThrowsOnlyOnItsPath() throws {
        var rng = SplitMix64(seed: 41)
        var trie = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<500 {
            let key = rng.bytes(20)
            keys.append(key)
            try trie.set(key, rng.bytes(40))
        }
        let (root, nodes) = trie.commit()
        let store = InMemoryTrieNodeStore()
        // Leave out one non-root node.
        let dropped = nodes.first { $0.hash != root }!
        for node in nodes where node.hash != dropped.hash { store.insert(node.rlp, for: node.hash) }
        var reopened = SecureTrie(root: root, source: store)
        var failed = 0
        for key in keys {
            do {
                #expect(try reopened.get(key) == trie.get(key))
            } catch {
                #expect(error.missingNodeHash == dropped.hash)
                failed += 1
                // Writes on that path throw too, and leave the trie unchanged.
                #expect(throws: TrieError.self) { try reopened.set(key, [1]) }
                #expect(throws: TrieError.self) { try reopened.delete(key) }
            }
        }
        #expect(failed > 0 && failed < keys.count)
        #expect(reopened.rootHash == root)
        // A delete either works as on the complete trie, or throws and changes nothing (a
        // delete may need the missing node to collapse a branch beside the key's own path).
        var deleteFailures = 0
        for key in keys {
            var copy = reopened
            var complete = trie
            try complete.delete(key)
            do {
                try copy.delete(key)
                #expect(copy.rootHash == complete.rootHash)
            } catch {
                #expect(copy.rootHash == root)
                deleteFailures += 1
            }
        }
        #expect(deleteFailures >= failed)
    }

    @Test func malformedStoredNodesThrow() throws {
        let samples: [[UInt8]] = [
            [],  // nothing
            [0x81, 0x80],  // a string, not a list ([0x80] itself is the empty trie)
            [0xc0],  // empty list
            [0xc1, 0x80],  // one item
            [0xc3, 0x80, 0x80, 0x80],  // three items
            [0xc2, 0x40, 0x01],  // bad hex-prefix flag
            [0xc2, 0x01, 0x01],  // even path with non-zero padding
            [0xc2, 0x20, 0x80],  // leaf with an empty value
            [0xc2, 0x00, 0x80],  // extension with an empty path and child
            [0xc3, 0x11, 0x81, 0x05],  // non-canonical single byte
            [0xc4, 0x11, 0x82, 0x01],  // truncated
            [0xc2, 0x11, 0x01, 0x00],  // trailing byte
            [0xd1] + [UInt8](repeating: 0x80, count: 17),  // branch with no entries
            [0xd1, 0x01] + [UInt8](repeating: 0x80, count: 16),  // child neither hash nor node
        ]
        for bytes in samples {
            let store = InMemoryTrieNodeStore()
            let hash = Keccak256.hash(bytes)
            store.insert(bytes, for: hash)
            #expect(throws: TrieError.self, "\(bytes)") { try MerklePatriciaTrie(root: hash, source: store).get([1]) }
        }
        // Bytes that do not hash to their key.
        let store = InMemoryTrieNodeStore()
        store.insert([0xc2, 0x20, 0x01], for: Keccak256.hash([0xc2, 0x20, 0x02]))
        #expect(throws: TrieError.self) {
            try MerklePatriciaTrie(root: Keccak256.hash([0xc2, 0x20, 0x02]), source: store).get([1])
        }
        print("TrieHostileInput malformed nodes rejected: \(samples.count + 1) passed")
    }

    @Test func randomProofsNeverCrash() throws {
        var rng = SplitMix64(seed: 43)
        // Pure noise.
        for _ in 0..<5_000 {
            let proof = (0..<Int(rng.next() % 4)).map { _ in rng.bytes(Int(rng.next() % 600)) }
            let root = proof.isEmpty || rng.next() % 4 == 0 ? Keccak256.hash(rng.bytes(8)) : Keccak256.hash(proof[0])
            _ = try? MerklePatriciaTrie.verifyProof(root: root, key: rng.bytes(Int(rng.next() % 40)), proof: proof)
        }
        // Mutations of real proofs, re-rooted so the mutated root node is actually decoded.
        var trie = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<300 {
            let key = rng.bytes(20)
            keys.append(key)
            try trie.set(key, TrieTestSupport.randomBytes(&rng, 1...80))
        }
        _ = trie.rootHash
        var decodedSomething = 0
        for _ in 0..<5_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            var proof = try trie.proof(for: key)
            let i = Int(rng.next() % UInt64(proof.count))
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                switch rng.next() % 3 {
                case 0 where !proof[i].isEmpty:
                    proof[i][Int(rng.next() % UInt64(proof[i].count))] = UInt8(truncatingIfNeeded: rng.next())
                case 1 where !proof[i].isEmpty:
                    proof[i].removeLast(1 + Int(rng.next() % UInt64(proof[i].count)))
                default:
                    proof[i].insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(proof[i].count + 1)))
                }
            }
            let root = Keccak256.hash(proof[0])
            if (try? SecureTrie.verifyProof(root: root, key: key, proof: proof)) != nil { decodedSomething += 1 }
        }
        print("TrieHostileInput random/mutated proofs without a crash: 10000 passed (\(decodedSomething) still resolved)")
    }

    @Test func randomStoredBytesNeverCrash() {
        var rng = SplitMix64(seed: 44)
        for _ in 0..<3_000 {
            let store = InMemoryTrieNodeStore()
            let bytes = rng.bytes(Int(rng.next() % 120))
            let hash = Keccak256.hash(bytes)
            store.insert(bytes, for: hash)
            var trie = MerklePatriciaTrie(root: hash, source: store)
            _ = try? trie.get(rng.bytes(4))
            _ = try? trie.set(rng.bytes(4), [1])
            _ = try? trie.proof(for: rng.bytes(4))
            _ = trie.rootHash
        }
    }
}
