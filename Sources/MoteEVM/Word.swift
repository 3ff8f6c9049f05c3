import MotePrimitives

/// The EVM's 256-bit word: `UInt256` (four UInt64 limbs, least significant first) with the
/// arithmetic the instruction set needs, inlined and wrapping modulo 2^256.
typealias Word = UInt256

extension UInt256 {
    /// The low 256 bits of the product (MUL).
    @inline(__always) static func wrappingProduct(_ a: UInt256, _ b: UInt256) -> UInt256 {
        if (a.l1 | a.l2 | a.l3 | b.l1 | b.l2 | b.l3) == 0 {
            let (h, l) = a.l0.multipliedFullWidth(by: b.l0)
            return UInt256(limbs: l, h, 0, 0)
        }
        // r = sum over i + j < 4 of a_i * b_j * 2^(64(i+j))
        var r0: UInt64 = 0, r1: UInt64 = 0, r2: UInt64 = 0, r3: UInt64 = 0
        var carry: UInt64
        var hi: UInt64, lo: UInt64, o: Bool
        // row a0
        (hi, lo) = a.l0.multipliedFullWidth(by: b.l0); r0 = lo; carry = hi
        (hi, lo) = a.l0.multipliedFullWidth(by: b.l1); (r1, o) = lo.addingReportingOverflow(carry); carry = hi &+ (o ? 1 : 0)
        (hi, lo) = a.l0.multipliedFullWidth(by: b.l2); (r2, o) = lo.addingReportingOverflow(carry); carry = hi &+ (o ? 1 : 0)
        r3 = a.l0 &* b.l3 &+ carry
        // row a1
        (hi, lo) = a.l1.multipliedFullWidth(by: b.l0); (r1, o) = r1.addingReportingOverflow(lo); carry = hi &+ (o ? 1 : 0)
        (hi, lo) = a.l1.multipliedFullWidth(by: b.l1)
        var t: UInt64
        (t, o) = lo.addingReportingOverflow(carry); hi = hi &+ (o ? 1 : 0)
        (r2, o) = r2.addingReportingOverflow(t); carry = hi &+ (o ? 1 : 0)
        r3 = r3 &+ a.l1 &* b.l2 &+ carry
        // row a2
        (hi, lo) = a.l2.multipliedFullWidth(by: b.l0); (r2, o) = r2.addingReportingOverflow(lo); carry = hi &+ (o ? 1 : 0)
        r3 = r3 &+ a.l2 &* b.l1 &+ carry
        // row a3
        r3 = r3 &+ a.l3 &* b.l0
        return UInt256(limbs: r0, r1, r2, r3)
    }

    @inline(__always) var isNegative: Bool { l3 >> 63 == 1 }

    /// Two's-complement negation.
    @inline(__always) var negated: UInt256 { UInt256.zero &- self }

    @inline(__always) static func unsignedLess(_ a: UInt256, _ b: UInt256) -> Bool {
        if a.l3 != b.l3 { return a.l3 < b.l3 }
        if a.l2 != b.l2 { return a.l2 < b.l2 }
        if a.l1 != b.l1 { return a.l1 < b.l1 }
        return a.l0 < b.l0
    }

    @inline(__always) static func signedLess(_ a: UInt256, _ b: UInt256) -> Bool {
        let an = a.isNegative, bn = b.isNegative
        if an != bn { return an }
        return unsignedLess(a, b)
    }

    /// DIV: the quotient, 0 when dividing by 0.
    static func evmDivide(_ a: UInt256, _ b: UInt256) -> UInt256 {
        if b.isZero { return .zero }
        if (a.l1 | a.l2 | a.l3 | b.l1 | b.l2 | b.l3) == 0 { return UInt256(a.l0 / b.l0) }
        return WideDivision.divide(a, b).quotient
    }

    /// MOD: the remainder, 0 when dividing by 0.
    static func evmModulo(_ a: UInt256, _ b: UInt256) -> UInt256 {
        if b.isZero { return .zero }
        if (a.l1 | a.l2 | a.l3 | b.l1 | b.l2 | b.l3) == 0 { return UInt256(a.l0 % b.l0) }
        return WideDivision.divide(a, b).remainder
    }

    /// SDIV: signed quotient rounded toward zero; −2^255 / −1 is −2^255; 0 when dividing by 0.
    static func evmSignedDivide(_ a: UInt256, _ b: UInt256) -> UInt256 {
        if b.isZero { return .zero }
        let an = a.isNegative, bn = b.isNegative
        let q = evmDivide(an ? a.negated : a, bn ? b.negated : b)
        return an != bn ? q.negated : q
    }

    /// SMOD: the remainder with the dividend's sign; 0 when dividing by 0.
    static func evmSignedModulo(_ a: UInt256, _ b: UInt256) -> UInt256 {
        if b.isZero { return .zero }
        let an = a.isNegative
        let r = evmModulo(an ? a.negated : a, b.isNegative ? b.negated : b)
        return an ? r.negated : r
    }

    /// ADDMOD: (a + b) mod n over 257 bits; 0 when n is 0.
    static func evmAddMod(_ a: UInt256, _ b: UInt256, _ n: UInt256) -> UInt256 {
        if n.isZero { return .zero }
        let (sum, carry) = a.addingReportingOverflow(b)
        if !carry { return evmModulo(sum, n) }
        return WideDivision.remainder(high: UInt256(1), low: sum, modulus: n)
    }

    /// MULMOD: (a × b) mod n over 512 bits; 0 when n is 0.
    static func evmMulMod(_ a: UInt256, _ b: UInt256, _ n: UInt256) -> UInt256 {
        if n.isZero { return .zero }
        let (high, low) = a.multipliedFullWidth(by: b)
        if high.isZero { return evmModulo(low, n) }
        return WideDivision.remainder(high: high, low: low, modulus: n)
    }

    /// EXP: a^e mod 2^256 by square and multiply.
    static func evmPower(_ base: UInt256, _ exponent: UInt256) -> UInt256 {
        var result = UInt256.one
        var b = base
        var e = exponent
        while !e.isZero {
            if e.l0 & 1 == 1 { result = wrappingProduct(result, b) }
            e = e.shiftedRight(1)
            if !e.isZero { b = wrappingProduct(b, b) }
        }
        return result
    }

    /// SIGNEXTEND: extends the sign bit of byte `k` (0 = least significant) of `x`.
    static func evmSignExtend(_ k: UInt256, _ x: UInt256) -> UInt256 {
        guard let byteIndex = k.uint64, byteIndex < 31 else { return x }
        // Shift the sign byte to the top, then shift back arithmetically.
        let shift = Int(31 - byteIndex) * 8
        return evmArithmeticShiftRight(UInt256(UInt64(shift)), x.shiftedLeft(shift))
    }

    /// BYTE: byte `i` of `x` counted from the most significant end; 0 when i ≥ 32.
    @inline(__always) static func evmByte(_ i: UInt256, _ x: UInt256) -> UInt256 {
        guard let index = i.uint64, index < 32 else { return .zero }
        let fromLow = 31 - Int(index)
        let limb: UInt64
        switch fromLow / 8 {
        case 0: limb = x.l0
        case 1: limb = x.l1
        case 2: limb = x.l2
        default: limb = x.l3
        }
        return UInt256((limb >> UInt64((fromLow % 8) * 8)) & 0xff)
    }

    /// Logical shift left by any amount (≥ 256 gives 0).
    @inline(__always) func shiftedLeft(_ n: Int) -> UInt256 {
        if n >= 256 { return .zero }
        if n == 0 { return self }
        let limbs = n >> 6, bits = UInt64(n & 63)
        var w = (l0, l1, l2, l3)
        switch limbs {
        case 1: w = (0, l0, l1, l2)
        case 2: w = (0, 0, l0, l1)
        case 3: w = (0, 0, 0, l0)
        default: break
        }
        if bits == 0 { return UInt256(limbs: w.0, w.1, w.2, w.3) }
        return UInt256(
            limbs: w.0 << bits,
            (w.1 << bits) | (w.0 >> (64 - bits)),
            (w.2 << bits) | (w.1 >> (64 - bits)),
            (w.3 << bits) | (w.2 >> (64 - bits)))
    }

    /// Logical shift right by any amount (≥ 256 gives 0).
    @inline(__always) func shiftedRight(_ n: Int) -> UInt256 {
        if n >= 256 { return .zero }
        if n == 0 { return self }
        let limbs = n >> 6, bits = UInt64(n & 63)
        var w = (l0, l1, l2, l3)
        switch limbs {
        case 1: w = (l1, l2, l3, 0)
        case 2: w = (l2, l3, 0, 0)
        case 3: w = (l3, 0, 0, 0)
        default: break
        }
        if bits == 0 { return UInt256(limbs: w.0, w.1, w.2, w.3) }
        return UInt256(
            limbs: (w.0 >> bits) | (w.1 << (64 - bits)),
            (w.1 >> bits) | (w.2 << (64 - bits)),
            (w.2 >> bits) | (w.3 << (64 - bits)),
            w.3 >> bits)
    }

    /// SAR: arithmetic shift right.
    static func evmArithmeticShiftRight(_ shift: UInt256, _ x: UInt256) -> UInt256 {
        let negative = x.isNegative
        guard let n = shift.uint64, n < 256 else { return negative ? .max : .zero }
        if !negative { return x.shiftedRight(Int(n)) }
        return ~((~x).shiftedRight(Int(n)))
    }

    /// The shift amount of SHL/SHR as an Int (256 when the value is 256 or more).
    @inline(__always) var shiftAmount: Int {
        if (l1 | l2 | l3) != 0 || l0 >= 256 { return 256 }
        return Int(l0)
    }

    /// Big-endian bytes into `pointer` (32 bytes).
    @inline(__always) func store(bigEndianInto pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: l3.bigEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: l2.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: l1.bigEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: l0.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// The word from 32 big-endian bytes at `pointer`.
    @inline(__always) init(bigEndianFrom pointer: UnsafeRawPointer) {
        self.init(
            limbs: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
            UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
    }

    /// The word as an address (its low 20 bytes).
    var asAddress: Address {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &words) { raw in
            store(bigEndianInto: raw.baseAddress!)
            return Address(bytes: UnsafeRawBufferPointer(rebasing: raw[12..<32]))!
        }
    }

    /// An address as a word.
    init(address: Address) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        self = withUnsafeMutableBytes(of: &words) { raw in
            address.withUnsafeBytes { (raw.baseAddress! + 12).copyMemory(from: $0.baseAddress!, byteCount: 20) }
            return UInt256(bigEndianFrom: raw.baseAddress!)
        }
    }

    /// A hash as a word.
    init(hash: Hash32) {
        self = hash.withUnsafeBytes { UInt256(bigEndianFrom: $0.baseAddress!) }
    }

    /// The word as 32 big-endian bytes in a hash.
    var asHash: Hash32 {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { store(bigEndianInto: $0.baseAddress!) }
        return withUnsafeBytes(of: &words) { Hash32(copying: $0) }
    }

    /// The value as an Int when it is below `limit`, else nil (used for offsets and sizes).
    @inline(__always) func intBelow(_ limit: UInt64) -> Int? {
        if (l1 | l2 | l3) != 0 || l0 >= limit { return nil }
        return Int(l0)
    }
}

/// Division of up to 512-bit dividends by 256-bit divisors: Knuth's algorithm D on 64-bit limbs,
/// in stack buffers (no heap allocation).
enum WideDivision {
    static func divide(_ a: UInt256, _ b: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        if let d = b.uint64 { return divide(a, small: d) }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4) { q in
            let r = divide(dividend: (a.l0, a.l1, a.l2, a.l3, 0, 0, 0, 0), count: 4, divisor: b, quotient: q.baseAddress!)
            return (UInt256(limbs: q[0], q[1], q[2], q[3]), r)
        }
    }

    static func remainder(high: UInt256, low: UInt256, modulus: UInt256) -> UInt256 {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { q in
            divide(
                dividend: (low.l0, low.l1, low.l2, low.l3, high.l0, high.l1, high.l2, high.l3), count: 8,
                divisor: modulus, quotient: q.baseAddress!)
        }
    }

    /// Division by a single limb.
    private static func divide(_ a: UInt256, small d: UInt64) -> (quotient: UInt256, remainder: UInt256) {
        var rem: UInt64 = 0
        let (q3, r3) = d.dividingFullWidth((rem, a.l3)); rem = r3
        let (q2, r2) = d.dividingFullWidth((rem, a.l2)); rem = r2
        let (q1, r1) = d.dividingFullWidth((rem, a.l1)); rem = r1
        let (q0, r0) = d.dividingFullWidth((rem, a.l0)); rem = r0
        return (UInt256(limbs: q0, q1, q2, q3), UInt256(rem))
    }

    /// Divides the first `count` limbs of `dividend` by `divisor` (not 0); writes `count` quotient
    /// limbs and returns the remainder.
    private static func divide(
        dividend: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64), count: Int,
        divisor: UInt256, quotient q: UnsafeMutablePointer<UInt64>
    ) -> UInt256 {
        // One stack buffer: u (8 limbs), v (4), un (9), vn (4).
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { buffer in
                let u = buffer.baseAddress!, v = u + 8, un = u + 12, vn = u + 21
                (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7]) = dividend
                (v[0], v[1], v[2], v[3]) = (divisor.l0, divisor.l1, divisor.l2, divisor.l3)
                for i in 0..<count { q[i] = 0 }
                var m = count
                while m > 0 && u[m - 1] == 0 { m -= 1 }
                var n = 4
                while n > 0 && v[n - 1] == 0 { n -= 1 }
                if m < n { return UInt256(limbs: u[0], u[1], u[2], u[3]) }
                if n == 1 {
                    var rem: UInt64 = 0
                    for i in stride(from: m - 1, through: 0, by: -1) {
                        let (qi, ri) = v[0].dividingFullWidth((rem, u[i]))
                        q[i] = qi
                        rem = ri
                    }
                    return UInt256(rem)
                }
                // Normalize: the divisor's top limb gets its high bit set.
                let s = UInt64(v[n - 1].leadingZeroBitCount)
                for i in stride(from: n - 1, to: 0, by: -1) {
                    vn[i] = s == 0 ? v[i] : (v[i] << s) | (v[i - 1] >> (64 - s))
                }
                vn[0] = v[0] << s
                un[m] = s == 0 ? 0 : u[m - 1] >> (64 - s)
                for i in stride(from: m - 1, to: 0, by: -1) {
                    un[i] = s == 0 ? u[i] : (u[i] << s) | (u[i - 1] >> (64 - s))
                }
                un[0] = u[0] << s
                let top = vn[n - 1], next = vn[n - 2]
                for j in stride(from: m - n, through: 0, by: -1) {
                    // Estimate the quotient limb from the top two limbs, then correct it.
                    var qhat: UInt64
                    var rhat: UInt64
                    var rhatOverflow = false
                    if un[j + n] >= top {
                        qhat = .max
                        (rhat, rhatOverflow) = un[j + n - 1].addingReportingOverflow(top)
                    } else {
                        (qhat, rhat) = top.dividingFullWidth((un[j + n], un[j + n - 1]))
                    }
                    while !rhatOverflow {
                        let (ph, pl) = qhat.multipliedFullWidth(by: next)
                        if ph > rhat || (ph == rhat && pl > un[j + n - 2]) {
                            qhat -= 1
                            (rhat, rhatOverflow) = rhat.addingReportingOverflow(top)
                        } else {
                            break
                        }
                    }
                    // un[j...j+n] -= qhat * vn
                    var borrow: UInt64 = 0
                    var carry: UInt64 = 0
                    for i in 0..<n {
                        let (ph, pl) = qhat.multipliedFullWidth(by: vn[i])
                        let (plc, c1) = pl.addingReportingOverflow(carry)
                        carry = ph &+ (c1 ? 1 : 0)
                        let (d1, b1) = un[i + j].subtractingReportingOverflow(plc)
                        let (d2, b2) = d1.subtractingReportingOverflow(borrow)
                        un[i + j] = d2
                        borrow = (b1 ? 1 : 0) &+ (b2 ? 1 : 0)
                    }
                    let (t1, b1) = un[j + n].subtractingReportingOverflow(carry)
                    let (t2, b2) = t1.subtractingReportingOverflow(borrow)
                    un[j + n] = t2
                    if b1 || b2 {
                        // Subtracted once too often: add the divisor back.
                        qhat -= 1
                        var c: UInt64 = 0
                        for i in 0..<n {
                            let (s1, o1) = un[i + j].addingReportingOverflow(vn[i])
                            let (s2, o2) = s1.addingReportingOverflow(c)
                            un[i + j] = s2
                            c = (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
                        }
                        un[j + n] = un[j + n] &+ c
                    }
                    q[j] = qhat
                }
                // Unnormalize the remainder.
                var r: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                withUnsafeMutableBytes(of: &r) { raw in
                    let out = raw.bindMemory(to: UInt64.self)
                    for i in 0..<n {
                        out[i] = s == 0 ? un[i] : (un[i] >> s) | (un[i + 1] << (64 - s))
                    }
                }
                return UInt256(limbs: r.0, r.1, r.2, r.3)
        }
    }
}
