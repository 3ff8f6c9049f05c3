extension ECVRF {
    /// An element of GF(p), p = 2^255 − 19, for the Elligator 2 map (RFC 9380 §6.7.1, §6.8.2).
    ///
    /// libsodium has no public field arithmetic, and its own Elligator (`from_uniform`,
    /// `from_hash`) picks signs differently from RFC 9380, so the map is computed here.
    /// Four 64-bit limbs, little-endian, always fully reduced (< p), so `==` is value
    /// equality. Variable time: it only ever sees public data (the public key and alpha).
    struct FieldElement: Equatable {
        /// Limbs, least significant first; the value is < p.
        let limbs: (UInt64, UInt64, UInt64, UInt64)

        static func == (a: FieldElement, b: FieldElement) -> Bool {
            a.limbs.0 == b.limbs.0 && a.limbs.1 == b.limbs.1 && a.limbs.2 == b.limbs.2 && a.limbs.3 == b.limbs.3
        }

        private static let p: (UInt64, UInt64, UInt64, UInt64) = (
            0xffff_ffff_ffff_ffed, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x7fff_ffff_ffff_ffff
        )

        static let zero = FieldElement(small: 0)
        static let one = FieldElement(small: 1)

        /// sqrt(−1) = 2^((p−1)/4).
        static let sqrtMinusOne: FieldElement = FieldElement(small: 2).power(Exponent.pMinus1Over4)

        /// A small non-negative value.
        init(small value: UInt64) { limbs = (value, 0, 0, 0) }

        /// An already reduced value.
        private init(reduced limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

        /// OS2IP of up to 64 big-endian bytes, reduced mod p (RFC 9380 `hash_to_field`).
        init(bigEndian bytes: some Collection<UInt8>) {
            let b = Array(bytes.reversed())
            precondition(b.count <= 64)
            var words = [UInt64](repeating: 0, count: 8)
            for i in 0..<b.count { words[i / 8] |= UInt64(b[i]) << (8 * UInt64(i % 8)) }
            self = FieldElement.reduce(wide: words)
        }

        /// The 32-byte little-endian encoding of the canonical value.
        var littleEndianBytes: [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            let words = [limbs.0, limbs.1, limbs.2, limbs.3]
            for i in 0..<32 { out[i] = UInt8(truncatingIfNeeded: words[i / 8] >> (8 * UInt64(i % 8))) }
            return out
        }

        /// True for zero.
        var isZero: Bool { self == .zero }

        /// RFC 9380 `sgn0` for a prime field: the parity of the canonical value.
        var sign: UInt64 { limbs.0 & 1 }

        // MARK: Arithmetic

        static func + (a: FieldElement, b: FieldElement) -> FieldElement {
            // a, b < p < 2^255, so the sum fits in 256 bits.
            var carry = false
            let r0 = addWithCarry(a.limbs.0, b.limbs.0, &carry)
            let r1 = addWithCarry(a.limbs.1, b.limbs.1, &carry)
            let r2 = addWithCarry(a.limbs.2, b.limbs.2, &carry)
            let r3 = addWithCarry(a.limbs.3, b.limbs.3, &carry)
            return FieldElement.subtractPIfNeeded((r0, r1, r2, r3))
        }

        static func - (a: FieldElement, b: FieldElement) -> FieldElement {
            var borrow = false
            let r0 = subtractWithBorrow(a.limbs.0, b.limbs.0, &borrow)
            let r1 = subtractWithBorrow(a.limbs.1, b.limbs.1, &borrow)
            let r2 = subtractWithBorrow(a.limbs.2, b.limbs.2, &borrow)
            let r3 = subtractWithBorrow(a.limbs.3, b.limbs.3, &borrow)
            guard borrow else { return FieldElement(reduced: (r0, r1, r2, r3)) }
            var carry = false
            let s0 = addWithCarry(r0, p.0, &carry)
            let s1 = addWithCarry(r1, p.1, &carry)
            let s2 = addWithCarry(r2, p.2, &carry)
            let s3 = addWithCarry(r3, p.3, &carry)
            return FieldElement(reduced: (s0, s1, s2, s3))
        }

        static prefix func - (a: FieldElement) -> FieldElement { .zero - a }

        static func * (a: FieldElement, b: FieldElement) -> FieldElement {
            let x = [a.limbs.0, a.limbs.1, a.limbs.2, a.limbs.3]
            let y = [b.limbs.0, b.limbs.1, b.limbs.2, b.limbs.3]
            var wide = [UInt64](repeating: 0, count: 8)
            for i in 0..<4 {
                var carry: UInt64 = 0
                for j in 0..<4 {
                    let (high, low) = x[i].multipliedFullWidth(by: y[j])
                    var (sum, overflow1) = low.addingReportingOverflow(wide[i + j])
                    let (sum2, overflow2) = sum.addingReportingOverflow(carry)
                    sum = sum2
                    wide[i + j] = sum
                    carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)  // cannot overflow
                }
                wide[i + 4] = carry
            }
            return reduce(wide: wide)
        }

        /// self^e, e as four little-endian 64-bit words (square and multiply, variable time).
        func power(_ e: [UInt64]) -> FieldElement {
            var result = FieldElement.one
            for word in e.reversed() {
                for bit in stride(from: 63, through: 0, by: -1) {
                    result = result * result
                    if (word >> UInt64(bit)) & 1 == 1 { result = result * self }
                }
            }
            return result
        }

        /// 1/self, or 0 for 0 (RFC 9380 `inv0`).
        var inverse: FieldElement { power(Exponent.pMinus2) }

        /// RFC 9380 `is_square`: true for 0 and for non-zero quadratic residues.
        var isSquare: Bool {
            let legendre = power(Exponent.pMinus1Over2)
            return legendre == .zero || legendre == .one
        }

        /// A square root, if there is one (either root; callers fix the sign).
        var squareRoot: FieldElement? {
            // p ≡ 5 (mod 8): r = a^((p+3)/8) is a root of a or of −a; in the second case r·sqrt(−1).
            var root = power(Exponent.pPlus3Over8)
            if root * root == self { return root }
            root = root * FieldElement.sqrtMinusOne
            return root * root == self ? root : nil
        }

        // MARK: Reduction

        /// Exponents as little-endian 64-bit words.
        enum Exponent {
            static let pMinus2: [UInt64] = [
                0xffff_ffff_ffff_ffeb, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x7fff_ffff_ffff_ffff,
            ]
            static let pMinus1Over2: [UInt64] = [
                0xffff_ffff_ffff_fff6, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x3fff_ffff_ffff_ffff,
            ]
            static let pPlus3Over8: [UInt64] = [
                0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x0fff_ffff_ffff_ffff,
            ]
            static let pMinus1Over4: [UInt64] = [
                0xffff_ffff_ffff_fffb, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x1fff_ffff_ffff_ffff,
            ]
        }

        /// A 512-bit value (eight little-endian words) mod p, using 2^256 ≡ 38.
        private static func reduce(wide w: [UInt64]) -> FieldElement {
            // low + 38·high: at most 2^256 + 38·2^256, kept as four words plus a small top word.
            var r = [w[0], w[1], w[2], w[3]]
            var top: UInt64 = 0
            var carry: UInt64 = 0
            for i in 0..<4 {
                let (high, low) = w[i + 4].multipliedFullWidth(by: 38)
                let (s1, o1) = r[i].addingReportingOverflow(low)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                r[i] = s2
                carry = high + (o1 ? 1 : 0) + (o2 ? 1 : 0)
            }
            top = carry
            // Fold the top word (≤ 38) back in as top·38, until nothing is left above 2^256.
            while top != 0 {
                var add = top * 38
                top = 0
                for i in 0..<4 {
                    let (s, o) = r[i].addingReportingOverflow(add)
                    r[i] = s
                    add = o ? 1 : 0
                    if add == 0 { break }
                }
                top = add
            }
            // Now < 2^256 = 2p + 38: subtract p at most twice.
            var value = (r[0], r[1], r[2], r[3])
            for _ in 0..<2 { value = subtractPIfNeeded(value).limbs }
            return FieldElement(reduced: value)
        }

        /// v − p if v ≥ p, else v (for v < 2^256).
        private static func subtractPIfNeeded(_ v: (UInt64, UInt64, UInt64, UInt64)) -> FieldElement {
            var borrow = false
            let r0 = subtractWithBorrow(v.0, p.0, &borrow)
            let r1 = subtractWithBorrow(v.1, p.1, &borrow)
            let r2 = subtractWithBorrow(v.2, p.2, &borrow)
            let r3 = subtractWithBorrow(v.3, p.3, &borrow)
            return borrow ? FieldElement(reduced: v) : FieldElement(reduced: (r0, r1, r2, r3))
        }

        private static func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: inout Bool) -> UInt64 {
            let (s1, o1) = a.addingReportingOverflow(b)
            let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
            carry = o1 || o2
            return s2
        }

        private static func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: inout Bool) -> UInt64 {
            let (d1, o1) = a.subtractingReportingOverflow(b)
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            borrow = o1 || o2
            return d2
        }
    }
}
