import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives

/// An argument a wallet command cannot use, with the reason.
struct WalletInputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parsing what people type: addresses, hashes, block selectors.
enum WalletInput {
    /// An address: `0x` and 40 hex digits; mixed case must carry a valid EIP-55 checksum.
    static func address(_ text: String, _ what: String) throws(WalletInputError) -> Address {
        let shown = text.prefix(100)
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
        guard digits.utf8.count == 40, let address = try? Address(hex: digits) else {
            throw WalletInputError("invalid \(what) \"\(shown)\": an address is 0x followed by 40 hex digits")
        }
        do { _ = try Address(checksummedHex: text) } catch {
            throw WalletInputError(
                "invalid \(what) \"\(shown)\": the EIP-55 checksum (letter case) does not match; "
                    + "check the address, or write it all in lower case to skip the check")
        }
        return address
    }

    /// A 32-byte hash: `0x` and 64 hex digits.
    static func hash(_ text: String, _ what: String) throws(WalletInputError) -> Hash32 {
        guard text.hasPrefix("0x") || text.hasPrefix("0X"), text.utf8.count == 66, let hash = try? Hash32(hex: text) else {
            throw WalletInputError("invalid \(what) \"\(text.prefix(100))\": a hash is 0x followed by 64 hex digits")
        }
        return hash
    }

    /// The tags a node accepts for "which block".
    static let blockTags: Set<String> = ["latest", "earliest", "pending", "safe", "finalized"]

    /// What `mote block` and `--block` accept.
    enum BlockSelector: Equatable {
        /// `latest`, `earliest`, … or a number, as the node's `eth_getBlockByNumber` wants it.
        case tagOrNumber(String)
        case hash(Hash32)

        /// The parameter for the node.
        var parameter: JSON {
            switch self {
            case .tagOrNumber(let text): return .string(text)
            case .hash(let hash): return .string(hash.hex)
            }
        }
    }

    /// A block tag, a decimal or `0x` hex number, or (with `allowHash`) a block hash.
    static func block(_ text: String, allowHash: Bool) throws(WalletInputError) -> BlockSelector {
        let lowered = text.lowercased()
        if blockTags.contains(lowered) { return .tagOrNumber(lowered) }
        if allowHash, text.utf8.count == 66, let hash = try? Hash32(hex: text) { return .hash(hash) }
        let number: UInt64?
        if lowered.hasPrefix("0x") {
            number = lowered.utf8.count <= 18 ? UInt64(lowered.dropFirst(2), radix: 16) : nil
        } else {
            number = UInt64(text)
        }
        guard let number else {
            throw WalletInputError(
                "invalid block \"\(text.prefix(100))\": expected a number, latest, earliest, pending, safe, finalized"
                    + (allowHash ? " or a block hash (0x and 64 hex digits)" : ""))
        }
        return .tagOrNumber("0x" + String(number, radix: 16))
    }
}

/// `--keystore FILE` or `--key-file FILE`, and the password options: the key that signs.
struct SigningKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("keystore"),
        help: ArgumentHelp("Sign with this V3 keystore file (from mote keys, geth, eth-account…).", valueName: "file"))
    var keystoreFile: String?
    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp("Sign with the hex private key in FILE (64 hex digits, 0x optional).", valueName: "file"))
    var keyFile: String?
    @OptionGroup var password: PasswordOptions

    func validate() throws {
        if keystoreFile != nil && keyFile != nil { throw ValidationError("give --keystore FILE or --key-file FILE, not both") }
        if keystoreFile == nil && keyFile == nil {
            throw ValidationError("a signing key is needed: give --keystore FILE or --key-file FILE")
        }
    }

    /// The private key: the keystore decrypted with its password, or the key file's key.
    func load() throws(WalletInputError) -> Secp256k1.PrivateKey {
        try Self.load(keystoreFile: keystoreFile, keyFile: keyFile, password: password)
    }

    /// The key in `keyFile` (hex), else the keystore `keystoreFile` decrypted with `password`.
    static func load(keystoreFile: String?, keyFile: String?, password: PasswordOptions) throws(WalletInputError) -> Secp256k1.PrivateKey {
        if let keyFile {
            let raw: [UInt8]
            do { raw = try SmallFile.read(keyFile, limit: 4096) } catch { throw WalletInputError("cannot read --key-file: \(error)") }
            let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
            guard digits.count == 64, let bytes = try? Hex.decode(digits) else {
                throw WalletInputError("--key-file \(keyFile) must hold a private key: 64 hex digits (0x optional)")
            }
            do { return try Secp256k1.PrivateKey(bytes: bytes) } catch { throw WalletInputError("--key-file \(keyFile): \(error)") }
        }
        let path = keystoreFile ?? ""
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WalletInputError("--keystore \(path) is a directory; give the key's file (see mote keys list)")
        }
        let bytes: [UInt8]
        do { bytes = try SmallFile.read(path, limit: Keystore.maxJSONSize) } catch {
            throw WalletInputError("cannot read --keystore: \(error)")
        }
        let keystore: Keystore
        do { keystore = try Keystore(json: bytes) } catch { throw WalletInputError("--keystore \(path): \(error)") }
        let secret: [UInt8]
        do {
            secret = try password.source.read(prompt: "Password of \(keystore.address?.checksummed ?? path): ")
        } catch {
            throw WalletInputError("\(error)")
        }
        do { return try keystore.decrypt(password: secret) } catch { throw WalletInputError("--keystore \(path): \(error)") }
    }
}
