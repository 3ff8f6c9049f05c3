import Foundation
import MoteTestSupport
import Testing

/// `mote witness …` against a real one-node devnet: a witness key file, joining a device to the
/// witness pool, reading it back by id and by key, the pool's status, leaving.
@Suite(.serialized) struct WitnessCommandTests {
    static let pool = "0x00000000000000000000000000004d4f54450006"

    @Test(.timeLimit(.minutes(3)))
    func witnessLifecycleOnADevnet() throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box)
        defer { devnet.stop() }
        let rpc = ["--rpc", devnet.rpcURL]
        let owner = devnet.accounts[0].address
        let ownerKey = try box.file("owner.key", devnet.accounts[0].privateKey)
        let otherKey = try box.file("other.key", devnet.accounts[1].privateKey)

        // The devnet funds the witness pool.
        let fund = StakingCommandTests.number(LocalDevnet.rpc(devnet.rpcURL, "eth_getBalance", [Self.pool, "latest"]))
        #expect(fund == Decimal(string: "100000000000000000000000"))

        // keygen: a 0600 file with the seed; the public key printed; never overwritten.
        let witnessPath = box.root.appendingPathComponent("witness.key").path
        let keygen = try box.mote(["witness", "keygen", "--out", witnessPath, "--json"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let witnessKey = try #require(keygen.object["witnessKey"] as? String)
        #expect(witnessKey.count == 66)
        #expect(try FileManager.default.attributesOfItem(atPath: witnessPath)[.posixPermissions] as? Int == 0o600)
        let seed = try String(contentsOfFile: witnessPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(seed.count == 66 && seed.hasPrefix("0x"))
        let again = try box.mote(["witness", "keygen", "--out", witnessPath])
        #expect(again.status == 1)

        // A device to join.
        let devicePath = box.root.appendingPathComponent("meter.json").path
        let device = try box.mote(["device", "keygen", "--curve", "ed25519", "--out", devicePath])
        let id = device.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let registered = try box.mote(["device", "register", "--device-key", devicePath, "--model", "meter", "--key-file", ownerKey] + rpc)
        #expect(registered.status == 0, "\(registered.stderr)")

        // Only the owner can join it; a bad key file is refused before anything is sent.
        let badKey = try box.file("bad.key", "0x1234\n")
        let bad = try box.mote(["witness", "join", "--witness-key", badKey, "--device", id, "--key-file", ownerKey] + rpc)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("64 hex digits"), "\(bad.stderr)")
        let stolen = try box.mote(["witness", "join", "--witness-key", witnessPath, "--device", id, "--key-file", otherKey] + rpc)
        #expect(stolen.status == 1)
        #expect(stolen.stderr.contains("belongs to"), "\(stolen.stderr)")
        let notNode = try box.mote(["witness", "join", "--witness-key", witnessPath, "--key-file", otherKey] + rpc)
        #expect(notNode.status == 1)
        #expect(notNode.stderr.contains("NodeRegistry"), "\(notNode.stderr)")

        let joined = try box.mote(["witness", "join", "--witness-key", witnessPath, "--device", id, "--key-file", ownerKey, "--json"] + rpc)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.object["status"] as? String == "success")
        #expect((joined.object["witnessId"] as? String)?.lowercased() == id.lowercased())
        #expect(joined.object["kind"] as? String == "device")

        // show by id and by key; list; status.
        let shown = try box.mote(["witness", "show", id, "--json"] + rpc)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.object["kind"] as? String == "device")
        #expect(shown.object["witnessKey"] as? String == witnessKey)
        #expect((shown.object["owner"] as? String)?.lowercased() == owner.lowercased())
        #expect(shown.object["reputation"] as? String == "0x64")
        #expect(shown.object["active"] as? Bool == true)
        let byKey = try box.mote(["witness", "show", witnessKey, "--json"] + rpc)
        #expect((byKey.object["id"] as? String)?.lowercased() == id.lowercased())
        let text = try box.mote(["witness", "show", id] + rpc)
        #expect(text.stdout.contains("reputation") && text.stdout.contains("100"), "\(text.stdout)")
        let missing = try box.mote(["witness", "show", "0x" + String(repeating: "ab", count: 32)] + rpc)
        #expect(missing.status == 1)
        #expect(try box.mote(["witness", "show", "nonsense"] + rpc).status == 1)
        let listed = try box.mote(["witness", "list"] + rpc)
        #expect(listed.stdout.contains("device"), "\(listed.stdout)")
        let status = try box.mote(["witness", "status", "--height", "1", "--json"] + rpc)
        #expect(status.status == 0, "\(status.stderr)")
        let parameters = status.object["parameters"] as? [String: Any] ?? [:]
        #expect(parameters["expectedWitnesses"] as? String == "0x10")
        #expect(parameters["threshold"] as? String == "0xa")
        let epoch = status.object["epoch"] as? [String: Any] ?? [:]
        #expect((epoch["seed"] as? String)?.count == 66)
        let height = status.object["height"] as? [String: Any] ?? [:]
        #expect(height["witnessed"] as? Bool == false)

        // leave: the owner's; then the witness is inactive.
        let left = try box.mote(["witness", "leave", "--id", id, "--key-file", ownerKey, "--json"] + rpc)
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try box.mote(["witness", "show", id, "--json"] + rpc).object["active"] as? Bool == false)
    }
}
