import Foundation
import MoteTestSupport
import Testing

/// `mote tx decode` and `mote hash keccak`, run as a real process.
@Suite struct TxCommandTests {
    /// EIP-155's worked example (chain id 1, signed with 0x4646…46).
    static let eip155 = "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"

    @Test func decodesAValidTransaction() throws {
        let box = try Sandbox()
        let run = try box.mote(["tx", "decode", Self.eip155])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let out = run.object
        #expect(out["hash"] as? String == "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788")
        #expect(out["type"] as? Int == 0)
        #expect(out["chainId"] as? Int == 1)
        #expect(out["nonce"] as? Int == 9)
        #expect(out["sender"] as? String == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        #expect(out["to"] as? String == "0x3535353535353535353535353535353535353535")
        #expect(out["value"] as? String == "1000000000000000000")
        #expect(out["gasLimit"] as? Int == 21_000)
        #expect(out["intrinsicGas"] as? Int == 21_000)
        #expect(out["gasPrice"] as? String == "20000000000")
    }

    /// A signed EIP-4844 transaction from ethereum/tests (GeneralStateTests/Cancun/
    /// stEIP4844-blobtransactions/blobhashListBounds3.json): decoded for inspection, though the
    /// Mote chain does not accept blob transactions.
    static let blob = "0x03f9012d01800285012a05f200833d090094095e7baea6a6c7c4c2dfeb977efac326af552d87830186a000f85bf85994095e7baea6a6c7c4c2dfeb977efac326af552d87f842a00000000000000000000000000000000000000000000000000000000000000000a000000000000000000000000000000000000000000000000000000000000000010af863a001a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065f0001a001a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065f0002a001a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065f000380a0787d491816e6b21187fc25ee71bc1dd2240b41de89852c21f7a518101dc28bc2a05b5dbb0592f2fdc391efe1e9c6181e54f1b817d07d6f5c7767c7267529528e20"

    @Test func decodesABlobTransaction() throws {
        let box = try Sandbox()
        let run = try box.mote(["tx", "decode", Self.blob])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let out = run.object
        #expect(out["type"] as? Int == 3)
        #expect(out["typeName"] as? String == "eip4844")
        #expect(out["sender"] as? String == "0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B")
        #expect(out["to"] as? String == "0x095E7BAea6a6c7c4c2DfeB977eFac326aF552d87")
        #expect(out["maxFeePerBlobGas"] as? String == "10")
        #expect(out["maxFeePerGas"] as? String == "5000000000")
        #expect(out["maxPriorityFeePerGas"] as? String == "2")
        #expect(out["acceptedByMote"] as? Bool == false)
        #expect(out["blobVersionedHashes"] as? [String] == (1...3).map { "0x01a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065f000\($0)" })
    }

    @Test func readsStandardInputAndChecksTheChainID() throws {
        let box = try Sandbox()
        let fromStdin = try box.mote(["tx", "decode", "-"], stdin: Self.eip155 + "\n")
        #expect(fromStdin.status == 0)
        let wrongChain = try box.mote(["tx", "decode", Self.eip155, "--chain-id", "4689"])
        #expect(wrongChain.status == 1)
        #expect(wrongChain.object["code"] as? String == "invalid_chain_id")
        #expect(wrongChain.error?.contains("wrong chain id 1, expected 4689") == true)
    }

    @Test(arguments: [
        ("0xzz", "invalid_hex"),
        ("0x", "empty"),
        (eip155 + "00", "malformed_rlp"),
        ("0x04c0", "type_not_supported"),
        ("0x03c0", "wrong_field_count"),
        // s replaced by n − s (high s, EIP-2).
        ("0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a098341627668089e51348fccfb4c7ff31c55912f2d2e47ef09652acf665fad3be", "high_s"),
    ])
    func rejectsWithAReason(input: String, code: String) throws {
        let box = try Sandbox()
        let run = try box.mote(["tx", "decode", input])
        #expect(run.status == 1)
        #expect(run.object["code"] as? String == code, "\(run.stdout)")
        #expect(run.error?.isEmpty == false)
    }

    @Test func hashKeccak() throws {
        let box = try Sandbox()
        let run = try box.mote(["hash", "keccak", "0x68656c6c6f"])
        #expect(run.status == 0)
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8")
        let bad = try box.mote(["hash", "keccak", "0x123"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("odd number"))
    }
}

/// `mote tx sign` with a keystore key; the result decodes with `mote tx decode`.
@Suite struct TxSignCommandTests {
    @Test(arguments: ["legacy", "eip2930", "eip1559"])
    func signsAndDecodes(type: String) throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "pw"]
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], environment: env)
        let address = try #require(created.object["address"] as? String)
        let signed = try box.mote(
            ["tx", "sign", "--keystore", box.keystore, "--from", address, "--to", "0x3535353535353535353535353535353535353535",
             "--chain-id", "4689", "--nonce", "3", "--value", "1000", "--type", type, "--gas-price", "7",
             "--max-fee-per-gas", "9", "--max-priority-fee-per-gas", "2", "--data", "0x00ff"],
            environment: env)
        #expect(signed.status == 0, "\(signed.stdout)\(signed.stderr)")
        let raw = try #require(signed.object["raw"] as? String)
        let decoded = try box.mote(["tx", "decode", raw, "--chain-id", "4689"])
        #expect(decoded.status == 0, "\(decoded.stdout)")
        #expect(decoded.object["sender"] as? String == address)
        #expect(decoded.object["nonce"] as? Int == 3)
        #expect(decoded.object["value"] as? String == "1000")
        #expect(decoded.object["intrinsicGas"] as? Int == 21_000 + 4 + 16)
        #expect(decoded.object["gasLimit"] as? Int == 21_000 + 4 + 16)
        #expect(decoded.object["hash"] as? String == signed.object["hash"] as? String)
    }

    @Test func refusesBadInput() throws {
        let box = try Sandbox()
        let env = ["MOTE_PASSWORD": "pw"]
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf"], environment: env)
        let address = try #require(created.object["address"] as? String)
        let base = ["tx", "sign", "--keystore", box.keystore, "--from", address, "--chain-id", "1", "--nonce", "0"]
        let noFee = try box.mote(base, environment: env)
        #expect(noFee.status == 1 && noFee.error?.contains("max-fee-per-gas") == true)
        let lowGas = try box.mote(base + ["--max-fee-per-gas", "2000000000", "--gas-limit", "100"], environment: env)
        #expect(lowGas.status == 1 && lowGas.error?.contains("intrinsic gas") == true)
        let badValue = try box.mote(base + ["--max-fee-per-gas", "2000000000", "--value", "12abc"], environment: env)
        #expect(badValue.status == 1 && badValue.error?.contains("--value") == true)
        let wrongPassword = try box.mote(base + ["--max-fee-per-gas", "2000000000"], environment: ["MOTE_PASSWORD": "nope"])
        #expect(wrongPassword.status == 1 && wrongPassword.error?.contains("wrong password") == true)
    }
}
