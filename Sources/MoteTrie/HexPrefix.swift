/// Hex-prefix ("compact") encoding of a nibble path (Yellow Paper, appendix C).
///
/// The first nibble carries two flags: bit 1 marks a leaf (terminated) path, bit 0 an odd
/// nibble count. An odd path packs its first nibble beside the flags; an even one pads with 0.
public enum HexPrefix {
    /// The compact bytes of `nibbles` (each 0...15), flagged as a leaf path when `isLeaf`.
    public static func encode(_ nibbles: [UInt8], isLeaf: Bool) -> [UInt8] {
        precondition(nibbles.allSatisfy { $0 < 16 }, "a nibble is 0...15")
        var packed = [UInt8](repeating: 0, count: (nibbles.count + 1) / 2)
        for (i, nibble) in nibbles.enumerated() {
            packed[i >> 1] |= i & 1 == 0 ? nibble << 4 : nibble
        }
        var out: [UInt8] = []
        out.reserveCapacity(nibbles.count / 2 + 1)
        Nibbles(storage: packed, start: 0, end: nibbles.count).appendCompact(isLeaf: isLeaf, to: &out)
        return out
    }

    /// The nibbles and the leaf flag of compact `bytes`; throws for an empty input, an unknown
    /// flag nibble or non-zero padding.
    public static func decode(_ bytes: [UInt8]) throws(TrieError) -> (nibbles: [UInt8], isLeaf: Bool) {
        guard let (path, isLeaf) = Nibbles.fromCompact(bytes) else { throw TrieError(.invalidHexPrefix) }
        return ((0..<path.count).map { UInt8(path[$0]) }, isLeaf)
    }
}
