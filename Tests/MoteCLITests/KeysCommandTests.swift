import Foundation
import MoteTestSupport
import Testing

/// One run of `mote`: exit status, output, and stdout parsed as JSON.
struct MoteRun {
    let status: Int32
    let stdout: String
    let stderr: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var error: String? { object["error"] as? String }
}

/// A temporary folder with a keystore directory inside, removed when the test ends.
final class Sandbox {
    let root: URL
    /// `<root>/keystore`: does not exist until a command creates it.
    var keystore: String { root.appendingPathComponent("keystore").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mote-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes `text` to `<root>/name` and returns the path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Runs `mote arguments…` with a clean environment (`HOME` inside the sandbox, no
    /// `MOTE_*` from the caller) plus `environment`, and `stdin` as standard input.
    ///
    /// With `detached`, the child runs in a new session (`setsid`), so it has no controlling
    /// terminal even when the tests are run from one: that is how a service or CI runs it.
    func mote(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, detached: Bool = false
    ) throws -> MoteRun {
        let process = Process()
        let setsid = "/usr/bin/setsid"
        if detached && FileManager.default.isExecutableFile(atPath: setsid) {
            process.executableURL = URL(fileURLWithPath: setsid)
            process.arguments = ["-w", MoteBinary.url.path] + arguments
        } else {
            process.executableURL = MoteBinary.url
            process.arguments = arguments
        }
        var env = ["PATH": "/usr/bin:/bin", "HOME": root.path]
        env.merge(environment) { $1 }
        process.environment = env

        let id = UUID().uuidString
        let outURL = root.appendingPathComponent("stdout-\(id)")
        let errURL = root.appendingPathComponent("stderr-\(id)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let inURL = root.appendingPathComponent("stdin-\(id)")
            try Data(stdin.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        // A prompt that waits for a terminal would hang the suite: give up after a minute.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return MoteRun(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// A keystore written by eth-account 0.14.0 (pbkdf2, c = 10000) and what it holds.
private enum ForeignKey {
    static let json = #"{"address":"5ce9454909639D2D17A3F753ce7d93fa0b9aB12E","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"8c923c0dab8cff85fd933330e29797bf"},"ciphertext":"068e2988cf63f8b6a2878e409d963ea96851ad69c81bc5eac4891c41c31da033","kdf":"pbkdf2","kdfparams":{"c":10000,"dklen":32,"prf":"hmac-sha256","salt":"faedd4241dffe18e1f1cb36a92b569e7"},"mac":"9834b14e0ac14a6f3388d0ca88f45d9c90194ef831c3b79ea9658612f1b99e82"},"id":"22937fcc-8ae8-4fe1-8a95-abec67862f09","version":3}"#
    static let password = "p\u{e4}ssw\u{f6}rd \u{2713} \u{1F511}"
    static let address = "0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E"
    static let privateKey = "0xb25c7db31feed9122727bf0939dc769a96564b2de4c4726d035b36ecf1e5b364"
}

/// A raw key and its address (the key from the eth-account docs).
private enum RawKey {
    static let hex = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
}

/// POSIX permission bits of a path.
private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

@Suite struct KeysCommandTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: MoteBinary.url.path),
            "no mote binary at \(MoteBinary.url.path): build it or set MOTE_BINARY")
    }

    /// new → list → show → show --decrypt → show --reveal-private-key.
    @Test func newListShow() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "s3cret"]
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], environment: env)
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let address = try #require(created.object["address"] as? String)
        let path = try #require(created.object["path"] as? String)
        #expect(address.hasPrefix("0x") && address.count == 42 && address != address.lowercased())

        // geth's layout: UTC--<time with - for :>--<lowercase address>, 0600 in a 0700 directory.
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(path == box.keystore + "/" + name)
        #expect(name.hasPrefix("UTC--") && name.hasSuffix("Z--" + address.dropFirst(2).lowercased()))
        let time = name.dropFirst(5).prefix(30)  // 2024-05-01T09-30-00.123456789Z
        #expect(time.count == 30 && !time.contains(":") && time.dropFirst(10).first == "T", "\(name)")
        #expect(try mode(path) == 0o600)
        #expect(try mode(box.keystore) == 0o700)

        let listed = try box.mote(["keys", "list", "--keystore", box.keystore])
        #expect(listed.status == 0)
        let entries = try #require(listed.json as? [[String: String]])
        #expect(entries == [["address": address, "path": path]])

        let shown = try box.mote(["keys", "show", "--keystore", box.keystore, address])
        #expect(shown.status == 0, "\(shown.stdout)")
        #expect(shown.object["address"] as? String == address)
        #expect(shown.object["path"] as? String == path)
        #expect(shown.object["kdf"] as? String == "scrypt")
        #expect(shown.object["publicKey"] == nil && shown.object["privateKey"] == nil)

        // Lowercase input works too; the password is needed only now.
        let decrypted = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "--decrypt", address.lowercased()], environment: env)
        #expect(decrypted.status == 0, "\(decrypted.stdout)")
        let publicKey = try #require(decrypted.object["publicKey"] as? String)
        #expect(publicKey.hasPrefix("0x04") && publicKey.count == 132)
        #expect(decrypted.object["privateKey"] == nil)

        let revealed = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "--reveal-private-key", address], environment: env)
        let privateKey = try #require(revealed.object["privateKey"] as? String)
        #expect(privateKey.hasPrefix("0x") && privateKey.count == 66)
        #expect(revealed.object["publicKey"] as? String == publicKey)
    }

    /// import from stdin, from a file, a foreign keystore (copied, then re-encrypted); duplicates refused.
    @Test func importKeys() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "imported", "MOTE_KEYSTORE": box.keystore]  // directory from the environment

        let fromStdin = try box.mote(["keys", "import", "--light-kdf"], environment: env, stdin: RawKey.hex + "\n")
        #expect(fromStdin.status == 0, "\(fromStdin.stdout)\(fromStdin.stderr)")
        #expect(fromStdin.object["address"] as? String == RawKey.address)
        let shown = try box.mote(["keys", "show", "--reveal-private-key", RawKey.address], environment: env)
        #expect(shown.object["privateKey"] as? String == RawKey.hex)

        let keyFile = try box.file("key.hex", String(RawKey.hex.dropFirst(2)))
        let duplicate = try box.mote(["keys", "import", "--private-key-file", keyFile, "--light-kdf"], environment: env)
        #expect(duplicate.status != 0)
        #expect(duplicate.error?.contains("already in the keystore") == true, "\(duplicate.stdout)")

        // A keystore from eth-account: checked with its own password, then copied byte for byte.
        let foreign = try box.file("foreign.json", ForeignKey.json)
        let passwordFile = try box.file("foreign.pw", ForeignKey.password + "\n")
        let copied = try box.mote(
            ["keys", "import", "--keystore-file", foreign, "--password-file", passwordFile], environment: env)
        #expect(copied.status == 0, "\(copied.stdout)")
        #expect(copied.object["address"] as? String == ForeignKey.address)
        let copiedPath = try #require(copied.object["path"] as? String)
        #expect(try String(contentsOfFile: copiedPath, encoding: .utf8) == ForeignKey.json)
        #expect(try mode(copiedPath) == 0o600)

        let again = try box.mote(
            ["keys", "import", "--keystore-file", foreign, "--password-file", passwordFile], environment: env)
        #expect(again.status != 0 && again.error?.contains("already") == true)

        let listed = try box.mote(["keys", "list"], environment: env)
        let addresses = (listed.json as? [[String: String]])?.compactMap { $0["address"] }
        #expect(Set(addresses ?? []) == [RawKey.address, ForeignKey.address])

        // Re-encrypted under a new password and Mote's KDF, in a second directory.
        let other = box.root.appendingPathComponent("other").path
        let reencrypted = try box.mote(
            ["keys", "import", "--keystore", other, "--keystore-file", foreign, "--password-file", passwordFile,
             "--reencrypt", "--new-password-env", "NEW_PW", "--light-kdf"],
            environment: ["NEW_PW": "fresh"])
        #expect(reencrypted.status == 0, "\(reencrypted.stdout)")
        let shownNew = try box.mote(
            ["keys", "show", "--keystore", other, "--reveal-private-key", ForeignKey.address],
            environment: ["MOTE_PASSWORD": "fresh"])
        #expect(shownNew.object["kdf"] as? String == "scrypt")
        #expect(shownNew.object["privateKey"] as? String == ForeignKey.privateKey)
        let oldPassword = try box.mote(
            ["keys", "show", "--keystore", other, "--decrypt", ForeignKey.address],
            environment: ["MOTE_PASSWORD": ForeignKey.password])
        #expect(oldPassword.error?.contains("wrong password") == true)
    }

    /// `--password-file` takes the first line without its newline; `--password-env` names a variable.
    @Test func passwordSources() throws {
        let box = try Sandbox()
        let passwordFile = try box.file("pw", "first line\r\nsecond line\n")
        let created = try box.mote(
            ["keys", "new", "--keystore", box.keystore, "--light-kdf", "--password-file", passwordFile])
        let address = try #require(created.object["address"] as? String, "\(created.stdout)")

        let viaEnv = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "--decrypt", "--password-env", "MY_PW", address],
            environment: ["MY_PW": "first line"])
        #expect(viaEnv.status == 0 && viaEnv.object["publicKey"] != nil, "\(viaEnv.stdout)")

        let unset = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "--decrypt", "--password-env", "MY_PW", address],
            environment: ["MOTE_PASSWORD": "first line"])
        #expect(unset.status != 0 && unset.error?.contains("MY_PW") == true, "\(unset.stdout)")

        let wrong = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "--decrypt", address], environment: ["MOTE_PASSWORD": "first"])
        #expect(wrong.status != 0)
        #expect(wrong.error == "keystore: wrong password (MAC mismatch)")

        let missingFile = try box.mote(
            ["keys", "new", "--keystore", box.keystore, "--password-file", box.root.appendingPathComponent("nope").path])
        #expect(missingFile.status != 0 && missingFile.error?.contains("password file") == true)
    }

    @Test func noPasswordSourceFailsInsteadOfWaiting() throws {
        let box = try Sandbox()
        let run = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], detached: true)
        #expect(run.status != 0)
        #expect(run.error?.contains("--password-file") == true, "\(run.stdout)\(run.stderr)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: box.keystore)) ?? []
        #expect(written.isEmpty)
    }

    @Test func missingDirectoryIsAnError() throws {
        let box = try Sandbox()
        let listed = try box.mote(["keys", "list", "--keystore", box.keystore])
        #expect(listed.status != 0)
        #expect(listed.error?.contains("does not exist") == true, "\(listed.stdout)")
        let shown = try box.mote(["keys", "show", "--keystore", box.keystore, RawKey.address])
        #expect(shown.status != 0 && shown.error?.contains("does not exist") == true)
    }

    @Test func badAddressesAreErrors() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "pw"]
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], environment: env)
        #expect(created.status == 0)
        let short = try box.mote(["keys", "show", "--keystore", box.keystore, "0x1234"])
        #expect(short.status != 0 && short.error?.contains("address") == true, "\(short.stdout)")
        let notHex = try box.mote(["keys", "show", "--keystore", box.keystore, "hello"])
        #expect(notHex.status != 0 && notHex.error != nil)
        // Mixed case with the wrong EIP-55 checksum.
        let badChecksum = try box.mote(
            ["keys", "show", "--keystore", box.keystore, "0x2C7536E3605D9C16a7a3D7b1898e529396a65c23"])
        #expect(badChecksum.status != 0 && badChecksum.error?.contains("checksum") == true, "\(badChecksum.stdout)")
        let unknown = try box.mote(["keys", "show", "--keystore", box.keystore, RawKey.address])
        #expect(unknown.status != 0 && unknown.error?.contains("no key") == true)
    }

    @Test func badPrivateKeysAreErrors() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "pw"]
        for input in ["", "0x1234", String(repeating: "zz", count: 32), String(repeating: "00", count: 32),
                      "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"] {
            let run = try box.mote(["keys", "import", "--keystore", box.keystore, "--light-kdf"], environment: env, stdin: input)
            #expect(run.status != 0 && run.error != nil, "accepted \(input)")
        }
        let both = try box.mote(
            ["keys", "import", "--keystore", box.keystore, "--private-key-file", "a", "--keystore-file", "b"],
            environment: env)
        #expect(both.status != 0)
    }

    @Test func listSkipsBrokenFilesWithAWarning() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "pw"]
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], environment: env)
        let address = try #require(created.object["address"] as? String)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: box.keystore + "/UTC--broken"))
        try Data(#"{"version":3,"crypto":{"kdf":"scrypt"}}"#.utf8).write(to: URL(fileURLWithPath: box.keystore + "/UTC--partial"))
        try Data("ignored".utf8).write(to: URL(fileURLWithPath: box.keystore + "/.hidden"))

        let listed = try box.mote(["keys", "list", "--keystore", box.keystore])
        #expect(listed.status == 0)
        #expect((listed.json as? [[String: String]])?.map { $0["address"] } == [address])
        #expect(listed.stderr.contains("UTC--broken") && listed.stderr.contains("UTC--partial"), "\(listed.stderr)")
        #expect(!listed.stderr.contains(".hidden"))
    }

    @Test func wrongPasswordForAnImportedKeystore() throws {
        let box = try Sandbox()
        let foreign = try box.file("foreign.json", ForeignKey.json)
        let run = try box.mote(
            ["keys", "import", "--keystore", box.keystore, "--keystore-file", foreign],
            environment: ["MOTE_PASSWORD": "not it"])
        #expect(run.status != 0 && run.error?.contains("wrong password") == true)
        let broken = try box.file("broken.json", #"{"version":3,"crypto":{"cipher":"aes-128-ctr","kdf":"scrypt","kdfparams":{"n":1099511627776,"r":8,"p":1,"dklen":32,"salt":"00"},"cipherparams":{"iv":"00000000000000000000000000000000"},"ciphertext":"0000000000000000000000000000000000000000000000000000000000000000","mac":"0000000000000000000000000000000000000000000000000000000000000000"}}"#)
        let hostile = try box.mote(
            ["keys", "import", "--keystore", box.keystore, "--keystore-file", broken], environment: ["MOTE_PASSWORD": "x"])
        #expect(hostile.status != 0 && hostile.error?.contains("power of two") == true, "\(hostile.stdout)")
    }
}
