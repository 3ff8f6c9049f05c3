import MoteCrypto
import MotePrimitives

/// The proof of possession that binds a device key to an account (docs/DEVICES.md): the
/// device key's signature of `digest(action, chainID:deviceID:claimant:)`, made on the device
/// (or with its key file) and checked by the DeviceRegistry contract on every path that records
/// a key: `registerDevice`, `preRegisterDevice` and `claimDevice`.
public enum DeviceClaim {
    /// What a proof allows; each action has its own domain tag, so a proof for one never passes for another.
    public enum Action: Sendable, CaseIterable, CustomStringConvertible {
        /// `claimDevice`: the claimant may own this pre-registered device.
        case claim
        /// `registerDevice`: the claimant may register and own this device.
        case register
        /// `preRegisterDevice`: the claimant (a manufacturer) may record this device, unclaimed.
        case preRegister

        /// The domain tag that starts the digest.
        public var tag: String {
            switch self {
            case .claim: "MOTE-DEVICE-CLAIM-V1"
            case .register: "MOTE-DEVICE-REGISTER-V1"
            case .preRegister: "MOTE-DEVICE-PREREGISTER-V1"
            }
        }

        public var description: String {
            switch self {
            case .claim: "claim"
            case .register: "registration"
            case .preRegister: "pre-registration"
            }
        }
    }

    /// SHA-256(tag ‖ chainId (8 bytes BE) ‖ device id (20) ‖ claimant (20)), the tag `action`'s.
    public static func digest(_ action: Action, chainID: UInt64, deviceID: Address, claimant: Address) -> Hash32 {
        var bytes = Array(action.tag.utf8)
        bytes.reserveCapacity(bytes.count + 48)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: chainID >> UInt64(shift))) }
        bytes += deviceID.bytes
        bytes += claimant.bytes
        return SHA256Digest.hash(bytes)
    }

    /// The proof: `key`'s 64-byte signature of the digest of `action` by `claimant`.
    public static func proof(_ action: Action, by key: DevicePrivateKey, chainID: UInt64, claimant: Address) -> [UInt8] {
        key.sign(digest: digest(action, chainID: chainID, deviceID: key.publicKey.deviceID, claimant: claimant))
    }

    /// Whether `proof` is `key`'s signature of the digest of `action` by `claimant`.
    public static func isValid(_ proof: [UInt8], _ action: Action, key: DevicePublicKey, chainID: UInt64, claimant: Address) -> Bool {
        key.isValidSignature(proof, digest: digest(action, chainID: chainID, deviceID: key.deviceID, claimant: claimant))
    }
}
