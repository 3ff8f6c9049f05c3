import MoteCrypto
import MotePrimitives

extension MerklePatriciaTrie {
    /// The root of the trie mapping `rlp(i)` to `items[i]` — Ethereum's transactions and
    /// receipts roots — computed in one pass over the sorted keys, without building nodes.
    /// Equal to inserting every pair into a `MerklePatriciaTrie` and taking `rootHash`.
    public static func listRoot(_ items: [[UInt8]]) -> Hash32 {
        guard !items.isEmpty else { return emptyRoot }
        var entries: [(key: [UInt8], value: [UInt8])] = items.enumerated().map { i, item in
            (RLP.encode(.uint(UInt64(i))), item)
        }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
        let root = entries.withUnsafeBufferPointer { encode($0[...], depth: 0) }
        return Keccak256.hash(root)
    }

    /// The hash of a sorted key/value set, in one pass over the keys (see `listRoot`).
    public static func root(ofSorted entries: [(key: [UInt8], value: [UInt8])]) -> Hash32 {
        guard !entries.isEmpty else { return emptyRoot }
        return Keccak256.hash(entries.withUnsafeBufferPointer { encode($0[...], depth: 0) })
    }

    /// The nibble `index` of `key`.
    @inline(__always)
    private static func nibble(_ key: [UInt8], _ index: Int) -> UInt8 {
        let byte = key[index >> 1]
        return index & 1 == 0 ? byte >> 4 : byte & 0x0f
    }

    /// The RLP of the node holding `entries` (distinct keys, sorted), whose keys share their
    /// first `depth` nibbles.
    private static func encode(_ entries: Slice<UnsafeBufferPointer<(key: [UInt8], value: [UInt8])>>, depth: Int) -> [UInt8] {
        let first = entries.first!
        if entries.count == 1 {
            let path = (depth..<first.key.count * 2).map { nibble(first.key, $0) }
            return RLP.encode(.list([.bytes(HexPrefix.encode(path, isLeaf: true)), .bytes(first.value)]))
        }
        // The nibbles every key shares from `depth` on (sorted: compare the first and last).
        let last = entries.last!
        var common = 0
        let limit = min(first.key.count, last.key.count) * 2 - depth
        while common < limit, nibble(first.key, depth + common) == nibble(last.key, depth + common) { common += 1 }
        if common > 0 {
            let path = (depth..<depth + common).map { nibble(first.key, $0) }
            let child = encode(entries, depth: depth + common)
            return RLP.encode(.list([.bytes(HexPrefix.encode(path, isLeaf: false)), reference(child)]))
        }
        // A branch: keys ending here give its value; the rest split by their next nibble.
        var children = [RLPItem](repeating: .bytes([]), count: 16)
        var value: [UInt8] = []
        var start = entries.startIndex
        if first.key.count * 2 == depth {
            value = first.value
            start += 1
        }
        while start < entries.endIndex {
            let n = nibble(entries[start].key, depth)
            var end = start + 1
            while end < entries.endIndex, nibble(entries[end].key, depth) == n { end += 1 }
            children[Int(n)] = reference(encode(entries[start..<end], depth: depth + 1))
            start = end
        }
        return RLP.encode(.list(children + [.bytes(value)]))
    }

    /// How a parent refers to a child node: embedded if its RLP is under 32 bytes, else by hash.
    private static func reference(_ rlp: [UInt8]) -> RLPItem {
        if rlp.count < 32 { return (try? RLP.decode(rlp)) ?? .bytes([]) }
        return .hash(Keccak256.hash(rlp))
    }
}
