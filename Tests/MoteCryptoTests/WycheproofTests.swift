import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// Wycheproof signature-verification suites (C2SP/wycheproof, `testvectors_v1`).
///
/// Every `valid` case must verify and every `invalid` case must not; `acceptable` allows
/// either outcome. Each test prints how many cases passed.
@Suite struct WycheproofTests {
    @Test func secp256k1BitcoinDER() throws {
        // DER signatures, strict parsing, low s required (BIP 146 / EIP-2).
        try runSuite("wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json") { group in
            let key = try Secp256k1.PublicKey(bytes: Hex.decode(group.publicKey("uncompressed")))
            return { message, sig in
                guard let signature = try? Secp256k1.Signature(derRepresentation: sig) else { return false }
                return key.isValidSignature(signature, hash: SHA256Digest.hash(message))
            }
        }
    }

    @Test func secp256k1P1363() throws {
        // Raw r‖s; this file accepts high s, so verification normalises it.
        try runSuite("wycheproof/ecdsa_secp256k1_sha256_p1363_test.json") { group in
            let key = try Secp256k1.PublicKey(bytes: Hex.decode(group.publicKey("uncompressed")))
            return { message, sig in
                guard let signature = try? Secp256k1.Signature(rawRepresentation: sig) else { return false }
                return key.isValidSignature(signature, hash: SHA256Digest.hash(message), allowHighS: true)
            }
        }
    }

    @Test func p256P1363() throws {
        try runSuite("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json") { group in
            let key = try P256Signing.PublicKey(bytes: Hex.decode(group.publicKey("uncompressed")))
            return { message, sig in
                guard let signature = try? P256Signing.Signature(rawRepresentation: sig) else { return false }
                return key.isValidSignature(signature, for: message)
            }
        }
    }

    @Test func ed25519() throws {
        try runSuite("wycheproof/ed25519_test.json") { group in
            let key = try Ed25519.PublicKey(bytes: Hex.decode(group.publicKey("pk")))
            return { message, sig in
                guard let signature = try? Ed25519.Signature(bytes: sig) else { return false }
                return key.isValidSignature(signature, for: message)
            }
        }
    }
}

/// One `testGroups` entry of a Wycheproof file.
private struct WycheproofGroup {
    let json: [String: Any]

    /// A hex field of the group's `publicKey` object.
    func publicKey(_ field: String) throws -> String {
        guard let key = json["publicKey"] as? [String: Any], let value = key[field] as? String else {
            throw WycheproofFormatError(what: "publicKey.\(field)")
        }
        return value
    }
}

private struct WycheproofFormatError: Error { let what: String }

/// Runs every case of a Wycheproof verify file; `makeVerifier` turns a group into a
/// (message, signature) → accepted function.
private func runSuite(
    _ file: String,
    makeVerifier: (WycheproofGroup) throws -> ([UInt8], [UInt8]) -> Bool
) throws {
    guard let root = try Vectors.json(file) as? [String: Any],
          let groups = root["testGroups"] as? [[String: Any]],
          let declared = root["numberOfTests"] as? Int
    else { throw WycheproofFormatError(what: "top level of \(file)") }

    var passed = 0
    var total = 0
    var tally = ["valid": 0, "invalid": 0, "acceptable": 0]
    for groupJSON in groups {
        let verify = try makeVerifier(WycheproofGroup(json: groupJSON))
        for test in groupJSON["tests"] as? [[String: Any]] ?? [] {
            total += 1
            let tcId = test["tcId"] as? Int ?? -1
            let comment = test["comment"] as? String ?? ""
            let result = test["result"] as? String ?? "?"
            let message = try Hex.decode(test["msg"] as? String ?? "")
            let signature = try Hex.decode(test["sig"] as? String ?? "")
            let accepted = verify(message, signature)
            let agrees: Bool
            switch result {
            case "valid": agrees = accepted
            case "invalid": agrees = !accepted
            case "acceptable": agrees = true
            default: agrees = false
            }
            #expect(agrees, "\(file) tcId \(tcId) (\(comment)): expected \(result), verifier said \(accepted)")
            if agrees {
                passed += 1
                tally[result, default: 0] += 1
            }
        }
    }
    #expect(total == declared, "\(file): ran \(total) cases, file declares \(declared)")
    #expect(passed == total)
    let name = (file as NSString).lastPathComponent
    print("wycheproof \(name): \(passed)/\(total) passed "
        + "(valid \(tally["valid"]!), invalid \(tally["invalid"]!), acceptable \(tally["acceptable"]!))")
}
