/// A 32-byte value: a Keccak-256 or SHA-256 digest, a storage key or slot.
public struct Hash32: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 bytes, stored in memory order.
    @usableFromInline var w0, w1, w2, w3: UInt64

    /// All zero bytes.
    public static let zero = Hash32(words: (0, 0, 0, 0))

    @inlinable init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// Exactly 32 bytes, or nil.
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyBytes(from: bytes)
        }
        self.init(words: words)
    }

    /// The first 32 bytes at `raw` (which must hold at least 32), copied without allocating.
    @inlinable
    public init(copying raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= 32, "Hash32 needs 32 bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<32])) }
        self.init(words: words)
    }

    /// 32 bytes from `0x`-prefixed or bare hex.
    public init(hex: some StringProtocol) throws(HexError) {
        let bytes = try Hex.decode(hex)
        guard let value = Hash32(bytes: bytes) else {
            throw HexError(.wrongLength(expected: 32, actual: bytes.count))
        }
        self = value
    }

    /// Calls `body` with the 32 bytes in order.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (w0, w1, w2, w3)
        return try Swift.withUnsafeBytes(of: &words, body)
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// `0x`-prefixed lowercase hex.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Byte-wise (lexicographic) order, without allocating.
    @inlinable
    public static func < (a: Hash32, b: Hash32) -> Bool {
        if a.w0 != b.w0 { return UInt64(bigEndian: a.w0) < UInt64(bigEndian: b.w0) }
        if a.w1 != b.w1 { return UInt64(bigEndian: a.w1) < UInt64(bigEndian: b.w1) }
        if a.w2 != b.w2 { return UInt64(bigEndian: a.w2) < UInt64(bigEndian: b.w2) }
        return UInt64(bigEndian: a.w3) < UInt64(bigEndian: b.w3)
    }
}

/// A 20-byte account address. Shown as EIP-55 checksummed hex by `MoteCrypto`.
public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    @usableFromInline var w0, w1: UInt64
    @usableFromInline var w2: UInt32

    /// The zero address.
    public static let zero = Address(words: (0, 0, 0))

    @inlinable init(words: (UInt64, UInt64, UInt32)) {
        (w0, w1, w2) = words
    }

    /// Exactly 20 bytes, or nil.
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 20 else { return nil }
        var words: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyBytes(from: bytes)
        }
        self.init(words: words)
    }

    /// The last 20 bytes of a 32-byte hash (how Ethereum derives addresses).
    public init(suffixOf hash: Hash32) {
        self.init(bytes: hash.bytes.suffix(20))!
    }

    /// 20 bytes from hex; any letter case is accepted (checksums are checked in `MoteCrypto`).
    public init(hex: some StringProtocol) throws(HexError) {
        let bytes = try Hex.decode(hex)
        guard let value = Address(bytes: bytes) else {
            throw HexError(.wrongLength(expected: 20, actual: bytes.count))
        }
        self = value
    }

    /// Calls `body` with the 20 bytes in order.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (w0, w1, w2)
        return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }

    /// The 20 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// `0x`-prefixed lowercase hex.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Byte-wise (lexicographic) order, without allocating.
    @inlinable
    public static func < (a: Address, b: Address) -> Bool {
        if a.w0 != b.w0 { return UInt64(bigEndian: a.w0) < UInt64(bigEndian: b.w0) }
        if a.w1 != b.w1 { return UInt64(bigEndian: a.w1) < UInt64(bigEndian: b.w1) }
        return UInt32(bigEndian: a.w2) < UInt32(bigEndian: b.w2)
    }
}
