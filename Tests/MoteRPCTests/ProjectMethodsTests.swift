import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPC
import MoteTelemetry
import MoteTransactions
import Testing

/// `mote_projects`, `mote_project`, `mote_projectResults`, `mote_deviceResults`,
/// `mote_ownerRewards` and `mote_projectParameters` against a real ledger running a real applet.
@Suite struct ProjectMethodsTests {
    /// A WebAssembly applet that writes one byte: the number of messages (as in ProjectRegistryTests).
    static let applet: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00,
        0x02, 0x2a, 0x02, 0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0d] + Array("message_count".utf8) + [0x00, 0x00,
        0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0c] + Array("write_result".utf8) + [0x00, 0x01,
        0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x10, 0x02, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
        0x0a, 0x13, 0x01, 0x11, 0x00, 0x41, 0x00, 0x10, 0x00, 0x3a, 0x00, 0x00, 0x41, 0x00, 0x41, 0x01, 0x10, 0x01, 0x41, 0x00, 0x0b,
    ]

    final class Sender {
        var nonces: [Address: UInt64] = [:]
        func send(_ chain: TestChain, _ rpc: RPCService, _ key: Secp256k1.PrivateKey, _ contract: Address, _ function: SystemFunction,
                  _ args: [ABIValue], value: UInt256 = .zero) async throws -> Hash32 {
            let nonce = nonces[key.address, default: 0]
            nonces[key.address] = nonce + 1
            let tx = Transaction.dynamicFee(
                chainID: TestChain.chainID, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 3_000_000,
                to: contract, value: value, data: try function.abi.encodeCall(args)
            ).signed(with: key)
            _ = try await rpc.result("eth_sendRawTransaction", [.data(tx.rawBytes)])
            return tx.hash
        }
    }

    @Test func projectsResultsAndAnOwnersRewards() async throws {
        var parameters = ProtocolParameters()
        parameters.minimumChallengeSeconds = 1
        let chain = try TestChain(balance: TestChain.ether * 10_000, parameters: parameters)
        let rpc = RPCService(backend: chain)
        let sender = Sender()
        let (sponsor, owner, op) = (TestChain.keys[0], TestChain.keys[1], TestChain.keys[2])
        let mote = ProtocolParameters.mote
        let registry = ProjectRegistryABI.address
        let device = try DevicePrivateKey(curve: .ed25519, secret: Keccak256.hash(utf8: "rpc project device").bytes)
        let id = device.publicKey.deviceID
        var sent = [
            try await sender.send(chain, rpc, sponsor, registry, ProjectRegistryABI.createProject, [
                .bytes(Self.applet), .bytes([]), .string("count"), .uint(mote * 2), .uint(1), .uint(1),
            ], value: mote * 3),
            try await sender.send(chain, rpc, owner, DeviceRegistryABI.address, DeviceRegistryABI.registerDevice, [
                .uint(3), .bytes(device.publicKey.bytes), .string("tracker"), .string(""),
                .bytes(DeviceClaim.proof(.register, by: device, chainID: TestChain.chainID, claimant: owner.address)),
            ], value: mote),
            try await sender.send(chain, rpc, op, registry, ProjectRegistryABI.depositBond, [], value: mote * 100),
        ]
        try chain.produce()
        sent.append(try await sender.send(chain, rpc, owner, registry, ProjectRegistryABI.joinProject, [.uint(1), .address(id)]))
        sent.append(try await sender.send(chain, rpc, owner, registry, ProjectRegistryABI.setPoster, [.uint(1), .address(id), .address(op.address)]))
        try chain.produce()
        // Block time is 1000 + height: the device joined at 1002 and window 1002 (1 s) has closed.
        sent.append(try await sender.send(chain, rpc, op, registry, ProjectRegistryABI.postResult, [
            .uint(1), .address(id), .uint(1_002), .bytes([2]), .uint(0), .fixedBytes(Hash32.zero.bytes),
        ]))
        try chain.produce()
        for hash in sent {
            let receipt = try await rpc.result("eth_getTransactionReceipt", [.hash(hash)])
            #expect(receipt["status"] == .s("0x1"), "\(receipt["failureReason"] ?? .null)")
        }

        let project = try await rpc.result("mote_project", [.s("0x1")])
        #expect(project["projectId"] == .s("0x1"))
        #expect(project["sponsor"] == .address(sponsor.address))
        #expect(project["name"] == .s("count"))
        #expect(project["appletHash"] == .data(Keccak256.hash(Self.applet).bytes))
        #expect(project["rewardPerResult"] == .quantity(mote * 2))
        #expect(project["pool"] == .quantity(mote * 3))
        #expect(project["reserved"] == .quantity(mote * 2))
        #expect(project["status"] == .s("active"))
        #expect(project["deviceCount"] == .s("0x1"))
        #expect(project["devices"] == .array([.address(id)]))
        #expect(try await rpc.result("mote_projects") == .array([project]))
        let missing = try await rpc.error("mote_project", [.s("0x9")])
        #expect(missing.code == -32001 && missing.message == "no project 9")
        #expect(try await rpc.error("mote_project", []).code == -32602)

        let results = try await rpc.result("mote_projectResults", [.s("0x1")])
        #expect(results.arrayValue?.count == 1)
        let result = results.arrayValue?.first
        #expect(result?["resultId"] == .s("0x1"))
        #expect(result?["deviceId"] == .address(id))
        #expect(result?["window"] == .quantity(UInt64(1_002)))
        #expect(result?["result"] == .data([2]))
        #expect(result?["poster"] == .address(op.address))
        #expect(result?["status"] == .s("pending"))
        #expect(result?["paid"] == .s("0x0"))
        #expect(try await rpc.result("mote_projectResults", [.s("0x1"), .s("0x3ea")]) == results)
        #expect(try await rpc.result("mote_projectResults", [.s("0x1"), .s("0x3eb")]) == .array([]))
        #expect(try await rpc.result("mote_deviceResults", [.address(id)]) == results)

        var rewards = try await rpc.result("mote_ownerRewards", [.address(owner.address)])
        #expect(rewards["owner"] == .address(owner.address))
        #expect(rewards["paid"] == .s("0x0"))
        #expect(rewards["pending"] == .s("0x1"))
        #expect(rewards["devices"]?.arrayValue?.first?["results"] == results)

        // The challenge period (1 s) ends with the next block: settled and paid.
        try chain.produce()
        rewards = try await rpc.result("mote_ownerRewards", [.address(owner.address)])
        #expect(rewards["paid"] == .quantity(mote * 2))
        #expect(rewards["pending"] == .s("0x0"))
        let settled = rewards["devices"]?.arrayValue?.first
        #expect(settled?["paid"] == .quantity(mote * 2))
        #expect(settled?["results"]?.arrayValue?.first?["status"] == .s("paid"))
        #expect(try await rpc.result("mote_ownerRewards", [.address(op.address)]) == .object([
            "owner": .address(op.address), "devices": .array([]), "paid": .s("0x0"), "pending": .s("0x0"),
        ]))

        #expect(try await rpc.result("mote_projectParameters") == .object([
            "minimumOperatorBond": .quantity(mote * 100), "challengeDeposit": .quantity(mote * 10), "challengerShare": .s("0x32"),
            "minimumChallengeSeconds": .s("0x1"),
        ]))
    }
}
