/// Writes ABI head/tail encodings into one growing buffer.
///
/// Static values are written in place; each dynamic value gets a zeroed offset slot in the
/// head, which is filled in when its tail is appended, so nothing is encoded twice.
/// Callers validate the types first (`ABIType.validate()`).
struct ABIEncoder {
    private(set) var out: [UInt8] = []

    /// Encodes `values` as a sequence whose i-th type is `typeAt(i)` (a tuple's components or
    /// an array's elements). Counts are checked by the caller.
    mutating func encodeSequence(_ values: [ABIValue], typeAt: (Int) -> ABIType) throws(ABIError) {
        let base = out.count
        var pending: [(slot: Int, index: Int)] = []
        for i in values.indices {
            let type = typeAt(i)
            if type.isDynamic {
                pending.append((out.count, i))
                appendZeros(32)
            } else {
                try encode(values[i], as: type)
            }
        }
        for (slot, i) in pending {
            patch(slot, with: out.count - base)
            try encode(values[i], as: typeAt(i))
        }
    }

    private mutating func encode(_ value: ABIValue, as type: ABIType) throws(ABIError) {
        switch (type, value) {
        case (.uint(let bits), .uint(let v)):
            guard v.bitLength <= bits else { throw ABIError(.valueOutOfRange(type.canonicalName)) }
            appendWord(v)
        case (.int(let bits), .int(let v)):
            guard ABIEncoder.fitsSigned(v, bits: bits) else { throw ABIError(.valueOutOfRange(type.canonicalName)) }
            appendWord(v)
        case (.address, .address(let a)):
            appendZeros(12)
            a.withUnsafeBytes { out.append(contentsOf: $0) }
        case (.bool, .bool(let b)):
            appendZeros(31)
            out.append(b ? 1 : 0)
        case (.fixedBytes(let n), .fixedBytes(let b)):
            guard b.count == n else { throw ABIError(.valueMismatch(expected: type.canonicalName, got: value.kindName)) }
            out.append(contentsOf: b)
            appendZeros(32 - n)
        case (.bytes, .bytes(let b)):
            appendLengthPrefixed(b)
        case (.string, .string(let s)):
            appendLengthPrefixed(s.utf8)
        case (.array(let element), .array(let items)):
            appendInt(items.count)
            try encodeSequence(items) { _ in element }
        case (.fixedArray(let element, let k), .array(let items)):
            guard items.count == k else {
                throw ABIError(.wrongCount(type.canonicalName, expected: k, actual: items.count))
            }
            try encodeSequence(items) { _ in element }
        case (.tuple(let components), .tuple(let items)):
            guard items.count == components.count else {
                throw ABIError(.wrongCount(type.canonicalName, expected: components.count, actual: items.count))
            }
            try encodeSequence(items) { components[$0] }
        default:
            throw ABIError(.valueMismatch(expected: type.canonicalName, got: value.kindName))
        }
    }

    /// True if the 256-bit two's complement `v` is the sign extension of a `bits`-bit value.
    static func fitsSigned(_ v: UInt256, bits: Int) -> Bool {
        if bits >= 256 { return true }
        let high = v >> (bits - 1)
        return high.isZero || high == UInt256.max >> (bits - 1)
    }

    private mutating func appendLengthPrefixed<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        appendInt(count)
        out.append(contentsOf: bytes)
        appendZeros((32 - count % 32) % 32)
    }

    private mutating func appendWord(_ v: UInt256) {
        appendLimb(v.l3)
        appendLimb(v.l2)
        appendLimb(v.l1)
        appendLimb(v.l0)
    }

    private mutating func appendInt(_ n: Int) {
        appendZeros(24)
        appendLimb(UInt64(n))
    }

    private mutating func appendLimb(_ x: UInt64) {
        var bigEndian = x.bigEndian
        withUnsafeBytes(of: &bigEndian) { out.append(contentsOf: $0) }
    }

    private mutating func appendZeros(_ n: Int) {
        out.append(contentsOf: repeatElement(0, count: n))
    }

    /// Writes `n` into the last 8 bytes of the zeroed word at `slot`.
    private mutating func patch(_ slot: Int, with n: Int) {
        let value = UInt64(n)
        for j in 0..<8 { out[slot + 24 + j] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * j)) }
    }
}
