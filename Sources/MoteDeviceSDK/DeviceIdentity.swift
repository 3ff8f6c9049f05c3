import Foundation
import MoteCrypto
import MotePrimitives
import MoteTelemetry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A device's key and id, kept in the key file `mote device keygen` writes:
/// `{"curve": "p256", "secret": "0x…", "publicKey": "0x…", "deviceId": "0x…"}`, mode 0600.
public struct DeviceIdentity: Sendable {
    /// The largest key file read.
    static let maxFileSize = 4_096

    public let privateKey: DevicePrivateKey
    public let publicKey: DevicePublicKey
    /// The device id (docs/TELEMETRY.md): the address derived from the public key.
    public var deviceID: Address { publicKey.deviceID }

    public init(privateKey: DevicePrivateKey) {
        self.privateKey = privateKey
        publicKey = privateKey.publicKey
    }

    /// A fresh random key on `curve`.
    public static func generate(curve: DeviceCurve = .p256) -> DeviceIdentity {
        DeviceIdentity(privateKey: .generate(curve))
    }

    /// The possession proof (`DeviceClaim`) with which `account` may register, pre-register or
    /// claim this device on chain `chainID` (docs/DEVICES.md): the DeviceRegistry records a key
    /// only with its holder's signature naming the account that sends the call.
    public func possessionProof(_ action: DeviceClaim.Action, chainID: UInt64, account: Address) -> [UInt8] {
        DeviceClaim.proof(action, by: privateKey, chainID: chainID, claimant: account)
    }

    /// Reads a key file; its `publicKey` and `deviceId`, when present, must be the secret's.
    public init(contentsOf path: String) throws(DeviceSDKError) {
        guard let raw = try DurableFile.read(path) else { throw DeviceSDKError(.badKeyFile, "no key file at \(path)") }
        guard raw.count <= Self.maxFileSize else { throw DeviceSDKError(.badKeyFile, "\(path) is over \(Self.maxFileSize) bytes") }
        let json: JSON
        do { json = try JSON.parse(raw) } catch { throw DeviceSDKError(.badKeyFile, "\(path) is not JSON: \(error)") }
        guard let curveName = json["curve"]?.stringValue, let curve = DeviceCurve(name: curveName) else {
            throw DeviceSDKError(.badKeyFile, "\(path): curve must be p256, secp256k1 or ed25519")
        }
        guard let secretText = json["secret"]?.stringValue, let secret = try? Hex.decode(secretText) else {
            throw DeviceSDKError(.badKeyFile, "\(path): a device needs its secret (0x-prefixed hex)")
        }
        let key: DevicePrivateKey
        do { key = try DevicePrivateKey(curve: curve, secret: secret) } catch { throw DeviceSDKError(.badKeyFile, "\(path): \(error.message)") }
        self.init(privateKey: key)
        if let text = json["publicKey"]?.stringValue {
            guard let bytes = try? Hex.decode(text), let given = try? DevicePublicKey(curve: curve, bytes: bytes), given == publicKey else {
                throw DeviceSDKError(.badKeyFile, "\(path): publicKey is not the secret's public key")
            }
        }
        if let text = json["deviceId"]?.stringValue {
            guard let id = try? Address(hex: text), id == deviceID else {
                throw DeviceSDKError(.badKeyFile, "\(path): deviceId is not the key's id \(deviceID.checksummed)")
            }
        }
    }

    /// The key file's content (as `mote device keygen` writes it).
    public var keyFileBytes: [UInt8] {
        let object: [String: String] = [
            "curve": publicKey.curve.description, "secret": Hex.encode(privateKey.secret), "publicKey": Hex.encode(publicKey.bytes),
            "deviceId": deviceID.checksummed,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }

    /// Writes the key file at `path`, created with mode 0600; an existing file is never overwritten.
    public func write(to path: String) throws(DeviceSDKError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw DeviceSDKError(.io, "\(path) exists; a device key is never overwritten") }
            throw DeviceSDKError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try DurableFile.write(fd, keyFileBytes, path: path)
        guard fsync(fd) == 0 else { throw DeviceSDKError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// The key in the file at `path`, or a new one on `curve` written there first (mode 0600).
    public static func loadOrCreate(at path: String, curve: DeviceCurve = .p256) throws(DeviceSDKError) -> DeviceIdentity {
        if FileManager.default.fileExists(atPath: path) { return try DeviceIdentity(contentsOf: path) }
        let identity = generate(curve: curve)
        try identity.write(to: path)
        return identity
    }
}
