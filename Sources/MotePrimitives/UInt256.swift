/// A 256-bit unsigned integer in four 64-bit limbs: Ethereum balances, values and fees.
///
/// Fixed width and allocation-free. `+`, `-` and `*` trap on overflow like Swift's integers;
/// `&+`, `&-`, `&*` wrap; the `…ReportingOverflow` forms say whether they overflowed.
public struct UInt256: Hashable, Sendable {
    /// Limbs, least significant first.
    public var l0, l1, l2, l3: UInt64

    @inlinable public init(limbs l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
        (self.l0, self.l1, self.l2, self.l3) = (l0, l1, l2, l3)
    }

    @inlinable public init(_ value: UInt64) { self.init(limbs: value, 0, 0, 0) }

    /// The value of a non-negative Swift integer; nil if negative or wider than 256 bits.
    public init?<T: BinaryInteger>(exactly value: T) {
        guard value >= 0, value.bitWidth <= 256 || value >> 256 == 0 else { return nil }
        var v = value
        var limbs: [UInt64] = []
        for _ in 0..<4 {
            limbs.append(UInt64(truncatingIfNeeded: v))
            v >>= 64
        }
        self.init(limbs: limbs[0], limbs[1], limbs[2], limbs[3])
    }

    public static let zero = UInt256(0)
    public static let one = UInt256(1)
    public static let max = UInt256(limbs: .max, .max, .max, .max)

    @inlinable public var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    /// The value as a `UInt64` if it fits.
    @inlinable public var uint64: UInt64? { (l1 | l2 | l3) == 0 ? l0 : nil }

    /// Limb `i` (0 = least significant).
    @inlinable subscript(limb i: Int) -> UInt64 {
        get {
            switch i {
            case 0: return l0
            case 1: return l1
            case 2: return l2
            default: return l3
            }
        }
        set {
            switch i {
            case 0: l0 = newValue
            case 1: l1 = newValue
            case 2: l2 = newValue
            default: l3 = newValue
            }
        }
    }

    /// Number of significant bits (0 for zero).
    public var bitLength: Int {
        if l3 != 0 { return 256 - l3.leadingZeroBitCount }
        if l2 != 0 { return 192 - l2.leadingZeroBitCount }
        if l1 != 0 { return 128 - l1.leadingZeroBitCount }
        return 64 - l0.leadingZeroBitCount
    }

    /// Number of bytes in the minimal big-endian form (0 for zero).
    public var byteLength: Int { (bitLength + 7) / 8 }

    /// Bit `i` (0 = least significant).
    public func bit(_ i: Int) -> Bool { (self[limb: i / 64] >> UInt64(i % 64)) & 1 == 1 }
}

// MARK: - Bytes

extension UInt256 {
    /// A big-endian value of at most 32 bytes (leading zeros allowed); nil if longer.
    @inlinable
    public init?(bigEndian bytes: some Collection<UInt8>) {
        let count = bytes.count
        guard count <= 32 else { return nil }
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var shift = (count - 1) * 8
        for byte in bytes {
            let value = UInt64(byte) << UInt64(shift % 64)
            switch shift / 64 {
            case 0: limbs.0 |= value
            case 1: limbs.1 |= value
            case 2: limbs.2 |= value
            default: limbs.3 |= value
            }
            shift -= 8
        }
        self.init(limbs: limbs.0, limbs.1, limbs.2, limbs.3)
    }

    /// The 32-byte big-endian form.
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<4 {
            let limb = self[limb: 3 - i]
            for j in 0..<8 { out[i * 8 + j] = UInt8(truncatingIfNeeded: limb >> UInt64(56 - 8 * j)) }
        }
        return out
    }

    /// The shortest big-endian form, empty for zero (as RLP wants it).
    public var minimalBigEndianBytes: [UInt8] { Array(bigEndianBytes.dropFirst(32 - byteLength)) }

    /// Appends `minimalBigEndianBytes` to `out` without building them first.
    public func appendMinimalBigEndianBytes(to out: inout [UInt8]) {
        for i in stride(from: byteLength - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: self[limb: i / 8] >> UInt64(8 * (i % 8))))
        }
    }
}

// MARK: - Comparison

extension UInt256: Comparable {
    @inlinable public static func < (a: UInt256, b: UInt256) -> Bool {
        if a.l3 != b.l3 { return a.l3 < b.l3 }
        if a.l2 != b.l2 { return a.l2 < b.l2 }
        if a.l1 != b.l1 { return a.l1 < b.l1 }
        return a.l0 < b.l0
    }
}

extension UInt256: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(value) }
}

// MARK: - Arithmetic

extension UInt256 {
    @inlinable
    public func addingReportingOverflow(_ b: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (r0, c0) = l0.addingReportingOverflow(b.l0)
        var (r1, c1) = l1.addingReportingOverflow(b.l1)
        var c1b = false
        if c0 { (r1, c1b) = r1.addingReportingOverflow(1) }
        var (r2, c2) = l2.addingReportingOverflow(b.l2)
        var c2b = false
        if c1 || c1b { (r2, c2b) = r2.addingReportingOverflow(1) }
        var (r3, c3) = l3.addingReportingOverflow(b.l3)
        var c3b = false
        if c2 || c2b { (r3, c3b) = r3.addingReportingOverflow(1) }
        return (UInt256(limbs: r0, r1, r2, r3), c3 || c3b)
    }

    @inlinable
    public func subtractingReportingOverflow(_ b: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (r0, c0) = l0.subtractingReportingOverflow(b.l0)
        var (r1, c1) = l1.subtractingReportingOverflow(b.l1)
        var c1b = false
        if c0 { (r1, c1b) = r1.subtractingReportingOverflow(1) }
        var (r2, c2) = l2.subtractingReportingOverflow(b.l2)
        var c2b = false
        if c1 || c1b { (r2, c2b) = r2.subtractingReportingOverflow(1) }
        var (r3, c3) = l3.subtractingReportingOverflow(b.l3)
        var c3b = false
        if c2 || c2b { (r3, c3b) = r3.subtractingReportingOverflow(1) }
        return (UInt256(limbs: r0, r1, r2, r3), c3 || c3b)
    }

    /// The full 512-bit product as (high, low). Schoolbook on 64-bit limbs, on the stack.
    public func multipliedFullWidth(by b: UInt256) -> (high: UInt256, low: UInt256) {
        var r: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &r) { raw in
            let out = raw.bindMemory(to: UInt64.self)
            for i in 0..<4 {
                let ai = self[limb: i]
                if ai == 0 { continue }
                var carry: UInt64 = 0
                for j in 0..<4 {
                    let (hi, lo) = ai.multipliedFullWidth(by: b[limb: j])
                    let (s1, o1) = out[i + j].addingReportingOverflow(lo)
                    let (s2, o2) = s1.addingReportingOverflow(carry)
                    out[i + j] = s2
                    carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
                }
                out[i + 4] = carry
            }
        }
        return (UInt256(limbs: r.4, r.5, r.6, r.7), UInt256(limbs: r.0, r.1, r.2, r.3))
    }

    /// The product and whether it overflowed 256 bits; a fast path when `b` fits 64 bits.
    @inlinable
    public func multipliedReportingOverflow(by b: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        if let small = b.uint64 {
            let (h0, p0) = l0.multipliedFullWidth(by: small)
            let (h1, p1) = l1.multipliedFullWidth(by: small)
            let (h2, p2) = l2.multipliedFullWidth(by: small)
            let (h3, p3) = l3.multipliedFullWidth(by: small)
            let (r1, c1) = p1.addingReportingOverflow(h0)
            let (r2a, c2a) = p2.addingReportingOverflow(h1)
            let (r2, c2b) = r2a.addingReportingOverflow(c1 ? 1 : 0)
            let (r3a, c3a) = p3.addingReportingOverflow(h2)
            let (r3, c3b) = r3a.addingReportingOverflow((c2a ? 1 : 0) + (c2b ? 1 : 0))
            let overflow = h3 != 0 || c3a || c3b
            return (UInt256(limbs: p0, r1, r2, r3), overflow)
        }
        let (high, low) = multipliedFullWidth(by: b)
        return (low, !high.isZero)
    }

    /// Quotient and remainder; traps when dividing by zero.
    public func quotientAndRemainder(dividingBy divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        precondition(!divisor.isZero, "UInt256 division by zero")
        if self < divisor { return (.zero, self) }
        if let d = divisor.uint64 {
            var q = UInt256.zero
            var rem: UInt64 = 0
            for i in stride(from: 3, through: 0, by: -1) {
                let (qi, ri) = d.dividingFullWidth((rem, self[limb: i]))
                q[limb: i] = qi
                rem = ri
            }
            return (q, UInt256(rem))
        }
        // Binary long division, starting at the dividend's top bit.
        var q = UInt256.zero
        var r = UInt256.zero
        for i in stride(from: bitLength - 1, through: 0, by: -1) {
            r = r << 1
            if bit(i) { r.l0 |= 1 }
            if r >= divisor {
                r = r &- divisor
                q[limb: i / 64] |= 1 << UInt64(i % 64)
            }
        }
        return (q, r)
    }

    @inlinable public static func + (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.addingReportingOverflow(b)
        precondition(!o, "UInt256 addition overflow")
        return r
    }
    @inlinable public static func - (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.subtractingReportingOverflow(b)
        precondition(!o, "UInt256 subtraction underflow")
        return r
    }
    @inlinable public static func * (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        precondition(!o, "UInt256 multiplication overflow")
        return r
    }
    @inlinable public static func &+ (a: UInt256, b: UInt256) -> UInt256 { a.addingReportingOverflow(b).partialValue }
    @inlinable public static func &- (a: UInt256, b: UInt256) -> UInt256 { a.subtractingReportingOverflow(b).partialValue }
    public static func &* (a: UInt256, b: UInt256) -> UInt256 { a.multipliedFullWidth(by: b).low }
    public static func / (a: UInt256, b: UInt256) -> UInt256 { a.quotientAndRemainder(dividingBy: b).quotient }
    public static func % (a: UInt256, b: UInt256) -> UInt256 { a.quotientAndRemainder(dividingBy: b).remainder }
    public static func += (a: inout UInt256, b: UInt256) { a = a + b }
    public static func -= (a: inout UInt256, b: UInt256) { a = a - b }
    public static func *= (a: inout UInt256, b: UInt256) { a = a * b }
}

// MARK: - Bits

extension UInt256 {
    public static func & (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: a.l0 & b.l0, a.l1 & b.l1, a.l2 & b.l2, a.l3 & b.l3)
    }
    public static func | (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: a.l0 | b.l0, a.l1 | b.l1, a.l2 | b.l2, a.l3 | b.l3)
    }
    public static func ^ (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: a.l0 ^ b.l0, a.l1 ^ b.l1, a.l2 ^ b.l2, a.l3 ^ b.l3)
    }
    public static prefix func ~ (a: UInt256) -> UInt256 { UInt256(limbs: ~a.l0, ~a.l1, ~a.l2, ~a.l3) }

    /// Logical shift left; shifts of 256 or more give zero.
    public static func << (a: UInt256, n: Int) -> UInt256 {
        if n <= 0 { return n == 0 ? a : a >> -n }
        if n >= 256 { return .zero }
        let limbShift = n / 64, bitShift = UInt64(n % 64)
        var r = UInt256.zero
        for i in stride(from: 3, through: limbShift, by: -1) {
            var v = a[limb: i - limbShift] << bitShift
            if bitShift != 0, i - limbShift - 1 >= 0 { v |= a[limb: i - limbShift - 1] >> (64 - bitShift) }
            r[limb: i] = v
        }
        return r
    }

    /// Logical shift right; shifts of 256 or more give zero.
    public static func >> (a: UInt256, n: Int) -> UInt256 {
        if n <= 0 { return n == 0 ? a : a << -n }
        if n >= 256 { return .zero }
        let limbShift = n / 64, bitShift = UInt64(n % 64)
        var r = UInt256.zero
        for i in 0...(3 - limbShift) {
            var v = a[limb: i + limbShift] >> bitShift
            if bitShift != 0, i + limbShift + 1 <= 3 { v |= a[limb: i + limbShift + 1] << (64 - bitShift) }
            r[limb: i] = v
        }
        return r
    }
}

// MARK: - Text

extension UInt256: CustomStringConvertible, LosslessStringConvertible {
    /// Decimal digits, or hex with a `0x` prefix; nil if malformed or over 2^256 − 1.
    public init?(_ text: String) {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            self.init(hexQuantity: text)
        } else {
            self.init(decimal: text)
        }
    }

    /// Decimal digits only; nil if empty, malformed or over 2^256 − 1.
    public init?(decimal text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 80 else { return nil }
        var value = UInt256.zero
        for c in text.utf8 {
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt256(UInt64(c - 0x30)))
            if o1 || o2 { return nil }
            value = s
        }
        self = value
    }

    /// Hex digits with an optional `0x` prefix, any length of leading zeros; nil if malformed or too large.
    public init?(hexQuantity text: some StringProtocol) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty else { return nil }
        var value = UInt256.zero
        for c in digits.utf8 {
            guard let n = Hex.nibble(c) else { return nil }
            guard value.l3 >> 60 == 0 else { return nil }
            value = (value << 4) | UInt256(UInt64(n))
        }
        self = value
    }

    /// Decimal text.
    public var description: String {
        if isZero { return "0" }
        var chunks: [UInt64] = []
        var v = self
        let tenPow19: UInt256 = 10_000_000_000_000_000_000
        while !v.isZero {
            let (q, r) = v.quotientAndRemainder(dividingBy: tenPow19)
            chunks.append(r.l0)
            v = q
        }
        var text = String(chunks.last!)
        for chunk in chunks.dropLast().reversed() {
            let part = String(chunk)
            text += String(repeating: "0", count: 19 - part.count) + part
        }
        return text
    }

    /// `0x`-prefixed hex without leading zeros (`0x0` for zero): an Ethereum JSON-RPC quantity.
    public var hexQuantity: String {
        if isZero { return "0x0" }
        let hex = Hex.encode(minimalBigEndianBytes, prefix: false)
        return "0x" + (hex.hasPrefix("0") ? String(hex.dropFirst()) : hex)
    }
}
