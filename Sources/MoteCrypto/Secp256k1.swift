internal import CSecp256k1
import MotePrimitives

/// ECDSA on secp256k1 through libsecp256k1: Ethereum's signatures, with public-key recovery.
///
/// Signatures made here are deterministic (RFC 6979) and always low-s. Verification of a
/// plain signature enforces low-s (EIP-2); `recover` accepts any s in [1, n−1] because the
/// `ecrecover` precompile does, and leaves the EIP-2 rule to callers that need it.
public enum Secp256k1 {
    /// The group order n.
    public static let order = UInt256(hexQuantity: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
    /// n / 2: the largest s a low-s (EIP-2) signature may carry.
    public static let halfOrder = UInt256(hexQuantity: "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")!

    /// A secret scalar in [1, n−1].
    public struct PrivateKey: Sendable {
        /// The 32 big-endian bytes of the scalar.
        public let bytes: [UInt8]

        /// A key from 32 bytes; throws unless the scalar is in [1, n−1].
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 32 else { throw CryptoError(.invalidPrivateKey("expected 32 bytes, got \(bytes.count)")) }
            guard secp256k1_ec_seckey_verify(Context.shared.pointer, bytes) == 1 else {
                throw CryptoError(.invalidPrivateKey("scalar is zero or not below the curve order"))
            }
            self.bytes = bytes
        }

        /// A fresh key from the system's secure random source.
        public static func generate() -> PrivateKey {
            var rng = SystemRandomNumberGenerator()
            while true {
                let candidate = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if let key = try? PrivateKey(bytes: candidate) { return key }
            }
        }

        /// The matching public key.
        public var publicKey: PublicKey {
            var pubkey = secp256k1_pubkey()
            let ok = secp256k1_ec_pubkey_create(Context.shared.pointer, &pubkey, bytes)
            precondition(ok == 1, "a validated secp256k1 key always has a public key")
            return PublicKey(parsed: pubkey)
        }

        /// The Ethereum address of this key.
        public var address: Address { publicKey.address }

        /// Signs a 32-byte digest: deterministic (RFC 6979), low-s, with the recovery id.
        public func sign(hash: Hash32) -> RecoverableSignature {
            var sig = secp256k1_ecdsa_recoverable_signature()
            let ok = hash.withUnsafeBytes { digest in
                secp256k1_ecdsa_sign_recoverable(
                    Context.shared.pointer, &sig, digest.bindMemory(to: UInt8.self).baseAddress!, bytes, nil, nil)
            }
            precondition(ok == 1, "signing with a validated key cannot fail")
            var compact = [UInt8](repeating: 0, count: 64)
            var recid: Int32 = 0
            secp256k1_ecdsa_recoverable_signature_serialize_compact(Context.shared.pointer, &compact, &recid, &sig)
            return RecoverableSignature(
                r: UInt256(bigEndian: compact[0..<32])!, s: UInt256(bigEndian: compact[32..<64])!,
                recoveryID: UInt8(recid))
        }
    }

    /// A point on the curve.
    public struct PublicKey: Hashable, Sendable {
        /// The 64 bytes x‖y, big-endian coordinates.
        private let xy: [UInt8]

        fileprivate init(parsed key: secp256k1_pubkey) {
            var key = key
            var out = [UInt8](repeating: 0, count: 65)
            var length = 65
            secp256k1_ec_pubkey_serialize(
                Context.shared.pointer, &out, &length, &key, UInt32(SECP256K1_EC_UNCOMPRESSED))
            xy = Array(out[1...])
        }

        /// A key from its SEC 1 form: 33 bytes compressed (`02`/`03`), 65 uncompressed (`04`),
        /// or the 64 bytes x‖y without a prefix. Throws if the point is not on the curve.
        public init(bytes: some Collection<UInt8>) throws(CryptoError) {
            var input = Array(bytes)
            if input.count == 64 { input.insert(0x04, at: 0) }
            guard (input.count == 33 && (input[0] == 2 || input[0] == 3)) || (input.count == 65 && input[0] == 4)
            else { throw CryptoError(.invalidPublicKey("expected a 33-, 64- or 65-byte SEC 1 point")) }
            var key = secp256k1_pubkey()
            guard secp256k1_ec_pubkey_parse(Context.shared.pointer, &key, input, input.count) == 1 else {
                throw CryptoError(.invalidPublicKey("point is not on secp256k1"))
            }
            self.init(parsed: key)
        }

        /// 65 bytes: `04`‖x‖y.
        public var uncompressed: [UInt8] { [0x04] + xy }

        /// 33 bytes: `02`/`03`‖x.
        public var compressed: [UInt8] { [xy[63] & 1 == 0 ? 0x02 : 0x03] + xy[0..<32] }

        /// The Ethereum address: the last 20 bytes of Keccak-256(x‖y).
        public var address: Address { Address(suffixOf: Keccak256.hash(xy)) }

        /// True if `signature` is a valid low-s ECDSA signature of `hash` by this key.
        /// High-s signatures are rejected (EIP-2; libsecp256k1's rule); normalise first to accept them.
        public func isValidSignature(r: UInt256, s: UInt256, hash: Hash32) -> Bool {
            var compact = r.bigEndianBytes + s.bigEndianBytes
            var sig = secp256k1_ecdsa_signature()
            guard secp256k1_ecdsa_signature_parse_compact(Context.shared.pointer, &sig, &compact) == 1 else {
                return false
            }
            var key = secp256k1_pubkey()
            let serialized = uncompressed
            guard secp256k1_ec_pubkey_parse(Context.shared.pointer, &key, serialized, 65) == 1 else { return false }
            return hash.withUnsafeBytes { digest in
                secp256k1_ecdsa_verify(
                    Context.shared.pointer, &sig, digest.bindMemory(to: UInt8.self).baseAddress!, &key) == 1
            }
        }
    }

    /// An ECDSA signature with the recovery id (y parity of R) Ethereum transactions carry.
    public struct RecoverableSignature: Hashable, Sendable {
        public var r: UInt256
        public var s: UInt256
        /// 0 or 1.
        public var recoveryID: UInt8

        public init(r: UInt256, s: UInt256, recoveryID: UInt8) {
            self.r = r
            self.s = s
            self.recoveryID = recoveryID
        }

        /// True if s ≤ n/2 (EIP-2).
        public var isLowS: Bool { s <= Secp256k1.halfOrder }

        /// True if r and s are both in [1, n−1] and the recovery id is 0 or 1.
        public var hasValidValues: Bool {
            !r.isZero && !s.isZero && r < Secp256k1.order && s < Secp256k1.order && recoveryID <= 1
        }
    }

    /// The public key that made `signature` over `hash`. Accepts high s (as `ecrecover` does).
    public static func recover(hash: Hash32, signature: RecoverableSignature) throws(CryptoError) -> PublicKey {
        guard signature.hasValidValues else {
            throw CryptoError(.recoveryFailed("r or s out of range, or recovery id not 0 or 1"))
        }
        var compact = signature.r.bigEndianBytes + signature.s.bigEndianBytes
        var sig = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(
            Context.shared.pointer, &sig, &compact, Int32(signature.recoveryID)) == 1
        else { throw CryptoError(.recoveryFailed("signature values out of range")) }
        var key = secp256k1_pubkey()
        let ok = hash.withUnsafeBytes { digest in
            secp256k1_ecdsa_recover(Context.shared.pointer, &key, &sig, digest.bindMemory(to: UInt8.self).baseAddress!)
        }
        guard ok == 1 else { throw CryptoError(.recoveryFailed("no curve point for this signature")) }
        return PublicKey(parsed: key)
    }

    /// The process-wide libsecp256k1 context.
    ///
    /// `@unchecked Sendable`: the context is created and randomised once, then only passed as
    /// `const` to signing, verification and recovery, which libsecp256k1 documents as thread-safe.
    final class Context: @unchecked Sendable {
        static let shared = Context()
        let pointer: OpaquePointer

        private init() {
            pointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY))!
            var rng = SystemRandomNumberGenerator()
            let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = secp256k1_context_randomize(pointer, seed)
        }
    }
}
