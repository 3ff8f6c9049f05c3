import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@Suite struct Secp256k1Tests {
    private static let key = try! Secp256k1.PrivateKey(
        bytes: Hex.decode("c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4"))
    private static let hash = Keccak256.hash(utf8: "mote")

    @Test func signRecoverRoundTrip() throws {
        for _ in 0..<16 {
            let key = Secp256k1.PrivateKey.generate()
            let hash = SHA256Digest.hash((0..<40).map { _ in UInt8.random(in: 0...255) })
            let signature = key.sign(hash: hash)
            #expect(signature.isLowS)
            #expect(signature.recoveryID <= 1)
            #expect(try Secp256k1.recover(hash: hash, signature: signature) == key.publicKey)
            #expect(key.publicKey.isValidSignature(r: signature.r, s: signature.s, hash: hash))
        }
    }

    @Test func signingIsDeterministic() {
        let a = Self.key.sign(hash: Self.hash)
        let b = Self.key.sign(hash: Self.hash)
        #expect(a == b)
        #expect(a != Self.key.sign(hash: Keccak256.hash(utf8: "mote!")))
    }

    @Test func highSIsRejectedByDefault() throws {
        let signature = Self.key.sign(hash: Self.hash)
        let highS = Secp256k1.order - signature.s
        #expect(!Self.key.publicKey.isValidSignature(r: signature.r, s: highS, hash: Self.hash))
        let plain = try Secp256k1.Signature(r: signature.r, s: highS)
        #expect(!plain.isLowS)
        #expect(!Self.key.publicKey.isValidSignature(plain, hash: Self.hash))
        #expect(Self.key.publicKey.isValidSignature(plain, hash: Self.hash, allowHighS: true))
        #expect(plain.lowSNormalized.s == signature.s)
        // `recover` accepts high s (with the flipped parity), like ecrecover.
        let flipped = Secp256k1.RecoverableSignature(r: signature.r, s: highS, recoveryID: signature.recoveryID ^ 1)
        #expect(try Secp256k1.recover(hash: Self.hash, signature: flipped) == Self.key.publicKey)
    }

    @Test func recoverRejectsOutOfRangeValues() {
        let good = Self.key.sign(hash: Self.hash)
        let bad: [Secp256k1.RecoverableSignature] = [
            .init(r: .zero, s: good.s, recoveryID: good.recoveryID),
            .init(r: good.r, s: .zero, recoveryID: good.recoveryID),
            .init(r: good.r, s: Secp256k1.order, recoveryID: good.recoveryID),
            .init(r: good.r, s: Secp256k1.order + 1, recoveryID: good.recoveryID),
            .init(r: Secp256k1.order, s: good.s, recoveryID: good.recoveryID),
            .init(r: good.r, s: good.s, recoveryID: 2),
            .init(r: good.r, s: good.s, recoveryID: 3),
        ]
        for signature in bad {
            #expect(throws: CryptoError.self) { try Secp256k1.recover(hash: Self.hash, signature: signature) }
        }
    }

    /// ethereum/tests BasicTests/keyaddrtest.json: key → address (its signature field is unusable; see SOURCES.md).
    @Test func keyAddressVectors() throws {
        let cases = try #require(try Vectors.json("BasicTests/keyaddrtest.json") as? [[String: Any]])
        var passed = 0
        for test in cases {
            let seed = try #require(test["seed"] as? String)
            let keyHex = try #require(test["key"] as? String)
            let addrHex = try #require(test["addr"] as? String)
            #expect(Keccak256.hash(utf8: seed).bytes == (try Hex.decode(keyHex)), "key = keccak256(seed) for \(seed)")
            let key = try Secp256k1.PrivateKey(bytes: Hex.decode(keyHex))
            let expected = try Address(hex: addrHex)
            #expect(key.address == expected, "address of \(seed)")
            if key.address == expected { passed += 1 }
        }
        #expect(passed == 2)
        print("ethereum keyaddrtest.json: \(passed)/\(cases.count) passed")
    }

    // MARK: DER

    @Test func derRoundTrip() throws {
        for _ in 0..<32 {
            let signature = Secp256k1.PrivateKey.generate().sign(hash: Self.hash)
            let plain = try Secp256k1.Signature(r: signature.r, s: signature.s)
            let der = plain.derRepresentation
            #expect(try Secp256k1.Signature(derRepresentation: der) == plain)
            #expect(try Secp256k1.Signature(rawRepresentation: plain.rawRepresentation) == plain)
        }
        // Small values get a one-byte INTEGER; a set top bit gets a leading 00.
        let small = try Secp256k1.Signature(r: 1, s: 0x80)
        #expect(small.derRepresentation == [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80])
    }

    @Test func derRejectsNonStrictEncodings() {
        let malformed: [(String, [UInt8])] = [
            ("empty", []),
            ("wrong outer tag", [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("long-form sequence length", [0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("indefinite length", [0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00]),
            ("sequence too short", [0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("sequence too long", [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("trailing byte", [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]),
            ("extra element", [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("wrong integer tag", [0x30, 0x06, 0x03, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("empty integer", [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01]),
            ("negative r", [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]),
            ("leading zero r", [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]),
            ("long-form integer length", [0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("r = 0", [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]),
            ("s = 0", [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00]),
            ("r wider than 256 bits", [0x30, 0x27, 0x02, 0x22, 0x01] + [UInt8](repeating: 0, count: 33) + [0x02, 0x01, 0x01]),
            ("s = n", [0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00] + Secp256k1.order.bigEndianBytes),
        ]
        for (name, der) in malformed {
            #expect(throws: CryptoError.self, "\(name)") { try Secp256k1.Signature(derRepresentation: der) }
        }
    }

    @Test func rawRejectsWrongLengthAndRange() {
        let one = UInt256(1).bigEndianBytes
        #expect(throws: CryptoError.self) { try Secp256k1.Signature(rawRepresentation: one + one + [0]) }
        #expect(throws: CryptoError.self) { try Secp256k1.Signature(rawRepresentation: Array(one.dropFirst()) + one) }
        #expect(throws: CryptoError.self) { try Secp256k1.Signature(rawRepresentation: UInt256.zero.bigEndianBytes + one) }
        #expect(throws: CryptoError.self) { try Secp256k1.Signature(rawRepresentation: one + Secp256k1.order.bigEndianBytes) }
    }
}
