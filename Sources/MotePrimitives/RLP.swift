/// Recursive Length Prefix, Ethereum's serialisation (Yellow Paper, appendix B).
///
/// Decoding is strict: it rejects every non-canonical form (a single byte below 0x80 wrapped
/// in a string header, long-form lengths under 56, lengths with leading zeros), truncated
/// input, trailing bytes and nesting deeper than `RLP.maxDepth`.
public enum RLP {
    /// The deepest list nesting `decode` accepts.
    public static let maxDepth = 64

    /// The encoding of `item`.
    public static func encode(_ item: RLPItem) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(item.encodedLength)
        append(item, to: &out)
        return out
    }

    /// Appends the encoding of `item` to `out`.
    public static func append(_ item: RLPItem, to out: inout [UInt8]) {
        switch item {
        case .bytes(let bytes):
            appendBytes(bytes, to: &out)
        case .list(let items):
            let payload = items.reduce(0) { $0 + $1.encodedLength }
            appendHeader(payload, offset: 0xc0, to: &out)
            for child in items { append(child, to: &out) }
        }
    }

    /// Appends an RLP string for `bytes`.
    public static func appendBytes(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        if bytes.count == 1, let first = bytes.first, first < 0x80 {
            out.append(first)
        } else {
            appendHeader(bytes.count, offset: 0x80, to: &out)
            out.append(contentsOf: bytes)
        }
    }

    /// Appends a string or list header for a payload of `length` bytes.
    public static func appendHeader(_ length: Int, offset: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let lengthBytes = UInt64(length).minimalBigEndianBytes
            out.append(offset + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }

    /// The length of a header for a payload of `length` bytes.
    static func headerLength(_ length: Int) -> Int {
        length < 56 ? 1 : 1 + UInt64(length).minimalBigEndianBytes.count
    }

    /// Decodes exactly one item spanning all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(RLPError) -> RLPItem {
        try bytes.withUnsafeBufferPointer { buffer throws(RLPError) in
            var reader = RLPReader(buffer)
            let item = try reader.readItem(depth: 0)
            guard reader.offset == buffer.count else { throw RLPError(.trailingBytes(buffer.count - reader.offset)) }
            return item
        }
    }

    /// Decodes one item at the start of `bytes` and returns it with the number of bytes it took.
    public static func decodePrefix(_ bytes: [UInt8]) throws(RLPError) -> (item: RLPItem, length: Int) {
        try bytes.withUnsafeBufferPointer { buffer throws(RLPError) in
            var reader = RLPReader(buffer)
            let item = try reader.readItem(depth: 0)
            return (item, reader.offset)
        }
    }
}

/// One RLP value: a byte string or a list of values.
public enum RLPItem: Hashable, Sendable {
    case bytes([UInt8])
    case list([RLPItem])

    /// An unsigned integer in its canonical RLP form (big-endian, no leading zeros; 0 is empty).
    public static func uint(_ value: UInt64) -> RLPItem { .bytes(value.minimalBigEndianBytes) }
    /// A 256-bit unsigned integer in its canonical RLP form.
    public static func uint(_ value: UInt256) -> RLPItem { .bytes(value.minimalBigEndianBytes) }
    /// A 20-byte address.
    public static func address(_ value: Address) -> RLPItem { .bytes(value.bytes) }
    /// A 32-byte hash.
    public static func hash(_ value: Hash32) -> RLPItem { .bytes(value.bytes) }

    /// The encoded size in bytes.
    public var encodedLength: Int {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1, bytes[0] < 0x80 { return 1 }
            return RLP.headerLength(bytes.count) + bytes.count
        case .list(let items):
            let payload = items.reduce(0) { $0 + $1.encodedLength }
            return RLP.headerLength(payload) + payload
        }
    }

    /// The bytes of a string item; throws for a list.
    public func bytesValue() throws(RLPError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw RLPError(.expectedBytes) }
        return bytes
    }

    /// The items of a list; throws for a string.
    public func listValue() throws(RLPError) -> [RLPItem] {
        guard case .list(let items) = self else { throw RLPError(.expectedList) }
        return items
    }

    /// A canonical unsigned integer of at most 8 bytes.
    public func uint64Value() throws(RLPError) -> UInt64 {
        let bytes = try bytesValue()
        guard bytes.first != 0 else { throw RLPError(.leadingZeros) }
        guard bytes.count <= 8 else { throw RLPError(.integerTooLarge(bits: 64)) }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A canonical unsigned integer of at most 32 bytes.
    public func uint256Value() throws(RLPError) -> UInt256 {
        let bytes = try bytesValue()
        guard bytes.first != 0 else { throw RLPError(.leadingZeros) }
        guard let value = UInt256(bigEndian: bytes) else { throw RLPError(.integerTooLarge(bits: 256)) }
        return value
    }
}

/// A cursor over RLP bytes. Lengths are checked against the remaining input before any allocation.
struct RLPReader {
    let buffer: UnsafeBufferPointer<UInt8>
    var offset = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func readItem(depth: Int) throws(RLPError) -> RLPItem {
        guard depth <= RLP.maxDepth else { throw RLPError(.tooDeep) }
        guard offset < buffer.count else { throw RLPError(.unexpectedEnd) }
        let prefix = buffer[offset]
        offset += 1
        switch prefix {
        case 0x00...0x7f:
            return .bytes([prefix])
        case 0x80...0xb7:
            let length = Int(prefix - 0x80)
            let bytes = try take(length)
            if length == 1, bytes[0] < 0x80 { throw RLPError(.nonCanonicalSingleByte) }
            return .bytes(bytes)
        case 0xb8...0xbf:
            let length = try readLongLength(Int(prefix - 0xb7))
            return .bytes(try take(length))
        case 0xc0...0xf7:
            return .list(try readList(Int(prefix - 0xc0), depth: depth))
        default:
            let length = try readLongLength(Int(prefix - 0xf7))
            return .list(try readList(length, depth: depth))
        }
    }

    private mutating func readList(_ length: Int, depth: Int) throws(RLPError) -> [RLPItem] {
        guard length <= buffer.count - offset else { throw RLPError(.unexpectedEnd) }
        let end = offset + length
        var items: [RLPItem] = []
        while offset < end {
            let item = try readItem(depth: depth + 1)
            guard offset <= end else { throw RLPError(.listLengthMismatch) }
            items.append(item)
        }
        return items
    }

    /// A long-form length of `count` bytes: no leading zero, at least 56, fits the input.
    private mutating func readLongLength(_ count: Int) throws(RLPError) -> Int {
        guard count <= buffer.count - offset else { throw RLPError(.unexpectedEnd) }
        guard buffer[offset] != 0 else { throw RLPError(.nonCanonicalLength) }
        guard count <= 7 else { throw RLPError(.unexpectedEnd) }
        var length = 0
        for i in 0..<count { length = length << 8 | Int(buffer[offset + i]) }
        offset += count
        guard length >= 56 else { throw RLPError(.nonCanonicalLength) }
        return length
    }

    private mutating func take(_ length: Int) throws(RLPError) -> [UInt8] {
        guard length <= buffer.count - offset else { throw RLPError(.unexpectedEnd) }
        let bytes = Array(buffer[offset..<offset + length])
        offset += length
        return bytes
    }
}

/// Bytes that are not canonical RLP, or an item of the wrong shape.
public struct RLPError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case unexpectedEnd
        case trailingBytes(Int)
        case nonCanonicalSingleByte
        case nonCanonicalLength
        case listLengthMismatch
        case tooDeep
        case expectedBytes
        case expectedList
        case leadingZeros
        case integerTooLarge(bits: Int)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .unexpectedEnd: return "RLP: input ends before the declared length"
        case .trailingBytes(let n): return "RLP: \(n) trailing byte(s) after the item"
        case .nonCanonicalSingleByte: return "RLP: single byte below 0x80 must not have a string header"
        case .nonCanonicalLength: return "RLP: non-canonical length (leading zero or long form under 56)"
        case .listLengthMismatch: return "RLP: list items overrun the list's declared length"
        case .tooDeep: return "RLP: nesting deeper than \(RLP.maxDepth)"
        case .expectedBytes: return "RLP: expected a string, found a list"
        case .expectedList: return "RLP: expected a list, found a string"
        case .leadingZeros: return "RLP: integer has leading zero bytes"
        case .integerTooLarge(let bits): return "RLP: integer wider than \(bits) bits"
        }
    }

    /// A list or string of the wrong length or shape for what the caller expected.
    public static var wrongShape: RLPError { RLPError(.listLengthMismatch) }

    /// True when the error is a leading-zero integer.
    public var isLeadingZeros: Bool { kind == .leadingZeros }
}

extension UInt64 {
    /// Big-endian bytes without leading zeros; empty for zero.
    public var minimalBigEndianBytes: [UInt8] {
        let count = (64 - leadingZeroBitCount + 7) / 8
        return (0..<count).map { UInt8(truncatingIfNeeded: self >> UInt64(8 * (count - 1 - $0))) }
    }

    /// Exactly 8 big-endian bytes (fixed-width keys and hashed fields).
    public var bigEndianBytes8: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> UInt64(56 - 8 * $0)) } }
}
