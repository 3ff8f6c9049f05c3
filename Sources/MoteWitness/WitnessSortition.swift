import MoteCrypto
import MotePrimitives

/// Proof of Assignment's sortition (docs/WITNESSING.md): which devices witness a block.
///
/// For the block at `height` of an epoch with `seed`, each device in the pool evaluates ECVRF
/// (RFC 9381, edwards25519, TAI) with its witness key on `"mote witness" ‖ seed ‖ height`. It is
/// assigned when its VRF output, read as a fraction u = beta[0..<32] / 2^256, falls below
/// `expected × weight / totalWeight` (capped at 1), so that on average `expected` witnesses are
/// assigned per block and each device in proportion to its weight (its reputation). The output
/// is unpredictable without the key and unique for it, so nobody can choose the winners, and
/// anyone can check an assignment from the proof and public data.
///
/// The comparison is exact integer arithmetic: `u < e·w/W` ⟺ `beta256 · W < e · w · 2^256`.
public enum WitnessSortition {
    /// The VRF input (alpha) for a block.
    public static func vrfInput(seed: Hash32, height: UInt64) -> [UInt8] {
        Array("mote witness".utf8) + seed.bytes + height.bigEndianBytes8
    }

    /// Whether a VRF output assigns its device, given the device's weight, the pool's total
    /// weight and the expected number of witnesses per block.
    public static func isAssigned(beta: [UInt8], weight: UInt64, totalWeight: UInt64, expected: UInt64) -> Bool {
        guard beta.count >= 32, totalWeight > 0, weight > 0, expected > 0 else { return false }
        let draw = UInt256(bigEndian: beta[0..<32])!
        // draw·W = high·2^256 + low with low < 2^256, so the product is below e·w·2^256 exactly
        // when high < e·w.
        let (ew, overflow) = expected.multipliedReportingOverflow(by: weight)
        if overflow || ew >= totalWeight { return true }  // the probability is capped at 1
        let (high, _) = draw.multipliedFullWidth(by: UInt256(totalWeight))
        return high < UInt256(ew)
    }

    /// A device's claim to witness a block: its proof, checkable by anyone.
    public struct Assignment: Equatable, Sendable {
        public var height: UInt64
        public var proof: ECVRF.Proof

        public init(height: UInt64, proof: ECVRF.Proof) {
            self.height = height
            self.proof = proof
        }
    }

    /// Evaluates a device's assignment for a block: the proof if it is assigned, else nil.
    public static func evaluate(
        key: ECVRF.SecretKey, seed: Hash32, height: UInt64, weight: UInt64, totalWeight: UInt64, expected: UInt64
    ) -> Assignment? {
        let proof = ECVRF.prove(secretKey: key, alpha: vrfInput(seed: seed, height: height), suite: .tai)
        guard let beta = try? ECVRF.proofToHash(proof, suite: .tai),
            isAssigned(beta: beta, weight: weight, totalWeight: totalWeight, expected: expected)
        else { return nil }
        return Assignment(height: height, proof: proof)
    }

    /// Checks a claimed assignment against the device's public key and the public data; a
    /// forged proof, a proof for another block or seed, or an output above the threshold fails.
    public static func verify(
        _ assignment: Assignment, publicKey: ECVRF.PublicKey, seed: Hash32, weight: UInt64, totalWeight: UInt64, expected: UInt64
    ) -> Bool {
        guard let beta = try? ECVRF.verify(
            publicKey: publicKey, alpha: vrfInput(seed: seed, height: assignment.height), proof: assignment.proof, suite: .tai)
        else { return false }
        return isAssigned(beta: beta, weight: weight, totalWeight: totalWeight, expected: expected)
    }
}
