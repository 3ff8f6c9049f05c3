import MotePrimitives

extension Secp256k1 {
    /// A plain ECDSA signature (r, s) on secp256k1, without a recovery id.
    ///
    /// Two wire forms are read: strict DER (`SEQUENCE { INTEGER r, INTEGER s }`, as Bitcoin
    /// and X.509 carry it) and raw r‖s (64 bytes, IEEE P1363). Both parsers reject r or s
    /// outside [1, n−1]; whether a high s is acceptable is decided at verification.
    public struct Signature: Hashable, Sendable {
        /// The x coordinate of the nonce point, reduced mod n; in [1, n−1].
        public let r: UInt256
        /// The proof scalar; in [1, n−1].
        public let s: UInt256

        /// A signature from its values; throws unless r and s are both in [1, n−1].
        public init(r: UInt256, s: UInt256) throws(CryptoError) {
            guard !r.isZero, !s.isZero, r < Secp256k1.order, s < Secp256k1.order else {
                throw CryptoError(.invalidSignature("r or s is zero or not below the curve order"))
            }
            self.r = r
            self.s = s
        }

        /// A signature from 64 bytes r‖s (big-endian, IEEE P1363).
        public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
            let bytes = Array(bytes)
            guard bytes.count == 64 else {
                throw CryptoError(.invalidSignature("expected 64 bytes r‖s, got \(bytes.count)"))
            }
            try self.init(r: UInt256(bigEndian: bytes[0..<32])!, s: UInt256(bigEndian: bytes[32..<64])!)
        }

        /// A signature from its DER encoding, parsed strictly.
        ///
        /// Rejected: any tag other than SEQUENCE of two INTEGERs, long-form or indefinite
        /// lengths (a valid signature is at most 72 bytes, so DER always uses the short form),
        /// lengths that disagree with the content, empty, negative or non-minimal integers
        /// (a leading `00` is allowed only before a byte ≥ `80`), integers wider than 256 bits,
        /// bytes after the sequence, and r or s outside [1, n−1].
        public init(derRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
            let der = Array(bytes)
            guard der.count >= 2, der[0] == 0x30 else {
                throw CryptoError(.invalidSignature("DER: expected a SEQUENCE"))
            }
            guard der[1] < 0x80 else {
                throw CryptoError(.invalidSignature("DER: long-form or indefinite sequence length"))
            }
            guard Int(der[1]) == der.count - 2 else {
                throw CryptoError(.invalidSignature("DER: sequence length does not match the input"))
            }
            var offset = 2
            let r = try Self.readInteger(der, at: &offset)
            let s = try Self.readInteger(der, at: &offset)
            guard offset == der.count else {
                throw CryptoError(.invalidSignature("DER: bytes after the second INTEGER"))
            }
            try self.init(r: r, s: s)
        }

        /// Reads one DER INTEGER holding a non-negative value below 2^256.
        private static func readInteger(_ der: [UInt8], at offset: inout Int) throws(CryptoError) -> UInt256 {
            guard der.count - offset >= 2, der[offset] == 0x02 else {
                throw CryptoError(.invalidSignature("DER: expected an INTEGER"))
            }
            let length = Int(der[offset + 1])
            guard length < 0x80 else {
                throw CryptoError(.invalidSignature("DER: long-form or indefinite integer length"))
            }
            guard length >= 1 else { throw CryptoError(.invalidSignature("DER: empty INTEGER")) }
            let start = offset + 2
            guard der.count - start >= length else {
                throw CryptoError(.invalidSignature("DER: INTEGER runs past the sequence"))
            }
            guard der[start] & 0x80 == 0 else { throw CryptoError(.invalidSignature("DER: negative INTEGER")) }
            if length > 1, der[start] == 0, der[start + 1] & 0x80 == 0 {
                throw CryptoError(.invalidSignature("DER: non-minimal INTEGER (needless leading zero)"))
            }
            var content = der[start..<(start + length)]
            if content.count > 1, content.first == 0 { content = content.dropFirst() }
            guard content.count <= 32, let value = UInt256(bigEndian: content) else {
                throw CryptoError(.invalidSignature("DER: INTEGER wider than 256 bits"))
            }
            offset = start + length
            return value
        }

        /// 64 bytes r‖s (big-endian, IEEE P1363).
        public var rawRepresentation: [UInt8] { r.bigEndianBytes + s.bigEndianBytes }

        /// The minimal DER encoding.
        public var derRepresentation: [UInt8] {
            func integer(_ value: UInt256) -> [UInt8] {
                var content = value.minimalBigEndianBytes
                if content.isEmpty || content[0] & 0x80 != 0 { content.insert(0, at: 0) }
                return [0x02, UInt8(content.count)] + content
            }
            let body = integer(r) + integer(s)
            return [0x30, UInt8(body.count)] + body
        }

        /// True if s ≤ n/2 (EIP-2, BIP 62).
        public var isLowS: Bool { s <= Secp256k1.halfOrder }

        /// The same signature with s replaced by n − s when s > n/2; verifies under the same key.
        public var lowSNormalized: Signature {
            isLowS ? self : try! Signature(r: r, s: Secp256k1.order - s)
        }
    }
}

extension Secp256k1.PublicKey {
    /// True if `signature` is a valid ECDSA signature of `hash` by this key.
    ///
    /// With `allowHighS: false` (the default) a signature with s > n/2 is rejected, as EIP-2
    /// and Bitcoin's BIP 146 require; with `true` it is normalised first, as `ecrecover` and
    /// plain ECDSA (SEC 1) accept both forms.
    public func isValidSignature(
        _ signature: Secp256k1.Signature, hash: Hash32, allowHighS: Bool = false
    ) -> Bool {
        if !signature.isLowS && !allowHighS { return false }
        let normalized = signature.lowSNormalized
        return isValidSignature(r: normalized.r, s: normalized.s, hash: hash)
    }
}
