import Crypto
import CryptoExtras
import Foundation
import MotePrimitives

/// An Ethereum V3 keystore (the Web3 Secret Storage Definition): a secp256k1 private key
/// encrypted under a password, as geth, Clef, eth-account and MetaMask read and write it.
///
/// The password goes through the KDF (scrypt or PBKDF2-HMAC-SHA-256) to a 32-byte key `dk`;
/// `dk[0..<16]` is the AES-128-CTR key for the 32-byte private key, and the file's `mac` is
/// Keccak-256(`dk[16..<32]` ‖ ciphertext), which tells a wrong password from a right one.
///
/// Reading a file bounds everything that could cost memory or time: the JSON's size, every
/// hex field's length and the KDF parameters (`KDF.validate()`), so decrypting a hostile
/// file fails quickly instead of exhausting the machine.
public struct Keystore: Sendable, Hashable {
    /// The file's UUID (`id`), kept as written.
    public let id: String
    /// The address the file claims (`address`), if it has one. `decrypt` checks it.
    public let address: Address?
    /// The key-derivation function and its cost.
    public let kdf: KDF
    /// The KDF salt.
    public let salt: [UInt8]
    /// The AES-128-CTR initial counter block (16 bytes).
    public let iv: [UInt8]
    /// The encrypted private key (32 bytes).
    public let ciphertext: [UInt8]
    /// Keccak-256(dk[16..<32] ‖ ciphertext) (32 bytes).
    public let mac: [UInt8]

    /// The largest keystore JSON accepted: 64 KiB (real files are about 500 bytes).
    public static let maxJSONSize = 64 * 1024
    /// The longest salt accepted.
    public static let maxSaltLength = 1024
    /// The only derived-key length supported (`dklen`).
    static let derivedKeyLength = 32

    // MARK: Encrypting

    /// Encrypts `privateKey` under `password` with a fresh random salt (32 bytes), IV (16 bytes)
    /// and UUID v4. `kdf` defaults to geth's standard scrypt (N = 2¹⁸, r = 8, p = 1).
    public static func encrypt(
        privateKey: Secp256k1.PrivateKey, password: String, kdf: KDF = .standard
    ) throws(CryptoError) -> Keystore {
        try encrypt(privateKey: privateKey, password: Array(password.utf8), kdf: kdf)
    }

    /// Encrypts `privateKey` under a password given as raw bytes (the UTF-8 of the text, as geth uses).
    public static func encrypt(
        privateKey: Secp256k1.PrivateKey, password: [UInt8], kdf: KDF = .standard
    ) throws(CryptoError) -> Keystore {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return try encrypt(
            privateKey: privateKey, password: password, kdf: kdf, salt: salt, iv: iv,
            id: UUID().uuidString.lowercased())
    }

    /// Encrypts with a chosen salt, IV and id: for reproducing published test vectors only.
    /// Reusing an IV with the same derived key leaks the XOR of two private keys.
    package static func encrypt(
        privateKey: Secp256k1.PrivateKey, password: [UInt8], kdf: KDF, salt: [UInt8], iv: [UInt8], id: String
    ) throws(CryptoError) -> Keystore {
        try kdf.validate()
        guard salt.count <= maxSaltLength else { throw CryptoError(.keystore("salt longer than 1024 bytes")) }
        guard iv.count == 16 else { throw CryptoError(.keystore("iv must be 16 bytes")) }
        let derived = try kdf.deriveKey(password: password, salt: salt)
        let ciphertext = try aes128CTR(key: Array(derived[0..<16]), iv: iv, privateKey.bytes)
        return Keystore(
            id: id, address: privateKey.address, kdf: kdf, salt: salt, iv: iv, ciphertext: ciphertext,
            mac: Keccak256.hash(Array(derived[16..<32]) + ciphertext).bytes)
    }

    // MARK: Decrypting

    /// The private key, if `password` is right.
    ///
    /// Throws "wrong password (MAC mismatch)" for a wrong password (or a damaged file), and an
    /// error if the decrypted key is not a valid secp256k1 key or does not match `address`.
    public func decrypt(password: String) throws(CryptoError) -> Secp256k1.PrivateKey {
        try decrypt(password: Array(password.utf8))
    }

    /// The private key, for a password given as raw bytes.
    public func decrypt(password: [UInt8]) throws(CryptoError) -> Secp256k1.PrivateKey {
        try kdf.validate()
        let derived = try kdf.deriveKey(password: password, salt: salt)
        let expected = Keccak256.hash(Array(derived[16..<32]) + ciphertext).bytes
        guard Self.constantTimeEqual(expected, mac) else {
            throw CryptoError(.keystore("wrong password (MAC mismatch)"))
        }
        let plaintext = try Self.aes128CTR(key: Array(derived[0..<16]), iv: iv, ciphertext)
        let key: Secp256k1.PrivateKey
        do { key = try Secp256k1.PrivateKey(bytes: plaintext) } catch {
            throw CryptoError(.keystore("decrypted data is not a valid secp256k1 private key"))
        }
        if let address, key.address != address {
            throw CryptoError(.keystore(
                "address field \(address.checksummed) does not match the key's address \(key.address.checksummed)"))
        }
        return key
    }

    /// The same keystore with its `address` field set (for files written without one). The
    /// MAC does not cover the address; `decrypt` checks it against the key.
    public func withAddress(_ address: Address) -> Keystore {
        Keystore(id: id, address: address, kdf: kdf, salt: salt, iv: iv, ciphertext: ciphertext, mac: mac)
    }

    // MARK: JSON

    /// Parses a V3 keystore file (`crypto` or geth's older `Crypto` key). Checks the shape and
    /// every bound, but not the password: that is `decrypt`'s job.
    public init(json: some Collection<UInt8>) throws(CryptoError) {
        guard json.count <= Self.maxJSONSize else {
            throw CryptoError(.keystore("file is \(json.count) bytes, over the 64 KiB limit"))
        }
        let file: FileJSON
        do { file = try JSONDecoder().decode(FileJSON.self, from: Data(json)) } catch let error as DecodingError {
            throw CryptoError(.keystore(Self.describe(error)))
        } catch {
            throw CryptoError(.keystore("not valid JSON"))
        }
        guard file.version == 3 else {
            throw CryptoError(.keystore("unsupported keystore version \(file.version) (only 3 is supported)"))
        }
        guard let crypto = file.crypto else { throw CryptoError(.keystore("missing field crypto")) }
        guard crypto.cipher == "aes-128-ctr" else {
            throw CryptoError(.keystore("unsupported cipher \"\(crypto.cipher.prefix(32))\" (only aes-128-ctr)"))
        }
        let params = crypto.kdfparams
        guard params.dklen == Self.derivedKeyLength else {
            throw CryptoError(.keystore("kdfparams.dklen must be 32, got \(params.dklen)"))
        }
        let kdf: KDF
        switch crypto.kdf {
        case "scrypt":
            guard let n = params.n, let r = params.r, let p = params.p else {
                throw CryptoError(.keystore("scrypt kdfparams need n, r and p"))
            }
            kdf = .scrypt(n: n, r: r, p: p)
        case "pbkdf2":
            guard let c = params.c else { throw CryptoError(.keystore("pbkdf2 kdfparams need c")) }
            guard params.prf == "hmac-sha256" else {
                let prf = (params.prf ?? "").prefix(32)
                throw CryptoError(.keystore("unsupported pbkdf2 prf \"\(prf)\" (only hmac-sha256)"))
            }
            kdf = .pbkdf2(iterations: c)
        default:
            throw CryptoError(.keystore("unsupported kdf \"\(crypto.kdf.prefix(32))\" (scrypt or pbkdf2)"))
        }
        try kdf.validate()

        let salt = try Self.hexField(params.salt, "kdfparams.salt", bytes: 0...Self.maxSaltLength)
        let iv = try Self.hexField(crypto.cipherparams.iv, "cipherparams.iv", bytes: 16...16)
        let ciphertext = try Self.hexField(crypto.ciphertext, "ciphertext", bytes: 32...32)
        let mac = try Self.hexField(crypto.mac, "mac", bytes: 32...32)
        var address: Address?
        if let text = file.address {
            do { address = try Address(hex: text) } catch {
                throw CryptoError(.keystore("address field is not 20 bytes of hex"))
            }
        }
        let id = file.id ?? ""
        guard id.utf8.count <= 64 else { throw CryptoError(.keystore("id longer than 64 characters")) }
        self.init(id: id, address: address, kdf: kdf, salt: salt, iv: iv, ciphertext: ciphertext, mac: mac)
    }

    /// The file's JSON (compact, keys sorted), as geth writes it: lowercase hex without `0x`.
    public func json() -> [UInt8] {
        let params: KDFParamsJSON
        switch kdf {
        case .scrypt(let n, let r, let p):
            params = KDFParamsJSON(
                dklen: Self.derivedKeyLength, salt: Hex.encode(salt, prefix: false), n: n, r: r, p: p)
        case .pbkdf2(let c):
            params = KDFParamsJSON(
                dklen: Self.derivedKeyLength, salt: Hex.encode(salt, prefix: false), c: c, prf: "hmac-sha256")
        }
        let file = FileJSON(
            version: 3, id: id, address: address.map { Hex.encode($0.bytes, prefix: false) },
            crypto: CryptoJSON(
                cipher: "aes-128-ctr", cipherparams: CipherParamsJSON(iv: Hex.encode(iv, prefix: false)),
                ciphertext: Hex.encode(ciphertext, prefix: false), kdf: kdf.name, kdfparams: params,
                mac: Hex.encode(mac, prefix: false)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(file))
    }

    // MARK: Internals

    private init(
        id: String, address: Address?, kdf: KDF, salt: [UInt8], iv: [UInt8], ciphertext: [UInt8], mac: [UInt8]
    ) {
        self.id = id
        self.address = address
        self.kdf = kdf
        self.salt = salt
        self.iv = iv
        self.ciphertext = ciphertext
        self.mac = mac
    }

    /// AES-128-CTR with a full 16-byte big-endian counter block (as geth and eth-account use it).
    private static func aes128CTR(key: [UInt8], iv: [UInt8], _ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        do {
            let nonce = try AES._CTR.Nonce(nonceBytes: iv)
            return Array(try AES._CTR.encrypt(input, using: SymmetricKey(data: key), nonce: nonce))
        } catch {
            throw CryptoError(.keystore("aes-128-ctr failed: \(error)"))
        }
    }

    /// Equality that takes the same time wherever the first difference is.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// Decodes a hex field and checks its length in bytes.
    private static func hexField(
        _ text: String, _ name: String, bytes range: ClosedRange<Int>
    ) throws(CryptoError) -> [UInt8] {
        // Bound the text before decoding; `0x` is tolerated.
        guard text.utf8.count <= 2 * range.upperBound + 2 else {
            throw CryptoError(.keystore("\(name) is longer than \(range.upperBound) bytes"))
        }
        let bytes: [UInt8]
        do { bytes = try Hex.decode(text) } catch { throw CryptoError(.keystore("\(name): \(error)")) }
        guard range.contains(bytes.count) else {
            let expected = range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw CryptoError(.keystore("\(name) must be \(expected) bytes, got \(bytes.count)"))
        }
        return bytes
    }

    /// A short message for a JSON shape error: which field, and what is wrong with it.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field \(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field \(path(context.codingPath)) is invalid"
        @unknown default:
            return "not a V3 keystore"
        }
    }
}

// MARK: - The file's JSON shape

/// The top level. `crypto` is read from `crypto` or, for old geth files, `Crypto`.
private struct FileJSON: Codable {
    var version: Int
    var id: String?
    var address: String?
    var crypto: CryptoJSON?

    private enum CodingKeys: String, CodingKey {
        case version, id, address, crypto
        case cryptoCapitalised = "Crypto"
    }

    init(version: Int, id: String?, address: String?, crypto: CryptoJSON) {
        self.version = version
        self.id = id
        self.address = address
        self.crypto = crypto
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        crypto = try container.decodeIfPresent(CryptoJSON.self, forKey: .crypto)
            ?? container.decodeIfPresent(CryptoJSON.self, forKey: .cryptoCapitalised)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encodeIfPresent(crypto, forKey: .crypto)
    }
}

private struct CryptoJSON: Codable {
    var cipher: String
    var cipherparams: CipherParamsJSON
    var ciphertext: String
    var kdf: String
    var kdfparams: KDFParamsJSON
    var mac: String
}

private struct CipherParamsJSON: Codable {
    var iv: String
}

/// scrypt's (`n`, `r`, `p`) and PBKDF2's (`c`, `prf`) parameters in one shape; the `kdf` field says which apply.
private struct KDFParamsJSON: Codable {
    var dklen: Int
    var salt: String
    var n: Int?
    var r: Int?
    var p: Int?
    var c: Int?
    var prf: String?
}
