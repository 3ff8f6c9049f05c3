import MoteCrypto
import MotePrimitives

/// A Merkle Patricia Trie keyed by Keccak-256 of the caller's key: Ethereum's state trie
/// (key = address) and storage tries (key = 32-byte slot). Hashing spreads keys evenly, so
/// paths stay short and an attacker cannot choose deep ones.
public struct SecureTrie: Sendable {
    /// The underlying trie, keyed by hashed keys.
    public private(set) var trie: MerklePatriciaTrie

    /// An empty trie with no node source behind it.
    public init() { trie = MerklePatriciaTrie() }

    /// The trie under `root`, nodes read from `source` when first needed.
    public init(root: Hash32, source: any TrieNodeSource) {
        trie = MerklePatriciaTrie(root: root, source: source)
    }

    /// The key the underlying trie uses for `key`: its Keccak-256.
    public static func hashedKey(_ key: [UInt8]) -> [UInt8] { Keccak256.hash(key).bytes }

    /// True when the trie holds no keys.
    public var isEmpty: Bool { trie.isEmpty }

    /// The value stored under `key`, or nil.
    public func get(_ key: [UInt8]) throws(TrieError) -> [UInt8]? { try trie.get(Self.hashedKey(key)) }

    /// Stores `value` under `key`; an empty value deletes the key.
    public mutating func set(_ key: [UInt8], _ value: [UInt8]) throws(TrieError) {
        try trie.set(Self.hashedKey(key), value)
    }

    /// Removes `key`.
    public mutating func delete(_ key: [UInt8]) throws(TrieError) { try trie.delete(Self.hashedKey(key)) }

    /// Applies `set` to each pair in order.
    ///
    /// A large batch of distinct keys in ascending order (as the ledger applies a block's
    /// accounts) goes to `MerklePatriciaTrie.update`, which spreads it over the cores: with no
    /// key twice, the order of application cannot change the result.
    public mutating func update(_ pairs: [(key: [UInt8], value: [UInt8])]) throws(TrieError) {
        if pairs.count >= MerklePatriciaTrie.parallelUpdateThreshold, Self.isStrictlyAscending(pairs) {
            try trie.update(pairs.map { (Self.hashedKey($0.key), $0.value) })
        } else {
            for pair in pairs { try set(pair.key, pair.value) }
        }
    }

    /// True when every key sorts after the one before it (so no key appears twice).
    private static func isStrictlyAscending(_ pairs: [(key: [UInt8], value: [UInt8])]) -> Bool {
        for i in pairs.indices.dropFirst() where !pairs[i - 1].key.lexicographicallyPrecedes(pairs[i].key) { return false }
        return true
    }

    /// The root hash (see `MerklePatriciaTrie.rootHash`).
    public var rootHash: Hash32 { mutating get { trie.rootHash } }

    /// The root and the nodes to persist (see `MerklePatriciaTrie.commit()`).
    public mutating func commit() -> (root: Hash32, nodes: [(hash: Hash32, rlp: [UInt8])]) { trie.commit() }

    /// A proof for `key` (the path of its hash), as `eth_getProof` returns it.
    public func proof(for key: [UInt8]) throws(TrieError) -> [[UInt8]] { try trie.proof(for: Self.hashedKey(key)) }

    /// The value `proof` proves for `key` under `root`, or nil for a proof of absence.
    public static func verifyProof(root: Hash32, key: [UInt8], proof: [[UInt8]]) throws(TrieError) -> [UInt8]? {
        try MerklePatriciaTrie.verifyProof(root: root, key: hashedKey(key), proof: proof)
    }
}

extension SecureTrie {
    /// Calls `body` with every hashed key (Keccak-256 of the original key) and value, in
    /// ascending hashed-key order, until it returns false.
    public func forEach(_ body: (_ hashedKey: [UInt8], _ value: [UInt8]) -> Bool) throws(TrieError) {
        try trie.forEach(body)
    }
}
