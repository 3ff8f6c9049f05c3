import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTrie

/// Proofs: present keys prove their value, absent keys prove absence, tampering fails.
@Suite struct TrieProofTests {
    @Test func proofsVerifyForPresentAndAbsentKeys() throws {
        var rng = SplitMix64(seed: 31)
        var checked = 0
        for round in 0..<6 {
            var trie = MerklePatriciaTrie()
            var model: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<(round == 0 ? 1 : 40 * round) {
                let key = round % 2 == 0 ? MerklePatriciaTrieTests.denseKey(&rng) : rng.bytes(Int(1 + rng.next() % 32))
                let value = MerklePatriciaTrieTests.value(&rng)
                try trie.set(key, value)
                model[key] = value
            }
            let root = trie.rootHash
            for (key, value) in model {
                let proof = try trie.proof(for: key)
                #expect(!proof.isEmpty && Keccak256.hash(proof[0]) == root)
                #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof) == value)
                checked += 1
            }
            for _ in 0..<50 {
                let key = rng.bytes(Int(rng.next() % 8))
                let proof = try trie.proof(for: key)
                #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof) == model[key])
                checked += 1
            }
        }
        print("TrieProof present/absent keys: \(checked) passed")
    }

    @Test func tamperedOrTruncatedProofsFail() throws {
        var rng = SplitMix64(seed: 32)
        var trie = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<2_000 {
            let key = rng.bytes(20)
            keys.append(key)
            try trie.set(key, MerklePatriciaTrieTests.value(&rng))
        }
        let root = trie.rootHash
        var failures = 0
        for key in keys.prefix(200) {
            let proof = try trie.proof(for: key)
            #expect(proof.count >= 2)
            #expect(try SecureTrie.verifyProof(root: root, key: key, proof: proof) == trie.get(key))
            // Flip one byte of one node: that node no longer matches its reference.
            var tampered = proof
            let i = Int(rng.next() % UInt64(proof.count))
            let j = Int(rng.next() % UInt64(proof[i].count))
            tampered[i][j] ^= UInt8(1 + rng.next() % 255)
            #expect(throws: TrieError.self) { try SecureTrie.verifyProof(root: root, key: key, proof: tampered) }
            // Drop one node.
            var truncated = proof
            truncated.remove(at: Int(rng.next() % UInt64(proof.count)))
            #expect(throws: TrieError.self) { try SecureTrie.verifyProof(root: root, key: key, proof: truncated) }
            // Against another root.
            #expect(throws: TrieError.self) {
                try SecureTrie.verifyProof(root: Keccak256.hash(key), key: key, proof: proof)
            }
            failures += 3
        }
        print("TrieProof tampered/truncated/wrong-root proofs rejected: \(failures) passed")
    }

    @Test func proofsMatchAfterCommitAndOverStore() throws {
        var rng = SplitMix64(seed: 33)
        var trie = SecureTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<500 {
            let key = rng.bytes(20)
            keys.append(key)
            try trie.set(key, MerklePatriciaTrieTests.value(&rng))
        }
        let beforeCommit = try keys.prefix(20).map { try trie.proof(for: $0) }  // unhashed trie
        let (root, nodes) = trie.commit()
        let store = InMemoryTrieNodeStore()
        store.write(nodes)
        let reopened = SecureTrie(root: root, source: store)
        for (i, key) in keys.prefix(20).enumerated() {
            let proof = try reopened.proof(for: key)
            #expect(proof == beforeCommit[i])
            #expect(proof == (try trie.proof(for: key)))
            // Every proof node is a stored node.
            for rlp in proof { #expect(store.trieNode(Keccak256.hash(rlp)) == rlp) }
        }
    }

    @Test func emptyTrieProvesAbsence() throws {
        let trie = MerklePatriciaTrie()
        #expect(try trie.proof(for: [1, 2, 3]).isEmpty)
        #expect(try MerklePatriciaTrie.verifyProof(root: MerklePatriciaTrie.emptyRoot, key: [1], proof: []) == nil)
        #expect(throws: TrieError.self) { try MerklePatriciaTrie.verifyProof(root: Keccak256.hash([1]), key: [1], proof: []) }
    }
}
