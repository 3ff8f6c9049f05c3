import MoteCrypto
import MotePrimitives

/// The signature schemes a device may hold its key in.
public enum DeviceCurve: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA over P-256 (secp256r1), as secure elements sign.
    case p256 = 1
    /// ECDSA over secp256k1 (low-s).
    case secp256k1 = 2
    /// Ed25519.
    case ed25519 = 3

    public var description: String {
        switch self {
        case .p256: "p256"
        case .secp256k1: "secp256k1"
        case .ed25519: "ed25519"
        }
    }

    public init?(name: String) {
        guard let curve = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = curve
    }
}

/// A device's public key. The device id (its address) is derived from it:
/// `keccak256("mote-device" ‖ curve ‖ canonical key bytes)`, last 20 bytes.
///
/// Canonical bytes: 33-byte compressed points for P-256 and secp256k1 (uncompressed 65-byte
/// input is accepted and compressed), 32 bytes for Ed25519. Every key is checked to be a valid
/// point when it is made.
public struct DevicePublicKey: Hashable, Sendable, CustomStringConvertible {
    public let curve: DeviceCurve
    /// The canonical encoding.
    public let bytes: [UInt8]

    public init(curve: DeviceCurve, bytes: [UInt8]) throws(TelemetryError) {
        self.curve = curve
        do {
            switch curve {
            case .p256: self.bytes = try P256Signing.PublicKey(bytes: bytes).compressed
            case .secp256k1: self.bytes = try Secp256k1.PublicKey(bytes: bytes).compressed
            case .ed25519: self.bytes = try Ed25519.PublicKey(bytes: bytes).bytes
            }
        } catch {
            throw TelemetryError(.badKey, "not a valid \(curve) public key: \(error)")
        }
    }

    /// The device id.
    public var deviceID: Address {
        Address(suffixOf: Keccak256.hash(Array("mote-device".utf8) + [curve.rawValue] + bytes))
    }

    /// `curve:0xhex`.
    public var description: String { "\(curve):\(Hex.encode(bytes))" }

    /// Whether `signature` is this key's signature of `digest` (64 bytes: r ‖ s for the ECDSA
    /// curves, secp256k1 requiring low s; the Ed25519 signature of the 32 digest bytes).
    public func isValidSignature(_ signature: [UInt8], digest: Hash32) -> Bool {
        guard signature.count == 64 else { return false }
        switch curve {
        case .p256:
            guard let key = try? P256Signing.PublicKey(bytes: bytes),
                let sig = try? P256Signing.Signature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(sig, forDigest: digest)
        case .secp256k1:
            guard let key = try? Secp256k1.PublicKey(bytes: bytes), let r = UInt256(bigEndian: signature[0..<32]),
                let s = UInt256(bigEndian: signature[32..<64]), s <= Secp256k1.halfOrder
            else { return false }
            return key.isValidSignature(r: r, s: s, hash: digest)
        case .ed25519:
            guard let key = try? Ed25519.PublicKey(bytes: bytes), let sig = try? Ed25519.Signature(bytes: signature) else { return false }
            return key.isValidSignature(sig, for: digest.bytes)
        }
    }
}

/// A device's private key, for the SDK, the simulator and tests.
public struct DevicePrivateKey: Sendable {
    enum Storage: Sendable {
        case p256(P256Signing.PrivateKey)
        case secp256k1(Secp256k1.PrivateKey)
        case ed25519(Ed25519.PrivateKey)
    }
    let storage: Storage

    /// A key from its 32 secret bytes (the Ed25519 seed for Ed25519).
    public init(curve: DeviceCurve, secret: [UInt8]) throws(TelemetryError) {
        do {
            switch curve {
            case .p256: storage = .p256(try P256Signing.PrivateKey(rawRepresentation: secret))
            case .secp256k1: storage = .secp256k1(try Secp256k1.PrivateKey(bytes: secret))
            case .ed25519: storage = .ed25519(try Ed25519.PrivateKey(seed: secret))
            }
        } catch {
            throw TelemetryError(.badKey, "not a valid \(curve) private key: \(error)")
        }
    }

    /// A fresh random key.
    public static func generate(_ curve: DeviceCurve) -> DevicePrivateKey {
        switch curve {
        case .p256: DevicePrivateKey(storage: .p256(.generate()))
        case .secp256k1: DevicePrivateKey(storage: .secp256k1(.generate()))
        case .ed25519: DevicePrivateKey(storage: .ed25519(.generate()))
        }
    }

    init(storage: Storage) { self.storage = storage }

    public var curve: DeviceCurve {
        switch storage {
        case .p256: .p256
        case .secp256k1: .secp256k1
        case .ed25519: .ed25519
        }
    }

    /// The 32 secret bytes.
    public var secret: [UInt8] {
        switch storage {
        case .p256(let key): key.rawRepresentation
        case .secp256k1(let key): key.bytes
        case .ed25519(let key): key.seed
        }
    }

    public var publicKey: DevicePublicKey {
        switch storage {
        case .p256(let key): try! DevicePublicKey(curve: .p256, bytes: key.publicKey.compressed)
        case .secp256k1(let key): try! DevicePublicKey(curve: .secp256k1, bytes: key.publicKey.compressed)
        case .ed25519(let key): try! DevicePublicKey(curve: .ed25519, bytes: key.publicKey.bytes)
        }
    }

    /// Signs a 32-byte digest: 64 bytes (r ‖ s, low s for secp256k1; Ed25519 over the digest).
    public func sign(digest: Hash32) -> [UInt8] {
        switch storage {
        case .p256(let key): return key.signature(forDigest: digest).rawRepresentation
        case .secp256k1(let key):
            let sig = key.sign(hash: digest)
            return sig.r.bigEndianBytes + sig.s.bigEndianBytes
        case .ed25519(let key): return key.signature(for: digest.bytes).bytes
        }
    }
}
