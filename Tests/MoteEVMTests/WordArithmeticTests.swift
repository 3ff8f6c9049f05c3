@testable import MoteEVM
import MotePrimitives
import MoteTestSupport
import Testing

/// The EVM's wide arithmetic against independent slow references, over random operands of every size.
@Suite struct WordArithmeticTests {
    /// A random word whose limbs are zeroed at random, so every divisor length is exercised.
    static func randomWord(_ rng: inout SplitMix64) -> UInt256 {
        var limbs = (0..<4).map { _ in rng.next() }
        let keep = Int(rng.next() % 5)
        for i in keep..<4 { limbs[i] = 0 }
        if rng.next() % 4 == 0 { limbs[max(0, keep - 1)] = .max }
        return UInt256(limbs: limbs[0], limbs[1], limbs[2], limbs[3])
    }

    @Test func divisionMatchesTheBitwiseReference() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let a = Self.randomWord(&rng), b = Self.randomWord(&rng)
            guard !b.isZero else { continue }
            let reference = a.quotientAndRemainder(dividingBy: b)   // MotePrimitives: binary long division
            #expect(UInt256.evmDivide(a, b) == reference.quotient, "\(a) / \(b)")
            #expect(UInt256.evmModulo(a, b) == reference.remainder, "\(a) % \(b)")
        }
    }

    /// (high·2^256 + low) mod n by shifting in one bit at a time.
    static func slowRemainder(high: UInt256, low: UInt256, modulus n: UInt256) -> UInt256 {
        var r = UInt256.zero
        for bit in stride(from: 511, through: 0, by: -1) {
            let carry = r.isNegative
            r = r.shiftedLeft(1)
            if (bit >= 256 ? high : low).bit(bit % 256) { r = r | .one }
            if carry || !UInt256.unsignedLess(r, n) { r = r &- n }
        }
        return r
    }

    @Test func mulModAndAddModKeepFullPrecision() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<3_000 {
            let a = Self.randomWord(&rng), b = Self.randomWord(&rng), n = Self.randomWord(&rng)
            guard !n.isZero else {
                #expect(UInt256.evmMulMod(a, b, n) == .zero)
                continue
            }
            let (high, low) = a.multipliedFullWidth(by: b)
            #expect(UInt256.evmMulMod(a, b, n) == Self.slowRemainder(high: high, low: low, modulus: n))
            let (sum, carry) = a.addingReportingOverflow(b)
            #expect(UInt256.evmAddMod(a, b, n) == Self.slowRemainder(high: carry ? .one : .zero, low: sum, modulus: n))
        }
    }

    @Test func multiplicationAndSignedOps() {
        var rng = SplitMix64(seed: 13)
        for _ in 0..<10_000 {
            let a = Self.randomWord(&rng), b = Self.randomWord(&rng)
            #expect(UInt256.wrappingProduct(a, b) == a.multipliedFullWidth(by: b).low)
            // Signed division identity: a = q·b + r with r carrying a's sign.
            guard !b.isZero else { continue }
            let q = UInt256.evmSignedDivide(a, b), r = UInt256.evmSignedModulo(a, b)
            #expect(UInt256.wrappingProduct(q, b) &+ r == a)
            #expect(r.isZero || r.isNegative == a.isNegative)
        }
    }
}
