/// `base ^ exponent mod modulus` for an even modulus m = 2^k · q (q odd), by the Chinese
/// remainder theorem: x₁ = bᵉ mod q (Montgomery), x₂ = bᵉ mod 2^k (products cut to the low
/// limbs), then x = x₁ + q · ((x₂ − x₁) · q⁻¹ mod 2^k), which is below m. Every step is a
/// multiplication without division, so small even moduli cost what odd ones do.
enum EvenModulusPower {
    /// `base ^ exponent mod modulus`, trimmed; `modulus` is even and nonzero, the exponent
    /// nonzero with its first nonzero byte at `firstNonZero`.
    static func power(base: BigNatural, exponent: ExponentBits, from firstNonZero: Int, modulus: BigNatural) -> [UInt64] {
        let twos = trailingZeroBits(modulus.limbs)
        let odd = BigNatural(limbs: shiftRight(modulus.limbs, by: twos))
        let oddPart = ModExpPrecompile.modularPower(base: base, exponent: exponent, modulus: odd).limbs
        // Work modulo 2^(64·limbCount) ≥ 2^k and cut to k bits at the end.
        let limbCount = (twos + 63) / 64
        var low = [UInt64](repeating: 0, count: limbCount)
        for index in 0..<min(limbCount, base.limbs.count) { low[index] = base.limbs[index] }
        var twoPart = truncatedPower(base: low, exponent: exponent, from: firstNonZero)
        // h = (x₂ − x₁) · q⁻¹ mod 2^k
        var difference = twoPart
        var borrow: UInt64 = 0
        for index in 0..<limbCount {
            let subtrahend = index < oddPart.count ? oddPart[index] : 0
            let wide = UInt128(difference[index]) &- UInt128(subtrahend) &- UInt128(borrow)
            difference[index] = UInt64(truncatingIfNeeded: wide)
            borrow = UInt64(truncatingIfNeeded: wide >> 64) & 1
        }
        var lift = truncatedProduct(difference, inverse(of: odd.limbs, limbCount: limbCount))
        mask(&lift, toBits: twos)
        twoPart = lift
        // x = x₁ + q · h
        var result = BigNatural.multiply(odd.limbs, twoPart)
        if result.count < oddPart.count { result += [UInt64](repeating: 0, count: oddPart.count - result.count) }
        result.append(0)
        var carry: UInt64 = 0
        for index in 0..<result.count {
            let addend = index < oddPart.count ? oddPart[index] : 0
            let sum = UInt128(result[index]) + UInt128(addend) + UInt128(carry)
            result[index] = UInt64(truncatingIfNeeded: sum)
            carry = UInt64(truncatingIfNeeded: sum >> 64)
        }
        BigNatural.trim(&result)
        return result
    }

    static func trailingZeroBits(_ limbs: [UInt64]) -> Int {
        var bits = 0
        for limb in limbs {
            if limb != 0 { return bits + limb.trailingZeroBitCount }
            bits += 64
        }
        return bits
    }

    static func shiftRight(_ limbs: [UInt64], by bits: Int) -> [UInt64] {
        let whole = bits / 64
        let part = UInt64(bits % 64)
        var result = [UInt64](repeating: 0, count: max(0, limbs.count - whole))
        for index in 0..<result.count {
            result[index] = limbs[index + whole] >> part
            if part > 0, index + whole + 1 < limbs.count { result[index] |= limbs[index + whole + 1] << (64 - part) }
        }
        return result
    }

    /// Clears every bit from `bits` up.
    static func mask(_ limbs: inout [UInt64], toBits bits: Int) {
        for index in 0..<limbs.count {
            let low = index * 64
            if low >= bits { limbs[index] = 0 } else if bits - low < 64 { limbs[index] &= (1 << UInt64(bits - low)) - 1 }
        }
    }

    /// The low `a.count` limbs of a · b (both `a.count` limbs).
    static func truncatedProduct(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: a.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { result in
                    multiplyLow(a.baseAddress!, b.baseAddress!, into: result.baseAddress!, count: a.count)
                }
            }
        }
        return result
    }

    /// `result` = the low `count` limbs of a · b; `result` aliases neither.
    @inline(__always)
    static func multiplyLow(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into result: UnsafeMutablePointer<UInt64>, count: Int) {
        result.update(repeating: 0, count: count)
        for i in 0..<count {
            let ai = a[i]
            var carry: UInt64 = 0
            for j in 0..<(count - i) {
                let sum = UInt128(ai) * UInt128(b[j]) + UInt128(result[i + j]) + UInt128(carry)
                result[i + j] = UInt64(truncatingIfNeeded: sum)
                carry = UInt64(truncatingIfNeeded: sum >> 64)
            }
        }
    }

    /// q⁻¹ mod 2^(64·limbCount) for odd q, by Newton's iteration x ← x · (2 − q · x),
    /// which doubles the number of correct low bits each time.
    static func inverse(of q: [UInt64], limbCount: Int) -> [UInt64] {
        var x = [UInt64](repeating: 0, count: limbCount)
        var seed = q[0]  // q · q ≡ 1 (mod 8): 3 correct bits, then 6, 12, 24, 48, 96
        for _ in 0..<5 { seed = seed &* (2 &- q[0] &* seed) }
        x[0] = seed
        var qLow = [UInt64](repeating: 0, count: limbCount)
        for index in 0..<min(limbCount, q.count) { qLow[index] = q[index] }
        var correctLimbs = 1
        while correctLimbs < limbCount {
            // 2 − q · x mod 2^(64·limbCount): negate, then add 2.
            var factor = truncatedProduct(qLow, x)
            var carry: UInt64 = 2
            for index in 0..<limbCount {
                let sum = UInt128(~factor[index]) + UInt128(index == 0 ? 1 : 0) + UInt128(carry)
                factor[index] = UInt64(truncatingIfNeeded: sum)
                carry = UInt64(truncatingIfNeeded: sum >> 64)
            }
            x = truncatedProduct(x, factor)
            correctLimbs *= 2
        }
        return x
    }

    /// base ^ exponent mod 2^(64·base.count), left to right with a 4-bit window, in one buffer.
    static func truncatedPower(base: [UInt64], exponent: ExponentBits, from firstNonZero: Int) -> [UInt64] {
        let n = base.count
        let size = 16 * n + 2 * n
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: size)
        let table = buffer
        let accumulator = buffer + 16 * n
        let product = accumulator + n
        table[0] = 1
        for index in 0..<n { table[n + index] = base[index] }
        for k in 2..<16 { multiplyLow(table + (k - 1) * n, table + n, into: table + k * n, count: n) }
        accumulator[0] = 1
        for byteIndex in firstNonZero..<exponent.count {
            let byte = exponent.byte(at: byteIndex)
            for shift in stride(from: 4, through: 0, by: -4) {
                let window = Int(byte >> UInt8(shift)) & 0x0f
                for _ in 0..<4 {
                    multiplyLow(accumulator, accumulator, into: product, count: n)
                    accumulator.update(from: product, count: n)
                }
                if window != 0 {
                    multiplyLow(accumulator, table + window * n, into: product, count: n)
                    accumulator.update(from: product, count: n)
                }
            }
        }
        return Array(UnsafeBufferPointer(start: accumulator, count: n))
    }
}
