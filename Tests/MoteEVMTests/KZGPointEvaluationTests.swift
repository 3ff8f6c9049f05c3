import Foundation
import MoteCrypto
import MotePrimitives
import Testing

@testable import MoteEVM

/// EIP-4844 point evaluation (0x0a): proofs made with c-kzg-4844 (`ckzg` 2.1.8, mainnet trusted
/// setup) verify; every malformed or wrong input fails and consumes all gas; nothing traps.
struct KZGPointEvaluationTests {
    /// One valid input: versioned_hash ‖ z ‖ y ‖ commitment ‖ proof.
    struct Vector {
        let name: String
        let versionedHash: String, z: String, y: String, commitment: String, proof: String

        var input: [UInt8] { Self.bytes(versionedHash + z + y + commitment + proof) }
        static func bytes(_ hex: String) -> [UInt8] { (try? Hex.decode(hex)) ?? [] }
    }

    static let vectors: [Vector] = [
        Vector(name: "random blob, z = 0",
               versionedHash: "0124af2b2b4ce3c3590ecc9ad43a94ea4c4858617688829f2412fddca72debf2",
               z: "0000000000000000000000000000000000000000000000000000000000000000",
               y: "31596ab4c0ad53d917c72e3766604f4e1bb8e4a0ad66fc2bdb0b3f809af1af2c",
               commitment: "950eb3a828da1daedd4f0b2205f1cb62db7c811369707a57397b2e0c8409c7df8115b8a6562519055111ffe81c215d3f",
               proof: "80215df067da7f1d07ad23443eeba793f4aaa35abb0714ac280ed09e613f9359e5c5fbafead01f0fb486c438fa03d174"),
        Vector(name: "random blob, random z",
               versionedHash: "01dfb3ce7d6bcbdcb5d47cf47df877c6c9021448b2f657c288faa24feeb72688",
               z: "426e3a4a8c69bb1fcfbf59e87dd29df393370df806ea55c309427d1cbe3520bd",
               y: "3f6042dd0147affceeca4448b3adb5f525222fbebd9643a2998080be25fa7c72",
               commitment: "b7a972bb4ccdfeabefd8b4038806389af99bba8dc748d269d095ec9bb41deceb73f51ceaf0f9900d7087ca8f4a2e37fb",
               proof: "b3bb0b7140f323b9c7728e60385cd9ff813f41fa407da2f7b0a43ee5c2521901327aec12596ad54277889814671e39d8"),
        Vector(name: "random blob, random z (2)",
               versionedHash: "0114065db105fcd50dceb021c8bae7453f72d3e8afb69d2e9dc86232e33fdc97",
               z: "5d3715f0f0493edde2f3e8e0a550b4e9d4460007a52bd965772e70d51d356e17",
               y: "3508d5692353fb39dcf9d7fbe2222056de9d5be79f99e3190fcbbad1abf50c80",
               commitment: "8c29d9a5ee8fe0488a587e1fc337a46a89a9ed6ddbec63ce65e745b08c6ffe40369f0df8d167121776de8d473ecea880",
               proof: "adfed88f361b1e81ed2d7c335046c85a5e273a579080bfa5b6f1b61a830d1c7c3e6ce372f91e4751d2a49e1bb9d7928d"),
        Vector(name: "zero blob: commitment and proof at infinity",
               versionedHash: "010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014",
               z: "0000000000000000000000000000000000000000000000000000000000000005",
               y: "0000000000000000000000000000000000000000000000000000000000000000",
               commitment: "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
               proof: "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        Vector(name: "constant blob 7: proof at infinity",
               versionedHash: "0185dbd6412c68c516913d8bcca243ac18c2645d93c2efe48c3f66ebc93e96f8",
               z: "0000000000000000000000000000000000000000000000000000000000000005",
               y: "0000000000000000000000000000000000000000000000000000000000000007",
               commitment: "b928f3beb93519eecf0145da903b40a4c97dca00b21f12ac0df3be9116ef2ef27b2ae6bcd4c5bc2d54ef5a70627efcb7",
               proof: "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    ]

    static let gas: UInt64 = 50_000
    static let infinity = "c0" + String(repeating: "00", count: 47)
    static let modulusR = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"

    /// The expected success: 4096 and BLS_MODULUS as 32-byte words.
    static let success = PrecompileResult.success(
        gasUsed: 50_000, output: Vector.bytes(String(repeating: "0", count: 60) + "1000" + modulusR))

    static func run(_ input: [UInt8], gasLimit: UInt64 = 1_000_000) -> PrecompileResult {
        KZGPointEvaluation.run(input: input, gasLimit: gasLimit)
    }

    /// The input with a replaced commitment and the versioned hash that matches it, so that
    /// only the commitment's encoding decides.
    static func input(_ v: Vector, commitment: String? = nil, z: String? = nil, y: String? = nil, proof: String? = nil) -> [UInt8] {
        let c = Vector.bytes(commitment ?? v.commitment)
        var hash = SHA256Digest.hash(c).bytes
        hash[0] = 0x01
        return hash + Vector.bytes((z ?? v.z) + (y ?? v.y)) + c + Vector.bytes(proof ?? v.proof)
    }

    /// A 48-byte compressed G1 encoding of the integer x with the given flag bits.
    static func encoded(_ x: String, flags: UInt8 = 0x80) -> String {
        var bytes = Vector.bytes(String(repeating: "0", count: 96 - x.count) + x)
        bytes[0] |= flags
        return Hex.encode(bytes, prefix: false)
    }

    @Test("valid proofs verify, with exactly 50000 gas and the fixed output", arguments: vectors.indices)
    func validProofs(_ index: Int) {
        let v = Self.vectors[index]
        #expect(Self.run(v.input) == Self.success, "\(v.name)")
        #expect(Self.run(v.input, gasLimit: 50_000) == Self.success, "\(v.name)")
    }

    @Test func versionedHashMatchesCommitment() {
        for v in Self.vectors { #expect(Self.input(v) == v.input, "\(v.name)") }
    }

    @Test func gasBelowCostFails() {
        #expect(Self.run(Self.vectors[0].input, gasLimit: 49_999) == .failure)
        #expect(Self.run(Self.vectors[0].input, gasLimit: 0) == .failure)
    }

    @Test func wrongLengthFails() {
        let input = Self.vectors[1].input
        #expect(Self.run([]) == .failure)
        #expect(Self.run(Array(input.dropLast())) == .failure)
        #expect(Self.run(input + [0]) == .failure)
        #expect(Self.run([UInt8](repeating: 0, count: 192)) == .failure)
    }

    @Test func wrongProofFails() {
        let (a, b) = (Self.vectors[1], Self.vectors[2])
        #expect(Self.run(Self.input(a, proof: b.proof)) == .failure)
        #expect(Self.run(Self.input(a, proof: Self.infinity)) == .failure)
        #expect(Self.run(Self.input(a, proof: a.commitment)) == .failure)
        // The right proof for another point.
        #expect(Self.run(Self.input(a, z: b.z)) == .failure)
    }

    @Test func wrongValueFails() {
        for v in Self.vectors {
            var input = v.input
            input[95] ^= 1
            #expect(Self.run(input) == .failure, "\(v.name)")
        }
        // y = 0 on the zero blob, but y = 1 claimed.
        let zero = Self.vectors[3]
        #expect(Self.run(Self.input(zero, y: String(repeating: "0", count: 63) + "1")) == .failure)
    }

    @Test func fieldElementsAtOrAboveModulusFail() {
        let v = Self.vectors[4]   // constant blob: y = 7 for every z
        let max = String(repeating: "f", count: 64)
        // z ≡ 5 + r would be the same point; it must still be refused.
        let zPlusR = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000006"
        #expect(Self.run(Self.input(v, z: Self.modulusR)) == .failure)
        #expect(Self.run(Self.input(v, z: zPlusR)) == .failure)
        #expect(Self.run(Self.input(v, z: max)) == .failure)
        #expect(Self.run(Self.input(v, y: Self.modulusR)) == .failure)
        #expect(Self.run(Self.input(v, y: max)) == .failure)
        // r − 1 is in range (and wrong here).
        let rMinus1 = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
        #expect(Self.run(Self.input(v, z: rMinus1)) == .success(gasUsed: Self.gas, output: Self.successOutput))
        #expect(Self.run(Self.input(v, y: rMinus1)) == .failure)
    }

    static var successOutput: [UInt8] {
        guard case .success(_, let output) = success else { return [] }
        return output
    }

    @Test func badVersionedHashFails() {
        let v = Self.vectors[2]
        var input = v.input
        input[0] = 0x02                                        // wrong version
        #expect(Self.run(input) == .failure)
        input = v.input
        input[31] ^= 0x80                                      // wrong digest
        #expect(Self.run(input) == .failure)
        input = v.input
        input.replaceSubrange(0..<32, with: SHA256Digest.hash(Vector.bytes(v.commitment)).bytes)  // no version byte
        #expect(Self.run(input) == .failure)
    }

    @Test func badCommitmentEncodingsFail() {
        let v = Self.vectors[1]
        let p = "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
        let cases: [(String, String)] = [
            ("x = 1: not on the curve (1 + 4 is not a square)", Self.encoded("1")),
            ("x = 4: on the curve, outside the subgroup", Self.encoded("4")),
            ("x = p", Self.encoded(p)),
            ("x = p + 1 (≡ 1)", Self.encoded(String(p.dropLast()) + "c")),
            ("all bits set", String(repeating: "f", count: 96)),
            ("uncompressed flag", Self.encoded(String(v.commitment.dropFirst(2)), flags: Vector.bytes(v.commitment)[0] & 0x7f)),
            ("sign bit flipped", Self.encoded("0" + String(v.commitment.dropFirst()), flags: (Vector.bytes(v.commitment)[0] & 0xf0) ^ 0x20)),
            ("infinity without the compression flag", "40" + String(repeating: "00", count: 47)),
            ("infinity with the sign bit", "e0" + String(repeating: "00", count: 47)),
            ("infinity with a non-zero x", "c0" + String(repeating: "00", count: 46) + "01"),
            ("infinity flag on a real point", Self.encoded("0" + String(v.commitment.dropFirst()), flags: Vector.bytes(v.commitment)[0] | 0x40)),
            ("all zero", String(repeating: "00", count: 48)),
        ]
        for (name, commitment) in cases {
            #expect(Self.run(Self.input(v, commitment: commitment)) == .failure, "commitment: \(name)")
            #expect(Self.run(Self.input(v, proof: commitment)) == .failure, "proof: \(name)")
        }
    }

    @Test func infinityCases() {
        let zero = Self.vectors[3], constant = Self.vectors[4]
        #expect(Self.run(zero.input) == Self.success)                       // both at infinity, y = 0
        #expect(Self.run(Self.input(zero, z: constant.z)) == Self.success)  // any z
        #expect(Self.run(constant.input) == Self.success)                   // proof at infinity
        // Proof at infinity claims a constant polynomial; with a random commitment it fails.
        #expect(Self.run(Self.input(Self.vectors[1], proof: Self.infinity)) == .failure)
        // Commitment at infinity with a non-zero y fails.
        #expect(Self.run(Self.input(zero, y: constant.y)) == .failure)
    }

    @Test func decodingRoundTripAndCurveChecks() throws {
        // x = 4 is on the curve but not in G1; decoding must refuse it.
        let x = BLS12381Fp(4)
        #expect((x.squared * x + BLS12381Fp(4)).squareRoot != nil)
        #expect(BLS12381G1(compressed: Vector.bytes(Self.encoded("4"))[...]) == nil)
        // The embedded [τ]G2 is on the twist and in the r-torsion.
        let tau = KZGPointEvaluation.tauG2
        #expect(BLS12381G2.isOnCurve(x: tau.x, y: tau.y))
        #expect(tau.multiplied(byLimbs: bls12381GroupOrder).isInfinity)
        #expect(BLS12381G1.generator.multiplied(byLimbs: bls12381GroupOrder).isInfinity)
        #expect(BLS12381G2.generator.multiplied(byLimbs: bls12381GroupOrder).isInfinity)
    }

    @Test func pairingIsBilinearAndNonDegenerate() {
        let p = BLS12381G1.generator, q = BLS12381G2.generator
        #expect(BLS12381Pairing.productIsOne(p.doubled, q, p.negated, q.doubled))
        #expect(BLS12381Pairing.productIsOne(p, q.negated, p, q))
        #expect(!BLS12381Pairing.productIsOne(p, q, p, q))
        #expect(!BLS12381Pairing.productIsOne(p, q, .infinity, q))
        #expect(BLS12381Pairing.productIsOne(.infinity, q, p, .infinity))
    }

    @Test func cyclotomicSquaringAndFrobenius() {
        let a = BLS12381Fp2(c0: BLS12381Fp(12345), c1: BLS12381Fp(678))
        let b = BLS12381Fp2(c0: BLS12381Fp(9), c1: BLS12381Fp(1 << 40))
        let f = BLS12381Fp12(c0: BLS12381Fp6(c0: a, c1: b, c2: a * b), c1: BLS12381Fp6(c0: b.squared, c1: a + b, c2: a))
        var frob = f
        for _ in 0..<12 { frob = frob.frobenius }
        #expect(frob == f)
        #expect(f.frobenius.frobenius == f.frobenius2)
        var g = f.conjugate * f.inverse
        g = g.frobenius2 * g
        #expect(g.cyclotomicSquared == g.squared)
        #expect(f * f.inverse == .one)
    }

    @Test func verificationIsFast() {
        let input = Self.vectors[1].input
        let start = ContinuousClock.now
        for _ in 0..<5 { _ = Self.run(input) }
        let each = (ContinuousClock.now - start) / 5
        #expect(each < .milliseconds(50), "\(each) per verification")
    }
}
