import MoteCrypto
import MotePrimitives

/// The proof of possession that claims a pre-registered device (docs/DEVICES.md): the device
/// key's signature of `digest(chainID:deviceID:claimant:)`, made on the device (or with its
/// key file) and checked by the DeviceRegistry contract.
public enum DeviceClaim {
    /// The domain tag: the signature means "this claimant may own me", nothing else.
    public static let tag = "MOTE-DEVICE-CLAIM-V1"

    /// SHA-256("MOTE-DEVICE-CLAIM-V1" ‖ chainId (8 bytes BE) ‖ device id (20) ‖ claimant (20)).
    public static func digest(chainID: UInt64, deviceID: Address, claimant: Address) -> Hash32 {
        var bytes = Array(tag.utf8)
        bytes.reserveCapacity(bytes.count + 48)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: chainID >> UInt64(shift))) }
        bytes += deviceID.bytes
        bytes += claimant.bytes
        return SHA256Digest.hash(bytes)
    }

    /// The proof: `key`'s 64-byte signature of the claim digest.
    public static func proof(by key: DevicePrivateKey, chainID: UInt64, claimant: Address) -> [UInt8] {
        key.sign(digest: digest(chainID: chainID, deviceID: key.publicKey.deviceID, claimant: claimant))
    }

    /// Whether `proof` is `key`'s signature of the claim digest for `claimant`.
    public static func isValid(_ proof: [UInt8], key: DevicePublicKey, chainID: UInt64, claimant: Address) -> Bool {
        key.isValidSignature(proof, digest: digest(chainID: chainID, deviceID: key.deviceID, claimant: claimant))
    }
}
