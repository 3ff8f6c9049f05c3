import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mote keys new|import|list|show`: V3 keystore files in a directory, named and laid out as
/// geth does it (`UTC--<time>--<address>`, files 0600 in a 0700 directory), so the same
/// directory works with geth, Clef and other Ethereum tools.
///
/// Every command prints JSON; errors print `{"error": ...}` and exit non-zero.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage V3 keystore files.",
        discussion: """
            Keys live in a keystore directory: --keystore DIR, else $MOTE_KEYSTORE, else ~/.mote/keystore.
            Passwords come from --password-file FILE, --password-env NAME, $MOTE_PASSWORD, or a prompt
            on the terminal; never from a command-line argument.
            """,
        subcommands: [New.self, Import.self, List.self, Show.self])

    /// `mote keys new`.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and store it encrypted.")
        @OptionGroup var directory: KeystoreDirectoryOption
        @OptionGroup var password: PasswordOptions
        @Flag(name: .customLong("light-kdf"), help: "Weaker, faster scrypt (N=4096, p=6), like geth --lightkdf.")
        var lightKDF = false

        func run() throws {
            let store = directory.store
            let secret = failOnError { () throws(PasswordError) in
                try password.source.read(prompt: "Password for the new key: ", confirm: true)
            }
            let key = Secp256k1.PrivateKey.generate()
            let keystore = failOnError { () throws(CryptoError) in
                try Keystore.encrypt(privateKey: key, password: secret, kdf: lightKDF ? .light : .standard)
            }
            let path = failOnError { () throws(KeystoreDirectory.Failure) in try store.write(keystore) }
            JSONOutput.print(["address": key.address.checksummed, "path": path])
        }
    }

    /// `mote keys import`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a raw private key or a keystore file.",
            discussion: """
                A raw key is 64 hex digits (0x optional) read from --private-key-file or standard input,
                never from an argument. A keystore file (--keystore-file) is checked with its password
                and copied as it is, or with --reencrypt stored under a new password
                (--new-password-file, --new-password-env, or a prompt) and Mote's KDF.
                """)
        @OptionGroup var directory: KeystoreDirectoryOption
        @OptionGroup var password: PasswordOptions
        @Option(name: .customLong("private-key-file"), help: "Read the hex private key from FILE.")
        var privateKeyFile: String?
        @Option(name: .customLong("keystore-file"), help: "Import this V3 keystore file.")
        var keystoreFile: String?
        @Flag(help: "With --keystore-file: store the key under a new password instead of copying the file.")
        var reencrypt = false
        @Option(name: .customLong("new-password-file"), help: "With --reencrypt: the new password's file.")
        var newPasswordFile: String?
        @Option(name: .customLong("new-password-env"), help: "With --reencrypt: the new password's variable.")
        var newPasswordEnvironment: String?
        @Flag(name: .customLong("light-kdf"), help: "Weaker, faster scrypt (N=4096, p=6), like geth --lightkdf.")
        var lightKDF = false

        func validate() throws {
            if privateKeyFile != nil && keystoreFile != nil {
                throw ValidationError("give either --private-key-file or --keystore-file, not both")
            }
            if keystoreFile == nil && (reencrypt || newPasswordFile != nil || newPasswordEnvironment != nil) {
                throw ValidationError("--reencrypt and --new-password-* only apply with --keystore-file")
            }
            if !reencrypt && (newPasswordFile != nil || newPasswordEnvironment != nil) {
                throw ValidationError("--new-password-file and --new-password-env need --reencrypt")
            }
        }

        func run() throws {
            let store = directory.store
            let kdf: Keystore.KDF = lightKDF ? .light : .standard
            let keystore: Keystore
            var verbatim: [UInt8]?
            if let keystoreFile {
                let bytes = failOnError { () throws(PasswordError) in
                    try SmallFile.read(keystoreFile, limit: Keystore.maxJSONSize)
                }
                let original = failOnError { () throws(CryptoError) in try Keystore(json: bytes) }
                let secret = failOnError { () throws(PasswordError) in
                    try password.source.read(prompt: "Password of \(keystoreFile): ")
                }
                let key = failOnError { () throws(CryptoError) in try original.decrypt(password: secret) }
                refuseDuplicate(key.address, in: store)
                if reencrypt {
                    let newSource = PasswordSource(
                        file: newPasswordFile, environmentName: newPasswordEnvironment, defaultEnvironmentName: nil)
                    let newSecret = failOnError { () throws(PasswordError) in
                        try newSource.read(prompt: "New password: ", confirm: true)
                    }
                    keystore = failOnError { () throws(CryptoError) in
                        try Keystore.encrypt(privateKey: key, password: newSecret, kdf: kdf)
                    }
                } else if original.address != nil {
                    keystore = original
                    verbatim = bytes
                } else {
                    keystore = original.withAddress(key.address)  // geth and `list` need the field
                }
            } else {
                let key = failOnError { () throws(PasswordError) in try readPrivateKey() }
                refuseDuplicate(key.address, in: store)
                let secret = failOnError { () throws(PasswordError) in
                    try password.source.read(prompt: "Password for the imported key: ", confirm: true)
                }
                keystore = failOnError { () throws(CryptoError) in
                    try Keystore.encrypt(privateKey: key, password: secret, kdf: kdf)
                }
            }
            let path = failOnError { () throws(KeystoreDirectory.Failure) in
                try store.write(keystore, bytes: verbatim)
            }
            JSONOutput.print(["address": keystore.address!.checksummed, "path": path])
        }

        /// The raw key from `--private-key-file`, a hidden prompt (standard input is a terminal)
        /// or standard input.
        private func readPrivateKey() throws(PasswordError) -> Secp256k1.PrivateKey {
            let raw: [UInt8]
            if let privateKeyFile {
                raw = try SmallFile.read(privateKeyFile, limit: 4096)
            } else if isatty(STDIN_FILENO) == 1 {
                raw = try Terminal.readHidden(prompt: "Private key (hex): ")
            } else {
                raw = Array(FileHandle.standardInput.readData(ofLength: 4097))
                guard raw.count <= 4096 else { throw PasswordError("private key input over 4096 bytes") }
            }
            let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
            guard digits.count == 64, let bytes = try? Hex.decode(digits) else {
                throw PasswordError("private key must be 64 hex digits (0x optional)")
            }
            do { return try Secp256k1.PrivateKey(bytes: bytes) } catch { throw PasswordError("\(error)") }
        }

        private func refuseDuplicate(_ address: Address, in store: KeystoreDirectory) {
            if let existing = store.entries().keys.first(where: { $0.address == address }) {
                JSONOutput.fail(
                    "address \(address.checksummed) is already in the keystore", extra: ["path": existing.path])
            }
        }
    }

    /// `mote keys list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys in the keystore directory.")
        @OptionGroup var directory: KeystoreDirectoryOption

        func run() throws {
            let store = directory.store
            failOnError { () throws(KeystoreDirectory.Failure) in try store.requireExists() }
            let (keys, problems) = store.entries()
            for problem in problems { warn("skipping \(problem.path): \(problem.reason)") }
            JSONOutput.print(keys.map { ["address": $0.address.checksummed, "path": $0.path] })
        }
    }

    /// `mote keys show <address>`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one key's file and KDF; with --decrypt, check the password and show the public key.")
        @OptionGroup var directory: KeystoreDirectoryOption
        @OptionGroup var password: PasswordOptions
        @Argument(help: "The key's address (0x optional; checked against EIP-55 if mixed-case).")
        var address: String
        @Flag(help: "Decrypt the key (asks for the password) and show its public key.")
        var decrypt = false
        @Flag(name: .customLong("reveal-private-key"), help: "Also print the private key. Implies --decrypt.")
        var revealPrivateKey = false

        func run() throws {
            let wanted = failOnError { () throws(CryptoError) in try Address(checksummedHex: address) }
            let store = directory.store
            failOnError { () throws(KeystoreDirectory.Failure) in try store.requireExists() }
            guard let entry = store.entries().keys.first(where: { $0.address == wanted }) else {
                JSONOutput.fail("no key for \(wanted.checksummed) in \(store.path)")
            }
            var out: [String: Any] = [
                "address": wanted.checksummed, "path": entry.path, "id": entry.keystore.id,
                "kdf": entry.keystore.kdf.name,
            ]
            switch entry.keystore.kdf {
            case .scrypt(let n, let r, let p): out["kdfparams"] = ["n": n, "r": r, "p": p]
            case .pbkdf2(let c): out["kdfparams"] = ["c": c, "prf": "hmac-sha256"]
            }
            if decrypt || revealPrivateKey {
                let secret = failOnError { () throws(PasswordError) in
                    try password.source.read(prompt: "Password for \(wanted.checksummed): ")
                }
                let key = failOnError { () throws(CryptoError) in try entry.keystore.decrypt(password: secret) }
                out["publicKey"] = Hex.encode(key.publicKey.uncompressed)
                if revealPrivateKey { out["privateKey"] = Hex.encode(key.bytes) }
            }
            JSONOutput.print(out)
        }
    }
}

/// `--keystore DIR`, shared by the `keys` subcommands.
struct KeystoreDirectoryOption: ParsableArguments {
    @Option(name: .customLong("keystore"), help: "Keystore directory (default: $MOTE_KEYSTORE or ~/.mote/keystore).")
    var path: String?

    /// The directory chosen: the option, then `MOTE_KEYSTORE`, then `~/.mote/keystore`.
    var store: KeystoreDirectory {
        let environment = ProcessInfo.processInfo.environment
        if let path { return KeystoreDirectory(path: path) }
        if let path = environment["MOTE_KEYSTORE"], !path.isEmpty { return KeystoreDirectory(path: path) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return KeystoreDirectory(path: home + "/.mote/keystore")
    }
}

/// A directory of V3 keystore files, one key per file, laid out as geth lays it out.
struct KeystoreDirectory {
    /// The directory (a leading `~/` expanded).
    let path: String

    init(path: String) {
        self.path = (path as NSString).expandingTildeInPath
    }

    /// A keystore file that parsed and names its address.
    struct Entry {
        let path: String
        let keystore: Keystore
        let address: Address
    }

    /// A file in the directory that is not a usable keystore.
    struct Problem {
        let path: String
        let reason: String
    }

    /// Something the directory could not do.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Throws if the directory does not exist.
    func requireExists() throws(Failure) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Failure(description: "keystore directory \(path) does not exist")
        }
        guard isDirectory.boolValue else { throw Failure(description: "\(path) is not a directory") }
    }

    /// Every keystore in the directory, sorted by file name (geth's names sort by creation
    /// time), and the files skipped with why. Hidden files, `~` backups and directories are
    /// ignored, as geth ignores them.
    func entries() -> (keys: [Entry], problems: [Problem]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return ([], []) }
        var keys: [Entry] = []
        var problems: [Problem] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix("~") {
            let file = path + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            do {
                let keystore = try Keystore(json: try SmallFile.read(file, limit: Keystore.maxJSONSize))
                guard let address = keystore.address else {
                    problems.append(Problem(path: file, reason: "no address field"))
                    continue
                }
                keys.append(Entry(path: file, keystore: keystore, address: address))
            } catch {
                problems.append(Problem(path: file, reason: "\(error)"))
            }
        }
        return (keys, problems)
    }

    /// Writes `keystore` (or `bytes`, its original file, when copying) as
    /// `UTC--<time>--<address>` with mode 0600, creating the directory (0700) if needed.
    /// The file appears whole or not at all: it is written under a temporary name, then renamed.
    func write(_ keystore: Keystore, bytes: [UInt8]? = nil) throws(Failure) -> String {
        guard let address = keystore.address else { throw Failure(description: "keystore has no address") }
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch { throw Failure(description: "cannot create \(path): \(error.localizedDescription)") }
            chmod(path, 0o700)
        }
        try requireExists()

        let name = "UTC--\(Self.timestamp())--\(Hex.encode(address.bytes, prefix: false))"
        let final = path + "/" + name
        let temporary = path + "/.\(name).tmp"
        let contents = bytes ?? keystore.json()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temporary): \(Self.lastError())") }
        let ok = fchmod(fd, 0o600) == 0 && Self.writeAll(fd, contents) && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, final) == 0 else {
            let reason = Self.lastError()
            unlink(temporary)
            throw Failure(description: "cannot write \(final): \(reason)")
        }
        return final
    }

    /// geth's file-name time: UTC ISO 8601 with `-` for `:`, nanoseconds, e.g. `2024-05-01T09-30-00.123456789Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2))-\(pad(Int(parts.tm_min), 2))-\(pad(Int(parts.tm_sec), 2))"
            + ".\(pad(Int(now.tv_nsec), 9))Z"
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = posixWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// A line on standard error.
private func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

/// `write(2)`; at file scope because `KeystoreDirectory.write` hides it inside the type.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
