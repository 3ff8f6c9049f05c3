import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives

/// `mote vrf keygen|prove|verify`: RFC 9381 ECVRF on edwards25519 (suites TAI and ELL2).
///
/// Every command prints JSON; errors print `{"error": ...}` and exit 1. Hex inputs take an
/// optional `0x`; outputs are `0x`-prefixed lowercase hex.
struct VRFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vrf", abstract: "Verifiable random function (RFC 9381 ECVRF, edwards25519).",
        discussion: """
            Keys are Ed25519 keys: the secret key is a 32-byte seed, and the public key is the same as \
            its Ed25519 public key. Suites: tai (ECVRF-EDWARDS25519-SHA512-TAI, the default) and ell2 \
            (ECVRF-EDWARDS25519-SHA512-ELL2). alpha is at most 64 KiB, as hex (--alpha) or as the raw \
            bytes of a file (--alpha-file).
            """,
        subcommands: [Keygen.self, Prove.self, Verify.self])

    /// The largest alpha the commands accept.
    static let maxAlpha = 64 * 1024

    /// `mote vrf keygen`.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key: prints the secret key (seed) and the public key.",
            discussion: "With --out FILE the seed goes to a new file (mode 0600) instead of the output.")
        @Option(help: "Write the secret key (hex seed) to this new file instead of printing it.")
        var out: String?

        func run() throws {
            let key = ECVRF.SecretKey.generate()
            let seedHex = Hex.encode(key.seed)
            let publicKey = Hex.encode(key.publicKey.bytes)
            guard let out else {
                JSONOutput.print(["secretKey": seedHex, "publicKey": publicKey])
                return
            }
            let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { JSONOutput.fail("\(out): \(String(cString: strerror(errno)))") }
            let line = Array((seedHex + "\n").utf8)
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == line.count else { JSONOutput.fail("\(out): short write") }
            JSONOutput.print(["secretKeyFile": out, "publicKey": publicKey])
        }
    }

    /// `mote vrf prove`.
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove alpha with a secret key: prints pi (80 bytes) and beta (64 bytes).")
        @Option(name: .customLong("secret-key-file"), help: "File holding the 32-byte seed as 64 hex digits.")
        var secretKeyFile: String
        @OptionGroup var input: AlphaOptions
        @Option(help: "tai or ell2.") var suite: VRFSuite = .tai

        func run() throws {
            let raw = failOnError { () throws(PasswordError) in try SmallFile.read(secretKeyFile, limit: 4096) }
            let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let seed = VRFCommand.hex(text, name: "secret key", length: 32)
            let key = failOnError { () throws(CryptoError) in try ECVRF.SecretKey(seed: seed) }
            let alpha = input.bytes()
            let proof = ECVRF.prove(secretKey: key, alpha: alpha, suite: suite.suite)
            let beta = failOnError { () throws(CryptoError) in try ECVRF.proofToHash(proof, suite: suite.suite) }
            JSONOutput.print([
                "pi": Hex.encode(proof.bytes), "beta": Hex.encode(beta),
                "publicKey": Hex.encode(key.publicKey.bytes), "suite": suite.suite.name,
            ])
        }
    }

    /// `mote vrf verify`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a proof: prints {valid: true, beta}, or an error and exits 1.")
        @Option(name: .customLong("public-key"), help: "The public key, 32 bytes hex.") var publicKey: String
        @OptionGroup var input: AlphaOptions
        @Option(help: "The proof pi, 80 bytes hex.") var proof: String
        @Option(help: "tai or ell2.") var suite: VRFSuite = .tai

        func run() throws {
            let invalid: [String: Any] = ["valid": false]
            let keyBytes = VRFCommand.hex(publicKey, name: "public key", length: 32, extra: invalid)
            let proofBytes = VRFCommand.hex(proof, name: "proof", length: ECVRF.proofLength, extra: invalid)
            let alpha = input.bytes(extra: invalid)
            do {
                let key = try ECVRF.PublicKey(bytes: keyBytes)
                let pi = try ECVRF.Proof(bytes: proofBytes)
                let beta = try ECVRF.verify(publicKey: key, alpha: alpha, proof: pi, suite: suite.suite)
                JSONOutput.print(["valid": true, "beta": Hex.encode(beta), "suite": suite.suite.name])
            } catch {
                JSONOutput.fail("\(error)", extra: invalid)
            }
        }
    }

    /// Hex text of exactly `length` bytes, or a JSON error and exit 1.
    static func hex(_ text: String, name: String, length: Int, extra: [String: Any] = [:]) -> [UInt8] {
        guard text.utf8.count <= 2 * length + 2, let bytes = try? Hex.decode(text) else {
            JSONOutput.fail("\(name) must be \(2 * length) hex digits (0x optional)", extra: extra)
        }
        guard bytes.count == length else {
            JSONOutput.fail("\(name) must be \(length) bytes, got \(bytes.count)", extra: extra)
        }
        return bytes
    }
}

/// alpha from `--alpha HEX` or `--alpha-file FILE` (raw bytes), at most 64 KiB.
struct AlphaOptions: ParsableArguments {
    @Option(help: "The input alpha as hex ('' for empty).") var alpha: String?
    @Option(name: .customLong("alpha-file"), help: "Read alpha's raw bytes from FILE.") var alphaFile: String?

    func validate() throws {
        guard (alpha == nil) != (alphaFile == nil) else { throw ValidationError("give exactly one of --alpha or --alpha-file") }
    }

    /// The bytes, or a JSON error and exit 1.
    func bytes(extra: [String: Any] = [:]) -> [UInt8] {
        let limit = VRFCommand.maxAlpha
        if let alphaFile {
            do { return try SmallFile.read(alphaFile, limit: limit) } catch { JSONOutput.fail("\(error)", extra: extra) }
        }
        let text = alpha ?? ""
        guard text.utf8.count <= 2 * limit + 2 else { JSONOutput.fail("alpha is over \(limit) bytes", extra: extra) }
        guard let bytes = try? Hex.decode(text) else { JSONOutput.fail("alpha must be hex (0x optional)", extra: extra) }
        guard bytes.count <= limit else { JSONOutput.fail("alpha is over \(limit) bytes", extra: extra) }
        return bytes
    }
}

/// `--suite tai|ell2`.
enum VRFSuite: String, ExpressibleByArgument, CaseIterable {
    case tai, ell2

    /// The ciphersuite.
    var suite: ECVRF.Suite {
        switch self {
        case .tai: .tai
        case .ell2: .ell2
        }
    }
}
