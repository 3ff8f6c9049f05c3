import MoteCrypto
import MotePrimitives

/// The operator key's consent to sign for a candidate (docs/STAKING.md): its secp256k1
/// signature of `digest(chainID:owner:)`, 65 bytes r ‖ s ‖ v (v 0/1 or 27/28).
/// `registerCandidate` and `updateCandidate` need it whenever the operator is a new one that
/// is not the caller, so nobody can take an operator address whose key they do not hold.
public enum OperatorProof {
    /// The domain tag that starts the digest.
    public static let tag = "MOTE-OPERATOR-V1"
    /// Gas for checking a proof (a recovery, as `ecrecover` costs).
    public static let checkGas: UInt64 = 3_000

    /// Keccak-256(tag ‖ chainId (8 bytes BE) ‖ owner (20)).
    public static func digest(chainID: UInt64, owner: Address) -> Hash32 {
        var bytes = Array(tag.utf8)
        bytes.reserveCapacity(bytes.count + 28)
        bytes += chainID.bigEndianBytes8
        bytes += owner.bytes
        return Keccak256.hash(bytes)
    }

    /// The proof that `key`'s address may sign for `owner`'s candidate on `chainID`.
    public static func proof(by key: Secp256k1.PrivateKey, chainID: UInt64, owner: Address) -> [UInt8] {
        let signature = key.sign(hash: digest(chainID: chainID, owner: owner))
        return signature.r.bigEndianBytes + signature.s.bigEndianBytes + [signature.recoveryID]
    }

    /// The address that signed `proof` for `owner` on `chainID`, or nil if it is no valid proof.
    public static func signer(of proof: [UInt8], chainID: UInt64, owner: Address) -> Address? {
        guard proof.count == 65, let r = UInt256(bigEndian: proof[0..<32]), let s = UInt256(bigEndian: proof[32..<64]) else { return nil }
        let v = proof[64]
        let recoveryID: UInt8 = v >= 27 ? v &- 27 : v
        let signature = Secp256k1.RecoverableSignature(r: r, s: s, recoveryID: recoveryID)
        guard let key = try? Secp256k1.recover(hash: digest(chainID: chainID, owner: owner), signature: signature) else {
            return nil
        }
        return key.address
    }
}
