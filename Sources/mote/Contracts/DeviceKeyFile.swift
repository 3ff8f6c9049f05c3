import Foundation
import MoteCrypto
import MotePrimitives
import MoteTelemetry

/// A device key file, as `mote device keygen` writes it (mode 0600):
/// `{"curve": "p256", "secret": "0x…", "publicKey": "0x…", "deviceId": "0x…"}`.
///
/// `register`, `preregister` and `claim` sign the device's possession proof with the secret; a
/// file without one (a secure-element key that never leaves the device) serves them only with
/// the proof the device signed (`--proof`).
struct DeviceKeyFile {
    /// The largest key file read.
    static let maxSize = 4_096

    let publicKey: DevicePublicKey
    let privateKey: DevicePrivateKey?

    init(privateKey: DevicePrivateKey) {
        self.privateKey = privateKey
        publicKey = privateKey.publicKey
    }

    /// Reads and checks the file at `path`: the public key and device id, when present, must
    /// be those of the secret.
    init(path: String) throws(WalletInputError) {
        let raw: [UInt8]
        do { raw = try SmallFile.read(path, limit: Self.maxSize) } catch { throw WalletInputError("cannot read --device-key: \(error)") }
        let json: JSON
        do { json = try JSON.parse(raw) } catch { throw WalletInputError("--device-key \(path) is not JSON: \(error)") }
        func field(_ name: String) -> String? { json[name]?.stringValue }
        func bytes(_ name: String) throws(WalletInputError) -> [UInt8]? {
            guard let text = field(name) else { return nil }
            guard let bytes = try? Hex.decode(text) else { throw WalletInputError("--device-key \(path): \(name) is not hex") }
            return bytes
        }
        guard let curveName = field("curve"), let curve = DeviceCurve(name: curveName) else {
            throw WalletInputError("--device-key \(path): curve must be p256, secp256k1 or ed25519")
        }
        var privateKey: DevicePrivateKey?
        if let secret = try bytes("secret") {
            do { privateKey = try DevicePrivateKey(curve: curve, secret: secret) } catch {
                throw WalletInputError("--device-key \(path): \(error.message)")
            }
        }
        let publicKey: DevicePublicKey
        if let given = try bytes("publicKey") {
            do { publicKey = try DevicePublicKey(curve: curve, bytes: given) } catch {
                throw WalletInputError("--device-key \(path): \(error.message)")
            }
            if let privateKey, privateKey.publicKey != publicKey {
                throw WalletInputError("--device-key \(path): publicKey is not the secret's public key")
            }
        } else if let privateKey {
            publicKey = privateKey.publicKey
        } else {
            throw WalletInputError("--device-key \(path): needs publicKey or secret")
        }
        if let id = field("deviceId") {
            guard let address = try? Address(hex: id), address == publicKey.deviceID else {
                throw WalletInputError("--device-key \(path): deviceId is not the key's id \(publicKey.deviceID.checksummed)")
            }
        }
        self.publicKey = publicKey
        self.privateKey = privateKey
    }

    var deviceID: Address { publicKey.deviceID }

    /// The file's JSON object.
    var object: [String: Any] {
        var object: [String: Any] = [
            "curve": publicKey.curve.description, "publicKey": Hex.encode(publicKey.bytes), "deviceId": deviceID.checksummed,
        ]
        if let privateKey { object["secret"] = Hex.encode(privateKey.secret) }
        return object
    }

    /// Writes the file at `path`, created with mode 0600 (never readable by others, not even
    /// for a moment); an existing file is never overwritten.
    func write(to path: String) throws(WalletInputError) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw WalletInputError("\(path) exists; give another --out (a device key is never overwritten)") }
            throw WalletInputError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do { try handle.write(contentsOf: data + Data("\n".utf8)) } catch { throw WalletInputError("cannot write \(path): \(error)") }
    }
}
