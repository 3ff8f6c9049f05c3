import Foundation
import MoteCrypto
import MotePrimitives
import Testing

/// A keystore file from another implementation, with what it must decrypt to.
struct KeystoreVector: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let password: String
    let privateKey: String
    let address: String

    var testDescription: String { name }
}

/// Files written by other tools. All are stored verbatim.
enum KeystoreVectors {
    /// The Web3 Secret Storage Definition's test vectors (ethereum/wiki): password "testpassword".
    static let specPrivateKey = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
    static let specAddress = "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b"

    static let specPBKDF2 = """
        {
            "crypto" : {
                "cipher" : "aes-128-ctr",
                "cipherparams" : {
                    "iv" : "6087dab2f9fdbbfaddc31a909735c1e6"
                },
                "ciphertext" : "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
                "kdf" : "pbkdf2",
                "kdfparams" : {
                    "c" : 262144,
                    "dklen" : 32,
                    "prf" : "hmac-sha256",
                    "salt" : "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
                },
                "mac" : "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
            },
            "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version" : 3
        }
        """

    static let specScrypt = """
        {
            "crypto" : {
                "cipher" : "aes-128-ctr",
                "cipherparams" : {
                    "iv" : "83dbcc02d8ccb40e466191a123791e0e"
                },
                "ciphertext" : "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
                "kdf" : "scrypt",
                "kdfparams" : {
                    "dklen" : 32,
                    "n" : 262144,
                    "r" : 1,
                    "p" : 8,
                    "salt" : "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"
                },
                "mac" : "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
            },
            "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version" : 3
        }
        """

    /// Written by eth-account 0.14.0 (eth-keyfile 0.10.0) with `Account.encrypt(key, password,
    /// kdf=..., iterations=...)`; it writes the address EIP-55 mixed-case without `0x`.
    /// The last was assembled with eth-keyfile's own scrypt and AES-CTR helpers to pick an IV
    /// whose low 64 bits are all ones, so the second block's counter carries into the high half.
    static let ethAccount: [KeystoreVector] = [
        KeystoreVector(
            name: "eth-account scrypt n=4096",
            json: #"{"address":"2c7536E3605D9C16a7a3D7b1898e529396a65c23","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"3823acd799dfedd8e4494457423e24a0"},"ciphertext":"852683818aaa3c49dde6470d60c794c5caad7032ab4a317a2434bd70a90b6357","kdf":"scrypt","kdfparams":{"dklen":32,"n":4096,"r":8,"p":1,"salt":"f065b3578f768e110ab383ffa8c516b9"},"mac":"d6a690f25e9a581f81ff025a5930436d229a65ce2b798cd2b90ce3d520279746"},"id":"cb1a74c6-e1f0-46ff-9ae8-ee0e78f46623","version":3}"#,
            password: "correct horse battery staple",
            privateKey: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            address: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"),
        KeystoreVector(
            name: "eth-account pbkdf2 c=10000, non-ASCII password",
            json: #"{"address":"5ce9454909639D2D17A3F753ce7d93fa0b9aB12E","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"8c923c0dab8cff85fd933330e29797bf"},"ciphertext":"068e2988cf63f8b6a2878e409d963ea96851ad69c81bc5eac4891c41c31da033","kdf":"pbkdf2","kdfparams":{"c":10000,"dklen":32,"prf":"hmac-sha256","salt":"faedd4241dffe18e1f1cb36a92b569e7"},"mac":"9834b14e0ac14a6f3388d0ca88f45d9c90194ef831c3b79ea9658612f1b99e82"},"id":"22937fcc-8ae8-4fe1-8a95-abec67862f09","version":3}"#,
            password: "p\u{e4}ssw\u{f6}rd \u{2713} \u{1F511}",
            privateKey: "0xb25c7db31feed9122727bf0939dc769a96564b2de4c4726d035b36ecf1e5b364",
            address: "0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E"),
        KeystoreVector(
            name: "eth-account scrypt n=1024, empty password, key 1",
            json: #"{"address":"7E5F4552091A69125d5DfCb7b8C2659029395Bdf","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6af811e56032a0b3c6f43b9eb270f782"},"ciphertext":"4865f2a8318b104c289fcc7dc8b67fdec90f2616b3deed975680282a308bf38b","kdf":"scrypt","kdfparams":{"dklen":32,"n":1024,"r":8,"p":1,"salt":"95c07be59e7288c11d6d1a18c9e8943c"},"mac":"fc96ab5c2125ae202e05e46c803b0e40259834abb4d1694581ca2448c17c7045"},"id":"3e380c0a-f4cd-4a95-b507-904b3ec83474","version":3}"#,
            password: "",
            privateKey: "0x0000000000000000000000000000000000000000000000000000000000000001",
            address: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
        KeystoreVector(
            name: "eth-account pbkdf2 c=1, key n-1",
            json: #"{"address":"80C0dbf239224071c59dD8970ab9d542E3414aB2","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"b85500b66baa4c9f9a8a66fbf15f2bb1"},"ciphertext":"e2e5386f8b4863a2eecf901e65a715300a2ef30993ef57386a23c7328f8d7f56","kdf":"pbkdf2","kdfparams":{"c":1,"dklen":32,"prf":"hmac-sha256","salt":"b8c601dbad7d22fc13f414f65bd0d165"},"mac":"9c239ababb9fa23c6b06c25d343ebe402c24451e7be72e6249ca454b54726c8d"},"id":"ef8ac20f-f5df-4f98-b7f9-6037d1a08262","version":3}"#,
            password: "x",
            privateKey: "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
            address: "0x80C0dbf239224071c59dD8970ab9d542E3414aB2"),
        KeystoreVector(
            name: "eth-keyfile scrypt n=2048, IV counter carry",
            json: #"{"address":"2c7536e3605d9c16a7a3d7b1898e529396a65c23","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"0011223344556677ffffffffffffffff"},"ciphertext":"f6758b5d3a68379c9e8c6ef1ccbe355542ac9f795816d60c97c04db8b06a680b","kdf":"scrypt","kdfparams":{"dklen":32,"n":2048,"r":8,"p":1,"salt":"5f1e0e8d0a7cb0b4d1f6c8e2a3b4c5d6"},"mac":"e39f351a13594bd1fd8dc5dea3df8d37ef4ca3b4fd44cdda3ee36a1afed68ed9"},"id":"6f2b2a56-7f43-4f0a-9a8e-2f3c4d5e6f70","version":3}"#,
            password: "carry",
            privateKey: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            address: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"),
    ]
}

/// The error message of `body`, or nil if it did not throw.
private func keystoreError(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch { return "\(error)" }
}

private func key(_ hex: String) throws -> Secp256k1.PrivateKey {
    try Secp256k1.PrivateKey(bytes: Hex.decode(hex))
}

/// A small valid scrypt keystore (light parameters) to mutate in the hostile-input tests.
private let template: String = {
    let keystore = try! Keystore.encrypt(
        privateKey: try! key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
        password: "pw", kdf: .scrypt(n: 16, r: 1, p: 1))
    return String(decoding: keystore.json(), as: UTF8.self)
}()

/// `template` with its JSON edited by `edit` (applied to the parsed dictionary).
private func edited(_ edit: (inout [String: Any]) -> Void) -> [UInt8] {
    var object = try! JSONSerialization.jsonObject(with: Data(template.utf8)) as! [String: Any]
    edit(&object)
    return Array(try! JSONSerialization.data(withJSONObject: object))
}

/// `template` with one kdfparams field replaced.
private func withKDFParam(_ name: String, _ value: Any) -> [UInt8] {
    edited { object in
        var crypto = object["crypto"] as! [String: Any]
        var params = crypto["kdfparams"] as! [String: Any]
        params[name] = value
        crypto["kdfparams"] = params
        object["crypto"] = crypto
    }
}

/// `template` with one crypto field replaced.
private func withCryptoField(_ name: String, _ value: Any) -> [UInt8] {
    edited { object in
        var crypto = object["crypto"] as! [String: Any]
        crypto[name] = value
        object["crypto"] = crypto
    }
}

@Suite struct KeystoreTests {
    // MARK: Interoperability

    @Test func specPBKDF2VectorDecrypts() throws {
        let keystore = try Keystore(json: Array(KeystoreVectors.specPBKDF2.utf8))
        #expect(keystore.kdf == .pbkdf2(iterations: 262_144))
        #expect(keystore.address == nil)
        #expect(keystore.id == "3198bc9c-6672-5ab3-d995-4942343ae5b6")
        let privateKey = try keystore.decrypt(password: "testpassword")
        #expect(Hex.encode(privateKey.bytes) == KeystoreVectors.specPrivateKey)
        #expect(privateKey.address.checksummed == KeystoreVectors.specAddress)
    }

    /// N = 2¹⁸ as published: the one heavy scrypt in the suite (about a second).
    @Test func specScryptVectorDecrypts() throws {
        let keystore = try Keystore(json: Array(KeystoreVectors.specScrypt.utf8))
        #expect(keystore.kdf == .scrypt(n: 262_144, r: 1, p: 8))
        let privateKey = try keystore.decrypt(password: "testpassword")
        #expect(Hex.encode(privateKey.bytes) == KeystoreVectors.specPrivateKey)
    }

    /// Encrypting the spec's key with its salt and IV reproduces its ciphertext and MAC byte for byte.
    @Test func encryptReproducesSpecPBKDF2Vector() throws {
        let keystore = try Keystore.encrypt(
            privateKey: key(KeystoreVectors.specPrivateKey), password: Array("testpassword".utf8),
            kdf: .pbkdf2(iterations: 262_144),
            salt: Hex.decode("ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"),
            iv: Hex.decode("6087dab2f9fdbbfaddc31a909735c1e6"), id: "3198bc9c-6672-5ab3-d995-4942343ae5b6")
        #expect(Hex.encode(keystore.ciphertext, prefix: false)
            == "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46")
        #expect(Hex.encode(keystore.mac, prefix: false)
            == "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2")
    }

    /// Same for eth-keyfile's file whose IV counter carries past 64 bits.
    @Test func encryptReproducesCounterCarryVector() throws {
        let vector = KeystoreVectors.ethAccount[4]
        let keystore = try Keystore.encrypt(
            privateKey: key(vector.privateKey), password: Array(vector.password.utf8),
            kdf: .scrypt(n: 2048, r: 8, p: 1), salt: Hex.decode("5f1e0e8d0a7cb0b4d1f6c8e2a3b4c5d6"),
            iv: Hex.decode("0011223344556677ffffffffffffffff"), id: "6f2b2a56-7f43-4f0a-9a8e-2f3c4d5e6f70")
        #expect(keystore == (try Keystore(json: Array(vector.json.utf8))))
    }

    @Test(arguments: KeystoreVectors.ethAccount)
    func ethAccountKeystoreDecrypts(_ vector: KeystoreVector) throws {
        let keystore = try Keystore(json: Array(vector.json.utf8))
        #expect(keystore.address?.checksummed == vector.address)
        let privateKey = try keystore.decrypt(password: vector.password)
        #expect(Hex.encode(privateKey.bytes) == vector.privateKey)
        #expect(keystoreError { _ = try keystore.decrypt(password: vector.password + "!") }
            == "keystore: wrong password (MAC mismatch)")
    }

    /// geth wrote `Crypto` in old files; both spellings are read.
    @Test func capitalisedCryptoKeyIsAccepted() throws {
        let vector = KeystoreVectors.ethAccount[0]
        let json = vector.json.replacingOccurrences(of: #""crypto":"#, with: #""Crypto":"#)
        #expect(json != vector.json)
        let privateKey = try Keystore(json: Array(json.utf8)).decrypt(password: vector.password)
        #expect(Hex.encode(privateKey.bytes) == vector.privateKey)
    }

    // MARK: Round trips

    @Test(arguments: [Keystore.KDF.light, .scrypt(n: 1024, r: 8, p: 1), .pbkdf2(iterations: 1000)])
    func roundTrip(_ kdf: Keystore.KDF) throws {
        let privateKey = Secp256k1.PrivateKey.generate()
        let keystore = try Keystore.encrypt(privateKey: privateKey, password: "hunter2", kdf: kdf)
        #expect(keystore.kdf == kdf)
        #expect(keystore.address == privateKey.address)
        #expect(keystore.salt.count == 32 && keystore.iv.count == 16)
        #expect(keystore.ciphertext != privateKey.bytes)

        let json = keystore.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object["version"] as? Int == 3)
        #expect(object["address"] as? String == Hex.encode(privateKey.address.bytes, prefix: false))
        let crypto = try #require(object["crypto"] as? [String: Any])
        #expect(crypto["cipher"] as? String == "aes-128-ctr")
        #expect(crypto["kdf"] as? String == kdf.name)

        let parsed = try Keystore(json: json)
        #expect(parsed == keystore)
        #expect(try parsed.decrypt(password: "hunter2").bytes == privateKey.bytes)
    }

    @Test func freshSaltIVAndUUIDv4EachTime() throws {
        let privateKey = Secp256k1.PrivateKey.generate()
        let a = try Keystore.encrypt(privateKey: privateKey, password: "pw", kdf: .light)
        let b = try Keystore.encrypt(privateKey: privateKey, password: "pw", kdf: .light)
        #expect(a.salt != b.salt && a.iv != b.iv && a.id != b.id && a.ciphertext != b.ciphertext)
        // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx
        let parts = a.id.split(separator: "-")
        #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
        #expect(parts[2].first == "4")
        #expect("89ab".contains(parts[3].first!))
    }

    @Test func defaultIsGethStandardScrypt() {
        #expect(Keystore.KDF.standard == .scrypt(n: 262_144, r: 8, p: 1))
        #expect(Keystore.KDF.light == .scrypt(n: 4096, r: 8, p: 6))
        #expect(keystoreError { try Keystore.KDF.standard.validate() } == nil)
        #expect(keystoreError { try Keystore.KDF.light.validate() } == nil)
    }

    @Test func addressCanBeAddedToAFileWithoutOne() throws {
        let keystore = try Keystore(json: Array(KeystoreVectors.specPBKDF2.utf8))
        let address = try Address(checksummedHex: KeystoreVectors.specAddress)
        let addressed = keystore.withAddress(address)
        #expect(try Keystore(json: addressed.json()).address == address)
        // A wrong address is caught on decryption.
        let wrong = keystore.withAddress(Address(bytes: [UInt8](repeating: 1, count: 20))!)
        #expect(keystoreError { _ = try wrong.decrypt(password: "testpassword") }?.contains("does not match") == true)
    }

    // MARK: Wrong passwords and damaged files

    @Test func wrongPasswordIsAMACMismatch() throws {
        let keystore = try Keystore.encrypt(privateKey: .generate(), password: "right", kdf: .light)
        #expect(keystoreError { _ = try keystore.decrypt(password: "wrong") } == "keystore: wrong password (MAC mismatch)")
        #expect(keystoreError { _ = try keystore.decrypt(password: "") } == "keystore: wrong password (MAC mismatch)")
        #expect(keystoreError { _ = try keystore.decrypt(password: "right") } == nil)
    }

    @Test func tamperedCiphertextOrMACIsRejected() throws {
        let json = String(decoding: try Keystore.encrypt(privateKey: .generate(), password: "pw", kdf: .light).json(), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let crypto = try #require(object["crypto"] as? [String: Any])
        for field in ["ciphertext", "mac"] {
            let original = try #require(crypto[field] as? String)
            let flipped = String(original.prefix(10)) + (original.dropFirst(10).first == "0" ? "1" : "0") + original.dropFirst(11)
            let tampered = json.replacingOccurrences(of: original, with: flipped)
            let keystore = try Keystore(json: Array(tampered.utf8))
            #expect(keystoreError { _ = try keystore.decrypt(password: "pw") } == "keystore: wrong password (MAC mismatch)",
                "tampered \(field)")
        }
    }

    @Test func addressFieldMustMatchTheKey() throws {
        let vector = KeystoreVectors.ethAccount[0]
        let json = vector.json.replacingOccurrences(
            of: "2c7536E3605D9C16a7a3D7b1898e529396a65c23", with: "7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        let keystore = try Keystore(json: Array(json.utf8))
        let message = keystoreError { _ = try keystore.decrypt(password: vector.password) }
        #expect(message?.contains("does not match the key's address") == true)
    }

    // MARK: Hostile input

    /// Each is refused by the parser, before any key derivation, so all of them together take
    /// well under a second.
    @Test func hostileKDFParametersAreRejectedQuickly() {
        let cases: [(String, [UInt8])] = [
            ("n = 2^40", withKDFParam("n", 1 << 40)),
            ("n = 2^21", withKDFParam("n", 1 << 21)),
            ("n not a power of two", withKDFParam("n", 1000)),
            ("n = 1", withKDFParam("n", 1)),
            ("n = 0", withKDFParam("n", 0)),
            ("n negative", withKDFParam("n", -4096)),
            ("n beyond Int64", withKDFParam("n", 1e40)),
            ("n fractional", withKDFParam("n", 4096.5)),
            ("n a string", withKDFParam("n", "4096")),
            ("r = 10^6", withKDFParam("r", 1_000_000)),
            ("r = 0", withKDFParam("r", 0)),
            ("p = 10^6", withKDFParam("p", 1_000_000)),
            ("p = 0", withKDFParam("p", 0)),
            ("r = 2^31 (overflow bait)", withKDFParam("r", 1 << 31)),
            ("dklen = 64", withKDFParam("dklen", 64)),
            ("dklen = 16", withKDFParam("dklen", 16)),
            ("salt 2 KiB", withKDFParam("salt", String(repeating: "ab", count: 2048))),
            ("salt not hex", withKDFParam("salt", "zz")),
        ]
        let memoryHog = edited { object in  // each bound alone, but 128·N·r = 4 GiB together
            var crypto = object["crypto"] as! [String: Any]
            crypto["kdfparams"] = ["dklen": 32, "n": 1 << 20, "r": 32, "p": 1, "salt": "00"]
            object["crypto"] = crypto
        }
        let slowHog = edited { object in  // 256 MiB but N·r·p = 2^25
            var crypto = object["crypto"] as! [String: Any]
            crypto["kdfparams"] = ["dklen": 32, "n": 1 << 18, "r": 8, "p": 16, "salt": "00"]
            object["crypto"] = crypto
        }
        let pbkdf2 = { (c: Any) in
            edited { object in
                var crypto = object["crypto"] as! [String: Any]
                crypto["kdf"] = "pbkdf2"
                crypto["kdfparams"] = ["dklen": 32, "c": c, "prf": "hmac-sha256", "salt": "00"]
                object["crypto"] = crypto
            }
        }
        let all = cases + [
            ("scrypt memory 4 GiB", memoryHog), ("scrypt work 2^25", slowHog),
            ("pbkdf2 c = 10^9", pbkdf2(1_000_000_000)), ("pbkdf2 c = 0", pbkdf2(0)),
            ("pbkdf2 c = -1", pbkdf2(-1)),
        ]
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for (name, json) in all {
                #expect(keystoreError { _ = try Keystore(json: json) } != nil, "\(name) accepted")
            }
        }
        #expect(elapsed < .seconds(1))
        #expect(keystoreError { _ = try Keystore(json: withKDFParam("n", 1 << 40)) }?.contains("power of two") == true)
    }

    @Test func encryptRefusesOutOfBoundsParameters() {
        for kdf in [Keystore.KDF.scrypt(n: 3, r: 8, p: 1), .scrypt(n: 1 << 21, r: 1, p: 1), .scrypt(n: 16, r: 0, p: 1),
                    .pbkdf2(iterations: 0), .pbkdf2(iterations: 20_000_000)] {
            #expect(keystoreError { _ = try Keystore.encrypt(privateKey: .generate(), password: "x", kdf: kdf) } != nil,
                "\(kdf) accepted")
        }
    }

    @Test func malformedFilesAreRejectedWithAReason() {
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "not valid JSON"),
            ("not JSON", Array("hello".utf8), "not valid JSON"),
            ("array", Array("[1,2,3]".utf8), "wrong type"),
            ("truncated", Array(template.utf8.dropLast(5)), "not valid JSON"),
            ("over 64 KiB", Array(template.utf8) + [UInt8](repeating: 0x20, count: 65 * 1024), "64 KiB"),
            ("no crypto", edited { $0["crypto"] = nil }, "missing field crypto"),
            ("version 1", edited { $0["version"] = 1 }, "version 1"),
            ("version missing", edited { $0["version"] = nil }, "missing field version"),
            ("version a string", edited { $0["version"] = "3" }, "wrong type"),
            ("cipher aes-128-cbc", withCryptoField("cipher", "aes-128-cbc"), "unsupported cipher"),
            ("kdf argon2id", withCryptoField("kdf", "argon2id"), "unsupported kdf"),
            ("pbkdf2 without c", withCryptoField("kdf", "pbkdf2"), "need c"),
            ("iv 15 bytes", withCryptoField("cipherparams", ["iv": String(repeating: "00", count: 15)]), "iv must be 16"),
            ("iv 1 KiB", withCryptoField("cipherparams", ["iv": String(repeating: "00", count: 1024)]), "iv is longer"),
            ("ciphertext 31 bytes", withCryptoField("ciphertext", String(repeating: "00", count: 31)), "ciphertext must be 32"),
            ("ciphertext 48 bytes", withCryptoField("ciphertext", String(repeating: "00", count: 48)), "ciphertext"),
            ("mac not hex", withCryptoField("mac", String(repeating: "zz", count: 32)), "mac"),
            ("mac odd length", withCryptoField("mac", String(repeating: "0", count: 63)), "mac"),
            ("mac missing", withCryptoField("mac", NSNull()), "mac"),
            ("address not hex", edited { $0["address"] = "not an address" }, "address"),
            ("address 19 bytes", edited { $0["address"] = String(repeating: "11", count: 19) }, "address"),
        ]
        for (name, json, reason) in cases {
            let message = keystoreError { _ = try Keystore(json: json) }
            #expect(message?.contains(reason) == true, "\(name): \(message ?? "accepted")")
        }
        let sha512 = edited { object in
            var crypto = object["crypto"] as! [String: Any]
            crypto["kdf"] = "pbkdf2"
            crypto["kdfparams"] = ["dklen": 32, "c": 10, "prf": "hmac-sha512", "salt": "00"]
            object["crypto"] = crypto
        }
        #expect(keystoreError { _ = try Keystore(json: sha512) }?.contains("prf") == true)
    }
}
