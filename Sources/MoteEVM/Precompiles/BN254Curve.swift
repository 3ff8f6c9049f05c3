/// Points on y² = x³ + b over Fp (G1, b = 3) and over Fp2 (the twist holding G2, b = 3/ξ).

/// An affine point; `infinity` is encoded as (0, 0), as in EIP-196.
struct BN254AffinePoint<F: BN254FieldElement>: Equatable {
    var x, y: F
    var isInfinity: Bool { x.isZero && y.isZero }
    static var infinity: BN254AffinePoint { BN254AffinePoint(x: .zero, y: .zero) }

    /// Whether the point satisfies y² = x³ + b (infinity counts as on the curve).
    func isOnCurve(b: F) -> Bool {
        isInfinity || y.squared == x.squared * x + b
    }
}

/// A Jacobian point (X/Z², Y/Z³); Z = 0 is infinity. Formulas for a = 0.
struct BN254JacobianPoint<F: BN254FieldElement> {
    var x, y, z: F

    static var infinity: BN254JacobianPoint { BN254JacobianPoint(x: .one, y: .one, z: .zero) }

    init(x: F, y: F, z: F) { self.x = x; self.y = y; self.z = z }

    init(_ p: BN254AffinePoint<F>) {
        self = p.isInfinity ? .infinity : BN254JacobianPoint(x: p.x, y: p.y, z: .one)
    }

    var isInfinity: Bool { z.isZero }

    /// dbl-2009-l.
    func doubled() -> BN254JacobianPoint {
        if isInfinity || y.isZero { return .infinity }
        let a = x.squared, b = y.squared, c = b.squared
        let d = ((x + b).squared - a - c).doubled
        let e = a.doubled + a, f = e.squared
        let x3 = f - d.doubled
        let y3 = e * (d - x3) - c.doubled.doubled.doubled
        return BN254JacobianPoint(x: x3, y: y3, z: (y * z).doubled)
    }

    /// add-2007-bl, with the equal and opposite cases handled.
    static func + (p: BN254JacobianPoint, q: BN254JacobianPoint) -> BN254JacobianPoint {
        if p.isInfinity { return q }
        if q.isInfinity { return p }
        let z1z1 = p.z.squared, z2z2 = q.z.squared
        let u1 = p.x * z2z2, u2 = q.x * z1z1
        let s1 = p.y * q.z * z2z2, s2 = q.y * p.z * z1z1
        let h = u2 - u1
        if h.isZero { return s1 == s2 ? p.doubled() : .infinity }
        let i = h.doubled.squared, j = h * i
        let r = (s2 - s1).doubled, v = u1 * i
        let x3 = r.squared - j - v.doubled
        let y3 = r * (v - x3) - (s1 * j).doubled
        let z3 = ((p.z + q.z).squared - z1z1 - z2z2) * h
        return BN254JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// [k]self for k given as four little-endian limbs (double-and-add, most significant bit first).
    func multiplied(by k: (UInt64, UInt64, UInt64, UInt64)) -> BN254JacobianPoint {
        var result = BN254JacobianPoint.infinity
        for i in stride(from: 3, through: 0, by: -1) {
            let limb = i == 3 ? k.3 : i == 2 ? k.2 : i == 1 ? k.1 : k.0
            var bit = 63
            while bit >= 0 {
                result = result.doubled()
                if (limb >> UInt64(bit)) & 1 == 1 { result = result + self }
                bit -= 1
            }
        }
        return result
    }

    var affine: BN254AffinePoint<F> {
        if isInfinity { return .infinity }
        let zi = z.inverse, zi2 = zi.squared
        return BN254AffinePoint(x: x * zi2, y: y * zi2 * zi)
    }
}

typealias BN254G1Point = BN254AffinePoint<BN254Fp>
typealias BN254G2Point = BN254AffinePoint<BN254Fp2>
