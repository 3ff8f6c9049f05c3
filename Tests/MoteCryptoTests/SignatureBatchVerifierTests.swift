import MoteCrypto
import MotePrimitives
import Testing

@Suite struct SignatureBatchVerifierTests {
    /// Thread counts to compare: serial, the machine's cores, and more threads than items per chunk.
    private static let concurrencies = [1, 2, 3, 8]

    @Test func recoveryMatchesSerial() throws {
        var items: [(hash: Hash32, signature: Secp256k1.RecoverableSignature)] = []
        var expected: [Secp256k1.PublicKey?] = []
        for i in 0..<103 {
            let key = Secp256k1.PrivateKey.generate()
            let hash = Keccak256.hash(utf8: "item \(i)")
            var signature = key.sign(hash: hash)
            switch i % 5 {
            case 1: signature.recoveryID ^= 1  // recovers some other key
            case 2: signature.s = .zero  // fails
            case 3: signature.recoveryID = 2  // fails
            default: break
            }
            items.append((hash, signature))
            expected.append(try? Secp256k1.recover(hash: hash, signature: signature))
            if i % 5 == 0 || i % 5 == 4 { #expect(expected.last! == key.publicKey) }
        }
        for concurrency in Self.concurrencies {
            let results = SignatureBatchVerifier(concurrency: concurrency).recoverSecp256k1(items)
            #expect(results == expected, "concurrency \(concurrency)")
        }
        #expect(SignatureBatchVerifier().recoverSecp256k1([]).isEmpty)
    }

    @Test func secp256k1VerifyMatchesSerial() throws {
        var items: [SignatureBatchVerifier.Secp256k1Item] = []
        for i in 0..<61 {
            let key = Secp256k1.PrivateKey.generate()
            let hash = Keccak256.hash(utf8: "verify \(i)")
            let signed = key.sign(hash: hash)
            var signature = try Secp256k1.Signature(r: signed.r, s: signed.s)
            if i % 4 == 1 { signature = try Secp256k1.Signature(r: signed.r, s: Secp256k1.order - signed.s) }
            let other = i % 4 == 2 ? Keccak256.hash(utf8: "other") : hash
            items.append(.init(publicKey: key.publicKey, signature: signature, hash: other, allowHighS: i % 8 == 1))
        }
        let expected = items.map { $0.publicKey.isValidSignature($0.signature, hash: $0.hash, allowHighS: $0.allowHighS) }
        #expect(expected.contains(true) && expected.contains(false))
        for concurrency in Self.concurrencies {
            #expect(SignatureBatchVerifier(concurrency: concurrency).verifySecp256k1(items) == expected)
        }
    }

    @Test func p256MatchesSerial() throws {
        var items: [SignatureBatchVerifier.P256Item] = []
        let keys = (0..<4).map { _ in P256Signing.PrivateKey.generate() }
        for i in 0..<57 {
            let key = keys[i % keys.count]
            let digest = SHA256Digest.hash(Array("p256 \(i)".utf8))
            var signature = key.signature(forDigest: digest)
            if i % 3 == 1 {
                var raw = signature.rawRepresentation
                raw[40] ^= 0x01
                signature = try P256Signing.Signature(rawRepresentation: raw)
            }
            let signer = i % 7 == 3 ? keys[(i + 1) % keys.count].publicKey : key.publicKey
            items.append(.init(publicKey: signer, signature: signature, digest: digest))
        }
        let expected = items.map { $0.publicKey.isValidSignature($0.signature, forDigest: $0.digest) }
        #expect(expected.contains(true) && expected.contains(false))
        for concurrency in Self.concurrencies {
            #expect(SignatureBatchVerifier(concurrency: concurrency).verifyP256(items) == expected)
        }
    }

    @Test func ed25519MatchesSerial() throws {
        var items: [SignatureBatchVerifier.Ed25519Item] = []
        for i in 0..<77 {
            let key = try Ed25519.PrivateKey(seed: SHA256Digest.hash(Array("seed \(i)".utf8)).bytes)
            let message = Array("ed25519 \(i)".utf8)
            var signature = key.signature(for: message)
            if i % 3 == 2 {
                var raw = signature.bytes
                raw[i % 64] ^= 0x80
                signature = try Ed25519.Signature(bytes: raw)
            }
            items.append(.init(publicKey: key.publicKey, signature: signature, message: i % 11 == 5 ? [] : message))
        }
        let expected = items.map { $0.publicKey.isValidSignature($0.signature, for: $0.message) }
        #expect(expected.contains(true) && expected.contains(false))
        for concurrency in Self.concurrencies {
            #expect(SignatureBatchVerifier(concurrency: concurrency).verifyEd25519(items) == expected)
        }
    }

    @Test func concurrencyIsAtLeastOne() {
        #expect(SignatureBatchVerifier(concurrency: 0).concurrency == 1)
        #expect(SignatureBatchVerifier(concurrency: -3).concurrency == 1)
        #expect(SignatureBatchVerifier().concurrency >= 1)
    }
}
