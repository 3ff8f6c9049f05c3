/// The optimal ate pairing on BN254, evaluated as a product check over many pairs with one
/// shared Miller loop and one final exponentiation.
enum BN254Pairing {
    /// Whether ∏ e(Pᵢ, Qᵢ) = 1. Points must already be valid (on curve, Q in G2).
    static func productIsOne(_ pairs: [(BN254G1Point, BN254G2Point)]) -> Bool {
        let live = pairs.filter { !$0.0.isInfinity && !$0.1.isInfinity }
        if live.isEmpty { return true }
        return finalExponentiation(millerLoop(live)) == .one
    }

    /// A point of the twist in homogeneous projective coordinates (X/Z, Y/Z), the Miller loop's T.
    struct ProjectiveG2 {
        var x, y, z: BN254Fp2
    }

    /// A line evaluated at P, a + b·w + c·w³ with a, b, c in Fp2: a sparse Fp12 element.
    struct Line {
        var a, b, c: BN254Fp2
    }

    /// f · (a + b·w + c·w³).
    @inline(__always)
    static func multiply(_ f: BN254Fp12, by l: Line) -> BN254Fp12 {
        /// x · (b0 + b1·v) in Fp6.
        @inline(__always) func sparse(_ x: BN254Fp6, _ b0: BN254Fp2, _ b1: BN254Fp2) -> BN254Fp6 {
            BN254Fp6(x.c0 * b0 + (x.c2 * b1).timesXi, x.c0 * b1 + x.c1 * b0, x.c1 * b1 + x.c2 * b0)
        }
        let v0 = BN254Fp6(f.c0.c0 * l.a, f.c0.c1 * l.a, f.c0.c2 * l.a)
        let v1 = sparse(f.c1, l.b, l.c)
        let t = sparse(f.c0 + f.c1, l.a + l.b, l.c)
        return BN254Fp12(v0 + v1.timesV, t - v0 - v1)
    }

    /// Doubles T (dbl-2007-bl); returns the tangent at the old T evaluated at P. With
    /// untwisting (x, y) ↦ (x·w², y·w³) and slope λ = 3X²/(2YZ), the affine line
    /// yP − λ·xP·w + (λ·xT − yT)·w³ is scaled by 2YZ² ∈ Fp2, which the final exponentiation removes.
    @inline(__always)
    static func doublingStep(_ t: inout ProjectiveG2, _ p: BN254G1Point) -> Line {
        let xx = t.x.squared
        let w = xx.doubled + xx                 // 3X²
        let s = (t.y * t.z).doubled             // 2YZ
        let r = t.y * s                         // 2Y²Z
        let line = Line(a: (s * t.z).scaled(by: p.y), b: -(w * t.z).scaled(by: p.x), c: w * t.x - r)
        let ss = s.squared, rr = r.squared
        let b = (t.x + r).squared - xx - rr
        let h = w.squared - b.doubled
        t = ProjectiveG2(x: h * s, y: w * (b - h) - rr.doubled, z: s * ss)
        return line
    }

    /// Sets T to T + Q for affine Q (madd-1998-cmo); returns the chord through T and Q at P,
    /// the affine line scaled by η = xQ·Z − X. A vertical chord (η = 0) lies in Fp6, which
    /// the final exponentiation sends to 1, so it is returned as nil.
    @inline(__always)
    static func additionStep(_ t: inout ProjectiveG2, _ q: BN254G2Point, _ p: BN254G1Point) -> Line? {
        let theta = q.y * t.z - t.y, eta = q.x * t.z - t.x
        if eta.isZero { return nil }
        let line = Line(a: eta.scaled(by: p.y), b: -theta.scaled(by: p.x), c: theta * q.x - eta * q.y)
        let vv = eta.squared, vvv = eta * vv, r = vv * t.x
        let a = theta.squared * t.z - vvv - r.doubled
        t = ProjectiveG2(x: eta * a, y: theta * (r - a) - vvv * t.y, z: vvv * t.z)
        return line
    }

    /// The Frobenius endomorphism on the twist: π(x, y) = (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2)).
    static func frobenius(_ q: BN254G2Point) -> BN254G2Point {
        let g = BN254Constants.frobenius1
        return BN254G2Point(x: q.x.conjugate * g.w2, y: q.y.conjugate * g.w3)
    }

    /// f = ∏ f_{6x+2,Qᵢ}(Pᵢ) · l_{T,π(Q)}(P) · l_{T',−π²(Q)}(P).
    static func millerLoop(_ pairs: [(BN254G1Point, BN254G2Point)]) -> BN254Fp12 {
        var ts = pairs.map { ProjectiveG2(x: $0.1.x, y: $0.1.y, z: .one) }
        var f = BN254Fp12.one
        var bit = 63
        while bit >= 0 {
            f = f.squared
            for i in 0..<pairs.count {
                f = multiply(f, by: doublingStep(&ts[i], pairs[i].0))
                if (BN254Constants.ateLow >> UInt64(bit)) & 1 == 1,
                   let l = additionStep(&ts[i], pairs[i].1, pairs[i].0) {
                    f = multiply(f, by: l)
                }
            }
            bit -= 1
        }
        for i in 0..<pairs.count {
            let q1 = frobenius(pairs[i].1)
            var q2 = frobenius(q1)
            q2.y = -q2.y
            if let l = additionStep(&ts[i], q1, pairs[i].0) { f = multiply(f, by: l) }
            if let l = additionStep(&ts[i], q2, pairs[i].0) { f = multiply(f, by: l) }
        }
        return f
    }

    /// f^((p¹²−1)/r): the easy part (p⁶−1)(p²+1), then the hard part (p⁴−p²+1)/r written
    /// in base p as λ₀ + λ₁p + λ₂p² + λ₃p³ with λ₃ = 1, λ₂ = 6x²+1,
    /// λ₁ = −36x³−18x²−12x+1, λ₀ = −36x³−30x²−18x−2.
    static func finalExponentiation(_ f: BN254Fp12) -> BN254Fp12 {
        var m = f.conjugate * f.inverse
        m = m.frobenius(2) * m
        // m is now in the cyclotomic subgroup, where conjugation inverts.
        let a = m.powX(), b = a.powX(), c = b.powX()          // m^x, m^x², m^x³
        let c36 = c.power(36)
        let l0 = (c36 * b.power(30) * a.power(18) * m.squared).conjugate
        let l1 = (c36 * b.power(18) * a.power(12)).conjugate * m
        let l2 = b.power(6) * m
        return l0 * l1.frobenius(1) * l2.frobenius(2) * m.frobenius(3)
    }

    /// Naive hard part for tests: m^((p⁴−p²+1)/r) by square-and-multiply over big-endian exponent bytes.
    static func power(_ m: BN254Fp12, bigEndian exponent: [UInt8]) -> BN254Fp12 {
        var result = BN254Fp12.one
        for byte in exponent {
            for k in stride(from: 7, through: 0, by: -1) {
                result = result.squared
                if (byte >> UInt8(k)) & 1 == 1 { result = result * m }
            }
        }
        return result
    }
}
