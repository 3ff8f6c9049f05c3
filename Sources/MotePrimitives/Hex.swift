/// Hexadecimal text for byte strings, with or without a `0x` prefix.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, prefixed with `0x` unless `prefix` is false.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes, prefix: Bool = true) -> String
    where Bytes.Element == UInt8 {
        var out: [UInt8] = prefix ? [0x30, 0x78] : []
        out.reserveCapacity(bytes.underestimatedCount * 2 + 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex text. A `0x`/`0X` prefix is optional; the digit count must be even.
    public static func decode(_ text: some StringProtocol) throws(HexError) -> [UInt8] {
        var utf8 = Substring(text).utf8[...]
        if utf8.count >= 2, utf8.first == 0x30, let x = utf8.dropFirst().first, x == 0x78 || x == 0x58 {
            utf8 = utf8.dropFirst(2)
        }
        guard utf8.count % 2 == 0 else { throw HexError(.oddLength(utf8.count)) }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = utf8.startIndex
        var offset = 0
        while index != utf8.endIndex {
            let high = utf8[index]
            let next = utf8.index(after: index)
            let low = utf8[next]
            guard let h = nibble(high) else { throw HexError(.invalidDigit(offset)) }
            guard let l = nibble(low) else { throw HexError(.invalidDigit(offset + 1)) }
            out.append(h << 4 | l)
            index = utf8.index(after: next)
            offset += 2
        }
        return out
    }

    /// The value of one hex digit, or nil.
    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

/// Text that is not valid hex.
public struct HexError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case oddLength(Int)
        case invalidDigit(Int)
        case wrongLength(expected: Int, actual: Int)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .oddLength(let n): return "hex has an odd number of digits (\(n))"
        case .invalidDigit(let i): return "invalid hex digit at position \(i)"
        case .wrongLength(let e, let a): return "expected \(e) bytes of hex, got \(a)"
        }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from hex text (optional `0x`).
    public init(hex: some StringProtocol) throws(HexError) { self = try Hex.decode(hex) }
    /// `0x`-prefixed lowercase hex.
    public var hexString: String { Hex.encode(self) }
}
