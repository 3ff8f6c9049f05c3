/// Arithmetic in the base field Fp of BN254 (alt_bn128) and its quadratic extension Fp2.
///
/// Elements live in Montgomery form (a·2^256 mod p) on four little-endian UInt64 limbs;
/// every operation is a value-type computation with no heap allocation.

/// What the curve and pairing code needs from a field: Fp for G1, Fp2 for G2.
protocol BN254FieldElement: Equatable {
    static var zero: Self { get }
    static var one: Self { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    var squared: Self { get }
    var isZero: Bool { get }
    /// The multiplicative inverse; zero maps to zero.
    var inverse: Self { get }
}

extension BN254FieldElement {
    /// 2·a.
    @inline(__always) var doubled: Self { self + self }
}

/// `acc + x·y + carry` as (low word, new carry); never overflows 128 bits.
@inline(__always)
private func mac(_ acc: UInt64, _ x: UInt64, _ y: UInt64, _ carry: inout UInt64) -> UInt64 {
    let (hi, lo) = x.multipliedFullWidth(by: y)
    let (s1, c1) = lo.addingReportingOverflow(acc)
    let (s2, c2) = s1.addingReportingOverflow(carry)
    carry = hi &+ (c1 ? 1 : 0) &+ (c2 ? 1 : 0)
    return s2
}

/// `a + b + carry` as (sum, carry out).
@inline(__always)
private func adc(_ a: UInt64, _ b: UInt64, _ carry: inout UInt64) -> UInt64 {
    let (s1, c1) = a.addingReportingOverflow(b)
    let (s2, c2) = s1.addingReportingOverflow(carry)
    carry = (c1 ? 1 : 0) &+ (c2 ? 1 : 0)
    return s2
}

/// `a - b - borrow` as (difference, borrow out).
@inline(__always)
private func sbb(_ a: UInt64, _ b: UInt64, _ borrow: inout UInt64) -> UInt64 {
    let (d1, b1) = a.subtractingReportingOverflow(b)
    let (d2, b2) = d1.subtractingReportingOverflow(borrow)
    borrow = (b1 ? 1 : 0) &+ (b2 ? 1 : 0)
    return d2
}

/// An element of Fp, p = 0x30644e72…d87cfd47, in Montgomery form.
struct BN254Fp: BN254FieldElement {
    var l0, l1, l2, l3: UInt64

    @inline(__always) init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    static let p0: UInt64 = 0x3c20_8c16_d87c_fd47
    static let p1: UInt64 = 0x9781_6a91_6871_ca8d
    static let p2: UInt64 = 0xb850_45b6_8181_585d
    static let p3: UInt64 = 0x3064_4e72_e131_a029
    /// -p⁻¹ mod 2^64.
    static let pInv: UInt64 = 0x87d2_0782_e486_6389
    /// R² mod p, R = 2^256: multiplying by it enters Montgomery form.
    static let r2 = BN254Fp(0xf32c_fc5b_538a_fa89, 0xb5e7_1911_d445_01fb, 0x47ab_1eff_0a41_7ff6, 0x06d8_9f71_cab8_351f)

    static let zero = BN254Fp(0, 0, 0, 0)
    static let one = BN254Fp(0xd35d_438d_c58f_0d9d, 0x0a78_eb28_f5c7_0b3d, 0x666e_a36f_7879_462c, 0x0e0a_77c1_9a07_df2f)
    /// 3, the G1 curve constant b.
    static let three = BN254Fp(0x7a17_caa9_50ad_28d7, 0x1f6a_c17a_e155_21b9, 0x334b_ea4e_696b_d284, 0x2a1f_6744_ce17_9d8e)

    @inline(__always) var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    /// Reduces a 256-bit value (plus carry bit) known to be below 2p; branch-free.
    @inline(__always)
    private static func reduceOnce(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, carry: UInt64) -> BN254Fp {
        var b: UInt64 = 0
        let d0 = sbb(a0, p0, &b), d1 = sbb(a1, p1, &b), d2 = sbb(a2, p2, &b), d3 = sbb(a3, p3, &b)
        let (_, under) = carry.subtractingReportingOverflow(b)
        let keep = 0 &- UInt64(under ? 1 : 0)   // all ones when a < p
        return BN254Fp(d0 ^ ((a0 ^ d0) & keep), d1 ^ ((a1 ^ d1) & keep), d2 ^ ((a2 ^ d2) & keep), d3 ^ ((a3 ^ d3) & keep))
    }

    @inline(__always) static func + (a: BN254Fp, b: BN254Fp) -> BN254Fp {
        var c: UInt64 = 0
        let s0 = adc(a.l0, b.l0, &c), s1 = adc(a.l1, b.l1, &c), s2 = adc(a.l2, b.l2, &c), s3 = adc(a.l3, b.l3, &c)
        return reduceOnce(s0, s1, s2, s3, carry: c)
    }

    /// a − b, adding p back (masked, branch-free) on borrow.
    @inline(__always) static func - (a: BN254Fp, b: BN254Fp) -> BN254Fp {
        var br: UInt64 = 0
        let d0 = sbb(a.l0, b.l0, &br), d1 = sbb(a.l1, b.l1, &br), d2 = sbb(a.l2, b.l2, &br), d3 = sbb(a.l3, b.l3, &br)
        let mask = 0 &- br
        var c: UInt64 = 0
        return BN254Fp(adc(d0, p0 & mask, &c), adc(d1, p1 & mask, &c), adc(d2, p2 & mask, &c), adc(d3, p3 & mask, &c))
    }

    @inline(__always) static prefix func - (a: BN254Fp) -> BN254Fp { a.isZero ? a : zero - a }

    /// Montgomery product a·b·R⁻¹ mod p (CIOS).
    @inline(__always) static func * (a: BN254Fp, b: BN254Fp) -> BN254Fp {
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0, t4: UInt64 = 0
        @inline(__always) func step(_ bi: UInt64) {
            var c: UInt64 = 0
            t0 = mac(t0, a.l0, bi, &c); t1 = mac(t1, a.l1, bi, &c)
            t2 = mac(t2, a.l2, bi, &c); t3 = mac(t3, a.l3, bi, &c)
            var c2: UInt64 = 0
            t4 = adc(t4, c, &c2)
            let m = t0 &* pInv
            c = 0
            _ = mac(t0, m, p0, &c)
            t0 = mac(t1, m, p1, &c); t1 = mac(t2, m, p2, &c); t2 = mac(t3, m, p3, &c)
            var c3: UInt64 = 0
            t3 = adc(t4, c, &c3)
            t4 = c2 &+ c3
        }
        step(b.l0); step(b.l1); step(b.l2); step(b.l3)
        return reduceOnce(t0, t1, t2, t3, carry: t4)
    }

    @inline(__always) var squared: BN254Fp { self * self }

    /// self^e for e given as four little-endian limbs.
    func power(_ e0: UInt64, _ e1: UInt64, _ e2: UInt64, _ e3: UInt64) -> BN254Fp {
        var result = BN254Fp.one
        for i in stride(from: 3, through: 0, by: -1) {
            let limb = i == 3 ? e3 : i == 2 ? e2 : i == 1 ? e1 : e0
            var bit = 63
            while bit >= 0 {
                result = result.squared
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * self }
                bit -= 1
            }
        }
        return result
    }

    /// Inverse by Fermat: self^(p-2).
    var inverse: BN254Fp { power(BN254Fp.p0 &- 2, BN254Fp.p1, BN254Fp.p2, BN254Fp.p3) }

    /// Parses 32 big-endian bytes at `offset`; nil if the value is not below p.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> BN254Fp? {
        @inline(__always) func word(_ i: Int) -> UInt64 {
            var w: UInt64 = 0
            for k in 0..<8 { w = (w << 8) | UInt64(bytes[offset + i * 8 + k]) }
            return w
        }
        let a3 = word(0), a2 = word(1), a1 = word(2), a0 = word(3)
        var b: UInt64 = 0
        _ = sbb(a0, p0, &b); _ = sbb(a1, p1, &b); _ = sbb(a2, p2, &b); _ = sbb(a3, p3, &b)
        guard b == 1 else { return nil }
        return BN254Fp(a0, a1, a2, a3) * r2
    }

    /// Appends the canonical 32-byte big-endian encoding.
    func encode(into out: inout [UInt8]) {
        let n = self * BN254Fp(1, 0, 0, 0)
        for i in stride(from: 3, through: 0, by: -1) {
            let limb = i == 3 ? n.l3 : i == 2 ? n.l2 : i == 1 ? n.l1 : n.l0
            for k in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(k))) }
        }
    }
}

/// An element c0 + c1·u of Fp2 = Fp[u]/(u² + 1).
struct BN254Fp2: BN254FieldElement {
    var c0, c1: BN254Fp

    @inline(__always) init(_ c0: BN254Fp, _ c1: BN254Fp) { self.c0 = c0; self.c1 = c1 }

    static let zero = BN254Fp2(.zero, .zero)
    static let one = BN254Fp2(.one, .zero)

    @inline(__always) var isZero: Bool { c0.isZero && c1.isZero }
    @inline(__always) static func + (a: BN254Fp2, b: BN254Fp2) -> BN254Fp2 { BN254Fp2(a.c0 + b.c0, a.c1 + b.c1) }
    @inline(__always) static func - (a: BN254Fp2, b: BN254Fp2) -> BN254Fp2 { BN254Fp2(a.c0 - b.c0, a.c1 - b.c1) }
    @inline(__always) static prefix func - (a: BN254Fp2) -> BN254Fp2 { BN254Fp2(-a.c0, -a.c1) }

    /// Karatsuba: three Fp products.
    @inline(__always) static func * (a: BN254Fp2, b: BN254Fp2) -> BN254Fp2 {
        let v0 = a.c0 * b.c0, v1 = a.c1 * b.c1
        return BN254Fp2(v0 - v1, (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
    }

    /// Scales both coordinates by an Fp element.
    @inline(__always) func scaled(by s: BN254Fp) -> BN254Fp2 { BN254Fp2(c0 * s, c1 * s) }

    @inline(__always) var squared: BN254Fp2 {
        let t = c0 * c1
        return BN254Fp2((c0 + c1) * (c0 - c1), t + t)
    }

    /// The Frobenius map x ↦ x^p.
    @inline(__always) var conjugate: BN254Fp2 { BN254Fp2(c0, -c1) }

    /// Multiplies by ξ = 9 + u, the non-residue that builds Fp6.
    @inline(__always) var timesXi: BN254Fp2 {
        let a8 = c0.doubled.doubled.doubled, b8 = c1.doubled.doubled.doubled
        return BN254Fp2(a8 + c0 - c1, b8 + c1 + c0)
    }

    var inverse: BN254Fp2 {
        let t = (c0.squared + c1.squared).inverse
        return BN254Fp2(c0 * t, -(c1 * t))
    }
}
