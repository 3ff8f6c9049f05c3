/// `base ^ exponent mod modulus` for an odd modulus by Montgomery multiplication
/// (CIOS: Koç, Acar, Kaliski, "Analyzing and comparing Montgomery multiplication
/// algorithms", 1996) with a fixed 4-bit exponent window. All working numbers live in
/// one buffer allocated up front; the loop over the exponent allocates nothing.
struct MontgomeryPower {
    /// The odd modulus, `limbCount` little-endian limbs, top limb nonzero.
    private let modulus: [UInt64]
    /// −modulus⁻¹ mod 2^64.
    private let negativeInverse: UInt64
    /// R mod modulus, R = 2^(64·limbCount): 1 in Montgomery form.
    private let one: [UInt64]
    /// R² mod modulus, which takes a number into Montgomery form.
    private let rSquared: [UInt64]
    private var limbCount: Int { modulus.count }

    /// `modulus` must be odd and trimmed (no high zero limbs); `reducer` reduces by it.
    init(modulus: [UInt64], reducer: ModularReducer) {
        precondition(modulus.first.map { $0 & 1 == 1 } ?? false, "Montgomery needs an odd modulus")
        self.modulus = modulus
        one = reducer.reduce([UInt64](repeating: 0, count: modulus.count) + [1])
        rSquared = reducer.reduce([UInt64](repeating: 0, count: 2 * modulus.count) + [1])
        // Newton's iteration doubles the correct low bits: m·m ≡ 1 (mod 8) gives 3, then 6, 12, 24, 48, 96.
        let m0 = modulus[0]
        var inverse = m0
        for _ in 0..<5 { inverse = inverse &* (2 &- m0 &* inverse) }
        negativeInverse = 0 &- inverse
    }

    /// `base ^ exponent mod modulus`, trimmed; `reducedBase` is below the modulus and the
    /// exponent's bytes before `firstNonZero` are zero.
    func power(reducedBase: [UInt64], exponent: ExponentBits, from firstNonZero: Int) -> [UInt64] {
        let n = limbCount
        // Layout: 16 window powers, accumulator, product, CIOS scratch (n + 2), input staging.
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: 16 * n + 2 * n + (n + 2) + n)
        defer { buffer.deallocate() }
        let table = buffer
        let accumulator = buffer + 16 * n
        let product = accumulator + n
        let scratch = product + n
        let staging = scratch + n + 2
        buffer.initialize(repeating: 0, count: 16 * n + 2 * n + (n + 2) + n)

        modulus.withUnsafeBufferPointer { m in
            let m = m.baseAddress!
            // table[0] = R mod m (1 in Montgomery form); table[1] = base·R mod m; table[k] = table[k−1]·table[1].
            load(one, into: table, count: n)
            load(reducedBase, into: staging, count: n)
            rSquared.withUnsafeBufferPointer { r2 in
                multiply(staging, r2.baseAddress!, into: table + n, modulus: m, scratch: scratch)
            }
            for k in 2..<16 {
                multiply(table + (k - 1) * n, table + n, into: table + k * n, modulus: m, scratch: scratch)
            }
            accumulator.update(from: table, count: n)
            for byteIndex in firstNonZero..<exponent.count {
                let byte = exponent.byte(at: byteIndex)
                for shift in stride(from: 4, through: 0, by: -4) {
                    let window = Int(byte >> UInt8(shift)) & 0x0f
                    for _ in 0..<4 {
                        multiply(accumulator, accumulator, into: product, modulus: m, scratch: scratch)
                        accumulator.update(from: product, count: n)
                    }
                    if window != 0 {
                        multiply(accumulator, table + window * n, into: product, modulus: m, scratch: scratch)
                        accumulator.update(from: product, count: n)
                    }
                }
            }
            // Out of Montgomery form: multiply by plain 1.
            staging.update(repeating: 0, count: n)
            staging[0] = 1
            multiply(accumulator, staging, into: product, modulus: m, scratch: scratch)
        }
        var result = Array(UnsafeBufferPointer(start: product, count: n))
        BigNatural.trim(&result)
        return result
    }

    /// Copies `limbs` (at most `count`) into `destination`, zero-filling the rest.
    private func load(_ limbs: [UInt64], into destination: UnsafeMutablePointer<UInt64>, count: Int) {
        destination.update(repeating: 0, count: count)
        for index in 0..<min(count, limbs.count) { destination[index] = limbs[index] }
    }

    /// `result = a · b · R⁻¹ mod m` for `a, b < m`. `result` must not alias `a` or `b`;
    /// `t` is n + 2 limbs of scratch.
    @inline(__always)
    private func multiply(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into result: UnsafeMutablePointer<UInt64>,
                          modulus m: UnsafePointer<UInt64>, scratch t: UnsafeMutablePointer<UInt64>) {
        let n = limbCount
        t.update(repeating: 0, count: n + 2)
        for i in 0..<n {
            // t += a[i] · b
            let ai = a[i]
            var carry: UInt64 = 0
            for j in 0..<n {
                // (2^64 − 1)² + 2(2^64 − 1) = 2^128 − 1: the sum cannot overflow UInt128.
                let sum = UInt128(ai) * UInt128(b[j]) + UInt128(t[j]) + UInt128(carry)
                t[j] = UInt64(truncatingIfNeeded: sum)
                carry = UInt64(truncatingIfNeeded: sum >> 64)
            }
            let top = UInt128(t[n]) + UInt128(carry)
            t[n] = UInt64(truncatingIfNeeded: top)
            t[n + 1] = UInt64(truncatingIfNeeded: top >> 64)
            // t += q · m with q chosen so the low limb becomes zero, then t >>= 64.
            let q = t[0] &* negativeInverse
            carry = UInt64(truncatingIfNeeded: (UInt128(q) * UInt128(m[0]) + UInt128(t[0])) >> 64)
            for j in 1..<n {
                let sum = UInt128(q) * UInt128(m[j]) + UInt128(t[j]) + UInt128(carry)
                t[j - 1] = UInt64(truncatingIfNeeded: sum)
                carry = UInt64(truncatingIfNeeded: sum >> 64)
            }
            let top2 = UInt128(t[n]) + UInt128(carry)
            t[n - 1] = UInt64(truncatingIfNeeded: top2)
            t[n] = t[n + 1] &+ UInt64(truncatingIfNeeded: top2 >> 64)
        }
        // t < 2m: subtract m once if t ≥ m.
        var needsSubtraction = t[n] != 0
        if !needsSubtraction {
            needsSubtraction = true  // equal counts as ≥
            var index = n - 1
            while index >= 0 {
                if t[index] != m[index] { needsSubtraction = t[index] > m[index]; break }
                index -= 1
            }
        }
        if needsSubtraction {
            var borrow = false
            for j in 0..<n {
                let (difference1, borrow1) = t[j].subtractingReportingOverflow(m[j])
                let (difference2, borrow2) = difference1.subtractingReportingOverflow(borrow ? 1 : 0)
                result[j] = difference2
                borrow = borrow1 || borrow2
            }
        } else {
            result.update(from: t, count: n)
        }
    }
}
