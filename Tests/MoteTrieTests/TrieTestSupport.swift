import MoteCrypto
import MotePrimitives
import MoteTestSupport

@testable import MoteTrie

/// Helpers shared by the trie tests.
enum TrieTestSupport {
    /// A vector's key or value: hex when `0x`-prefixed, ASCII otherwise.
    static func bytes(_ text: String) throws -> [UInt8] {
        text.hasPrefix("0x") ? try [UInt8](hex: text) : Array(text.utf8)
    }

    /// The root of `entries`, computed straight from the Yellow Paper's definition (appendix D,
    /// the collapse function c(I, i)), independently of `MerklePatriciaTrie`.
    static func referenceRoot(_ entries: [[UInt8]: [UInt8]]) -> Hash32 {
        let items = entries.filter { !$0.value.isEmpty }.map { (nibbles(of: $0.key), $0.value) }
        if items.isEmpty { return Keccak256.hash([0x80]) }
        return Keccak256.hash(RLP.encode(collapse(items, 0)))
    }

    static func nibbles(of key: [UInt8]) -> [UInt8] { key.flatMap { [$0 >> 4, $0 & 0x0f] } }

    /// c(I, i).
    private static func collapse(_ items: [([UInt8], [UInt8])], _ i: Int) -> RLPItem {
        if items.count == 1 {
            return .list([.bytes(HexPrefix.encode(Array(items[0].0[i...]), isLeaf: true)), .bytes(items[0].1)])
        }
        var j = i
        while items.allSatisfy({ $0.0.count > j }), Set(items.map { $0.0[j] }).count == 1 { j += 1 }
        if j > i {
            return .list([.bytes(HexPrefix.encode(Array(items[0].0[i..<j]), isLeaf: false)), reference(items, j)])
        }
        var slots: [RLPItem] = []
        for nibble in 0..<16 {
            let group = items.filter { $0.0.count > i && $0.0[i] == UInt8(nibble) }
            slots.append(group.isEmpty ? .bytes([]) : reference(group, i + 1))
        }
        slots.append(.bytes(items.first { $0.0.count == i }?.1 ?? []))
        return .list(slots)
    }

    /// n(I, i): the node inline when its RLP is under 32 bytes, else its hash.
    private static func reference(_ items: [([UInt8], [UInt8])], _ i: Int) -> RLPItem {
        let node = collapse(items, i)
        let rlp = RLP.encode(node)
        return rlp.count < 32 ? node : .bytes(Keccak256.hash(rlp).bytes)
    }

    /// Random bytes of a length in `lengths`.
    static func randomBytes(_ rng: inout SplitMix64, _ lengths: ClosedRange<Int>) -> [UInt8] {
        rng.bytes(lengths.lowerBound + Int(rng.next() % UInt64(lengths.count)))
    }
}
