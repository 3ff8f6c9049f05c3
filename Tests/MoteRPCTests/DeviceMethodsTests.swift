import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPC
import MoteTelemetry
import MoteTransactions
import Testing

/// `mote_device`, `mote_devices`, `mote_deviceCount` and `mote_deviceParameters` against a
/// real ledger: the shape stream nodes read devices in.
@Suite struct DeviceMethodsTests {
    func send(_ chain: TestChain, _ rpc: RPCService, _ key: Secp256k1.PrivateKey, nonce: UInt64, _ function: SystemFunction,
              _ args: [ABIValue], value: UInt256 = .zero) async throws -> Hash32 {
        let tx = Transaction.dynamicFee(
            chainID: TestChain.chainID, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 2_000_000,
            to: DeviceRegistryABI.address, value: value, data: try function.abi.encodeCall(args)
        ).signed(with: key)
        _ = try await rpc.result("eth_sendRawTransaction", [.data(tx.rawBytes)])
        return tx.hash
    }

    @Test func deviceMethodsDescribeRegisteredAndUnclaimedDevices() async throws {
        let chain = try TestChain(balance: TestChain.ether * 100)
        let rpc = RPCService(backend: chain)
        let (owner, maker) = (TestChain.keys[0], TestChain.keys[1])
        let fee = ProtocolParameters.mote
        let p256 = try DevicePrivateKey(curve: .p256, secret: Keccak256.hash(utf8: "rpc device 1").bytes)
        let ed = try DevicePrivateKey(curve: .ed25519, secret: Keccak256.hash(utf8: "rpc device 2").bytes)
        let uncompressed = try P256Signing.PrivateKey(rawRepresentation: p256.secret).publicKey.uncompressed
        let registered = try await send(chain, rpc, owner, nonce: 0, DeviceRegistryABI.registerDevice,
                                        [.uint(1), .bytes(uncompressed), .string("meter"), .string("Acme"),
                                         .bytes(DeviceClaim.proof(.register, by: p256, chainID: TestChain.chainID, claimant: owner.address))],
                                        value: fee)
        let preRegistered = try await send(chain, rpc, maker, nonce: 0, DeviceRegistryABI.preRegisterDevice,
                                           [.uint(3), .bytes(ed.publicKey.bytes), .string("tag"),
                                            .bytes(DeviceClaim.proof(.preRegister, by: ed, chainID: TestChain.chainID, claimant: maker.address))])
        try chain.produce()
        for hash in [registered, preRegistered] {
            #expect(try await rpc.result("eth_getTransactionReceipt", [.hash(hash)])["status"] == .s("0x1"))
        }

        let id = p256.publicKey.deviceID
        let device = try await rpc.result("mote_device", [.address(id)])
        #expect(device == .object([
            "deviceId": .address(id), "curve": .s("p256"), "publicKey": .data(p256.publicKey.bytes), "owner": .address(owner.address),
            "manufacturer": .null, "manufacturerName": .s("Acme"), "model": .s("meter"), "status": .s("active"),
            "registeredAt": .quantity(UInt64(1_001)), "retentionDays": .s("0x1e"), "stake": .quantity(fee),
        ]), "the key is stored canonically (compressed)")
        let unclaimed = try await rpc.result("mote_device", [.address(ed.publicKey.deviceID)])
        #expect(unclaimed["owner"] == .null)
        #expect(unclaimed["manufacturer"] == .address(maker.address))
        #expect(unclaimed["status"] == .s("unclaimed"))
        #expect(unclaimed["curve"] == .s("ed25519"))
        #expect(unclaimed["stake"] == .s("0x0"))

        let unknown = Address(suffixOf: Keccak256.hash(utf8: "no such device"))
        let missing = try await rpc.error("mote_device", [.address(unknown)])
        #expect(missing.code == -32001)
        #expect(missing.message == "no device \(unknown.checksummed)")
        #expect(try await rpc.error("mote_device", [.s("0x12")]).code == -32602)
        #expect(try await rpc.error("mote_device", []).code == -32602)

        #expect(try await rpc.result("mote_devices", [.address(owner.address)]) == .array([device]))
        #expect(try await rpc.result("mote_devices", [.address(maker.address)]) == .array([]))
        let all = try #require(try await rpc.result("mote_devices").arrayValue)
        #expect(all.count == 2 && all.contains(device) && all.contains(unclaimed))
        #expect(try await rpc.result("mote_deviceCount") == .s("0x2"))
        #expect(try await rpc.result("mote_deviceParameters") == .object([
            "activationFee": .quantity(fee), "defaultRetentionDays": .s("0x1e"), "maxRetentionDays": .s("0xe42"),
        ]))

        // A claim makes the unclaimed device its claimant's.
        let proof = DeviceClaim.proof(.claim, by: ed, chainID: TestChain.chainID, claimant: owner.address)
        let claim = try await send(chain, rpc, owner, nonce: 1, DeviceRegistryABI.claimDevice,
                                   [.address(ed.publicKey.deviceID), .bytes(proof)], value: fee)
        try chain.produce()
        #expect(try await rpc.result("eth_getTransactionReceipt", [.hash(claim)])["status"] == .s("0x1"))
        let owned = try #require(try await rpc.result("mote_devices", [.address(owner.address)]).arrayValue)
        #expect(owned.map { $0["status"] } == [.s("active"), .s("active")])
        #expect(owned.last?["owner"] == .address(owner.address))
        #expect(owned.last?["manufacturer"] == .address(maker.address))
    }
}
