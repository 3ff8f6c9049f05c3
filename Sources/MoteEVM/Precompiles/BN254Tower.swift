/// The extension tower above Fp2 that holds pairing values:
/// Fp6 = Fp2[v]/(v³ − ξ) and Fp12 = Fp6[w]/(w² − v), with ξ = 9 + u, so w⁶ = ξ.

/// An element c0 + c1·v + c2·v² of Fp6.
struct BN254Fp6: Equatable {
    var c0, c1, c2: BN254Fp2

    @inline(__always) init(_ c0: BN254Fp2, _ c1: BN254Fp2, _ c2: BN254Fp2) { self.c0 = c0; self.c1 = c1; self.c2 = c2 }

    static let zero = BN254Fp6(.zero, .zero, .zero)
    static let one = BN254Fp6(.one, .zero, .zero)

    @inline(__always) static func + (a: BN254Fp6, b: BN254Fp6) -> BN254Fp6 { BN254Fp6(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2) }
    @inline(__always) static func - (a: BN254Fp6, b: BN254Fp6) -> BN254Fp6 { BN254Fp6(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2) }
    @inline(__always) static prefix func - (a: BN254Fp6) -> BN254Fp6 { BN254Fp6(-a.c0, -a.c1, -a.c2) }

    /// Karatsuba-style product: six Fp2 products.
    @inline(__always) static func * (a: BN254Fp6, b: BN254Fp6) -> BN254Fp6 {
        let v0 = a.c0 * b.c0, v1 = a.c1 * b.c1, v2 = a.c2 * b.c2
        let c0 = v0 + ((a.c1 + a.c2) * (b.c1 + b.c2) - v1 - v2).timesXi
        let c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1 + v2.timesXi
        let c2 = (a.c0 + a.c2) * (b.c0 + b.c2) - v0 - v2 + v1
        return BN254Fp6(c0, c1, c2)
    }

    /// Multiplies by v: (c0, c1, c2) ↦ (ξ·c2, c0, c1).
    @inline(__always) var timesV: BN254Fp6 { BN254Fp6(c2.timesXi, c0, c1) }

    var inverse: BN254Fp6 {
        let t0 = c0.squared - (c1 * c2).timesXi
        let t1 = c2.squared.timesXi - c0 * c1
        let t2 = c1.squared - c0 * c2
        let d = (c0 * t0 + (c2 * t1).timesXi + (c1 * t2).timesXi).inverse
        return BN254Fp6(t0 * d, t1 * d, t2 * d)
    }
}

/// An element c0 + c1·w of Fp12, the target group's field.
struct BN254Fp12: Equatable {
    var c0, c1: BN254Fp6

    @inline(__always) init(_ c0: BN254Fp6, _ c1: BN254Fp6) { self.c0 = c0; self.c1 = c1 }

    static let one = BN254Fp12(.one, .zero)

    @inline(__always) static func * (a: BN254Fp12, b: BN254Fp12) -> BN254Fp12 {
        let v0 = a.c0 * b.c0, v1 = a.c1 * b.c1
        return BN254Fp12(v0 + v1.timesV, (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
    }

    /// Complex squaring: two Fp6 products.
    @inline(__always) var squared: BN254Fp12 {
        let t = c0 * c1
        let c0n = (c0 + c1) * (c0 + c1.timesV) - t - t.timesV
        return BN254Fp12(c0n, t + t)
    }

    /// x ↦ x^(p⁶), which is the inverse on the cyclotomic subgroup.
    @inline(__always) var conjugate: BN254Fp12 { BN254Fp12(c0, -c1) }

    var inverse: BN254Fp12 {
        let d = (c0 * c0 - (c1 * c1).timesV).inverse
        return BN254Fp12(c0 * d, -(c1 * d))
    }

    /// x ↦ x^(p^k) for k in 1...3: each coefficient of w^i is conjugated (k odd) and scaled by ξ^(i(p^k−1)/6).
    func frobenius(_ k: Int) -> BN254Fp12 {
        let g = BN254Constants.frobenius(k)
        @inline(__always) func f(_ a: BN254Fp2) -> BN254Fp2 { k & 1 == 1 ? a.conjugate : a }
        return BN254Fp12(
            BN254Fp6(f(c0.c0), f(c0.c1) * g.w2, f(c0.c2) * g.w4),
            BN254Fp6(f(c1.c0) * g.w1, f(c1.c1) * g.w3, f(c1.c2) * g.w5))
    }

    /// self^x for the BN parameter x = 4965661367192848881 (square-and-multiply).
    func powX() -> BN254Fp12 {
        var result = self
        var bit = 61   // x has 63 bits; the top one (bit 62) seeds `result`.
        while bit >= 0 {
            result = result.squared
            if (BN254Constants.x >> UInt64(bit)) & 1 == 1 { result = result * self }
            bit -= 1
        }
        return result
    }

    /// self^n for a small n ≥ 1.
    func power(_ n: UInt64) -> BN254Fp12 {
        var result = BN254Fp12.one, base = self, e = n
        while e > 0 {
            if e & 1 == 1 { result = result * base }
            e >>= 1
            if e > 0 { base = base.squared }
        }
        return result
    }
}
