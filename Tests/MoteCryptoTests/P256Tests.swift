import MoteCrypto
import MotePrimitives
import Testing

@Suite struct P256Tests {
    @Test func signAndVerifyMessage() throws {
        let key = P256Signing.PrivateKey.generate()
        let message = Array("device telemetry".utf8)
        let signature = key.signature(for: message)
        #expect(signature.rawRepresentation.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(key.publicKey.isValidSignature(signature, forDigest: SHA256Digest.hash(message)))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("device telemetrY".utf8)))
        #expect(!P256Signing.PrivateKey.generate().publicKey.isValidSignature(signature, for: message))
    }

    @Test func signAndVerifyDigest() throws {
        let key = try P256Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x11, count: 32))
        let digest = try Hash32(hex: "0x" + String(repeating: "ab", count: 32))
        let signature = key.signature(forDigest: digest)
        #expect(key.publicKey.isValidSignature(signature, forDigest: digest))
        var other = digest.bytes
        other[0] ^= 1
        #expect(!key.publicKey.isValidSignature(signature, forDigest: Hash32(bytes: other)!))
        let restored = try P256Signing.PrivateKey(rawRepresentation: key.rawRepresentation)
        #expect(restored.publicKey == key.publicKey)
    }

    @Test func highSIsAccepted() throws {
        // P-256 has no low-s rule: (r, n − s) verifies as well as (r, s).
        let key = P256Signing.PrivateKey.generate()
        let digest = SHA256Digest.hash(Array("both".utf8))
        let signature = key.signature(forDigest: digest)
        let flipped = try P256Signing.Signature(
            rawRepresentation: signature.r.bigEndianBytes + (P256Signing.order - signature.s).bigEndianBytes)
        #expect(key.publicKey.isValidSignature(flipped, forDigest: digest))
    }

    @Test func publicKeyEncodings() throws {
        let key = P256Signing.PrivateKey.generate().publicKey
        #expect(key.uncompressed.count == 65 && key.uncompressed[0] == 4)
        #expect(key.compressed.count == 33)
        #expect(try P256Signing.PublicKey(bytes: key.compressed) == key)
        #expect(try P256Signing.PublicKey(bytes: key.uncompressed) == key)
    }

    @Test func rejectsMalformedKeys() throws {
        let good = P256Signing.PrivateKey.generate().publicKey.uncompressed
        var offCurve = good
        offCurve[64] ^= 1
        #expect(throws: CryptoError.self) { try P256Signing.PublicKey(bytes: offCurve) }
        #expect(throws: CryptoError.self) { try P256Signing.PublicKey(bytes: Array(good.dropFirst())) }
        var wrongPrefix = good
        wrongPrefix[0] = 0x06
        #expect(throws: CryptoError.self) { try P256Signing.PublicKey(bytes: wrongPrefix) }
        #expect(throws: CryptoError.self) { try P256Signing.PublicKey(bytes: [UInt8](repeating: 0, count: 65)) }
        #expect(throws: CryptoError.self) { try P256Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: CryptoError.self) { try P256Signing.PrivateKey(rawRepresentation: P256Signing.order.bigEndianBytes) }
        #expect(throws: CryptoError.self) { try P256Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) }
    }

    @Test func rejectsMalformedSignatures() {
        let one = UInt256(1).bigEndianBytes
        let zero = UInt256.zero.bigEndianBytes
        let n = P256Signing.order.bigEndianBytes
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: zero + one) }
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: one + zero) }
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: n + one) }
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: one + n) }
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: one + one + [0]) }
        #expect(throws: CryptoError.self) { try P256Signing.Signature(rawRepresentation: Array((one + one).dropLast())) }
        #expect((try? P256Signing.Signature(rawRepresentation: one + one)) != nil)
    }
}
