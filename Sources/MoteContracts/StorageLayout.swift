import MoteCrypto
import MotePrimitives

/// How system contracts keep their state: every slot holds one 32-byte word, and every value
/// is a Solidity `bytes` at its slot, so `eth_getStorageAt`, an EVM contract or an explorer
/// reads it as it would read a Solidity contract's storage:
///
/// - a value of at most 31 bytes sits in its slot, left-aligned, with `2 × length` in the
///   lowest byte;
/// - a longer value leaves `2 × length + 1` in its slot and fills the words at
///   `keccak256(slot) + 0, 1, …`, the last one zero-padded on the right;
/// - an empty value is a zero slot.
///
/// A value's slot is `keccak256(name ‖ 0x00 ‖ key₁ ‖ key₂ …)` (`slot(_:_:)`), computable in
/// Solidity as `keccak256(abi.encodePacked(name, bytes1(0), keys…))`. The values themselves
/// are RLP records (docs/SYSTEM_CONTRACTS.md lists them).
public enum StorageLayout {
    /// The longest value kept (a longer head word is corrupt storage).
    public static let maxValueBytes = 1 << 20

    /// The slot of the value named `name` under `keys` (each key's bytes as they are).
    public static func slot(_ name: String, _ keys: [UInt8]...) -> Hash32 { slot(name, keys: keys) }

    /// The slot of the value named `name` under `keys`.
    public static func slot(_ name: String, keys: [[UInt8]]) -> Hash32 {
        var bytes = Array(name.utf8)
        bytes.append(0)
        for key in keys { bytes += key }
        return Keccak256.hash(bytes)
    }

    /// Where word `index` of a long value at `slot` lives: `keccak256(slot) + index`.
    public static func dataSlot(_ slot: Hash32, _ index: Int) -> Hash32 {
        let base = UInt256(bigEndian: Keccak256.hash(slot.bytes).bytes)!
        let (sum, _) = base.addingReportingOverflow(UInt256(UInt64(index)))
        return Hash32(bytes: sum.bigEndianBytes)!
    }

    /// What a slot's head word says: no value, a short value in the word itself, or a long one.
    public enum Head: Equatable, Sendable {
        case empty
        case short([UInt8])
        case long(length: Int)
    }

    /// Reads a head word; nil if it cannot be one (a short length over 31, a long one over the bound).
    public static func head(_ word: UInt256) -> Head? {
        if word.isZero { return .empty }
        let bytes = word.bigEndianBytes
        if bytes[31] & 1 == 0 {
            let length = Int(bytes[31] >> 1)
            guard length <= 31, bytes[length..<31].allSatisfy({ $0 == 0 }) else { return nil }
            return .short(Array(bytes[0..<length]))
        }
        guard let encoded = word.uint64, encoded >> 1 >= 32, encoded >> 1 <= UInt64(maxValueBytes) else { return nil }
        return .long(length: Int(encoded >> 1))
    }

    /// The number of data words of a long value of `length` bytes.
    public static func wordCount(_ length: Int) -> Int { (length + 31) / 32 }

    /// The head word of `value` (its data words, for a long one, are `dataWords(value)`).
    public static func headWord(_ value: [UInt8]) -> UInt256 {
        if value.isEmpty { return .zero }
        if value.count <= 31 {
            var bytes = value + [UInt8](repeating: 0, count: 32 - value.count)
            bytes[31] = UInt8(value.count * 2)
            return UInt256(bigEndian: bytes)!
        }
        return UInt256(UInt64(value.count) * 2 + 1)
    }

    /// The data words of a long value, in order (the last zero-padded on the right).
    public static func dataWords(_ value: [UInt8]) -> [UInt256] {
        guard value.count > 31 else { return [] }
        return stride(from: 0, to: value.count, by: 32).map { start in
            let chunk = Array(value[start..<min(start + 32, value.count)])
            return UInt256(bigEndian: chunk + [UInt8](repeating: 0, count: 32 - chunk.count))!
        }
    }
}
