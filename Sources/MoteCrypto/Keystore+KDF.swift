internal import CSodium
import Crypto
import CryptoExtras

extension Keystore {
    /// How a password becomes the 32-byte key a keystore is locked with: the algorithm and its
    /// cost parameters (the salt is stored beside it, in `Keystore.salt`).
    ///
    /// Every parameter is bounded (`validate()`), both when Mote writes a keystore and when it
    /// reads one, so a hostile file cannot make decryption take unbounded memory or time.
    public enum KDF: Sendable, Hashable, CustomStringConvertible {
        /// scrypt (RFC 7914) with cost `n` (a power of two), block size `r` and parallelism `p`.
        case scrypt(n: Int, r: Int, p: Int)
        /// PBKDF2 with HMAC-SHA-256 and `iterations` rounds.
        case pbkdf2(iterations: Int)

        /// geth's standard: scrypt N = 2¹⁸, r = 8, p = 1 (256 MiB, about a second).
        public static let standard = KDF.scrypt(n: 1 << 18, r: 8, p: 1)
        /// geth's `--lightkdf`: scrypt N = 4096, r = 8, p = 6 (4 MiB, milliseconds). For tests
        /// and throwaway keys; weak against a password search.
        public static let light = KDF.scrypt(n: 4096, r: 8, p: 6)

        /// The largest scrypt N accepted.
        public static let maxScryptN = 1 << 20
        /// The largest scrypt r accepted.
        public static let maxScryptR = 32
        /// The largest scrypt p accepted.
        public static let maxScryptP = 16
        /// The most memory scrypt may need, 128·N·r bytes: 512 MiB (geth's standard needs 256 MiB).
        public static let maxScryptMemory = 512 << 20
        /// The most scrypt work accepted, N·r·p: 2²³ (four times geth's standard).
        public static let maxScryptWork = 1 << 23
        /// The most PBKDF2 rounds accepted.
        public static let maxPBKDF2Iterations = 10_000_000

        /// The name a keystore file uses: `scrypt` or `pbkdf2`.
        public var name: String {
            switch self {
            case .scrypt: return "scrypt"
            case .pbkdf2: return "pbkdf2"
            }
        }

        /// The parameters in words, e.g. `scrypt(n: 262144, r: 8, p: 1)`.
        public var description: String {
            switch self {
            case .scrypt(let n, let r, let p): return "scrypt(n: \(n), r: \(r), p: \(p))"
            case .pbkdf2(let c): return "pbkdf2-hmac-sha256(c: \(c))"
            }
        }

        /// Throws unless every parameter is within the bounds above.
        public func validate() throws(CryptoError) {
            switch self {
            case .scrypt(let n, let r, let p):
                guard n >= 2, n <= Self.maxScryptN, n & (n - 1) == 0 else {
                    throw CryptoError(.keystore("scrypt n must be a power of two in [2, 2^20], got \(n)"))
                }
                guard (1...Self.maxScryptR).contains(r) else {
                    throw CryptoError(.keystore("scrypt r must be in [1, \(Self.maxScryptR)], got \(r)"))
                }
                guard (1...Self.maxScryptP).contains(p) else {
                    throw CryptoError(.keystore("scrypt p must be in [1, \(Self.maxScryptP)], got \(p)"))
                }
                // The bounds above keep these products far from overflow.
                guard 128 * n * r <= Self.maxScryptMemory else {
                    throw CryptoError(.keystore(
                        "scrypt needs \(128 * n * r >> 20) MiB (n·r too large), limit 512 MiB"))
                }
                guard n * r * p <= Self.maxScryptWork else {
                    throw CryptoError(.keystore("scrypt work n·r·p = \(n * r * p) is over the limit 2^23"))
                }
            case .pbkdf2(let c):
                guard (1...Self.maxPBKDF2Iterations).contains(c) else {
                    throw CryptoError(.keystore("pbkdf2 c must be in [1, 10000000], got \(c)"))
                }
            }
        }

        /// The 32-byte derived key for `password` and `salt`. Call `validate()` first.
        func deriveKey(password: [UInt8], salt: [UInt8]) throws(CryptoError) -> [UInt8] {
            switch self {
            case .scrypt(let n, let r, let p):
                _ = Sodium.initialized
                var out = [UInt8](repeating: 0, count: Keystore.derivedKeyLength)
                let status = out.withUnsafeMutableBufferPointer { buffer in
                    crypto_pwhash_scryptsalsa208sha256_ll(
                        password, password.count, salt, salt.count,
                        UInt64(n), UInt32(r), UInt32(p), buffer.baseAddress!, buffer.count)
                }
                guard status == 0 else {
                    throw CryptoError(.keystore("scrypt failed (out of memory?) for \(self)"))
                }
                return out
            case .pbkdf2(let c):
                do {
                    let key = try KDF_.Insecure.PBKDF2.deriveKey(
                        from: password, salt: salt, using: .sha256,
                        outputByteCount: Keystore.derivedKeyLength, unsafeUncheckedRounds: c)
                    return key.withUnsafeBytes { Array($0) }
                } catch {
                    throw CryptoError(.keystore("pbkdf2 failed: \(error)"))
                }
            }
        }
    }
}

/// swift-crypto's key-derivation namespace (`CryptoExtras.KDF`), renamed here because
/// `Keystore.KDF` shadows it inside the extension above.
private typealias KDF_ = CryptoExtras.KDF

/// libsodium's one-time initialisation.
private enum Sodium {
    /// Runs `sodium_init()` once; it is idempotent and thread-safe, but picks CPU-specific code once.
    static let initialized: Bool = sodium_init() >= 0
}
