import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import MoteTransactions
import Testing

@testable import MoteLedger

/// The device registry on a real ledger: registration with a staked fee, pre-registration and
/// claims with proofs on every curve, ownership, statuses, retention, revocation and refunds.
@Suite struct DeviceRegistryTests {
    typealias Chain = StakingTests.Chain
    static let mote = ProtocolParameters.mote
    static let fee = mote / 10
    static let keys = StakingTests.keys
    static let registry = DeviceRegistryABI.address

    static func genesis() -> Genesis {
        var p = StakingTests.parameters()
        p.deviceActivationFee = UInt256Text(fee)
        p.defaultRetentionDays = 45
        return StakingTests.genesis(p)
    }

    static func deviceKey(_ curve: DeviceCurve, _ n: Int) -> DevicePrivateKey {
        try! DevicePrivateKey(curve: curve, secret: Keccak256.hash(utf8: "device key \(curve) \(n)").bytes)
    }

    static func curve(_ key: DevicePrivateKey) -> ABIValue { .uint(UInt256(UInt64(key.curve.rawValue))) }

    /// The device key's proof of `action` by `account` on the test chain.
    static func proof(_ action: DeviceClaim.Action, _ device: DevicePrivateKey, _ account: Secp256k1.PrivateKey) -> ABIValue {
        .bytes(DeviceClaim.proof(action, by: device, chainID: genesis().chainID, claimant: account.address))
    }

    func register(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ device: DevicePrivateKey, model: String = "meter-1",
                  manufacturer: String = "Acme", value: UInt256 = fee) throws -> SignedTransaction {
        try chain.call(owner, Self.registry, DeviceRegistryABI.registerDevice,
                       [Self.curve(device), .bytes(device.publicKey.bytes), .string(model), .string(manufacturer),
                        Self.proof(.register, device, owner)], value: value)
    }

    func device(_ chain: Chain, _ id: Address) throws -> [ABIValue] {
        try chain.read(Self.registry, DeviceRegistryABI.device, [.address(id)])
    }

    func reasons(_ receipts: [Receipt]) -> [String] { receipts.map { $0.failureReason ?? "ok" } }

    /// The sum of every balance is the head's total supply.
    func expectSupplyConserved(_ chain: Chain) throws {
        var sum = UInt256.zero
        try chain.ledger.store.forEachAccount { _, account in sum += account.balance }
        #expect(sum == chain.ledger.head.totalSupply)
        #expect(chain.ledger.head.minted == .zero)
    }

    @Test func registerTransferSuspendResumeRetainAndRevokeWithRefund() throws {
        let chain = try Chain(Self.genesis())
        let (a, b) = (Self.keys[0], Self.keys[1])
        let key = Self.deviceKey(.p256, 1)
        let id = key.publicKey.deviceID
        let supply = chain.ledger.head.totalSupply
        let registered = try chain.block([try register(chain, a, key)])
        #expect(registered[0].logs.count == 1)
        #expect(registered[0].logs[0].topics[0] == DeviceRegistryABI.deviceRegistered.abi.topic0)
        #expect(Address(suffixOf: registered[0].logs[0].topics[1]) == id)
        #expect(try chain.balance(Self.registry) == Self.fee, "the fee is held by the contract")

        let view = try device(chain, id)
        #expect(view == [
            .uint(1), .bytes(key.publicKey.bytes), .address(a.address), .address(.zero), .string("meter-1"), .uint(1),
            .uint(UInt256(chain.time)), .uint(45), .uint(Self.fee), .string("Acme"),
        ])
        #expect(try chain.read(Self.registry, DeviceRegistryABI.devicesOf, [.address(a.address)]) == [.array([.address(id)])])
        #expect(try chain.read(Self.registry, DeviceRegistryABI.deviceCount, []) == [.uint(1)])
        #expect(try chain.read(Self.registry, DeviceRegistryABI.deviceAt, [.uint(0)]) == [.address(id)])
        #expect(try chain.read(Self.registry, DeviceRegistryABI.deviceParameters, []) == [.uint(Self.fee), .uint(45), .uint(3_650)])

        // The owner gives it to b: the listing moves, the stake goes with it.
        let moved = try chain.block([try chain.call(a, Self.registry, DeviceRegistryABI.transferDevice, [.address(id), .address(b.address)])])
        #expect(moved[0].logs[0].topics.count == 4)
        #expect(try chain.read(Self.registry, DeviceRegistryABI.devicesOf, [.address(a.address)]) == [.array([])])
        #expect(try chain.read(Self.registry, DeviceRegistryABI.devicesOf, [.address(b.address)]) == [.array([.address(id)])])
        #expect(try device(chain, id)[2] == .address(b.address))

        try chain.block([
            try chain.call(b, Self.registry, DeviceRegistryABI.suspendDevice, [.address(id)]),
            try chain.call(b, Self.registry, DeviceRegistryABI.setRetention, [.address(id), .uint(365)]),
        ])
        #expect(try device(chain, id)[5] == .uint(2))
        #expect(try device(chain, id)[7] == .uint(365))
        try chain.block([try chain.call(b, Self.registry, DeviceRegistryABI.resumeDevice, [.address(id)])])
        #expect(try device(chain, id)[5] == .uint(1))

        // Revoked: the stake goes back to the owner; the record stays.
        let before = try chain.balance(b.address)
        let revoked = try chain.block([try chain.call(b, Self.registry, DeviceRegistryABI.revokeDevice, [.address(id)])])
        let gasPaid = UInt256(revoked[0].gasUsed) * revoked[0].effectiveGasPrice
        #expect(try chain.balance(b.address) == before + Self.fee - gasPaid)
        #expect(try chain.balance(Self.registry) == .zero)
        #expect(try device(chain, id)[5] == .uint(3))
        #expect(try device(chain, id)[8] == .uint(0))
        #expect(revoked[0].logs[0].topics[0] == DeviceRegistryABI.deviceRevoked.abi.topic0)
        #expect(try ABI.decode([.uint(256)], from: revoked[0].logs[0].data) == [.uint(Self.fee)])

        // Staked, not burned: only base fees left the supply.
        #expect(chain.ledger.head.totalSupply == supply - chain.ledger.head.burned)
        try expectSupplyConserved(chain)

        // A revoked device is final, and its key can never be registered again.
        let after = try chain.block([
            try chain.call(b, Self.registry, DeviceRegistryABI.resumeDevice, [.address(id)]),
            try chain.call(b, Self.registry, DeviceRegistryABI.revokeDevice, [.address(id)]),
            try register(chain, a, key),
        ], allowFailure: true)
        #expect(reasons(after) == [
            "device \(id.checksummed) is revoked", "device \(id.checksummed) is revoked", "device \(id.checksummed) is already registered",
        ])
    }

    @Test func refusalsSayWhy() throws {
        let chain = try Chain(Self.genesis())
        let (a, b) = (Self.keys[0], Self.keys[1])
        let key = Self.deviceKey(.ed25519, 1)
        let id = key.publicKey.deviceID
        try chain.block([try register(chain, a, key)])
        let unknown = Self.deviceKey(.secp256k1, 9).publicKey.deviceID
        let longName = String(repeating: "m", count: 65)
        let uncompressed = [UInt8](repeating: 4, count: 66)
        let badPoint = [UInt8](repeating: 0xff, count: 33)
        let other = Self.deviceKey(.p256, 2)
        let receipts = try chain.block([
            try register(chain, b, Self.deviceKey(.p256, 3), value: Self.fee - 1),
            try register(chain, b, Self.deviceKey(.p256, 3), value: Self.fee + 1),
            try chain.call(b, Self.registry, DeviceRegistryABI.registerDevice, [.uint(4), .bytes(other.publicKey.bytes), .string("m"), .string(""), Self.proof(.register, other, b)], value: Self.fee),
            try chain.call(b, Self.registry, DeviceRegistryABI.registerDevice, [.uint(1), .bytes(uncompressed), .string("m"), .string(""), Self.proof(.register, other, b)], value: Self.fee),
            try chain.call(b, Self.registry, DeviceRegistryABI.registerDevice, [.uint(1), .bytes(badPoint), .string("m"), .string(""), Self.proof(.register, other, b)], value: Self.fee),
            try register(chain, b, other, model: longName),
            try register(chain, b, other, model: ""),
            try register(chain, b, other, manufacturer: longName),
            try register(chain, b, key),
            try chain.call(b, Self.registry, DeviceRegistryABI.transferDevice, [.address(id), .address(b.address)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.transferDevice, [.address(id), .address(.zero)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.transferDevice, [.address(id), .address(a.address)]),
            try chain.call(b, Self.registry, DeviceRegistryABI.suspendDevice, [.address(id)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.resumeDevice, [.address(id)]),
            try chain.call(b, Self.registry, DeviceRegistryABI.revokeDevice, [.address(id)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.setRetention, [.address(id), .uint(0)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.setRetention, [.address(id), .uint(3_651)]),
            try chain.call(b, Self.registry, DeviceRegistryABI.setRetention, [.address(id), .uint(10)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.suspendDevice, [.address(unknown)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.suspendDevice, [.address(id)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.suspendDevice, [.address(id)]),
            try chain.call(a, Self.registry, DeviceRegistryABI.preRegisterDevice, [Self.curve(other), .bytes(other.publicKey.bytes), .string("m"), Self.proof(.preRegister, other, a)], value: 1),
        ], allowFailure: true)
        #expect(reasons(receipts) == [
            "the activation fee is \(Self.fee) wei; sent \(Self.fee - 1)",
            "the activation fee is \(Self.fee) wei; sent \(Self.fee + 1)",
            "unknown curve 4 (1 p256, 2 secp256k1, 3 ed25519)",
            "publicKey is at most 65 bytes",
            "publicKey is not a valid p256 public key",
            "model is 1 to 64 bytes",
            "model is 1 to 64 bytes",
            "manufacturer is at most 64 bytes",
            "device \(id.checksummed) is already registered",
            "device \(id.checksummed) belongs to \(a.address.checksummed)",
            "cannot transfer to the zero address",
            "device \(id.checksummed) already belongs to \(a.address.checksummed)",
            "device \(id.checksummed) belongs to \(a.address.checksummed)",
            "device \(id.checksummed) is not suspended",
            "device \(id.checksummed) belongs to \(a.address.checksummed)",
            "retention is 1 to 3650 days; got 0",
            "retention is 1 to 3650 days; got 3651",
            "device \(id.checksummed) belongs to \(a.address.checksummed)",
            "no device \(unknown.checksummed)",
            "ok",
            "device \(id.checksummed) is already suspended",
            "preRegisterDevice is not payable",
        ])
        // Failed calls changed nothing: one device, its fee held.
        #expect(try chain.read(Self.registry, DeviceRegistryABI.deviceCount, []) == [.uint(1)])
        #expect(try chain.balance(Self.registry) == Self.fee)
        #expect(throws: Error.self) { try device(chain, unknown) }
        let missing = try chain.ledger.call(from: .zero, to: Self.registry, data: try DeviceRegistryABI.device.abi.encodeCall([.address(unknown)]))
        #expect(throws: SystemContractRevert("no device \(unknown.checksummed)")) { try missing.get() }
        try expectSupplyConserved(chain)
    }

    @Test(arguments: DeviceCurve.allCases)
    func preRegisteredDeviceIsClaimedWithAProofOfPossession(curve: DeviceCurve) throws {
        let chain = try Chain(Self.genesis())
        let (maker, buyer, thief) = (Self.keys[2], Self.keys[3], Self.keys[4])
        let key = Self.deviceKey(curve, 7)
        let id = key.publicKey.deviceID
        let pre = try chain.block([
            try chain.call(maker, Self.registry, DeviceRegistryABI.preRegisterDevice, [Self.curve(key), .bytes(key.publicKey.bytes), .string("tracker"), Self.proof(.preRegister, key, maker)]),
        ])
        #expect(pre[0].logs[0].topics[0] == DeviceRegistryABI.devicePreRegistered.abi.topic0)
        var view = try device(chain, id)
        #expect(view[2] == .address(.zero))
        #expect(view[3] == .address(maker.address))
        #expect(view[5] == .uint(0))
        #expect(view[8] == .uint(0))
        #expect(try chain.balance(Self.registry) == .zero, "pre-registering costs no fee")

        let chainID = chain.ledger.genesis.chainID
        let proof = DeviceClaim.proof(.claim, by: key, chainID: chainID, claimant: buyer.address)
        let wrongClaimant = DeviceClaim.proof(.claim, by: key, chainID: chainID, claimant: thief.address)
        let wrongChain = DeviceClaim.proof(.claim, by: key, chainID: chainID + 1, claimant: thief.address)
        let wrongKey = DeviceClaim.proof(.claim, by: Self.deviceKey(curve, 8), chainID: chainID, claimant: thief.address)
        let refused = try chain.block([
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(proof)], value: Self.fee),
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(wrongChain)], value: Self.fee),
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(wrongKey)], value: Self.fee),
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(Array(wrongClaimant.prefix(63)))], value: Self.fee),
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(wrongClaimant)], value: .zero),
            try chain.call(maker, Self.registry, DeviceRegistryABI.suspendDevice, [.address(id)]),
        ], allowFailure: true)
        let notTheProof = "the proof is not device \(id.checksummed)'s signature of the claim by \(thief.address.checksummed)"
        #expect(reasons(refused) == [
            notTheProof, notTheProof, notTheProof, "the claim proof is a 64-byte signature by the device key; got 63 bytes",
            "the activation fee is \(Self.fee) wei; sent 0", "device \(id.checksummed) is unclaimed",
        ])

        let claimed = try chain.block([
            try chain.call(buyer, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(proof)], value: Self.fee),
        ])
        #expect(claimed[0].logs[0].topics[0] == DeviceRegistryABI.deviceClaimed.abi.topic0)
        view = try device(chain, id)
        #expect(view[2] == .address(buyer.address))
        #expect(view[3] == .address(maker.address))
        #expect(view[5] == .uint(1))
        #expect(view[8] == .uint(Self.fee))
        #expect(try chain.read(Self.registry, DeviceRegistryABI.devicesOf, [.address(buyer.address)]) == [.array([.address(id)])])
        #expect(try chain.balance(Self.registry) == Self.fee)

        let again = try chain.block([
            try chain.call(thief, Self.registry, DeviceRegistryABI.claimDevice, [.address(id), .bytes(wrongClaimant)], value: Self.fee),
        ], allowFailure: true)
        #expect(reasons(again) == ["device \(id.checksummed) is already claimed"])
        try expectSupplyConserved(chain)
    }

    @Test func claimDigestIsTheDocumentedHash() {
        let id = Address(suffixOf: Keccak256.hash(utf8: "device"))
        let claimant = Address(suffixOf: Keccak256.hash(utf8: "claimant"))
        var bytes = Array("MOTE-DEVICE-CLAIM-V1".utf8)
        bytes += [0, 0, 0, 0, 0, 0, 0x12, 0x51]
        bytes += id.bytes + claimant.bytes
        #expect(DeviceClaim.digest(.claim, chainID: 4_689, deviceID: id, claimant: claimant) == SHA256Digest.hash(bytes))
        #expect(DeviceClaim.digest(.claim, chainID: 4_690, deviceID: id, claimant: claimant) != SHA256Digest.hash(bytes))
        // Each action has its own tag, so the three digests differ.
        for action in DeviceClaim.Action.allCases {
            var tagged = Array(action.tag.utf8) + [0, 0, 0, 0, 0, 0, 0x12, 0x51]
            tagged += id.bytes + claimant.bytes
            #expect(DeviceClaim.digest(action, chainID: 4_689, deviceID: id, claimant: claimant) == SHA256Digest.hash(tagged))
        }
        #expect(Set(DeviceClaim.Action.allCases.map(\.tag)).count == 3)
    }

    @Test func devicesParametersComeFromTheGenesisFile() throws {
        let json = #"{"chainId": 7, "alloc": {}, "parameters": {"deviceActivationFee": "5", "defaultRetentionDays": 90}}"#
        let genesis = try Genesis(json: Data(json.utf8))
        #expect(genesis.parameters.deviceActivationFee.value == 5)
        #expect(genesis.parameters.defaultRetentionDays == 90)
        let defaults = try Genesis(json: Data(#"{"chainId": 7, "alloc": {}}"#.utf8))
        #expect(defaults.parameters.deviceActivationFee.value == Self.mote)
        #expect(defaults.parameters.defaultRetentionDays == 30)
        #expect(throws: ChainDecodingError.self) {
            try Genesis(json: Data(#"{"chainId": 7, "alloc": {}, "parameters": {"defaultRetentionDays": 0}}"#.utf8))
        }
        #expect(Ledger.genesisConfigHash(genesis) != Ledger.genesisConfigHash(defaults))
    }
}
