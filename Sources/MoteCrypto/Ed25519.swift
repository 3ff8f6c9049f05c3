internal import CSodium
import MotePrimitives

/// Ed25519 (RFC 8032, pure EdDSA without context) through libsodium.
///
/// libsodium was chosen over swift-crypto's `Curve25519.Signing` (BoringSSL): it verifies
/// about 1.35× faster on our machine, and verification is what a node does most (figures in
/// `docs/BENCHMARKS.md`, "Ed25519 backend choice"). Its rule is also the stricter one.
///
/// ## Verification rule (consensus-relevant)
///
/// `PublicKey.isValidSignature` applies libsodium 1.0.18's `crypto_sign_verify_detached`
/// rule, which is strict and cofactorless:
/// - s must be canonical: s < L (the group order), else reject;
/// - R must not encode a point of small order (any of the 8 torsion points, in canonical or
///   non-canonical form), else reject;
/// - A must be a canonical encoding (y < p) and not of small order, else reject;
/// - the check is the cofactorless equation: encode([s]B − [k]A) must equal the 32 bytes of
///   R byte for byte, with k = SHA-512(R‖A‖M) mod L; so a non-canonical R never verifies.
/// - A and R are not checked for membership of the prime-order subgroup: a point with a
///   torsion component (mixed order) is accepted when the cofactorless equation holds.
///
/// BoringSSL's `ED25519_verify` (swift-crypto on Linux) differs: it accepts small-order A
/// and R and non-canonical A. Over the 914 C2SP CCTV edge cases libsodium accepts 43 and
/// BoringSSL 208. Every node must therefore use this same backend; the accept/reject bitmap
/// over those vectors is pinned in `Ed25519Tests`.
public enum Ed25519 {
    /// A key pair made from a 32-byte seed (RFC 8032's "secret key").
    public struct PrivateKey: Sendable {
        /// libsodium's 64-byte secret key: seed‖public key.
        private let expanded: [UInt8]

        /// The key pair for `seed`; throws unless it is 32 bytes.
        public init(seed: some Collection<UInt8>) throws(CryptoError) {
            let seed = Array(seed)
            guard seed.count == 32 else {
                throw CryptoError(.invalidPrivateKey("expected a 32-byte Ed25519 seed, got \(seed.count)"))
            }
            LibSodium.ensureInitialized()
            var pk = [UInt8](repeating: 0, count: 32)
            var sk = [UInt8](repeating: 0, count: 64)
            let rc = crypto_sign_seed_keypair(&pk, &sk, seed)
            precondition(rc == 0, "crypto_sign_seed_keypair cannot fail")
            expanded = sk
        }

        /// A fresh key pair from libsodium's secure random source.
        public static func generate() -> PrivateKey {
            LibSodium.ensureInitialized()
            var seed = [UInt8](repeating: 0, count: 32)
            randombytes_buf(&seed, 32)
            return try! PrivateKey(seed: seed)
        }

        /// The 32-byte seed.
        public var seed: [UInt8] { Array(expanded[0..<32]) }

        /// The matching public key.
        public var publicKey: PublicKey { PublicKey(validated: Array(expanded[32..<64])) }

        /// The deterministic RFC 8032 signature of `message`.
        public func signature(for message: [UInt8]) -> Signature {
            var signature = [UInt8](repeating: 0, count: 64)
            let rc = message.withUnsafeBufferPointer { m in
                crypto_sign_detached(&signature, nil, m.baseAddress, UInt64(m.count), expanded)
            }
            precondition(rc == 0, "crypto_sign_detached cannot fail")
            return Signature(validated: signature)
        }
    }

    /// A 32-byte encoded public key A.
    ///
    /// Only the length is checked here; whether the point is acceptable (canonical, on the
    /// curve, not of small order) is part of the verification rule, so such keys simply
    /// never verify.
    public struct PublicKey: Hashable, Sendable {
        /// The 32 encoded bytes.
        public let bytes: [UInt8]

        /// A key from its 32-byte encoding; throws on any other length.
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 32 else {
                throw CryptoError(.invalidPublicKey("expected a 32-byte Ed25519 key, got \(bytes.count)"))
            }
            self.bytes = bytes
        }

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }

        /// True if `signature` is valid for `message` under this key, by the strict
        /// cofactorless rule described on ``Ed25519``.
        public func isValidSignature(_ signature: Signature, for message: [UInt8]) -> Bool {
            LibSodium.ensureInitialized()
            return message.withUnsafeBufferPointer { m in
                crypto_sign_verify_detached(signature.bytes, m.baseAddress, UInt64(m.count), bytes) == 0
            }
        }
    }

    /// A 64-byte signature R‖s.
    public struct Signature: Hashable, Sendable {
        /// The 64 bytes R‖s.
        public let bytes: [UInt8]

        /// A signature from 64 bytes; throws on any other length. (s < L is checked at
        /// verification, as part of the rule.)
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 64 else {
                throw CryptoError(.invalidSignature("expected a 64-byte Ed25519 signature, got \(bytes.count)"))
            }
            self.bytes = bytes
        }

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }
    }
}

/// One-time libsodium set-up for this file.
private enum LibSodium {
    /// `sodium_init` picks the CPU-specific code paths and seeds the RNG; idempotent and
    /// thread-safe, and run once through a lazy global.
    private static let initialized: Bool = sodium_init() >= 0

    /// Runs `sodium_init` once.
    static func ensureInitialized() {
        precondition(initialized, "sodium_init failed")
    }
}
