import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@Suite struct Ed25519Tests {
    @Test func rfc8032Vectors() throws {
        let root = try #require(try Vectors.json("ed25519/rfc8032_ed25519.json") as? [String: Any])
        let tests = try #require(root["tests"] as? [[String: Any]])
        var passed = 0
        for test in tests {
            let name = test["name"] as? String ?? "?"
            let key = try Ed25519.PrivateKey(seed: Hex.decode(try #require(test["secretKey"] as? String)))
            let publicKey = try Hex.decode(try #require(test["publicKey"] as? String))
            let message = try Hex.decode(try #require(test["message"] as? String))
            let expected = try Hex.decode(try #require(test["signature"] as? String))
            #expect(key.publicKey.bytes == publicKey, "\(name): public key")
            let signature = key.signature(for: message)
            #expect(signature.bytes == expected, "\(name): signature")
            #expect(key.publicKey.isValidSignature(signature, for: message), "\(name): verify")
            if key.publicKey.bytes == publicKey && signature.bytes == expected { passed += 1 }
        }
        #expect(passed == 5)
        print("ed25519 rfc8032_ed25519.json: \(passed)/\(tests.count) passed")
    }

    /// ed25519.cr.yp.to's sign.input: `sk(seed‖pk):pk:msg:sig‖msg:`, line i has an i-byte message.
    @Test func signInput() throws {
        let text = String(decoding: try Vectors.data("ed25519/sign.input"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1024)
        var passed = 0
        for (number, line) in lines.enumerated() {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            try #require(fields.count == 5, "line \(number)")
            let secret = try Hex.decode(fields[0])
            let publicKey = try Hex.decode(fields[1])
            let message = try Hex.decode(fields[2])
            let signedMessage = try Hex.decode(fields[3])
            let key = try Ed25519.PrivateKey(seed: secret[0..<32])
            let signature = key.signature(for: message)
            let okKey = key.publicKey.bytes == publicKey && Array(secret[32...]) == publicKey
            let okSignature = signature.bytes == Array(signedMessage[0..<64]) && Array(signedMessage[64...]) == message
            let okVerify = key.publicKey.isValidSignature(signature, for: message)
            #expect(okKey && okSignature && okVerify, "sign.input line \(number)")
            if okKey && okSignature && okVerify { passed += 1 }
        }
        #expect(passed == 1024)
        print("ed25519 sign.input: \(passed)/\(lines.count) passed")
    }

    /// C2SP CCTV edge cases (low-order and non-canonical A and R, s ≥ L, …) have no expected
    /// result; the verification rule is consensus, so its accept/reject bitmap is pinned here.
    /// A change in either value means the rule changed (a new libsodium, another backend).
    @Test func cctvBitmapIsPinned() throws {
        let cases = try #require(try Vectors.json("ed25519/ed25519vectors.json") as? [[String: Any]])
        #expect(cases.count == 914)
        var bitmap = ""
        bitmap.reserveCapacity(cases.count)
        for (index, test) in cases.enumerated() {
            #expect(test["number"] as? Int == index)
            let keyBytes = try Hex.decode(try #require(test["key"] as? String))
            let sigBytes = try Hex.decode(try #require(test["sig"] as? String))
            let message = Array(try #require(test["msg"] as? String).utf8)
            var accepted = false
            if let key = try? Ed25519.PublicKey(bytes: keyBytes), let signature = try? Ed25519.Signature(bytes: sigBytes) {
                accepted = key.isValidSignature(signature, for: message)
            }
            bitmap.append(accepted ? "1" : "0")
            // The strict rule never accepts a small-order or non-canonically encoded A or R.
            let flags = Set(test["flags"] as? [String] ?? [])
            let forbidden: Set = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R"]
            if accepted { #expect(flags.isDisjoint(with: forbidden), "CCTV case \(index) accepted with \(flags)") }
        }
        let accepts = bitmap.filter { $0 == "1" }.count
        let digest = SHA256Digest.hash(Array(bitmap.utf8)).hex
        print("ed25519 ed25519vectors.json (CCTV): \(cases.count) cases, \(accepts) accepted, bitmap sha256 \(digest)")
        #expect(accepts == Self.pinnedAcceptCount)
        #expect(digest == Self.pinnedBitmapSHA256)
    }

    /// libsodium 1.0.18 `crypto_sign_verify_detached` over the 914 CCTV cases.
    static let pinnedAcceptCount = 43
    /// SHA-256 of the bitmap string ("1" = accepted, "0" = rejected, case 0 first).
    static let pinnedBitmapSHA256 = "0x9111cd3acbe211e15031707588bc9d68cb7b0c2d8f500fad1ebfedfc4362ffab"

    @Test func roundTripAndTamper() throws {
        let key = Ed25519.PrivateKey.generate()
        let again = try Ed25519.PrivateKey(seed: key.seed)
        #expect(again.publicKey == key.publicKey)
        let message = Array("mote".utf8)
        let signature = key.signature(for: message)
        #expect(signature == again.signature(for: message), "signing is deterministic")
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("motE".utf8)))
        var flipped = signature.bytes
        flipped[10] ^= 1
        #expect(!key.publicKey.isValidSignature(try Ed25519.Signature(bytes: flipped), for: message))
        #expect(!Ed25519.PrivateKey.generate().publicKey.isValidSignature(signature, for: message))
    }

    @Test func rejectsWrongLengths() {
        #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(bytes: [UInt8](repeating: 1, count: 33)) }
        #expect(throws: CryptoError.self) { try Ed25519.Signature(bytes: [UInt8](repeating: 1, count: 63)) }
    }

    /// s ≥ L is rejected even when s − L would verify (malleability).
    @Test func rejectsNonCanonicalS() throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32))
        let message = Array("malleable?".utf8)
        let signature = key.signature(for: message).bytes
        // L little-endian; add it to s (s < L, so s + L < 2^253 fits in 32 bytes).
        let order: [UInt8] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ]
        var malleated = signature
        var carry = 0
        for i in 0..<32 {
            let sum = Int(signature[32 + i]) + Int(order[i]) + carry
            malleated[32 + i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(!key.publicKey.isValidSignature(try Ed25519.Signature(bytes: malleated), for: message))
    }
}
