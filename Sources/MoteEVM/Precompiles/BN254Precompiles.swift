/// Precompiles 0x06 ECADD, 0x07 ECMUL and 0x08 ECPAIRING on BN254 (alt_bn128):
/// EIP-196 and EIP-197, priced by EIP-1108.
enum BN254Precompiles {
    static let addGas: UInt64 = 150
    static let mulGas: UInt64 = 6000
    static let pairingBaseGas: UInt64 = 45000
    static let pairingPerPairGas: UInt64 = 34000

    /// 0x06: P + Q for two 64-byte G1 points.
    static func add(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard gasLimit >= addGas else { return .failure }
        let data = padded(input, to: 128)
        let sum: BN254JacobianPoint<BN254Fp>? = data.withUnsafeBufferPointer { buf in
            guard let p = decodeG1(buf, at: 0), let q = decodeG1(buf, at: 64) else { return nil }
            return BN254JacobianPoint(p) + BN254JacobianPoint(q)
        }
        guard let sum else { return .failure }
        return .success(gasUsed: addGas, output: encode(sum.affine))
    }

    /// 0x07: [k]P for a 64-byte G1 point and a 32-byte big-endian scalar.
    static func mul(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard gasLimit >= mulGas else { return .failure }
        let data = padded(input, to: 96)
        let product: BN254JacobianPoint<BN254Fp>? = data.withUnsafeBufferPointer { buf in
            guard let p = decodeG1(buf, at: 0) else { return nil }
            var k: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for i in 0..<32 {
                let byte = UInt64(buf[64 + i]), shift = UInt64((31 - i) % 8 * 8)
                switch (31 - i) / 8 {
                case 0: k.0 |= byte << shift
                case 1: k.1 |= byte << shift
                case 2: k.2 |= byte << shift
                default: k.3 |= byte << shift
                }
            }
            return BN254JacobianPoint(p).multiplied(by: k)
        }
        guard let product else { return .failure }
        return .success(gasUsed: mulGas, output: encode(product.affine))
    }

    /// 0x08: 1 if ∏ e(Pᵢ, Qᵢ) = 1 over k 192-byte (G1, G2) pairs, else 0.
    static func pairing(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let k = UInt64(input.count / 192)
        let gas = pairingBaseGas + pairingPerPairGas * k
        guard gasLimit >= gas, input.count % 192 == 0 else { return .failure }
        let pairs: [(BN254G1Point, BN254G2Point)]? = input.withUnsafeBufferPointer { buf in
            var pairs: [(BN254G1Point, BN254G2Point)] = []
            pairs.reserveCapacity(Int(k))
            for i in 0..<Int(k) {
                guard let p = decodeG1(buf, at: 192 * i), let q = decodeG2(buf, at: 192 * i + 64) else { return nil }
                pairs.append((p, q))
            }
            return pairs
        }
        guard let pairs else { return .failure }
        let one = BN254Pairing.productIsOne(pairs)
        return .success(gasUsed: gas, output: [UInt8](repeating: 0, count: 31) + [one ? 1 : 0])
    }

    /// The first `n` bytes of `input`, right-padded with zeros.
    static func padded(_ input: [UInt8], to n: Int) -> [UInt8] {
        var data = Array(input.prefix(n))
        if data.count < n { data.append(contentsOf: repeatElement(0, count: n - data.count)) }
        return data
    }

    /// A G1 point from (x, y); nil if a coordinate is ≥ p or the point is off the curve.
    /// G1 has cofactor 1, so every curve point is in the group.
    static func decodeG1(_ buf: UnsafeBufferPointer<UInt8>, at offset: Int) -> BN254G1Point? {
        guard let x = BN254Fp.decode(buf, at: offset), let y = BN254Fp.decode(buf, at: offset + 32) else { return nil }
        let p = BN254G1Point(x: x, y: y)
        return p.isOnCurve(b: .three) ? p : nil
    }

    /// A G2 point from (x_imag, x_real, y_imag, y_real); nil if a coordinate is ≥ p, the point
    /// is off the twist, or it lies outside the order-r subgroup.
    static func decodeG2(_ buf: UnsafeBufferPointer<UInt8>, at offset: Int) -> BN254G2Point? {
        guard let xi = BN254Fp.decode(buf, at: offset), let xr = BN254Fp.decode(buf, at: offset + 32),
              let yi = BN254Fp.decode(buf, at: offset + 64), let yr = BN254Fp.decode(buf, at: offset + 96) else { return nil }
        let q = BN254G2Point(x: BN254Fp2(xr, xi), y: BN254Fp2(yr, yi))
        guard q.isOnCurve(b: BN254Constants.twistB) else { return nil }
        return isInG2(q) ? q : nil
    }

    /// Subgroup test for a point already on the twist: ψ(Q) = [6x²]Q. With ψ² − tψ + p = 0,
    /// t = 6x² + 1 and 6x² ≡ p (mod r), an eigenvector of eigenvalue 6x² has order dividing
    /// (6x²)² − t·6x² + p = r; the twist's order r(2p − r) has r to the first power only.
    static func isInG2(_ q: BN254G2Point) -> Bool {
        if q.isInfinity { return true }
        let psi = BN254Pairing.frobenius(q)
        let m = BN254JacobianPoint(q).multiplied(by: BN254Constants.sixXSquared)
        if m.isInfinity { return false }
        let zz = m.z.squared
        return m.x == psi.x * zz && m.y == psi.y * zz * m.z
    }

    /// 64 bytes x ‖ y; infinity as zeros.
    static func encode(_ p: BN254G1Point) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        p.x.encode(into: &out)
        p.y.encode(into: &out)
        return out
    }
}
