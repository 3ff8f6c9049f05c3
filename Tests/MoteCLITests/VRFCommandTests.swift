import Foundation
import MoteTestSupport
import Testing

/// RFC 9381 Appendix B.3 example 2 (TAI) and B.4 example 2 (ELL2): one key, alpha = 0x72.
private enum Example {
    static let seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
    static let publicKey = "0x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    static let alpha = "72"
    static let taiPi = "0xf3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02"
    static let taiBeta = "0xeb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031"
    static let ell2Pi = "0x47b327393ff2dd81336f8a2ef10339112401253b3c714eeda879f12c509072ef055b48372bb82efbdce8e10c8cb9a2f9d60e93908f93df1623ad78a86a028d6bc064dbfc75a6a57379ef855dc6733801"
    static let ell2Beta = "0x38561d6b77b71d30eb97a062168ae12b667ce5c28caccdf76bc88e093e4635987cd96814ce55b4689b3dd2947f80e59aac7b7675f8083865b46c89b2ce9cc735"
}

@Suite struct VRFCommandTests {
    /// prove and verify reproduce the RFC vectors in both suites.
    @Test func proveAndVerifyRFCVectors() throws {
        let box = try Sandbox()
        let keyFile = try box.file("vrf.key", "0x\(Example.seed)\n")
        let cases = [("tai", Example.taiPi, Example.taiBeta), ("ell2", Example.ell2Pi, Example.ell2Beta)]
        for (suite, pi, beta) in cases {
            let proved = try box.mote(["vrf", "prove", "--secret-key-file", keyFile, "--alpha", Example.alpha, "--suite", suite])
            #expect(proved.status == 0, "\(proved.stdout)\(proved.stderr)")
            #expect(proved.object["pi"] as? String == pi, "\(suite) pi")
            #expect(proved.object["beta"] as? String == beta, "\(suite) beta")
            #expect(proved.object["publicKey"] as? String == Example.publicKey)

            let verified = try box.mote([
                "vrf", "verify", "--public-key", Example.publicKey, "--alpha", Example.alpha, "--proof", pi,
                "--suite", suite,
            ])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            #expect(verified.object["valid"] as? Bool == true)
            #expect(verified.object["beta"] as? String == beta)
        }
        // The default suite is TAI.
        let plain = try box.mote(["vrf", "prove", "--secret-key-file", keyFile, "--alpha", "0x72"])
        #expect(plain.object["pi"] as? String == Example.taiPi)
    }

    /// keygen → prove → verify, with alpha from a file too; the wrong suite or alpha fails.
    @Test func keygenProveVerify() throws {
        let box = try Sandbox()
        let made = try box.mote(["vrf", "keygen"])
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        let secret = try #require(made.object["secretKey"] as? String)
        let publicKey = try #require(made.object["publicKey"] as? String)
        #expect(secret.count == 66 && publicKey.count == 66)
        let keyFile = try box.file("k", secret)
        let alphaFile = try box.file("alpha.bin", "block 42")
        let proved = try box.mote(["vrf", "prove", "--secret-key-file", keyFile, "--alpha-file", alphaFile, "--suite", "ell2"])
        #expect(proved.status == 0, "\(proved.stdout)\(proved.stderr)")
        let pi = try #require(proved.object["pi"] as? String)
        let beta = try #require(proved.object["beta"] as? String)
        let alphaHex = Array("block 42".utf8).map { String(format: "%02x", $0) }.joined()

        let ok = try box.mote(["vrf", "verify", "--public-key", publicKey, "--alpha", alphaHex, "--proof", pi, "--suite", "ell2"])
        #expect(ok.status == 0 && ok.object["valid"] as? Bool == true && ok.object["beta"] as? String == beta)
        let wrongSuite = try box.mote(["vrf", "verify", "--public-key", publicKey, "--alpha", alphaHex, "--proof", pi])
        #expect(wrongSuite.status == 1 && wrongSuite.error != nil && wrongSuite.object["valid"] as? Bool == false)
        let wrongAlpha = try box.mote(["vrf", "verify", "--public-key", publicKey, "--alpha", "00", "--proof", pi, "--suite", "ell2"])
        #expect(wrongAlpha.status == 1 && wrongAlpha.error != nil)

        // keygen --out writes the seed to a new 0600 file and refuses to overwrite it.
        let out = box.root.appendingPathComponent("new.key").path
        let stored = try box.mote(["vrf", "keygen", "--out", out])
        #expect(stored.status == 0 && stored.object["secretKey"] == nil && stored.object["publicKey"] is String)
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let again = try box.mote(["vrf", "keygen", "--out", out])
        #expect(again.status == 1 && again.error != nil)
        let fromFile = try box.mote(["vrf", "prove", "--secret-key-file", out, "--alpha", ""])
        #expect(fromFile.status == 0 && fromFile.object["publicKey"] as? String == stored.object["publicKey"] as? String)
    }

    /// Bad input is a JSON error with exit 1, never a crash.
    @Test func badInputIsAnError() throws {
        let box = try Sandbox()
        let keyFile = try box.file("vrf.key", Example.seed)
        let shortKey = try box.file("short.key", "abcd")
        let big = try box.file("big.bin", String(repeating: "a", count: 64 * 1024 + 1))
        let justRight = try box.file("ok.bin", String(repeating: "a", count: 64 * 1024))
        let zero = String(repeating: "0", count: 64)
        let runs: [(String, [String])] = [
            ("short secret key", ["vrf", "prove", "--secret-key-file", shortKey, "--alpha", ""]),
            ("missing key file", ["vrf", "prove", "--secret-key-file", box.root.appendingPathComponent("none").path, "--alpha", ""]),
            ("odd alpha", ["vrf", "prove", "--secret-key-file", keyFile, "--alpha", "abc"]),
            ("alpha over 64 KiB", ["vrf", "prove", "--secret-key-file", keyFile, "--alpha-file", big]),
            ("short public key", ["vrf", "verify", "--public-key", "0x3d40", "--alpha", "", "--proof", Example.taiPi]),
            ("small-order public key", ["vrf", "verify", "--public-key", "01" + zero.dropFirst(2), "--alpha", "72", "--proof", Example.taiPi]),
            ("non-canonical public key", ["vrf", "verify", "--public-key", "ed" + String(repeating: "ff", count: 30) + "7f", "--alpha", "72", "--proof", Example.taiPi]),
            ("short proof", ["vrf", "verify", "--public-key", Example.publicKey, "--alpha", "72", "--proof", String(Example.taiPi.dropLast(2))]),
            ("not hex", ["vrf", "verify", "--public-key", Example.publicKey, "--alpha", "72", "--proof", "zz"]),
        ]
        for (why, arguments) in runs {
            let run = try box.mote(arguments)
            #expect(run.status == 1, "\(why): \(run.status) \(run.stdout)\(run.stderr)")
            #expect(run.error != nil, "\(why): \(run.stdout)")
        }
        let exactLimit = try box.mote(["vrf", "prove", "--secret-key-file", keyFile, "--alpha-file", justRight])
        #expect(exactLimit.status == 0, "64 KiB alpha: \(exactLimit.stdout)")
        let both = try box.mote(["vrf", "prove", "--secret-key-file", keyFile, "--alpha", "", "--alpha-file", justRight])
        #expect(both.status != 0)
    }
}
