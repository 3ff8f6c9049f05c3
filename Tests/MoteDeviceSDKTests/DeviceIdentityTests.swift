import Foundation
import MoteDeviceSDK
import MotePrimitives
import MoteTelemetry
import Testing

/// Key files as `mote device keygen` writes them, the sequence counter, the buffer file.
@Suite struct DeviceIdentityTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mote-sdk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: DeviceCurve.allCases) func keyFilesRoundTripWithMode0600(curve: DeviceCurve) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/device.json"
        let identity = DeviceIdentity.generate(curve: curve)
        try identity.write(to: path)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: String] ?? [:]
        #expect(Set(object.keys) == ["curve", "secret", "publicKey", "deviceId"])
        #expect(object["curve"] == curve.description)
        #expect(object["deviceId"]?.lowercased() == identity.deviceID.hex)
        let read = try DeviceIdentity(contentsOf: path)
        #expect(read.deviceID == identity.deviceID)
        #expect(read.privateKey.secret == identity.privateKey.secret)
        #expect(throws: DeviceSDKError.self) { try identity.write(to: path) }
        #expect(try DeviceIdentity.loadOrCreate(at: path).deviceID == identity.deviceID)
    }

    @Test(arguments: DeviceCurve.allCases) func possessionProofsHoldForTheirActionAccountAndChainOnly(curve: DeviceCurve) {
        let identity = DeviceIdentity.generate(curve: curve)
        let (owner, other) = (Address(suffixOf: Hash32(bytes: [UInt8](repeating: 1, count: 32))!), Address.zero)
        for action in DeviceClaim.Action.allCases {
            let proof = identity.possessionProof(action, chainID: 4_689, account: owner)
            #expect(proof.count == 64)
            for checked in DeviceClaim.Action.allCases {
                #expect(DeviceClaim.isValid(proof, checked, key: identity.publicKey, chainID: 4_689, claimant: owner) == (checked == action))
            }
            #expect(!DeviceClaim.isValid(proof, action, key: identity.publicKey, chainID: 4_690, claimant: owner))
            #expect(!DeviceClaim.isValid(proof, action, key: identity.publicKey, chainID: 4_689, claimant: other))
        }
    }

    @Test func aKeyFileWhoseIdIsNotTheKeysIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let identity = DeviceIdentity.generate(curve: .ed25519)
        let path = folder + "/device.json"
        try Data(#"{"curve":"ed25519","secret":"\#(Hex.encode(identity.privateKey.secret))","deviceId":"0x000000000000000000000000000000000000dEaD"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        do throws(DeviceSDKError) {
            _ = try DeviceIdentity(contentsOf: path)
            Issue.record("a wrong deviceId was accepted")
        } catch {
            #expect(error.code == .badKeyFile)
            #expect(error.message.contains("deviceId"))
        }
    }

    @Test func theSequenceCounterNeverHandsOutANumberTwice() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/sequence"
        let counter = try SequenceCounter(path: path)
        #expect(counter.lastIssued == 0)
        #expect(try (0..<3).map { _ in try counter.next() } == [1, 2, 3])
        let reopened = try SequenceCounter(path: path)
        #expect(reopened.lastIssued == 3)
        #expect(try reopened.next() == 4)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "4\n")
    }

    @Test func aRecordCutShortByACrashIsDroppedWhenTheBufferIsOpened() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let identity = DeviceIdentity.generate()
        let transport = HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:1")!)
        do {
            let client = try TelemetryClient(identity: identity, chainID: 1, directory: folder, transport: transport)
            for n in 1...2 { try client.send(payload: Array("{\"n\":\(n)}".utf8)) }
        }
        // Half of a third record, as if the device lost power while appending it.
        let buffer = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/buffer"))
        try buffer.seekToEnd()
        try buffer.write(contentsOf: Data([0, 0, 0, 120, 1, 2, 3]))
        try buffer.close()
        let client = try TelemetryClient(identity: identity, chainID: 1, directory: folder, transport: transport)
        #expect(client.pendingCount == 2)
        #expect(try client.send(payload: Array("{}".utf8)).sequence == 3)
        #expect(client.pendingCount == 3)
    }
}
