// BLS12-381 base field and its tower Fp2 → Fp6 → Fp12, as value types with no heap use.
//
// Kept in one file so the optimizer can inline the base-field arithmetic into the tower
// even in builds without whole-module optimization (debug builds of MoteEVM use -O per file).

/// An element of Fp, p = 0x1a0111ea…aaab (381 bits), as six little-endian 64-bit limbs in
/// Montgomery form (a·2^384 mod p).
struct BLS12381Fp: Equatable, Sendable {
    var l0, l1, l2, l3, l4, l5: UInt64

    /// Little-endian limbs of an integer, for exponents and canonical values.
    typealias Limbs = InlineArray<6, UInt64>

    // The modulus p, little-endian limbs.
    static let p0: UInt64 = 0xb9feffffffffaaab, p1: UInt64 = 0x1eabfffeb153ffff, p2: UInt64 = 0x6730d2a0f6b0f624
    static let p3: UInt64 = 0x64774b84f38512bf, p4: UInt64 = 0x4b1ba7b6434bacd7, p5: UInt64 = 0x1a0111ea397fe69a
    /// −p⁻¹ mod 2^64.
    static let nInv: UInt64 = 0x89f3fffcfffcfffd

    static let zero = BLS12381Fp(0, 0, 0, 0, 0, 0)
    /// 1 in Montgomery form (2^384 mod p).
    static let one = BLS12381Fp(0x760900000002fffd, 0xebf4000bc40c0002, 0x5f48985753c758ba,
                                0x77ce585370525745, 0x5c071a97a256ec6d, 0x15f65ec3fa80e493)
    /// 2^768 mod p, to enter Montgomery form.
    static let r2 = BLS12381Fp(0xf4df1f341c341746, 0x0a76e6a609d104f1, 0x8de5476c4c95b6d5,
                               0x67eb88a9939d83c0, 0x9a793e85b519952d, 0x11988fe592cae3aa)

    @inline(__always) init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64, _ l5: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4; self.l5 = l5
    }

    /// The canonical integer `v` (v < p) as a field element.
    init(canonical v: Limbs) { self = BLS12381Fp(v[0], v[1], v[2], v[3], v[4], v[5]) * Self.r2 }

    /// A small integer.
    init(_ v: UInt64) { self = BLS12381Fp(v, 0, 0, 0, 0, 0) * Self.r2 }

    /// A 48-byte big-endian integer; nil unless it is below p.
    init?(bigEndian bytes: ArraySlice<UInt8>) {
        guard bytes.count == 48 else { return nil }
        var l = Limbs(repeating: 0)
        var index = bytes.startIndex
        for i in stride(from: 5, through: 0, by: -1) {
            var w: UInt64 = 0
            for _ in 0..<8 { w = w << 8 | UInt64(bytes[index]); index += 1 }
            l[i] = w
        }
        guard Self.less(l, Self.modulus) else { return nil }
        self.init(canonical: l)
    }

    /// A constant from 96 hex digits (big-endian); only for the built-in constants.
    init(hex: StaticString) {
        var bytes = [UInt8](); bytes.reserveCapacity(48)
        hex.withUTF8Buffer { buf in
            var i = 0
            while i + 1 < buf.count {
                bytes.append(UInt8(Self.nibble(buf[i]) << 4 | Self.nibble(buf[i + 1]))); i += 2
            }
        }
        self = BLS12381Fp(bigEndian: bytes[...])!
    }

    private static func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c >= 65 ? c - 55 : c - 48 }

    /// The modulus p as limbs.
    static let modulus: Limbs = [p0, p1, p2, p3, p4, p5]

    /// The canonical integer (out of Montgomery form).
    var canonical: Limbs {
        let c = self * BLS12381Fp(1, 0, 0, 0, 0, 0)
        return [c.l0, c.l1, c.l2, c.l3, c.l4, c.l5]
    }

    var isZero: Bool { (l0 | l1 | l2 | l3 | l4 | l5) == 0 }

    static func == (a: BLS12381Fp, b: BLS12381Fp) -> Bool {
        ((a.l0 ^ b.l0) | (a.l1 ^ b.l1) | (a.l2 ^ b.l2) | (a.l3 ^ b.l3) | (a.l4 ^ b.l4) | (a.l5 ^ b.l5)) == 0
    }

    /// a < b as integers.
    static func less(_ a: Limbs, _ b: Limbs) -> Bool {
        for i in stride(from: 5, through: 0, by: -1) where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    /// Whether the canonical value exceeds (p−1)/2 (the ZCash "larger root" sign).
    var isLexicographicallyLarge: Bool {
        let half: Limbs = [0xdcff7fffffffd555, 0x0f55ffff58a9ffff, 0xb39869507b587b12,
                           0xb23ba5c279c2895f, 0x258dd3db21a5d66b, 0x0d0088f51cbff34d]
        return Self.less(half, canonical)
    }

    /// t + a·b + carry: returns the low word, leaves the high word in carry.
    @inline(__always) private static func mac(_ t: UInt64, _ a: UInt64, _ b: UInt64, _ carry: inout UInt64) -> UInt64 {
        let (hi, lo) = a.multipliedFullWidth(by: b)
        let (s1, o1) = lo.addingReportingOverflow(t)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        return s2
    }

    /// a + b + carry-in: (sum, carry-out).
    @inline(__always) private static func addCarry(_ a: UInt64, _ b: UInt64, _ cin: UInt64 = 0) -> (UInt64, UInt64) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(cin)
        return (s2, (o1 ? 1 : 0) | (o2 ? 1 : 0))
    }

    /// a − b − borrow-in: (difference, borrow-out).
    @inline(__always) private static func subBorrow(_ a: UInt64, _ b: UInt64, _ bin: UInt64) -> (UInt64, UInt64) {
        let (d1, o1) = a.subtractingReportingOverflow(b)
        let (d2, o2) = d1.subtractingReportingOverflow(bin)
        return (d2, (o1 ? 1 : 0) | (o2 ? 1 : 0))
    }

    /// The value (carry·2^384 + t) − p if that is non-negative, else the value itself; the
    /// value must be below 2p.
    @inline(__always) private init(reducing t0: UInt64, _ t1: UInt64, _ t2: UInt64, _ t3: UInt64,
                                   _ t4: UInt64, _ t5: UInt64, carry: UInt64) {
        var b: UInt64 = 0
        let d0: UInt64, d1: UInt64, d2: UInt64, d3: UInt64, d4: UInt64, d5: UInt64
        (d0, b) = Self.subBorrow(t0, Self.p0, 0)
        (d1, b) = Self.subBorrow(t1, Self.p1, b)
        (d2, b) = Self.subBorrow(t2, Self.p2, b)
        (d3, b) = Self.subBorrow(t3, Self.p3, b)
        (d4, b) = Self.subBorrow(t4, Self.p4, b)
        (d5, b) = Self.subBorrow(t5, Self.p5, b)
        if carry != 0 || b == 0 {
            self.init(d0, d1, d2, d3, d4, d5)
        } else {
            self.init(t0, t1, t2, t3, t4, t5)
        }
    }

    @inline(__always) static func + (a: BLS12381Fp, b: BLS12381Fp) -> BLS12381Fp {
        var c: UInt64 = 0
        let s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64, s4: UInt64, s5: UInt64
        (s0, c) = addCarry(a.l0, b.l0, 0)
        (s1, c) = addCarry(a.l1, b.l1, c)
        (s2, c) = addCarry(a.l2, b.l2, c)
        (s3, c) = addCarry(a.l3, b.l3, c)
        (s4, c) = addCarry(a.l4, b.l4, c)
        (s5, c) = addCarry(a.l5, b.l5, c)
        return BLS12381Fp(reducing: s0, s1, s2, s3, s4, s5, carry: c)
    }

    @inline(__always) static func - (a: BLS12381Fp, b: BLS12381Fp) -> BLS12381Fp {
        var bw: UInt64 = 0
        var d0: UInt64, d1: UInt64, d2: UInt64, d3: UInt64, d4: UInt64, d5: UInt64
        (d0, bw) = subBorrow(a.l0, b.l0, 0)
        (d1, bw) = subBorrow(a.l1, b.l1, bw)
        (d2, bw) = subBorrow(a.l2, b.l2, bw)
        (d3, bw) = subBorrow(a.l3, b.l3, bw)
        (d4, bw) = subBorrow(a.l4, b.l4, bw)
        (d5, bw) = subBorrow(a.l5, b.l5, bw)
        if bw != 0 {
            var c: UInt64 = 0
            (d0, c) = addCarry(d0, p0, 0)
            (d1, c) = addCarry(d1, p1, c)
            (d2, c) = addCarry(d2, p2, c)
            (d3, c) = addCarry(d3, p3, c)
            (d4, c) = addCarry(d4, p4, c)
            (d5, _) = addCarry(d5, p5, c)
        }
        return BLS12381Fp(d0, d1, d2, d3, d4, d5)
    }

    @inline(__always) static prefix func - (a: BLS12381Fp) -> BLS12381Fp { zero - a }

    /// Montgomery product a·b·2^−384 mod p (CIOS, unrolled).
    @inline(__always) static func * (a: BLS12381Fp, b: BLS12381Fp) -> BLS12381Fp {
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0, t4: UInt64 = 0, t5: UInt64 = 0, t6: UInt64 = 0, t7: UInt64 = 0
        var c: UInt64 = 0, m: UInt64 = 0
        // limb 0 of b
        c = 0
        t0 = mac(t0, a.l0, b.l0, &c)
        t1 = mac(t1, a.l1, b.l0, &c)
        t2 = mac(t2, a.l2, b.l0, &c)
        t3 = mac(t3, a.l3, b.l0, &c)
        t4 = mac(t4, a.l4, b.l0, &c)
        t5 = mac(t5, a.l5, b.l0, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        // limb 1 of b
        c = 0
        t0 = mac(t0, a.l0, b.l1, &c)
        t1 = mac(t1, a.l1, b.l1, &c)
        t2 = mac(t2, a.l2, b.l1, &c)
        t3 = mac(t3, a.l3, b.l1, &c)
        t4 = mac(t4, a.l4, b.l1, &c)
        t5 = mac(t5, a.l5, b.l1, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        // limb 2 of b
        c = 0
        t0 = mac(t0, a.l0, b.l2, &c)
        t1 = mac(t1, a.l1, b.l2, &c)
        t2 = mac(t2, a.l2, b.l2, &c)
        t3 = mac(t3, a.l3, b.l2, &c)
        t4 = mac(t4, a.l4, b.l2, &c)
        t5 = mac(t5, a.l5, b.l2, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        // limb 3 of b
        c = 0
        t0 = mac(t0, a.l0, b.l3, &c)
        t1 = mac(t1, a.l1, b.l3, &c)
        t2 = mac(t2, a.l2, b.l3, &c)
        t3 = mac(t3, a.l3, b.l3, &c)
        t4 = mac(t4, a.l4, b.l3, &c)
        t5 = mac(t5, a.l5, b.l3, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        // limb 4 of b
        c = 0
        t0 = mac(t0, a.l0, b.l4, &c)
        t1 = mac(t1, a.l1, b.l4, &c)
        t2 = mac(t2, a.l2, b.l4, &c)
        t3 = mac(t3, a.l3, b.l4, &c)
        t4 = mac(t4, a.l4, b.l4, &c)
        t5 = mac(t5, a.l5, b.l4, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        // limb 5 of b
        c = 0
        t0 = mac(t0, a.l0, b.l5, &c)
        t1 = mac(t1, a.l1, b.l5, &c)
        t2 = mac(t2, a.l2, b.l5, &c)
        t3 = mac(t3, a.l3, b.l5, &c)
        t4 = mac(t4, a.l4, b.l5, &c)
        t5 = mac(t5, a.l5, b.l5, &c)
        (t6, t7) = addCarry(t6, c)
        m = t0 &* nInv
        c = 0
        _ = mac(t0, m, p0, &c)
        t0 = mac(t1, m, p1, &c)
        t1 = mac(t2, m, p2, &c)
        t2 = mac(t3, m, p3, &c)
        t3 = mac(t4, m, p4, &c)
        t4 = mac(t5, m, p5, &c)
        (t5, c) = addCarry(t6, c)
        t6 = t7 &+ c
        return BLS12381Fp(reducing: t0, t1, t2, t3, t4, t5, carry: t6)
    }

    @inline(__always) var squared: BLS12381Fp { self * self }
    @inline(__always) var doubled: BLS12381Fp { self + self }

    /// self^e for a little-endian exponent.
    func power(_ e: Limbs) -> BLS12381Fp {
        var result = BLS12381Fp.one
        for i in stride(from: 5, through: 0, by: -1) {
            let word = e[i]
            for bit in stride(from: 63, through: 0, by: -1) {
                result = result.squared
                if (word >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// The inverse (0 maps to 0), by Fermat: self^(p−2).
    var inverse: BLS12381Fp {
        power([0xb9feffffffffaaa9, 0x1eabfffeb153ffff, 0x6730d2a0f6b0f624,
               0x64774b84f38512bf, 0x4b1ba7b6434bacd7, 0x1a0111ea397fe69a])
    }

    /// A square root if one exists (p ≡ 3 mod 4: self^((p+1)/4)).
    var squareRoot: BLS12381Fp? {
        let s = power([0xee7fbfffffffeaab, 0x07aaffffac54ffff, 0xd9cc34a83dac3d89,
                       0xd91dd2e13ce144af, 0x92c6e9ed90d2eb35, 0x0680447a8e5ff9a6])
        return s.squared == self ? s : nil
    }
}

/// Fp2 = Fp[u]/(u² + 1).
struct BLS12381Fp2: Equatable, Sendable {
    var c0: BLS12381Fp
    var c1: BLS12381Fp

    static let zero = BLS12381Fp2(c0: .zero, c1: .zero)
    static let one = BLS12381Fp2(c0: .one, c1: .zero)

    var isZero: Bool { c0.isZero && c1.isZero }

    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(c0: a.c0 + b.c0, c1: a.c1 + b.c1) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(c0: a.c0 - b.c0, c1: a.c1 - b.c1) }
    @inline(__always) static prefix func - (a: Self) -> Self { Self(c0: -a.c0, c1: -a.c1) }

    /// Karatsuba: three base-field products.
    @inline(__always) static func * (a: Self, b: Self) -> Self {
        let t0 = a.c0 * b.c0, t1 = a.c1 * b.c1
        return Self(c0: t0 - t1, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1)
    }

    /// Product with a base-field element.
    @inline(__always) static func * (a: Self, b: BLS12381Fp) -> Self { Self(c0: a.c0 * b, c1: a.c1 * b) }

    /// (a0 + a1 u)² = (a0 + a1)(a0 − a1) + 2 a0 a1 u.
    @inline(__always) var squared: Self {
        let t = c0 * c1
        return Self(c0: (c0 + c1) * (c0 - c1), c1: t + t)
    }

    @inline(__always) var doubled: Self { self + self }

    /// Product with the non-residue ξ = 1 + u that defines Fp6 and the twist.
    @inline(__always) var timesXi: Self { Self(c0: c0 - c1, c1: c0 + c1) }

    var conjugate: Self { Self(c0: c0, c1: -c1) }

    /// The inverse (0 maps to 0): conj / norm.
    var inverse: Self {
        let n = (c0.squared + c1.squared).inverse
        return Self(c0: c0 * n, c1: -(c1 * n))
    }
}

/// Fp6 = Fp2[v]/(v³ − ξ).
struct BLS12381Fp6: Equatable, Sendable {
    var c0: BLS12381Fp2
    var c1: BLS12381Fp2
    var c2: BLS12381Fp2

    static let zero = BLS12381Fp6(c0: .zero, c1: .zero, c2: .zero)
    static let one = BLS12381Fp6(c0: .one, c1: .zero, c2: .zero)

    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(c0: a.c0 + b.c0, c1: a.c1 + b.c1, c2: a.c2 + b.c2) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(c0: a.c0 - b.c0, c1: a.c1 - b.c1, c2: a.c2 - b.c2) }
    @inline(__always) static prefix func - (a: Self) -> Self { Self(c0: -a.c0, c1: -a.c1, c2: -a.c2) }

    /// Karatsuba: six Fp2 products.
    static func * (a: Self, b: Self) -> Self {
        let t0 = a.c0 * b.c0, t1 = a.c1 * b.c1, t2 = a.c2 * b.c2
        let c0 = t0 + ((a.c1 + a.c2) * (b.c1 + b.c2) - t1 - t2).timesXi
        let c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1 + t2.timesXi
        let c2 = (a.c0 + a.c2) * (b.c0 + b.c2) - t0 - t2 + t1
        return Self(c0: c0, c1: c1, c2: c2)
    }

    /// Product with v: (a0, a1, a2)·v = (ξ a2, a0, a1).
    @inline(__always) var timesV: Self { Self(c0: c2.timesXi, c1: c0, c2: c1) }

    var inverse: Self {
        let t0 = c0.squared - (c1 * c2).timesXi
        let t1 = c2.squared.timesXi - c0 * c1
        let t2 = c1.squared - c0 * c2
        let n = (c0 * t0 + (c2 * t1 + c1 * t2).timesXi).inverse
        return Self(c0: t0 * n, c1: t1 * n, c2: t2 * n)
    }
}

/// Fp12 = Fp6[w]/(w² − v); the pairing's target group lives here.
struct BLS12381Fp12: Equatable, Sendable {
    var c0: BLS12381Fp6
    var c1: BLS12381Fp6

    static let one = BLS12381Fp12(c0: .one, c1: .zero)

    static func * (a: Self, b: Self) -> Self {
        let t0 = a.c0 * b.c0, t1 = a.c1 * b.c1
        return Self(c0: t0 + t1.timesV, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1)
    }

    /// (a + bw)² = a² + v b² + 2ab w, with two Fp6 products.
    var squared: Self {
        let ab = c0 * c1
        let t = (c0 + c1) * (c0 + c1.timesV) - ab - ab.timesV
        return Self(c0: t, c1: ab + ab)
    }

    /// a − bw: the p⁶-power Frobenius, and the inverse on the cyclotomic subgroup.
    var conjugate: Self { Self(c0: c0, c1: -c1) }

    var inverse: Self {
        let n = (c0 * c0 - (c1 * c1).timesV).inverse
        return Self(c0: c0 * n, c1: -(c1 * n))
    }
}

extension BLS12381Fp12 {
    /// ξ^(i(p−1)/6) for the coefficient of wⁱ, i = 0…5.
    static let frobenius1Coefficients: InlineArray<6, BLS12381Fp2> = [
        .one,
        BLS12381Fp2(c0: BLS12381Fp(hex: "1904d3bf02bb0667c231beb4202c0d1f0fd603fd3cbd5f4f7b2443d784bab9c4f67ea53d63e7813d8d0775ed92235fb8"),
                    c1: BLS12381Fp(hex: "00fc3e2b36c4e03288e9e902231f9fb854a14787b6c7b36fec0c8ec971f63c5f282d5ac14d6c7ec22cf78a126ddc4af3")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
                    c1: BLS12381Fp(hex: "1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaac")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "06af0e0437ff400b6831e36d6bd17ffe48395dabc2d3435e77f76e17009241c5ee67992f72ec05f4c81084fbede3cc09"),
                    c1: BLS12381Fp(hex: "06af0e0437ff400b6831e36d6bd17ffe48395dabc2d3435e77f76e17009241c5ee67992f72ec05f4c81084fbede3cc09")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaad"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "05b2cfd9013a5fd8df47fa6b48b1e045f39816240c0b8fee8beadf4d8e9c0566c63a3e6e257f87329b18fae980078116"),
                    c1: BLS12381Fp(hex: "144e4211384586c16bd3ad4afa99cc9170df3560e77982d0db45f3536814f0bd5871c1908bd478cd1ee605167ff82995")),
    ]
    /// ξ^(i(p²−1)/6) for the coefficient of wⁱ, i = 0…5.
    static let frobenius2Coefficients: InlineArray<6, BLS12381Fp2> = [
        .one,
        BLS12381Fp2(c0: BLS12381Fp(hex: "00000000000000005f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffeffff"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "00000000000000005f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffe"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaaa"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaac"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
        BLS12381Fp2(c0: BLS12381Fp(hex: "1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaad"),
                    c1: BLS12381Fp(hex: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")),
    ]

    /// self^p: conjugate each Fp2 coefficient of wⁱ and scale it by ξ^(i(p−1)/6).
    var frobenius: Self {
        let g = Self.frobenius1Coefficients
        return Self(
            c0: BLS12381Fp6(c0: c0.c0.conjugate, c1: c0.c1.conjugate * g[2], c2: c0.c2.conjugate * g[4]),
            c1: BLS12381Fp6(c0: c1.c0.conjugate * g[1], c1: c1.c1.conjugate * g[3], c2: c1.c2.conjugate * g[5]))
    }

    /// self^(p²): Fp2 is fixed, so only scale the coefficient of wⁱ by ξ^(i(p²−1)/6).
    var frobenius2: Self {
        let g = Self.frobenius2Coefficients
        return Self(
            c0: BLS12381Fp6(c0: c0.c0, c1: c0.c1 * g[2], c2: c0.c2 * g[4]),
            c1: BLS12381Fp6(c0: c1.c0 * g[1], c1: c1.c1 * g[3], c2: c1.c2 * g[5]))
    }

    /// (a + b·s)² in Fp4 = Fp2[s]/(s² − ξ), s = w³.
    @inline(__always)
    private static func fp4Squared(_ a: BLS12381Fp2, _ b: BLS12381Fp2) -> (BLS12381Fp2, BLS12381Fp2) {
        let a2 = a.squared, b2 = b.squared
        return (a2 + b2.timesXi, (a + b).squared - a2 - b2)
    }

    /// Squaring in the cyclotomic subgroup (Granger–Scott). Seen as A + B·w + C·w² over
    /// Fp4 = Fp2[w³], the square is (3A² − 2Ā) + (3w³C² + 2B̄)·w + (3B² − 2C̄)·w², where the
    /// bar negates the w³ part. Valid only for elements of order dividing p⁴ − p² + 1.
    var cyclotomicSquared: Self {
        // A = w⁰ + w³ parts, B = w¹ + w⁴, C = w² + w⁵.
        let (a0, a1) = Self.fp4Squared(c0.c0, c1.c1)
        let (b0, b1) = Self.fp4Squared(c1.c0, c0.c2)
        let (cc0, cc1) = Self.fp4Squared(c0.c1, c1.c2)
        let newA0 = (a0 - c0.c0).doubled + a0, newA1 = (a1 + c1.c1).doubled + a1
        let newC0 = (b0 - c0.c1).doubled + b0, newC1 = (b1 + c1.c2).doubled + b1
        let sc = cc1.timesXi
        let newB0 = (sc + c1.c0).doubled + sc, newB1 = (cc0 - c0.c2).doubled + cc0
        return Self(c0: BLS12381Fp6(c0: newA0, c1: newC0, c2: newB1),
                    c1: BLS12381Fp6(c0: newB0, c1: newA1, c2: newC1))
    }

    /// self · (a + b·v + c·v·w), the shape of a Miller-loop line: 13 Fp2 products, not 18.
    func multiplied(byLine a: BLS12381Fp2, _ b: BLS12381Fp2, _ c: BLS12381Fp2) -> Self {
        let t0 = Self.sparse(c0, a, b)
        let t1 = BLS12381Fp6(c0: c1.c0 * c, c1: c1.c1 * c, c2: c1.c2 * c).timesV
        let t2 = Self.sparse(c0 + c1, a, b + c)
        return Self(c0: t0 + t1.timesV, c1: t2 - t0 - t1)
    }

    /// x · (a + b·v) in Fp6, Karatsuba: five Fp2 products.
    @inline(__always)
    private static func sparse(_ x: BLS12381Fp6, _ a: BLS12381Fp2, _ b: BLS12381Fp2) -> BLS12381Fp6 {
        let t0 = x.c0 * a, t1 = x.c1 * b
        return BLS12381Fp6(c0: t0 + (x.c2 * b).timesXi,
                           c1: (x.c0 + x.c1) * (a + b) - t0 - t1,
                           c2: x.c2 * a + t1)
    }
}
