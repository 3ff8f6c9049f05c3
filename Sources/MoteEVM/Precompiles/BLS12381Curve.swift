// BLS12-381 groups G1 (y² = x³ + 4 over Fp) and G2 (y² = x³ + 4(1 + u) over Fp2), in
// Jacobian coordinates (x = X/Z², y = Y/Z³; Z = 0 is the point at infinity).

/// The subgroup order r, little-endian limbs.
let bls12381GroupOrder: InlineArray<4, UInt64> = [0xffffffff00000001, 0x53bda402fffe5bfe,
                                                  0x3339d80809a1d805, 0x73eda753299d7d48]

/// A point of E(Fp).
struct BLS12381G1: Sendable {
    var x: BLS12381Fp
    var y: BLS12381Fp
    var z: BLS12381Fp

    static let infinity = BLS12381G1(x: .one, y: .one, z: .zero)
    /// The standard generator.
    static let generator = BLS12381G1(
        x: BLS12381Fp(hex: "17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
        y: BLS12381Fp(hex: "08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"),
        z: .one)
    static let b = BLS12381Fp(4)

    init(x: BLS12381Fp, y: BLS12381Fp, z: BLS12381Fp) { self.x = x; self.y = y; self.z = z }

    var isInfinity: Bool { z.isZero }

    /// A 48-byte ZCash compressed point: canonical, on the curve and in the r-torsion subgroup.
    init?(compressed bytes: ArraySlice<UInt8>) {
        guard bytes.count == 48 else { return nil }
        let flags = bytes[bytes.startIndex]
        guard flags & 0x80 != 0 else { return nil }                        // compressed form only
        if flags & 0x40 != 0 {                                             // infinity: 0xc0 then zeros
            guard flags == 0xc0, bytes.dropFirst().allSatisfy({ $0 == 0 }) else { return nil }
            self = .infinity
            return
        }
        var raw = Array(bytes)
        raw[0] &= 0x1f
        guard let x = BLS12381Fp(bigEndian: raw[...]),
              var y = (x.squared * x + Self.b).squareRoot else { return nil }
        if y.isLexicographicallyLarge != (flags & 0x20 != 0) { y = -y }
        self.init(x: x, y: y, z: .one)
        guard multiplied(byLimbs: bls12381GroupOrder).isInfinity else { return nil }
    }

    var negated: Self { Self(x: x, y: -y, z: z) }

    /// dbl-2009-l (a = 0).
    var doubled: Self {
        if isInfinity { return self }
        let a = x.squared, b = y.squared, c = b.squared
        let d = ((x + b).squared - a - c).doubled
        let e = a.doubled + a, f = e.squared
        let x3 = f - d.doubled
        let c8 = c.doubled.doubled.doubled
        return Self(x: x3, y: e * (d - x3) - c8, z: (y * z).doubled)
    }

    static func + (p: Self, q: Self) -> Self {
        if p.isInfinity { return q }
        if q.isInfinity { return p }
        let z1z1 = p.z.squared, z2z2 = q.z.squared
        let u1 = p.x * z2z2, u2 = q.x * z1z1
        let s1 = p.y * q.z * z2z2, s2 = q.y * p.z * z1z1
        if u1 == u2 { return s1 == s2 ? p.doubled : .infinity }
        let h = u2 - u1, r = s2 - s1
        let hh = h.squared, hhh = hh * h, v = u1 * hh
        let x3 = r.squared - hhh - v.doubled
        return Self(x: x3, y: r * (v - x3) - s1 * hhh, z: p.z * q.z * h)
    }

    static func - (p: Self, q: Self) -> Self { p + q.negated }

    /// [k]self for a 256-bit little-endian scalar (double-and-add; inputs are public).
    func multiplied(byLimbs k: InlineArray<4, UInt64>) -> Self {
        var acc = Self.infinity
        for i in stride(from: 3, through: 0, by: -1) {
            for bit in stride(from: 63, through: 0, by: -1) {
                acc = acc.doubled
                if (k[i] >> UInt64(bit)) & 1 == 1 { acc = acc + self }
            }
        }
        return acc
    }

    /// Affine (x, y), or nil at infinity.
    var affine: (x: BLS12381Fp, y: BLS12381Fp)? {
        if isInfinity { return nil }
        let zi = z.inverse, zi2 = zi.squared
        return (x * zi2, y * zi2 * zi)
    }
}

/// A point of the twist E'(Fp2).
struct BLS12381G2: Sendable {
    var x: BLS12381Fp2
    var y: BLS12381Fp2
    var z: BLS12381Fp2

    static let infinity = BLS12381G2(x: .one, y: .one, z: .zero)
    /// The standard generator.
    static let generator = BLS12381G2(
        x: BLS12381Fp2(
            c0: BLS12381Fp(hex: "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"),
            c1: BLS12381Fp(hex: "13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e")),
        y: BLS12381Fp2(
            c0: BLS12381Fp(hex: "0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"),
            c1: BLS12381Fp(hex: "0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be")),
        z: .one)

    init(x: BLS12381Fp2, y: BLS12381Fp2, z: BLS12381Fp2) { self.x = x; self.y = y; self.z = z }

    var isInfinity: Bool { z.isZero }
    var negated: Self { Self(x: x, y: -y, z: z) }

    /// dbl-2009-l (a = 0).
    var doubled: Self {
        if isInfinity { return self }
        let a = x.squared, b = y.squared, c = b.squared
        let d = ((x + b).squared - a - c).doubled
        let e = a.doubled + a, f = e.squared
        let x3 = f - d.doubled
        let c8 = c.doubled.doubled.doubled
        return Self(x: x3, y: e * (d - x3) - c8, z: (y * z).doubled)
    }

    static func + (p: Self, q: Self) -> Self {
        if p.isInfinity { return q }
        if q.isInfinity { return p }
        let z1z1 = p.z.squared, z2z2 = q.z.squared
        let u1 = p.x * z2z2, u2 = q.x * z1z1
        let s1 = p.y * q.z * z2z2, s2 = q.y * p.z * z1z1
        if u1 == u2 { return s1 == s2 ? p.doubled : .infinity }
        let h = u2 - u1, r = s2 - s1
        let hh = h.squared, hhh = hh * h, v = u1 * hh
        let x3 = r.squared - hhh - v.doubled
        return Self(x: x3, y: r * (v - x3) - s1 * hhh, z: p.z * q.z * h)
    }

    static func - (p: Self, q: Self) -> Self { p + q.negated }

    /// [k]self for a 256-bit little-endian scalar (double-and-add; inputs are public).
    func multiplied(byLimbs k: InlineArray<4, UInt64>) -> Self {
        var acc = Self.infinity
        for i in stride(from: 3, through: 0, by: -1) {
            for bit in stride(from: 63, through: 0, by: -1) {
                acc = acc.doubled
                if (k[i] >> UInt64(bit)) & 1 == 1 { acc = acc + self }
            }
        }
        return acc
    }

    /// Affine (x, y), or nil at infinity.
    var affine: (x: BLS12381Fp2, y: BLS12381Fp2)? {
        if isInfinity { return nil }
        let zi = z.inverse, zi2 = zi.squared
        return (x * zi2, y * zi2 * zi)
    }

    /// Whether an affine point satisfies y² = x³ + 4(1 + u).
    static func isOnCurve(x: BLS12381Fp2, y: BLS12381Fp2) -> Bool {
        let four = BLS12381Fp(4)
        return y.squared == x.squared * x + BLS12381Fp2(c0: four, c1: four)
    }
}
