import MoteCrypto

/// EIP-4844 point evaluation precompile (0x0a): verifies a KZG proof that the blob behind a
/// versioned hash evaluates to y at z.
enum KZGPointEvaluation {
    /// Gas charged for every call.
    static let gasCost: UInt64 = 50_000
    /// FIELD_ELEMENTS_PER_BLOB.
    static let fieldElementsPerBlob: UInt64 = 4096
    /// BLS_MODULUS r, big-endian.
    static let blsModulus: [UInt8] = {
        var bytes = [UInt8]()
        for i in stride(from: 3, through: 0, by: -1) {
            for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bls12381GroupOrder[i] >> UInt64(s))) }
        }
        return bytes
    }()
    /// The versioned-hash version byte for KZG commitments.
    static let versionedHashVersion: UInt8 = 0x01

    /// [τ]G2, the second G2 point of the mainnet KZG trusted setup (KZG_SETUP_G2_MONOMIAL_1,
    /// compressed b5bfd7dd…20c1def2), decompressed.
    static let tauG2 = BLS12381G2(
        x: BLS12381Fp2(
            c0: BLS12381Fp(hex: "185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"),
            c1: BLS12381Fp(hex: "15bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f72")),
        y: BLS12381Fp2(
            c0: BLS12381Fp(hex: "014353bdb96b626dd7d5ee8599d1fca2131569490e28de18e82451a496a9c9794ce26d105941f383ee689bfbbb832a99"),
            c1: BLS12381Fp(hex: "1666c54b0a32529503432fcae0181b4bef79de09fc63671fda5ed1ba9bfa07899495346f3d7ac9cd23048ef30d0a154f")),
        z: .one)

    /// The 64-byte success output: FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS, as 32-byte words.
    static let successOutput: [UInt8] = {
        var word = [UInt8](repeating: 0, count: 32)
        for s in 0..<8 { word[31 - s] = UInt8(truncatingIfNeeded: fieldElementsPerBlob >> UInt64(8 * s)) }
        return word + blsModulus
    }()

    /// Input 192 bytes: versioned_hash(32) ‖ z(32) ‖ y(32) ‖ commitment(48) ‖ proof(48). Gas 50000.
    static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard gasLimit >= gasCost, input.count == 192 else { return .failure }
        let commitmentBytes = input[96..<144]
        var expected = SHA256Digest.hash(Array(commitmentBytes)).bytes
        expected[0] = versionedHashVersion
        guard input[0..<32].elementsEqual(expected),
              let z = scalar(input[32..<64]), let y = scalar(input[64..<96]),
              let commitment = BLS12381G1(compressed: commitmentBytes),
              let proof = BLS12381G1(compressed: input[144..<192]) else { return .failure }
        guard verify(commitment: commitment, z: z, y: y, proof: proof) else { return .failure }
        return .success(gasUsed: gasCost, output: successOutput)
    }

    /// verify_kzg_proof: e(C − [y]G1, −G2) · e(π, [τ]G2 − [z]G2) == 1.
    static func verify(commitment: BLS12381G1, z: InlineArray<4, UInt64>, y: InlineArray<4, UInt64>,
                       proof: BLS12381G1) -> Bool {
        let pMinusY = commitment - BLS12381G1.generator.multiplied(byLimbs: y)
        let xMinusZ = tauG2 - BLS12381G2.generator.multiplied(byLimbs: z)
        return BLS12381Pairing.productIsOne(pMinusY, BLS12381G2.generator.negated, proof, xMinusZ)
    }

    /// A 32-byte big-endian field element as little-endian limbs; nil unless it is below r.
    static func scalar(_ bytes: ArraySlice<UInt8>) -> InlineArray<4, UInt64>? {
        var limbs = InlineArray<4, UInt64>(repeating: 0)
        var index = bytes.startIndex
        for i in stride(from: 3, through: 0, by: -1) {
            var w: UInt64 = 0
            for _ in 0..<8 { w = w << 8 | UInt64(bytes[index]); index += 1 }
            limbs[i] = w
        }
        for i in stride(from: 3, through: 0, by: -1) where limbs[i] != bls12381GroupOrder[i] {
            return limbs[i] < bls12381GroupOrder[i] ? limbs : nil
        }
        return nil
    }
}
