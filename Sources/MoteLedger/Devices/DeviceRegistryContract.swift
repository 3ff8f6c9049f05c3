import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry

/// The device registry at 0x…4d4f54450004: which device keys exist on the chain, who owns each,
/// and whether its telemetry is accepted (docs/DEVICES.md).
///
/// Registering or claiming a device stakes the activation fee with the contract; revoking the
/// device (for good) refunds it to the owner, so the fee moves MOTE but never burns it. Every
/// call that records a key or gives it an owner (`registerDevice`, `preRegisterDevice`,
/// `claimDevice`) carries the device key's possession proof (`DeviceClaim`) naming the caller,
/// so nobody can take a key they only saw.
public struct DeviceRegistryContract: SystemContract {
    public typealias ABI = DeviceRegistryABI
    let genesis: Genesis

    /// The longest model or manufacturer name, in UTF-8 bytes.
    public static let maxNameBytes = 64
    /// The longest public key accepted (an uncompressed point).
    public static let maxKeyBytes = 65
    /// Gas for checking a possession proof (a signature verification, as `ecrecover` costs).
    public static let proofCheckGas: UInt64 = 3_000

    public init(genesis: Genesis) { self.genesis = genesis }

    // MARK: Calls

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<DeviceRegistryContract>(DeviceRegistryABI.self, [
        (DeviceRegistryABI.registerDevice, DeviceRegistryContract.registerDevice),
        (DeviceRegistryABI.preRegisterDevice, DeviceRegistryContract.preRegisterDevice),
        (DeviceRegistryABI.claimDevice, DeviceRegistryContract.claimDevice),
        (DeviceRegistryABI.transferDevice, DeviceRegistryContract.transferDevice),
        (DeviceRegistryABI.suspendDevice, DeviceRegistryContract.suspendDevice),
        (DeviceRegistryABI.resumeDevice, DeviceRegistryContract.resumeDevice),
        (DeviceRegistryABI.revokeDevice, DeviceRegistryContract.revokeDevice),
        (DeviceRegistryABI.setRetention, DeviceRegistryContract.setRetention),
        (DeviceRegistryABI.device, DeviceRegistryContract.device),
        (DeviceRegistryABI.devicesOf, DeviceRegistryContract.devicesOf),
        (DeviceRegistryABI.deviceCount, DeviceRegistryContract.deviceCount),
        (DeviceRegistryABI.deviceAt, DeviceRegistryContract.deviceAt),
        (DeviceRegistryABI.deviceParameters, DeviceRegistryContract.deviceParameters),
    ])

    func registerDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let key = try newKey(curve: try a.uint64("curve"), bytes: try a.bytes("publicKey"), book: book)
        let model = try modelName(try a.string("model"))
        let manufacturer = try a.string("manufacturer")
        guard manufacturer.utf8.count <= Self.maxNameBytes else {
            throw SystemContractRevert("manufacturer is at most \(Self.maxNameBytes) bytes")
        }
        try checkProof(try a.bytes("proof"), .register, key: key, context: context)
        try checkFee(context)
        let device = DeviceRecord(
            deviceID: key.deviceID, curve: key.curve, publicKey: key.bytes, owner: context.caller, manufacturer: nil, manufacturerName: manufacturer,
            model: model, status: .active, registeredAt: context.timestamp, retentionDays: context.parameters.defaultRetentionDays,
            stake: context.value)
        try book.add(device)
        try context.emit(DeviceRegistryABI.deviceRegistered, [
            .address(key.deviceID), .address(context.caller), .uint(UInt256(UInt64(key.curve.rawValue))), .string(model),
            .string(manufacturer),
        ])
        return [.address(key.deviceID)]
    }

    func preRegisterDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let key = try newKey(curve: try a.uint64("curve"), bytes: try a.bytes("publicKey"), book: book)
        let model = try modelName(try a.string("model"))
        try checkProof(try a.bytes("proof"), .preRegister, key: key, context: context)
        let device = DeviceRecord(
            deviceID: key.deviceID, curve: key.curve, publicKey: key.bytes, owner: nil, manufacturer: context.caller, manufacturerName: "", model: model,
            status: .unclaimed, registeredAt: context.timestamp, retentionDays: context.parameters.defaultRetentionDays, stake: .zero)
        try book.add(device)
        try context.emit(DeviceRegistryABI.devicePreRegistered, [
            .address(key.deviceID), .address(context.caller), .uint(UInt256(UInt64(key.curve.rawValue))), .string(model),
        ])
        return [.address(key.deviceID)]
    }

    func claimDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId")
        let old = try book.existing(id)
        guard old.status == .unclaimed else {
            throw SystemContractRevert(
                old.status == .revoked ? "device \(id.checksummed) is revoked" : "device \(id.checksummed) is already claimed")
        }
        try checkProof(try a.bytes("proof"), .claim, key: try old.key(), context: context)
        try checkFee(context)
        var new = old
        (new.owner, new.status, new.stake) = (context.caller, .active, context.value)
        try book.update(old, to: new, genesis: genesis)
        try context.emit(DeviceRegistryABI.deviceClaimed, [.address(id), .address(context.caller), .uint(context.value)])
        return []
    }

    func transferDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId"), to = try a.address("newOwner")
        let old = try book.owned(id, by: context.caller)
        guard to != .zero else { throw SystemContractRevert("cannot transfer to the zero address") }
        guard to != context.caller else { throw SystemContractRevert("device \(id.checksummed) already belongs to \(to.checksummed)") }
        // A system contract could never transfer it on: the device (and its stake) would be locked for good.
        guard !SystemAddresses.isReserved(to) else {
            throw SystemContractRevert("cannot transfer to \(to.checksummed): it is a system contract's address")
        }
        var new = old
        new.owner = to
        try book.update(old, to: new, genesis: genesis)
        try ProjectRegistryContract.forgetPosters(id, context: context)
        try context.emit(DeviceRegistryABI.deviceTransferred, [.address(id), .address(context.caller), .address(to)])
        return []
    }

    func suspendDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId")
        let old = try book.owned(id, by: context.caller)
        guard old.status == .active else { throw SystemContractRevert("device \(id.checksummed) is already suspended") }
        var new = old
        new.status = .suspended
        try book.update(old, to: new, genesis: genesis)
        try context.emit(DeviceRegistryABI.deviceSuspended, [.address(id), .address(context.caller)])
        return []
    }

    func resumeDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId")
        let old = try book.owned(id, by: context.caller)
        guard old.status == .suspended else { throw SystemContractRevert("device \(id.checksummed) is not suspended") }
        var new = old
        new.status = .active
        try book.update(old, to: new, genesis: genesis)
        try ProjectRegistryContract.restartResumed(id, context: context)
        try context.emit(DeviceRegistryABI.deviceResumed, [.address(id), .address(context.caller)])
        return []
    }

    func revokeDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId")
        let old = try book.owned(id, by: context.caller)
        var new = old
        (new.status, new.stake) = (.revoked, .zero)
        try book.update(old, to: new, genesis: genesis)
        try ProjectRegistryContract.removeRevoked(id, context: context)
        if !old.stake.isZero { try context.transfer(to: context.caller, amount: old.stake) }
        try context.emit(DeviceRegistryABI.deviceRevoked, [.address(id), .address(context.caller), .uint(old.stake)])
        return []
    }

    func setRetention(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let id = try a.address("deviceId"), days = try a.uint32("days")
        let old = try book.owned(id, by: context.caller)
        let limit = ProtocolParameters.maxRetentionDays
        guard (1...limit).contains(days) else { throw SystemContractRevert("retention is 1 to \(limit) days; got \(days)") }
        var new = old
        new.retentionDays = days
        try book.update(old, to: new, genesis: genesis)
        try context.emit(DeviceRegistryABI.retentionSet, [.address(id), .address(context.caller), .uint(UInt256(UInt64(days)))])
        return []
    }

    func device(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let d = try book.existing(try a.address("deviceId"))
        return [
            .uint(UInt256(UInt64(d.curve.rawValue))), .bytes(d.publicKey), .address(d.owner ?? .zero), .address(d.manufacturer ?? .zero),
            .string(d.model), .uint(UInt256(UInt64(d.status.rawValue))), .uint(UInt256(d.registeredAt)),
            .uint(UInt256(UInt64(d.retentionDays))), .uint(d.stake), .string(d.manufacturerName),
        ]
    }

    func devicesOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        return [.array(try book.devices(of: try a.address("owner")).map { .address($0) })]
    }

    func deviceCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        return [.uint(UInt256(try book.count()))]
    }

    func deviceAt(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = DeviceBook(context)
        let index = try a.uint256("index")
        guard index <= UInt256(UInt64.max), let id = try book.device(at: index.l0) else {
            throw SystemContractRevert("no device at index \(index)")
        }
        return [.address(id)]
    }

    func deviceParameters(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        return [.uint(context.parameters.deviceActivationFee.value), .uint(UInt256(UInt64(context.parameters.defaultRetentionDays))),
                .uint(UInt256(UInt64(ProtocolParameters.maxRetentionDays)))]
    }

    /// A valid key of a known curve that has never been registered.
    func newKey(curve number: UInt64, bytes: [UInt8], book: DeviceBook) throws(SystemContractRevert) -> DevicePublicKey {
        guard number <= UInt64(UInt8.max), let curve = DeviceCurve(rawValue: UInt8(number)) else {
            throw SystemContractRevert("unknown curve \(number) (1 p256, 2 secp256k1, 3 ed25519)")
        }
        guard bytes.count <= Self.maxKeyBytes else { throw SystemContractRevert("publicKey is at most \(Self.maxKeyBytes) bytes") }
        let key: DevicePublicKey
        do { key = try DevicePublicKey(curve: curve, bytes: bytes) } catch {
            throw SystemContractRevert("publicKey is not a valid \(curve) public key")
        }
        // Records are never deleted, so a key seen once (even revoked) stays taken.
        guard try book.device(key.deviceID) == nil else { throw SystemContractRevert("device \(key.deviceID.checksummed) is already registered") }
        return key
    }

    /// `proof` must be the device key's signature of `action` by the caller on this chain
    /// (`DeviceClaim`): it proves the caller holds the key, or was given the proof by whoever does.
    func checkProof(
        _ proof: [UInt8], _ action: DeviceClaim.Action, key: DevicePublicKey, context: SystemCallContext
    ) throws(SystemContractRevert) {
        guard proof.count == 64 else {
            throw SystemContractRevert("the \(action) proof is a 64-byte signature by the device key; got \(proof.count) bytes")
        }
        try context.charge(Self.proofCheckGas)
        guard DeviceClaim.isValid(proof, action, key: key, chainID: genesis.chainID, claimant: context.caller) else {
            throw SystemContractRevert(
                "the proof is not device \(key.deviceID.checksummed)'s signature of the \(action) by \(context.caller.checksummed)")
        }
    }

    func modelName(_ model: String) throws(SystemContractRevert) -> String {
        guard (1...Self.maxNameBytes).contains(model.utf8.count) else { throw SystemContractRevert("model is 1 to \(Self.maxNameBytes) bytes") }
        return model
    }

    /// The value sent must be exactly the activation fee (it is staked with the device).
    func checkFee(_ context: SystemCallContext) throws(SystemContractRevert) {
        let fee = context.parameters.deviceActivationFee.value
        guard context.value == fee else { throw SystemContractRevert("the activation fee is \(fee) wei; sent \(context.value)") }
    }
}
