import Foundation
import MoteTestSupport
import Testing

/// `mote device …` against a real one-node devnet (activation fee 0.1 MOTE): keys, registration,
/// ownership, statuses, retention, revocation with refund, pre-registration and claims.
@Suite(.serialized) struct DeviceCommandTests {
    static let fee = "100000000000000000"

    func balance(_ devnet: LocalDevnet, _ address: String) -> Decimal? {
        StakingCommandTests.number(LocalDevnet.rpc(devnet.rpcURL, "eth_getBalance", [address, "latest"]))
    }

    @Test(.timeLimit(.minutes(3)))
    func deviceLifecycleOnADevnet() throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box)
        defer { devnet.stop() }
        let rpc = ["--rpc", devnet.rpcURL]
        let (owner, buyer, maker) = (devnet.accounts[0].address, devnet.accounts[1].address, devnet.accounts[2].address)
        let ownerKey = try box.file("owner.key", devnet.accounts[0].privateKey)
        let buyerKey = try box.file("buyer.key", devnet.accounts[1].privateKey)
        let makerKey = try box.file("maker.key", devnet.accounts[2].privateKey)

        // keygen: a 0600 key file and the device id.
        let keyPath = box.root.appendingPathComponent("meter.json").path
        let keygen = try box.mote(["device", "keygen", "--curve", "p256", "--out", keyPath])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let id = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("0x") && id.count == 42, "\(keygen.stdout)")
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keyPath))) as? [String: Any] ?? [:]
        #expect(file["curve"] as? String == "p256")
        #expect(file["deviceId"] as? String == id)
        #expect((file["secret"] as? String)?.count == 66)
        #expect((file["publicKey"] as? String)?.count == 68)
        let again = try box.mote(["device", "keygen", "--curve", "p256", "--out", keyPath])
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists"), "\(again.stderr)")

        // register: the device key proves itself for the sender; a made-up --proof is refused before sending.
        let forged = try box.mote(
            ["device", "register", "--device-key", keyPath, "--model", "meter-1", "--proof", "0x" + String(repeating: "07", count: 64),
             "--key-file", ownerKey] + rpc)
        #expect(forged.status == 1)
        #expect(forged.stderr.contains("would fail: the proof is not device \(id)'s signature of the registration by \(owner)"), "\(forged.stderr)")
        // The fee is read from the chain and staked.
        let ownerBefore = try #require(balance(devnet, owner))
        let registered = try box.mote(
            ["device", "register", "--device-key", keyPath, "--model", "meter-1", "--manufacturer", "Acme", "--key-file", ownerKey, "--json"] + rpc)
        #expect(registered.status == 0, "\(registered.stdout)\(registered.stderr)")
        #expect(registered.object["status"] as? String == "success")
        #expect(registered.object["deviceId"] as? String == id)
        #expect(registered.object["activationFee"] as? String == Self.fee)
        #expect(registered.object["value"] as? String == Self.fee)
        let registerFee = try #require(StakingCommandTests.number(registered.object["feePaid"]))
        #expect(balance(devnet, owner) == ownerBefore - Decimal(string: Self.fee)! - registerFee)
        let twice = try box.mote(["device", "register", "--device-key", keyPath, "--model", "meter-1", "--key-file", buyerKey] + rpc)
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("would fail: device \(id) is already registered (nothing was sent)"), "\(twice.stderr)")

        // show and list.
        let shown = try box.mote(["device", "show", id, "--json"] + rpc)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.object["status"] as? String == "active")
        #expect(shown.object["owner"] as? String == owner)
        #expect(shown.object["manufacturer"] is NSNull)
        #expect(shown.object["manufacturerName"] as? String == "Acme")
        #expect(shown.object["model"] as? String == "meter-1")
        #expect(shown.object["curve"] as? String == "p256")
        #expect(shown.object["publicKey"] as? String == file["publicKey"] as? String)
        #expect(shown.object["stake"] as? String == Self.fee)
        #expect(shown.object["retentionDays"] as? Int == 30)
        let text = try box.mote(["device", "show", id] + rpc)
        #expect(text.stdout.contains("status") && text.stdout.contains("active") && text.stdout.contains("0.1 MOTE"), "\(text.stdout)")
        let listed = try box.mote(["device", "list", "--owner", owner, "--json"] + rpc)
        #expect((listed.json as? [[String: Any]])?.map { $0["deviceId"] as? String } == [id], "\(listed.stdout)")

        // transfer, suspend, resume, retention: only the owner may.
        let stolen = try box.mote(["device", "suspend", "--device", id, "--key-file", buyerKey] + rpc)
        #expect(stolen.status == 1)
        #expect(stolen.stderr.contains("device \(id) belongs to \(owner)"), "\(stolen.stderr)")
        let moved = try box.mote(["device", "transfer", "--device", id, "--to", buyer, "--key-file", ownerKey, "--json"] + rpc)
        #expect(moved.status == 0, "\(moved.stdout)\(moved.stderr)")
        #expect(moved.object["owner"] as? String == buyer)
        let buyerList = try box.mote(["device", "list", "--owner", buyer, "--json"] + rpc)
        #expect((buyerList.json as? [[String: Any]])?.map { $0["deviceId"] as? String } == [id], "\(buyerList.stdout)")
        let suspended = try box.mote(["device", "suspend", "--device", id, "--key-file", buyerKey] + rpc)
        #expect(suspended.status == 0, "\(suspended.stdout)\(suspended.stderr)")
        #expect(try box.mote(["device", "show", id, "--json"] + rpc).object["status"] as? String == "suspended")
        let suspendedTwice = try box.mote(["device", "suspend", "--device", id, "--key-file", buyerKey] + rpc)
        #expect(suspendedTwice.status == 1)
        #expect(suspendedTwice.stderr.contains("device \(id) is already suspended"), "\(suspendedTwice.stderr)")
        let resumed = try box.mote(["device", "resume", "--device", id, "--key-file", buyerKey, "--json"] + rpc)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.object["status"] as? String == "active")
        let retention = try box.mote(["device", "retention", "--device", id, "--days", "90", "--key-file", buyerKey] + rpc)
        #expect(retention.status == 0, "\(retention.stdout)\(retention.stderr)")
        #expect(try box.mote(["device", "show", id, "--json"] + rpc).object["retentionDays"] as? Int == 90)

        // revoke: the stake comes back to the owner.
        let buyerBefore = try #require(balance(devnet, buyer))
        let revoked = try box.mote(["device", "revoke", "--device", id, "--key-file", buyerKey, "--json"] + rpc)
        #expect(revoked.status == 0, "\(revoked.stdout)\(revoked.stderr)")
        #expect(revoked.object["refund"] as? String == Self.fee)
        let revokeFee = try #require(StakingCommandTests.number(revoked.object["feePaid"]))
        #expect(balance(devnet, buyer) == buyerBefore + Decimal(string: Self.fee)! - revokeFee)
        let final = try box.mote(["device", "show", id, "--json"] + rpc)
        #expect(final.object["status"] as? String == "revoked")
        #expect(final.object["stake"] as? String == "0")

        // preregister (no fee, no owner), then claim with the device key's proof.
        let tagPath = box.root.appendingPathComponent("tag.json").path
        let tag = try box.mote(["device", "keygen", "--curve", "ed25519", "--out", tagPath, "--json"])
        let tagID = try #require(tag.object["deviceId"] as? String, "\(tag.stdout)")
        let pre = try box.mote(["device", "preregister", "--device-key", tagPath, "--model", "tag-2", "--key-file", makerKey, "--json"] + rpc)
        #expect(pre.status == 0, "\(pre.stdout)\(pre.stderr)")
        #expect(pre.object["value"] as? String == "0")
        let unclaimed = try box.mote(["device", "show", tagID, "--json"] + rpc)
        #expect(unclaimed.object["status"] as? String == "unclaimed")
        #expect(unclaimed.object["owner"] is NSNull)
        #expect(unclaimed.object["manufacturer"] as? String == maker)
        let publicOnly = try box.file("tag-public.json", "{\"curve\": \"ed25519\", \"publicKey\": \"\(tag.object["publicKey"] as? String ?? "")\"}")
        let noSecret = try box.mote(["device", "claim", "--device-key", publicOnly, "--key-file", buyerKey] + rpc)
        #expect(noSecret.status == 1)
        #expect(noSecret.stderr.contains("has no secret"), "\(noSecret.stderr)")
        let claimed = try box.mote(["device", "claim", "--device-key", tagPath, "--key-file", buyerKey, "--json"] + rpc)
        #expect(claimed.status == 0, "\(claimed.stdout)\(claimed.stderr)")
        #expect(claimed.object["owner"] as? String == buyer)
        let owned = try box.mote(["device", "show", tagID, "--json"] + rpc)
        #expect(owned.object["status"] as? String == "active")
        #expect(owned.object["owner"] as? String == buyer)
        #expect(owned.object["stake"] as? String == Self.fee)
        let claimedTwice = try box.mote(["device", "claim", "--device-key", tagPath, "--key-file", ownerKey] + rpc)
        #expect(claimedTwice.status == 1)
        #expect(claimedTwice.stderr.contains("device \(tagID) is already claimed"), "\(claimedTwice.stderr)")

        // Every device, and one the chain does not know.
        let all = try box.mote(["device", "list", "--json"] + rpc)
        #expect(Set((all.json as? [[String: Any]])?.compactMap { $0["deviceId"] as? String } ?? []) == [id, tagID], "\(all.stdout)")
        let table = try box.mote(["device", "list"] + rpc)
        #expect(table.stdout.contains("revoked") && table.stdout.contains("tag-2"), "\(table.stdout)")
        let unknown = "0x000000000000000000000000000000000000dEaD"
        let missing = try box.mote(["device", "show", unknown] + rpc)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no device \(unknown)"), "\(missing.stderr)")
    }

    /// Mistakes caught before any node is asked (the URL points nowhere).
    @Test func argumentErrorsWithoutANode() throws {
        let box = try Sandbox()
        let nowhere = ["--rpc", "http://127.0.0.1:1"]
        let keyFile = try box.file("key", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let notJSON = try box.file("device.json", "hello")
        let badCurve = try box.file("curve.json", #"{"curve": "rsa", "publicKey": "0x00"}"#)
        let badKey = try box.file("point.json", #"{"curve": "p256", "publicKey": "0x02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}"#)
        let device = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        let cases: [([String], String)] = [
            (["device", "register", "--device-key", notJSON, "--model", "m", "--key-file", keyFile], "is not JSON"),
            (["device", "register", "--device-key", badCurve, "--model", "m", "--key-file", keyFile], "curve must be p256, secp256k1 or ed25519"),
            (["device", "register", "--device-key", badKey, "--model", "m", "--key-file", keyFile], "not a valid p256 public key"),
            (["device", "register", "--device-key", box.root.path + "/none.json", "--model", "m", "--key-file", keyFile], "cannot read --device-key"),
            (["device", "transfer", "--device", "0x12", "--to", device, "--key-file", keyFile], "invalid --device id"),
            (["device", "transfer", "--device", device, "--to", "bob", "--key-file", keyFile], "invalid --to address"),
            (["device", "retention", "--device", device, "--days", "0", "--key-file", keyFile], "invalid --days 0: retention is 1 to 3650 days"),
            (["device", "show", "0xabc"], "invalid device id"),
            (["device", "list", "--owner", "0xabc"], "invalid --owner address"),
        ]
        for (arguments, message) in cases {
            let run = try box.mote(arguments + nowhere)
            #expect(run.status == 1, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("cannot reach"), "\(arguments) asked the node: \(run.stderr)")
        }
        let curve = try box.mote(["device", "keygen", "--curve", "rsa"])
        #expect(curve.status == 1)
        #expect(curve.stderr.contains("invalid --curve \"rsa\": expected p256, secp256k1 or ed25519"), "\(curve.stderr)")
        let printed = try box.mote(["device", "keygen", "--curve", "secp256k1"])
        let key = printed.object
        #expect(key["curve"] as? String == "secp256k1" && (key["secret"] as? String)?.count == 66, "\(printed.stdout)")
        let valid = try box.file("valid.json", printed.stdout)
        let model = try box.mote(["device", "register", "--device-key", valid, "--model", String(repeating: "m", count: 65), "--key-file", keyFile] + nowhere)
        #expect(model.status == 1)
        #expect(model.stderr.contains("invalid --model \"mmmm"), "\(model.stderr)")
        #expect(model.stderr.contains("1 to 64 bytes"), "\(model.stderr)")
        let maker = try box.mote(["device", "register", "--device-key", valid, "--model", "m", "--manufacturer", String(repeating: "x", count: 65), "--key-file", keyFile] + nowhere)
        #expect(maker.stderr.contains("invalid --manufacturer"), "\(maker.stderr)")
        let publicOnly = try box.file("public.json", #"{"curve": "secp256k1", "publicKey": "\#(key["publicKey"] as? String ?? "")"}"#)
        let noSecret = try box.mote(["device", "register", "--device-key", publicOnly, "--model", "m", "--key-file", keyFile] + nowhere)
        #expect(noSecret.stderr.contains("has no secret: the registration proof is signed with it (or pass the device's --proof)"), "\(noSecret.stderr)")
        let badProof = try box.mote(["device", "preregister", "--device-key", publicOnly, "--model", "m", "--proof", "0x1234", "--key-file", keyFile] + nowhere)
        #expect(badProof.stderr.contains("invalid --proof"), "\(badProof.stderr)")
        #expect(!noSecret.stderr.contains("cannot reach") && !badProof.stderr.contains("cannot reach"))
        let mismatch = try box.file("mismatch.json", #"{"curve": "secp256k1", "secret": "\#(key["secret"] as? String ?? "")", "deviceId": "\#(device)"}"#)
        let wrongID = try box.mote(["device", "claim", "--device-key", mismatch, "--key-file", keyFile] + nowhere)
        #expect(wrongID.stderr.contains("deviceId is not the key's id"), "\(wrongID.stderr)")
        let json = try box.mote(["device", "show", "0xabc", "--json"] + nowhere)
        #expect(json.error?.contains("invalid device id") == true, "\(json.stdout)")
    }
}
