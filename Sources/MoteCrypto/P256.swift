import Crypto
import Foundation
import MotePrimitives

/// ECDSA on NIST P-256 (secp256r1) through swift-crypto (BoringSSL on Linux): the curve of
/// device secure elements, TPMs and passkeys.
///
/// Signatures travel as raw r‖s (64 bytes, IEEE P1363). Verification follows SEC 1 /
/// FIPS 186-5: r and s must be in [1, n−1] and both s and n − s are accepted (P-256 has
/// no low-s convention). Signing draws a fresh random nonce, so two signatures of the same
/// message differ; both verify.
public enum P256Signing {
    /// The group order n.
    public static let order = UInt256(hexQuantity: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!

    /// A P-256 secret scalar in [1, n−1].
    public struct PrivateKey: Sendable {
        private let key: Crypto.P256.Signing.PrivateKey

        /// A key from its 32-byte big-endian scalar; throws unless it is in [1, n−1].
        public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 32 else {
                throw CryptoError(.invalidPrivateKey("expected 32 bytes, got \(bytes.count)"))
            }
            do {
                key = try Crypto.P256.Signing.PrivateKey(rawRepresentation: bytes)
            } catch {
                throw CryptoError(.invalidPrivateKey("scalar is zero or not below the P-256 order"))
            }
        }

        private init(key: Crypto.P256.Signing.PrivateKey) { self.key = key }

        /// A fresh key from the system's secure random source.
        public static func generate() -> PrivateKey { PrivateKey(key: Crypto.P256.Signing.PrivateKey()) }

        /// The 32-byte big-endian scalar.
        public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

        /// The matching public key.
        public var publicKey: PublicKey { PublicKey(key: key.publicKey) }

        /// Signs SHA-256(`message`).
        public func signature(for message: some Collection<UInt8>) -> Signature {
            signature(forDigest: SHA256Digest.hash(Array(message)))
        }

        /// Signs a 32-byte digest the caller computed (normally SHA-256 of the message).
        public func signature(forDigest digest: Hash32) -> Signature {
            do {
                let signature = try key.signature(for: RawDigest(digest))
                return Signature(validated: Array(signature.rawRepresentation))
            } catch {
                preconditionFailure("P-256 signing with a valid key cannot fail: \(error)")
            }
        }
    }

    /// A point on P-256 (never the point at infinity).
    public struct PublicKey: Hashable, Sendable {
        private let key: Crypto.P256.Signing.PublicKey
        /// The 65-byte SEC 1 uncompressed form; equality and hashing use it.
        public let uncompressed: [UInt8]

        fileprivate init(key: Crypto.P256.Signing.PublicKey) {
            self.key = key
            uncompressed = Array(key.x963Representation)
        }

        /// A key from its SEC 1 form: 65 bytes uncompressed (`04`‖x‖y) or 33 bytes compressed
        /// (`02`/`03`‖x). Throws if the encoding is malformed or the point is not on the curve.
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            do {
                switch (bytes.count, bytes.first) {
                case (65, 0x04):
                    self.init(key: try Crypto.P256.Signing.PublicKey(x963Representation: bytes))
                case (33, 0x02), (33, 0x03):
                    self.init(key: try Crypto.P256.Signing.PublicKey(compressedRepresentation: bytes))
                default:
                    throw CryptoError(.invalidPublicKey("expected a 33- or 65-byte SEC 1 point"))
                }
            } catch let error as CryptoError {
                throw error
            } catch {
                throw CryptoError(.invalidPublicKey("point is not on P-256"))
            }
        }

        /// 33 bytes: `02`/`03`‖x.
        public var compressed: [UInt8] { [uncompressed[64] & 1 == 0 ? 0x02 : 0x03] + uncompressed[1..<33] }

        /// True if `signature` is valid for SHA-256(`message`) under this key.
        public func isValidSignature(_ signature: Signature, for message: some Collection<UInt8>) -> Bool {
            isValidSignature(signature, forDigest: SHA256Digest.hash(Array(message)))
        }

        /// True if `signature` is valid for a 32-byte digest under this key.
        public func isValidSignature(_ signature: Signature, forDigest digest: Hash32) -> Bool {
            guard let ecdsa = try? Crypto.P256.Signing.ECDSASignature(rawRepresentation: signature.rawRepresentation)
            else { return false }
            return key.isValidSignature(ecdsa, for: RawDigest(digest))
        }

        /// Compares the uncompressed encodings.
        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.uncompressed == b.uncompressed }

        /// Hashes the uncompressed encoding.
        public func hash(into hasher: inout Hasher) { hasher.combine(uncompressed) }
    }

    /// An ECDSA signature r‖s on P-256, with r and s in [1, n−1].
    public struct Signature: Hashable, Sendable {
        /// 64 bytes r‖s, big-endian (IEEE P1363).
        public let rawRepresentation: [UInt8]

        /// A signature from 64 bytes r‖s; throws on any other length or if r or s is zero
        /// or not below the group order.
        public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 64 else {
                throw CryptoError(.invalidSignature("expected 64 bytes r‖s, got \(bytes.count)"))
            }
            let r = UInt256(bigEndian: bytes[0..<32])!
            let s = UInt256(bigEndian: bytes[32..<64])!
            guard !r.isZero, !s.isZero, r < P256Signing.order, s < P256Signing.order else {
                throw CryptoError(.invalidSignature("r or s is zero or not below the P-256 order"))
            }
            rawRepresentation = bytes
        }

        fileprivate init(validated bytes: [UInt8]) { rawRepresentation = bytes }

        /// The r value.
        public var r: UInt256 { UInt256(bigEndian: rawRepresentation[0..<32])! }
        /// The s value.
        public var s: UInt256 { UInt256(bigEndian: rawRepresentation[32..<64])! }
    }
}

/// A digest computed elsewhere, handed to swift-crypto's digest-taking ECDSA entry points.
private struct RawDigest: Crypto.Digest {
    static let byteCount = 32
    let value: Hash32

    init(_ value: Hash32) { self.value = value }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try value.withUnsafeBytes(body)
    }

    func makeIterator() -> Array<UInt8>.Iterator { value.bytes.makeIterator() }

    var description: String { "RawDigest(\(value.hex))" }
}
