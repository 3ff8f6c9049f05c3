/// The optimal ate pairing on BLS12-381, used as a product check: e(P₁, Q₁)·e(P₂, Q₂) == 1.
enum BLS12381Pairing {
    /// |x| for the curve parameter x = −0xd201000000010000.
    static let curveParameter: UInt64 = 0xd201000000010000

    /// Whether e(p1, q1) · e(p2, q2) == 1. A pair with a point at infinity contributes 1.
    static func productIsOne(_ p1: BLS12381G1, _ q1: BLS12381G2, _ p2: BLS12381G1, _ q2: BLS12381G2) -> Bool {
        finalExponentiation(millerLoop(p1, q1, p2, q2)) == .one
    }

    /// A Miller-loop input: P affine, Q affine, and the running multiple T of Q (Jacobian).
    private struct Pair {
        let px: BLS12381Fp, py: BLS12381Fp
        let qx: BLS12381Fp2, qy: BLS12381Fp2
        var t: BLS12381G2

        init?(_ p: BLS12381G1, _ q: BLS12381G2) {
            guard let (px, py) = p.affine, let (qx, qy) = q.affine else { return nil }
            self.px = px; self.py = py; self.qx = qx; self.qy = qy
            t = BLS12381G2(x: qx, y: qy, z: .one)
        }

        /// The tangent at T, evaluated at P, then T ← 2T. With λ = 3X²/(2YZ), the line
        /// (λx_T − y_T) − λx_P·v + y_P·v·w is scaled by 2YZ³ (an Fp2 factor, which the final
        /// exponentiation removes).
        mutating func doubleStep() -> (BLS12381Fp2, BLS12381Fp2, BLS12381Fp2) {
            let x2 = t.x.squared, z2 = t.z.squared
            let x2x3 = x2.doubled + x2
            let a = x2x3 * t.x - t.y.squared.doubled
            let b = -(x2x3 * z2 * px)
            let c = (t.y * z2 * t.z).doubled * py
            t = t.doubled
            return (a, b, c)
        }

        /// The chord through T and Q, evaluated at P, then T ← T + Q. With λ = N/D,
        /// N = y_Q Z³ − Y, D = Z(x_Q Z² − X), the line through Q is scaled by D.
        mutating func addStep() -> (BLS12381Fp2, BLS12381Fp2, BLS12381Fp2) {
            let z2 = t.z.squared
            let n = qy * z2 * t.z - t.y
            let d = t.z * (qx * z2 - t.x)
            let a = n * qx - d * qy
            let b = -(n * px)
            let c = d * py
            t = t + BLS12381G2(x: qx, y: qy, z: .one)
            return (a, b, c)
        }
    }

    /// f_{|x|,Q₁}(P₁)·f_{|x|,Q₂}(P₂), sharing the squarings, conjugated because x < 0.
    /// Vertical lines are dropped: they lie in Fp6, which the final exponentiation removes.
    static func millerLoop(_ p1: BLS12381G1, _ q1: BLS12381G2, _ p2: BLS12381G1, _ q2: BLS12381G2) -> BLS12381Fp12 {
        var first = Pair(p1, q1), second = Pair(p2, q2)
        var f = BLS12381Fp12.one
        for bit in stride(from: 62, through: 0, by: -1) {
            f = f.squared
            if let (a, b, c) = first?.doubleStep() { f = f.multiplied(byLine: a, b, c) }
            if let (a, b, c) = second?.doubleStep() { f = f.multiplied(byLine: a, b, c) }
            if (curveParameter >> UInt64(bit)) & 1 == 1 {
                if let (a, b, c) = first?.addStep() { f = f.multiplied(byLine: a, b, c) }
                if let (a, b, c) = second?.addStep() { f = f.multiplied(byLine: a, b, c) }
            }
        }
        return f.conjugate
    }

    /// f^(3(p¹² − 1)/r). The easy part f^((p⁶ − 1)(p² + 1)) lands in the cyclotomic subgroup;
    /// the hard part uses 3(p⁴ − p² + 1)/r = (x − 1)²(x + p)(x² + p² − 1) + 3. The factor 3
    /// is harmless for a check against 1, since 3 is prime to r.
    static func finalExponentiation(_ f: BLS12381Fp12) -> BLS12381Fp12 {
        var g = f.conjugate * f.inverse
        g = g.frobenius2 * g
        var t = powX(g) * g.conjugate                    // g^(x − 1)
        t = powX(t) * t.conjugate                        // ^(x − 1)
        t = powX(t) * t.frobenius                        // ^(x + p)
        t = powX(powX(t)) * t.frobenius2 * t.conjugate   // ^(x² + p² − 1)
        return t * g.cyclotomicSquared * g               // · g³
    }

    /// g^x for x = −|x|, on the cyclotomic subgroup (where the inverse is the conjugate).
    static func powX(_ g: BLS12381Fp12) -> BLS12381Fp12 {
        var acc = g
        for bit in stride(from: 62, through: 0, by: -1) {
            acc = acc.cyclotomicSquared
            if (curveParameter >> UInt64(bit)) & 1 == 1 { acc = acc * g }
        }
        return acc.conjugate
    }
}
