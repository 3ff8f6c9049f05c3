extension ECVRF {
    /// RFC 9381 `ECVRF_encode_to_curve` for `suite`, salted with the public key's encoding
    /// (`encode_to_curve_salt` = PK_string for both edwards25519 suites). The result is in the
    /// prime-order subgroup. Returns nil only in the TAI case where no counter 0…255 gives a
    /// point (probability about 2^-256).
    package static func encodeToCurve(suite: Suite, salt: [UInt8], alpha: [UInt8]) -> Point? {
        switch suite {
        case .tai: return tryAndIncrement(salt: salt, alpha: alpha)?.point
        case .ell2: return hashToCurveEll2(salt + alpha, dst: Array("ECVRF_edwards25519_XMD:SHA-512_ELL2_NU_".utf8) + [suite.rawValue])
        }
    }

    /// RFC 9381 §5.4.1.1 `ECVRF_encode_to_curve_try_and_increment`: the first counter whose
    /// hash decodes to a point with a non-identity cofactor multiple, and that multiple.
    static func tryAndIncrement(salt: [UInt8], alpha: [UInt8]) -> (point: Point, counter: Int)? {
        for counter in 0...255 {
            let hash = Sodium.sha512([Suite.tai.rawValue, 0x01], salt, alpha, [UInt8(counter), 0x00])
            guard let candidate = Point(decoding: hash[0..<32]) else { continue }
            let h = candidate.timesCofactor
            if !h.isIdentity { return (h, counter) }
        }
        return nil
    }

    /// RFC 9380 `encode_to_curve` for suite `edwards25519_XMD:SHA-512_ELL2_NU_`:
    /// u = hash_to_field(message, 1), Q = map_to_curve(u), P = 8·Q.
    static func hashToCurveEll2(_ message: [UInt8], dst: [UInt8]) -> Point {
        // L = ceil((ceil(log2(p)) + k) / 8) = ceil((255 + 128) / 8) = 48 bytes per element.
        let uniform = expandMessageXMD(message, dst: dst, length: 48)
        let u = FieldElement(bigEndian: uniform)
        return mapToCurveElligator2Edwards25519(u).timesCofactor
    }

    /// RFC 9380 §5.3.1 `expand_message_xmd` with SHA-512 (b_in_bytes 64, s_in_bytes 128).
    /// `length` ≤ 255·64 and DST ≤ 255 bytes (all callers pass constants well inside).
    static func expandMessageXMD(_ message: [UInt8], dst: [UInt8], length: Int) -> [UInt8] {
        precondition(dst.count <= 255 && length <= 255 * 64 && length <= 65535)
        let ell = (length + 63) / 64
        let dstPrime = dst + [UInt8(dst.count)]
        let zPad = [UInt8](repeating: 0, count: 128)
        let lengthBytes: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xff)]
        let b0 = Sodium.sha512(zPad, message, lengthBytes, [0], dstPrime)
        var b = Sodium.sha512(b0, [1], dstPrime)
        var uniform = b
        if ell > 1 {
            for i in 2...ell {
                let mixed = zip(b0, b).map { $0 ^ $1 }
                b = Sodium.sha512(mixed, [UInt8(i)], dstPrime)
                uniform += b
            }
        }
        return Array(uniform[0..<length])
    }

    /// RFC 9380 §6.8.2 / Appendix D: Elligator 2 on curve25519 (§6.7.1, J = 486662, K = 1,
    /// Z = 2) followed by the rational map to edwards25519.
    static func mapToCurveElligator2Edwards25519(_ u: FieldElement) -> Point {
        let j = FieldElement(small: 486_662)
        func g(_ x: FieldElement) -> FieldElement { x * x * x + j * x * x + x }

        // Elligator 2 (§6.7.1).
        var x1 = -j * (FieldElement.one + FieldElement(small: 2) * u * u).inverse
        if x1.isZero { x1 = -j }
        let gx1 = g(x1)
        let x2 = -x1 - j
        let s: FieldElement
        var t: FieldElement
        if gx1.isSquare {
            s = x1
            t = gx1.squareRoot!
            if t.sign != 1 { t = -t }  // sgn0(y) == 1
        } else {
            s = x2
            t = g(x2).squareRoot!  // g(x2) = Z·u²·g(x1) is square when g(x1) is not
            if t.sign != 0 { t = -t }  // sgn0(y) == 0
        }

        // Rational map (Appendix D): v = c1·s/t, w = (s − 1)/(s + 1); (0, 1) when t·(s + 1) = 0.
        let sPlusOne = s + .one
        if t.isZero || sPlusOne.isZero { return .identity }
        let v = montgomeryToEdwardsFactor * s * t.inverse
        let w = (s - .one) * sPlusOne.inverse
        return Point(x: v, y: w)
    }

    /// c1 = sqrt(−486664) with sgn0(c1) = 0 (RFC 9380 Appendix D).
    private static let montgomeryToEdwardsFactor: FieldElement = {
        let root = (-FieldElement(small: 486_664)).squareRoot!
        return root.sign == 0 ? root : -root
    }()
}
