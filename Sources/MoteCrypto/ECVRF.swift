internal import CSodium

/// Verifiable random functions on edwards25519 (RFC 9381 ECVRF), with libsodium's group
/// operations.
///
/// The holder of a secret key maps any input alpha to a 64-byte output beta and an 80-byte
/// proof pi; anyone with the public key can check pi and get the same beta, and nobody else
/// can predict beta. Both edwards25519 ciphersuites are here:
/// - ``Suite/tai``: ECVRF-EDWARDS25519-SHA512-TAI (suite_string 0x03), try-and-increment
///   `encode_to_curve`;
/// - ``Suite/ell2``: ECVRF-EDWARDS25519-SHA512-ELL2 (suite_string 0x04), RFC 9380
///   `edwards25519_XMD:SHA-512_ELL2_NU_` hash-to-curve.
///
/// Keys are RFC 8032 Ed25519 keys: the secret key is a 32-byte seed, the scalar x is the
/// clamped first half of SHA-512(seed), and the public key Y = x·B is the same as the Ed25519
/// public key of that seed. Proving is deterministic (RFC 9381 §5.4.2.2 nonces).
///
/// ## Verification rule
/// `verify` is RFC 9381 §5.3 with key validation (`validate_key` = TRUE), byte for byte:
/// - the public key must decode (RFC 8032 §5.1.3: y < p, on the curve, no sign bit on x = 0)
///   and must not be of small order; this is checked when a ``PublicKey`` is made;
/// - Gamma must decode by the same rule, and s must be below the group order L;
/// - c must equal the challenge recomputed from Y, H, Gamma, U = s·B − c·Y, V = s·H − c·Gamma.
///
/// Points with a torsion component (mixed order) are accepted as public keys and as Gamma, as
/// the RFC does; the cofactor is cleared in beta, so beta stays unique.
public enum ECVRF {
    /// An RFC 9381 ciphersuite on edwards25519; the raw value is its `suite_string`.
    public enum Suite: UInt8, CaseIterable, Sendable {
        /// ECVRF-EDWARDS25519-SHA512-TAI.
        case tai = 0x03
        /// ECVRF-EDWARDS25519-SHA512-ELL2.
        case ell2 = 0x04

        /// The RFC's name for the suite.
        public var name: String {
            switch self {
            case .tai: "ECVRF-EDWARDS25519-SHA512-TAI"
            case .ell2: "ECVRF-EDWARDS25519-SHA512-ELL2"
            }
        }
    }

    /// Bytes in a proof pi = Gamma (32) ‖ c (16) ‖ s (32).
    public static let proofLength = 80
    /// Bytes in an output beta.
    public static let outputLength = 64

    /// A secret key: a 32-byte seed, expanded as RFC 8032 does.
    public struct SecretKey: Sendable {
        /// The 32-byte seed (RFC 8032's secret key, also RFC 9381's SK).
        public let seed: [UInt8]
        /// The matching public key Y = x·B.
        public let publicKey: PublicKey
        /// x, reduced mod L (x·P is the same for the reduced and the clamped value on the
        /// prime-order subgroup, where it is used).
        package let scalar: Scalar
        /// The clamped scalar as RFC 8032 defines it (not reduced), for test vectors.
        let clampedScalar: [UInt8]
        /// The second half of SHA-512(seed), the nonce key of RFC 9381 §5.4.2.2.
        let nonceKey: [UInt8]

        /// The key for `seed`; throws unless it is 32 bytes.
        public init(seed: some Collection<UInt8>) throws(CryptoError) {
            let seed = Array(seed)
            guard seed.count == 32 else {
                throw CryptoError(.invalidPrivateKey("expected a 32-byte ECVRF seed, got \(seed.count)"))
            }
            let hash = Sodium.sha512(seed)
            var clamped = Array(hash[0..<32])
            clamped[0] &= 248
            clamped[31] &= 127
            clamped[31] |= 64
            self.seed = seed
            clampedScalar = clamped
            scalar = Scalar(clamped).reduced
            nonceKey = Array(hash[32..<64])
            publicKey = PublicKey(trusted: Point.base(times: scalar))
        }

        /// A fresh key from libsodium's secure random source.
        public static func generate() -> SecretKey {
            Sodium.ensureInitialized()
            var seed = [UInt8](repeating: 0, count: 32)
            randombytes_buf(&seed, 32)
            return try! SecretKey(seed: seed)
        }
    }

    /// A public key Y, validated: it decodes as an edwards25519 point and is not of small
    /// order (RFC 9381 `ECVRF_validate_key`).
    public struct PublicKey: Hashable, Sendable {
        /// The 32-byte encoding (PK_string).
        public let bytes: [UInt8]

        /// A key from its 32-byte encoding; throws if it has another length, does not decode
        /// (RFC 8032 §5.1.3), or is one of the eight points of small order.
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 32 else {
                throw CryptoError(.invalidPublicKey("expected a 32-byte ECVRF public key, got \(bytes.count)"))
            }
            guard let point = Point(decoding: bytes) else {
                throw CryptoError(.invalidPublicKey("not the canonical encoding of an edwards25519 point"))
            }
            guard !point.hasSmallOrder else {
                throw CryptoError(.invalidPublicKey("point of small order"))
            }
            self.bytes = bytes
        }

        fileprivate init(trusted point: Point) { bytes = point.bytes }

        /// The decoded point (always succeeds: checked at init).
        package var point: Point { Point(decoding: bytes)! }
    }

    /// A proof pi = Gamma ‖ c ‖ s (80 bytes).
    public struct Proof: Hashable, Sendable {
        /// The 80 bytes.
        public let bytes: [UInt8]

        /// A proof from 80 bytes; throws on any other length. (Whether Gamma decodes and
        /// s < L is checked by ``ECVRF/verify(publicKey:alpha:proof:suite:)``.)
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == ECVRF.proofLength else {
                throw CryptoError(.invalidSignature("expected an \(ECVRF.proofLength)-byte ECVRF proof, got \(bytes.count)"))
            }
            self.bytes = bytes
        }

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }
    }

    /// The proof for `alpha` under `secretKey` (RFC 9381 §5.1, `ECVRF_prove`). Deterministic.
    ///
    /// The output beta is ``proofToHash(_:suite:)`` of the result (or what ``verify(publicKey:alpha:proof:suite:)`` returns).
    public static func prove(secretKey: SecretKey, alpha: [UInt8], suite: Suite) -> Proof {
        Proof(validated: trace(secretKey: secretKey, alpha: alpha, suite: suite).pi)
    }

    /// Checks `proof` for `alpha` under `publicKey` (RFC 9381 §5.3, `ECVRF_verify`, with key
    /// validation) and returns beta, 64 bytes. Throws if the proof is not valid, saying why.
    public static func verify(
        publicKey: PublicKey, alpha: [UInt8], proof: Proof, suite: Suite
    ) throws(CryptoError) -> [UInt8] {
        let (gamma, c, s) = try decode(proof)
        guard let h = encodeToCurve(suite: suite, salt: publicKey.bytes, alpha: alpha) else {
            throw CryptoError(.invalidSignature("ECVRF: alpha has no try-and-increment point"))
        }
        let y = publicKey.point
        let u = Point.base(times: s) - y.multiplied(by: c)
        let v = h.multiplied(by: s) - gamma.multiplied(by: c)
        let expected = challenge(suite: suite, y, h, gamma, u, v)
        guard expected == Array(proof.bytes[32..<48]) else {
            throw CryptoError(.invalidSignature("ECVRF proof does not verify"))
        }
        return output(suite: suite, gamma: gamma)
    }

    /// beta for a proof (RFC 9381 §5.2, `ECVRF_proof_to_hash`): SHA-512 of 8·Gamma.
    ///
    /// This does not verify the proof: use it only on a proof that was verified (or that
    /// you made), or take the value ``verify(publicKey:alpha:proof:suite:)`` returns. Throws
    /// if Gamma does not decode or s ≥ L (as `ECVRF_decode_proof` does).
    public static func proofToHash(_ proof: Proof, suite: Suite) throws(CryptoError) -> [UInt8] {
        let (gamma, _, _) = try decode(proof)
        return output(suite: suite, gamma: gamma)
    }

    // MARK: Internals

    /// Every intermediate of one `ECVRF_prove` run, for the test vectors.
    package struct Trace {
        /// The clamped secret scalar x (32 bytes, little-endian, not reduced).
        package let x: [UInt8]
        /// H = encode_to_curve(PK, alpha), encoded.
        package let h: [UInt8]
        /// The try-and-increment counter that gave H (TAI only).
        package let counter: Int?
        /// The nonce k, 32 bytes.
        package let k: [UInt8]
        /// U = k·B and V = k·H, encoded.
        package let u: [UInt8], v: [UInt8]
        /// Gamma = x·H, encoded.
        package let gamma: [UInt8]
        /// The challenge c (16 bytes) and s = k + c·x mod L (32 bytes).
        package let c: [UInt8], s: [UInt8]
        /// pi = Gamma ‖ c ‖ s.
        package var pi: [UInt8] { gamma + c + s }
    }

    /// `ECVRF_prove` with its intermediates.
    package static func trace(secretKey: SecretKey, alpha: [UInt8], suite: Suite) -> Trace {
        let salt = secretKey.publicKey.bytes
        var counter: Int?
        let h: Point
        switch suite {
        case .tai:
            // The chance that no counter 0…255 works is about 2^-256 per alpha.
            guard let found = tryAndIncrement(salt: salt, alpha: alpha) else {
                preconditionFailure("ECVRF try-and-increment found no point")
            }
            (h, counter) = (found.point, found.counter)
        case .ell2:
            h = encodeToCurve(suite: suite, salt: salt, alpha: alpha)!
        }
        let gamma = h.multiplied(by: secretKey.scalar)
        let k = Scalar(reducing: Sodium.sha512(secretKey.nonceKey, h.bytes))
        let u = Point.base(times: k)
        let v = h.multiplied(by: k)
        let c = challenge(suite: suite, secretKey.publicKey.point, h, gamma, u, v)
        let s = k + Scalar(c) * secretKey.scalar
        return Trace(
            x: secretKey.clampedScalar, h: h.bytes, counter: counter, k: k.bytes, u: u.bytes, v: v.bytes,
            gamma: gamma.bytes, c: c, s: s.bytes)
    }

    /// RFC 9381 §5.4.4 `ECVRF_decode_proof`: Gamma, c (an integer below 2^128) and s < L.
    private static func decode(_ proof: Proof) throws(CryptoError) -> (gamma: Point, c: Scalar, s: Scalar) {
        guard let gamma = Point(decoding: proof.bytes[0..<32]) else {
            throw CryptoError(.invalidSignature("ECVRF proof: Gamma is not the canonical encoding of a point"))
        }
        let s = Scalar(proof.bytes[48..<80])
        guard s.isCanonical else {
            throw CryptoError(.invalidSignature("ECVRF proof: s is not below the group order"))
        }
        return (gamma, Scalar(proof.bytes[32..<48]), s)
    }

    /// RFC 9381 §5.4.3 `ECVRF_challenge_generation`: the first 16 bytes of
    /// SHA-512(suite ‖ 0x02 ‖ P1 ‖ … ‖ P5 ‖ 0x00).
    package static func challenge(suite: Suite, _ points: Point...) -> [UInt8] {
        var input: [UInt8] = [suite.rawValue, 0x02]
        for point in points { input += point.bytes }
        input.append(0x00)
        return Array(Sodium.sha512(input)[0..<16])
    }

    /// RFC 9381 §5.2 (after decoding): SHA-512(suite ‖ 0x03 ‖ encode(8·Gamma) ‖ 0x00).
    private static func output(suite: Suite, gamma: Point) -> [UInt8] {
        Sodium.sha512([suite.rawValue, 0x03], gamma.timesCofactor.bytes, [0x00])
    }
}
