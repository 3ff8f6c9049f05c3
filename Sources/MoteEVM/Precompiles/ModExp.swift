/// Precompile 0x05 (EIP-198, priced by EIP-2565): `base ^ exponent mod modulus` on
/// arbitrary-length big-endian integers. Input: three 32-byte big-endian lengths, then
/// base, exponent and modulus, zero-padded on the right when short. Output: exactly
/// modulus-length bytes.
public enum ModExpPrecompile {
    /// The smallest charge for any call (EIP-2565).
    static let minimumGas: UInt64 = 200

    /// Runs the precompile. Gas is computed from the header alone, before anything is
    /// allocated; a cost that does not fit the gas limit (or UInt64) is a failure.
    public static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let baseLength = lengthField(input, at: 0)
        let exponentLength = lengthField(input, at: 32)
        let modulusLength = lengthField(input, at: 64)
        // Base and modulus both empty: the multiplication complexity is zero, so only the minimum is charged.
        if baseLength == 0 && modulusLength == 0 {
            return minimumGas <= gasLimit ? .success(gasUsed: minimumGas, output: []) : .failure
        }
        guard let baseLength, let exponentLength, let modulusLength else { return .failure }
        let exponentOffset = addSaturating(96, baseLength)
        let modulusOffset = addSaturating(exponentOffset, exponentLength)
        let exponentHead = readPadded(input, offset: exponentOffset, count: Int(min(exponentLength, 32)))
        guard let gas = gasCost(baseLength: baseLength, exponentLength: exponentLength,
                                modulusLength: modulusLength, exponentHead: exponentHead),
              gas <= gasLimit,
              let baseCount = Int(exactly: baseLength), let exponentCount = Int(exactly: exponentLength),
              let modulusCount = Int(exactly: modulusLength)
        else { return .failure }

        let modulus = BigNatural(bigEndian: readPadded(input, offset: modulusOffset, count: modulusCount))
        if modulus.isZero { return .success(gasUsed: gas, output: [UInt8](repeating: 0, count: modulusCount)) }
        let base = BigNatural(bigEndian: readPadded(input, offset: 96, count: baseCount))
        let exponentBits = ExponentBits(input: input, offset: exponentOffset, count: exponentCount)
        let result = modularPower(base: base, exponent: exponentBits, modulus: modulus)
        return .success(gasUsed: gas, output: result.bigEndianBytes(count: modulusCount))
    }

    /// The EIP-2565 cost, or nil when it does not fit in UInt64.
    static func gasCost(baseLength: UInt64, exponentLength: UInt64, modulusLength: UInt64, exponentHead: [UInt8]) -> UInt64? {
        let words = (UInt128(max(baseLength, modulusLength)) + 7) / 8
        let multiplicationComplexity = words * words  // ≤ 2^122
        let headBits = UInt128(bitLength(exponentHead))
        var iterations: UInt128
        if exponentLength <= 32 {
            iterations = headBits == 0 ? 0 : headBits - 1
        } else {
            iterations = 8 * UInt128(exponentLength - 32) + (headBits == 0 ? 0 : headBits - 1)  // < 2^68
        }
        iterations = max(iterations, 1)
        let (product, overflow) = multiplicationComplexity.multipliedReportingOverflow(by: iterations)
        guard !overflow else { return nil }
        let gas = max(UInt128(minimumGas), product / 3)
        return UInt64(exactly: gas)
    }

    /// The 32-byte big-endian length at `offset`, or nil when it is 2^64 or more.
    static func lengthField(_ input: [UInt8], at offset: UInt64) -> UInt64? {
        let field = readPadded(input, offset: offset, count: 32)
        guard field[0..<24].allSatisfy({ $0 == 0 }) else { return nil }
        return field[24..<32].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// `count` bytes of `input` from `offset`, with zeros where the input ends.
    static func readPadded(_ input: [UInt8], offset: UInt64, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard offset < UInt64(input.count) else { return bytes }
        let start = Int(offset)
        let available = min(count, input.count - start)
        for index in 0..<available { bytes[index] = input[start + index] }
        return bytes
    }

    static func addSaturating(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// The number of significant bits in a big-endian byte string.
    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }

    /// `base ^ exponent mod modulus` for a nonzero modulus, by left-to-right square-and-multiply
    /// in one of three allocation-free loops: a one-limb modulus (`singleLimbPower`), an odd one
    /// (`MontgomeryPower`), an even one (`EvenModulusPower`, which splits off the power of two).
    static func modularPower(base: BigNatural, exponent: ExponentBits, modulus: BigNatural) -> BigNatural {
        let reducer = ModularReducer(modulus: modulus)
        let reducedBase = reducer.reduce(base.limbs)
        guard let firstNonZero = exponent.firstNonZeroByte() else { return BigNatural(limbs: reducer.reduce([1])) }
        if modulus.limbs.count == 1 {
            return BigNatural(limbs: [singleLimbPower(base: reducedBase.first ?? 0, exponent: exponent, from: firstNonZero, modulus: modulus.limbs[0])])
        }
        if modulus.limbs[0] & 1 == 1 {
            let montgomery = MontgomeryPower(modulus: modulus.limbs, reducer: reducer)
            return BigNatural(limbs: montgomery.power(reducedBase: reducedBase, exponent: exponent, from: firstNonZero))
        }
        return BigNatural(limbs: EvenModulusPower.power(base: base, exponent: exponent, from: firstNonZero, modulus: modulus))
    }
}

extension ModExpPrecompile {
    /// Square-and-multiply for a modulus below 2^64, without allocation; `base` is already reduced.
    static func singleLimbPower(base: UInt64, exponent: ExponentBits, from firstNonZero: Int, modulus: UInt64) -> UInt64 {
        if modulus & 1 == 1 && modulus > 1 {
            return singleLimbMontgomeryPower(base: base, exponent: exponent, from: firstNonZero, modulus: modulus)
        }
        var result: UInt64 = 1 % modulus
        for byteIndex in firstNonZero..<exponent.count {
            let byte = exponent.byte(at: byteIndex)
            for bit in stride(from: 7, through: 0, by: -1) {
                // Both factors are below the modulus, so the high half of the product is too and the division cannot overflow.
                result = modulus.dividingFullWidth(result.multipliedFullWidth(by: result)).remainder
                if (byte >> UInt8(bit)) & 1 == 1 { result = modulus.dividingFullWidth(result.multipliedFullWidth(by: base)).remainder }
            }
        }
        return result
    }

    /// The same for an odd modulus above 1, by one-limb Montgomery multiplication (R = 2^64),
    /// which needs no division inside the loop.
    static func singleLimbMontgomeryPower(base: UInt64, exponent: ExponentBits, from firstNonZero: Int, modulus: UInt64) -> UInt64 {
        var inverse = modulus  // Newton: 3 correct low bits, then 6, 12, 24, 48, 96
        for _ in 0..<5 { inverse = inverse &* (2 &- modulus &* inverse) }
        let negativeInverse = 0 &- inverse
        /// a · b · 2^−64 mod m for a, b < m.
        @inline(__always) func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let (high, low) = a.multipliedFullWidth(by: b)
            let (quotientHigh, _) = (low &* negativeInverse).multipliedFullWidth(by: modulus)
            // The low halves sum to 0 mod 2^64, carrying 1 unless both are 0; the total is below 2m.
            let total = UInt128(high) + UInt128(quotientHigh) + (low == 0 ? 0 : 1)
            return UInt64(truncatingIfNeeded: total >= UInt128(modulus) ? total - UInt128(modulus) : total)
        }
        let one = modulus.dividingFullWidth((1, 0)).remainder  // 2^64 mod m (1 < m: no overflow)
        let rSquared = modulus.dividingFullWidth((one, 0)).remainder
        let montgomeryBase = multiply(base, rSquared)
        var result = one
        for byteIndex in firstNonZero..<exponent.count {
            let byte = exponent.byte(at: byteIndex)
            for bit in stride(from: 7, through: 0, by: -1) {
                result = multiply(result, result)
                if (byte >> UInt8(bit)) & 1 == 1 { result = multiply(result, montgomeryBase) }
            }
        }
        return multiply(result, 1)
    }
}

/// The exponent read lazily from the input, so a long exponent past the input's end
/// (all zero bytes) costs no memory.
struct ExponentBits {
    let input: [UInt8]
    let offset: UInt64
    let count: Int

    /// The exponent byte at `index` (0 is the most significant).
    func byte(at index: Int) -> UInt8 {
        let (position, overflow) = offset.addingReportingOverflow(UInt64(index))
        guard !overflow, position < UInt64(input.count) else { return 0 }
        return input[Int(position)]
    }

    /// The first nonzero byte's index, or nil when the exponent is zero.
    func firstNonZeroByte() -> Int? {
        guard offset < UInt64(input.count) else { return nil }
        let available = min(count, input.count - Int(offset))
        for index in 0..<available where input[Int(offset) + index] != 0 { return index }
        return nil
    }
}

/// A nonnegative integer as little-endian 64-bit limbs with no high zero limbs.
struct BigNatural {
    var limbs: [UInt64]

    init(limbs: [UInt64]) {
        self.limbs = limbs
        BigNatural.trim(&self.limbs)
    }

    init(bigEndian bytes: [UInt8]) {
        var limbs = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        for (position, byte) in bytes.reversed().enumerated() {
            limbs[position / 8] |= UInt64(byte) << UInt64(8 * (position % 8))
        }
        self.init(limbs: limbs)
    }

    var isZero: Bool { limbs.isEmpty }

    /// Big-endian bytes, left-padded (or cut on the left) to exactly `count`.
    func bigEndianBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        for position in 0..<min(count, limbs.count * 8) {
            bytes[count - 1 - position] = UInt8(truncatingIfNeeded: limbs[position / 8] >> UInt64(8 * (position % 8)))
        }
        return bytes
    }

    static func trim(_ limbs: inout [UInt64]) {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    /// The schoolbook product of two limb arrays.
    static func multiply(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        if a.isEmpty || b.isEmpty { return [] }
        var product = [UInt64](repeating: 0, count: a.count + b.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                product.withUnsafeMutableBufferPointer { product in
                    for i in 0..<a.count {
                        var carry: UInt64 = 0
                        let ai = a[i]
                        for j in 0..<b.count {
                            // At most (2^64 − 1)² + 2(2^64 − 1) = 2^128 − 1; UInt128 keeps the carries branch-free.
                            let sum = UInt128(ai) * UInt128(b[j]) + UInt128(product[i + j]) + UInt128(carry)
                            product[i + j] = UInt64(truncatingIfNeeded: sum)
                            carry = UInt64(truncatingIfNeeded: sum >> 64)
                        }
                        product[i + b.count] = carry
                    }
                }
            }
        }
        trim(&product)
        return product
    }
}

/// Reduces numbers modulo a fixed nonzero modulus by Knuth's long division
/// (TAOCP vol. 2, §4.3.1, Algorithm D), keeping only the remainder.
struct ModularReducer {
    /// The modulus shifted left so its top limb has its high bit set.
    let normalizedModulus: [UInt64]
    /// How far the modulus was shifted.
    let shift: UInt64

    init(modulus: BigNatural) {
        let top = modulus.limbs[modulus.limbs.count - 1]
        shift = UInt64(top.leadingZeroBitCount)
        var shifted = ModularReducer.shiftLeft(modulus.limbs, by: shift)
        BigNatural.trim(&shifted)
        normalizedModulus = shifted
    }

    static func shiftLeft(_ limbs: [UInt64], by shift: UInt64) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: limbs.count + 1)
        for index in 0..<limbs.count {
            result[index] |= limbs[index] << shift
            if shift > 0 { result[index + 1] = limbs[index] >> (64 - shift) }
        }
        return result
    }

    /// `value mod modulus`, trimmed.
    func reduce(_ value: [UInt64]) -> [UInt64] {
        let n = normalizedModulus.count
        var remainder = ModularReducer.shiftLeft(value, by: shift)  // value.count + 1 limbs
        if remainder.count >= n + 1 {
            divideInPlace(&remainder)
        }
        // Undo the normalization on the low n limbs.
        var result = [UInt64](repeating: 0, count: min(n, remainder.count))
        for index in 0..<result.count {
            result[index] = remainder[index] >> shift
            if shift > 0, index + 1 < remainder.count { result[index] |= remainder[index + 1] << (64 - shift) }
        }
        BigNatural.trim(&result)
        return result
    }

    /// Leaves `u mod normalizedModulus` in the low limbs of `u` (the rest become zero).
    private func divideInPlace(_ u: inout [UInt64]) {
        let v = normalizedModulus
        let n = v.count
        let vTop = v[n - 1]
        let vSecond: UInt64 = n >= 2 ? v[n - 2] : 0
        u.withUnsafeMutableBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                var j = u.count - n - 1
                while j >= 0 {
                    // Estimate the quotient digit from the top two limbs; u[j+n] ≤ vTop always holds.
                    var quotientDigit: UInt64
                    var partialRemainder: UInt64
                    var remainderOverflowed = false
                    if u[j + n] >= vTop {
                        quotientDigit = .max
                        (partialRemainder, remainderOverflowed) = u[j + n - 1].addingReportingOverflow(vTop)
                    } else {
                        (quotientDigit, partialRemainder) = vTop.dividingFullWidth((u[j + n], u[j + n - 1]))
                    }
                    if n >= 2 {
                        while !remainderOverflowed {
                            let estimate = quotientDigit.multipliedFullWidth(by: vSecond)
                            guard estimate.high > partialRemainder || (estimate.high == partialRemainder && estimate.low > u[j + n - 2]) else { break }
                            quotientDigit -= 1
                            (partialRemainder, remainderOverflowed) = partialRemainder.addingReportingOverflow(vTop)
                        }
                    }
                    // Subtract quotientDigit × v from u[j ... j+n].
                    var carry: UInt64 = 0
                    var borrow: UInt64 = 0
                    for i in 0..<n {
                        let product = UInt128(quotientDigit) * UInt128(v[i]) + UInt128(carry)
                        carry = UInt64(truncatingIfNeeded: product >> 64)
                        // u − low − borrow lies in [−2^64, 2^64): the wrapped high half is all ones exactly when it is negative.
                        let difference = UInt128(u[i + j]) &- UInt128(UInt64(truncatingIfNeeded: product)) &- UInt128(borrow)
                        u[i + j] = UInt64(truncatingIfNeeded: difference)
                        borrow = UInt64(truncatingIfNeeded: difference >> 64) & 1
                    }
                    let (top1, topBorrow1) = u[j + n].subtractingReportingOverflow(carry)
                    let (top2, topBorrow2) = top1.subtractingReportingOverflow(borrow)
                    u[j + n] = top2
                    if topBorrow1 || topBorrow2 {
                        // The estimate was one too large: add v back.
                        var addCarry: UInt64 = 0
                        for i in 0..<n {
                            let (sum1, overflow1) = u[i + j].addingReportingOverflow(v[i])
                            let (sum2, overflow2) = sum1.addingReportingOverflow(addCarry)
                            u[i + j] = sum2
                            addCarry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
                        }
                        u[j + n] = u[j + n] &+ addCarry
                    }
                    j -= 1
                }
            }
        }
    }
}
