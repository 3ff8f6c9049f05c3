import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import MoteTransactions
import MoteWitness
import Testing

@testable import MoteLedger

/// The WitnessPool contract on a real ledger: joining with a possession proof, per-epoch
/// weights, attestations accepted (paid, reputation), rejected (forged, replayed, unassigned,
/// badly signed, out of the window) and incoherent (blacklisted), devices mixed with nodes.
@Suite struct WitnessPoolTests {
    typealias Chain = StakingTests.Chain
    static let mote = ProtocolParameters.mote
    static let keys = StakingTests.keys
    static let pool = WitnessPoolABI.address
    static let registry = DeviceRegistryABI.address
    static let nodes = SystemAddresses.reserved(1)
    static let reward = mote / 100
    static let fund = mote * 1_000

    static func parameters(expected: UInt64 = 8, threshold: UInt64 = 3) -> ProtocolParameters {
        var p = StakingTests.parameters()
        p.deviceActivationFee = UInt256Text(mote / 10)
        p.expectedWitnesses = expected
        p.witnessThreshold = threshold
        p.attestationReward = UInt256Text(reward)
        p.blacklistBlocks = 10
        p.reputationStart = 100
        p.reputationGain = 1
        p.reputationPenalty = 50
        p.maxReputation = 101
        p.attestationWindow = 6
        return p
    }

    static func genesis(_ p: ProtocolParameters = parameters(), fund: UInt256 = fund) -> Genesis {
        var g = StakingTests.genesis(p)
        if !fund.isZero { g.allocations.append((pool, fund)) }
        return g
    }

    static func witnessKey(_ n: Int) -> ECVRF.SecretKey { try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "witness key \(n)").bytes) }
    static func deviceKey(_ n: Int) -> DevicePrivateKey {
        try! DevicePrivateKey(curve: .p256, secret: Keccak256.hash(utf8: "witness device \(n)").bytes)
    }

    /// The device key's registration proof for `owner` (`registerDevice`'s last argument).
    static func registration(_ chain: Chain, _ device: DevicePrivateKey, _ owner: Secp256k1.PrivateKey) -> ABIValue {
        .bytes(DeviceClaim.proof(.register, by: device, chainID: chain.ledger.chainID, claimant: owner.address))
    }

    /// A chain with devices owned by keys[0] and keys[1] and a node run by keys[2], which
    /// stands as its own candidate with `minSelfStake` (a node witness answers with stake;
    /// its block rewards would go to `nodeReward`, apart from what it earns as a witness).
    struct Pool {
        let chain: Chain
        let deviceIDs: [Address]
        let witnessKeys: [ECVRF.SecretKey]
        var node: Address { WitnessPoolTests.keys[2].address }
        /// Every witness id: the two devices, then the node.
        var ids: [Address] { deviceIDs + [node] }
    }

    /// Registers two devices and a node and joins all three; with `settle`, runs to the next
    /// epoch so their weights count.
    static func makePool(_ genesis: Genesis = genesis(), settle: Bool = true) throws -> Pool {
        let chain = try Chain(genesis)
        let owners = [keys[0], keys[1]]
        let devices = [deviceKey(1), deviceKey(2)]
        var txs: [SignedTransaction] = []
        for (owner, device) in zip(owners, devices) {
            txs.append(try chain.call(owner, registry, DeviceRegistryABI.registerDevice,
                                      [.uint(1), .bytes(device.publicKey.bytes), .string("meter"), .string("Acme"),
                                       registration(chain, device, owner)], value: mote / 10))
        }
        txs.append(try stakeNode(chain, keys[2]))
        txs.append(try chain.call(keys[2], nodes, NodeRegistryABI.register, [.string("node"), .string("http://127.0.0.1:1")]))
        try chain.block(txs)
        let ids = devices.map(\.publicKey.deviceID)
        let witnessKeys = (1...3).map(witnessKey)
        var joins: [SignedTransaction] = []
        for i in 0..<2 {
            joins.append(try joinDevice(chain, owners[i], ids[i], witnessKeys[i]))
        }
        joins.append(try joinNode(chain, keys[2], witnessKeys[2]))
        try chain.block(joins)
        if settle { try chain.finishEpoch() }
        return Pool(chain: chain, deviceIDs: ids, witnessKeys: witnessKeys)
    }

    static func joinDevice(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ id: Address, _ key: ECVRF.SecretKey,
                           proofOwner: Address? = nil, proofKey: ECVRF.SecretKey? = nil) throws -> SignedTransaction {
        let proof = WitnessPoolContract.possessionProof(
            key: proofKey ?? key, chainID: chain.ledger.chainID, witnessID: id, owner: proofOwner ?? owner.address)
        return try chain.call(owner, pool, WitnessPoolABI.joinAsDevice, [.address(id), .fixedBytes(key.publicKey.bytes), .bytes(proof)])
    }

    static let nodeReward = Address(suffixOf: Keccak256.hash(utf8: "witness node reward"))

    /// `node` registers a candidate of its own, operator itself, with `minSelfStake`.
    static func stakeNode(_ chain: Chain, _ node: Secp256k1.PrivateKey, name: String = "node") throws -> SignedTransaction {
        let p = chain.ledger.genesis.parameters
        return try chain.staking(node, StakingABI.registerCandidate, [
            .string(name), .address(node.address), .address(nodeReward), .uint(0), .bool(false), .uint(0), .bytes([]),
        ], value: p.registrationFee.value + p.minSelfStake.value)
    }

    static func joinNode(_ chain: Chain, _ node: Secp256k1.PrivateKey, _ key: ECVRF.SecretKey) throws -> SignedTransaction {
        let proof = WitnessPoolContract.possessionProof(key: key, chainID: chain.ledger.chainID, witnessID: node.address, owner: node.address)
        return try chain.call(node, pool, WitnessPoolABI.joinAsNode, [.fixedBytes(key.publicKey.bytes), .bytes(proof)])
    }

    /// An honest attestation of the canonical block at `height` by `key` (or of `hash`).
    static func attest(_ chain: Chain, _ key: ECVRF.SecretKey, height: UInt64, hash: Hash32? = nil) throws -> WitnessAttestation {
        let epoch = EpochTransition.epoch(ofHeight: height, chain.ledger.genesis.parameters)
        let seed = try chain.ledger.seed(ofEpoch: epoch)
        let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: seed, height: height), suite: .tai)
        let canonical = try #require(try chain.ledger.store.blockHash(atHeight: height))
        return WitnessAttestation.make(key: key, chainID: chain.ledger.chainID, height: height, blockHash: hash ?? canonical, proof: proof)
    }

    /// Submits attestations (by keys[3], a bystander) in one block; returns the receipt.
    @discardableResult
    static func submit(_ chain: Chain, _ attestations: [[UInt8]]) throws -> Receipt {
        let tx = try chain.call(keys[3], pool, WitnessPoolABI.submitAttestations, [.array(attestations.map { .bytes($0) })])
        return try chain.block([tx])[0]
    }

    /// The values of `event`'s logs in `receipt`, in parameter order (indexed ones from topics).
    static func logs(_ receipt: Receipt, _ event: SystemEvent) -> [[ABIValue]] {
        receipt.logs.filter { $0.topics.first == event.abi.topic0 }.map { log in
            let parameters = event.abi.parameters
            var data = (try? ABI.decode(parameters.filter { !$0.indexed }.map(\.type), from: log.data)) ?? []
            var topics = Array(log.topics.dropFirst())
            return parameters.map { parameter in
                guard parameter.indexed else { return data.isEmpty ? .bool(false) : data.removeFirst() }
                let topic = topics.isEmpty ? Hash32.zero : topics.removeFirst()
                switch parameter.type.canonicalName {
                case "address": return .address(Address(suffixOf: topic))
                case "bytes32": return .fixedBytes(topic.bytes)
                default: return .uint(UInt256(bigEndian: topic.bytes)!)
                }
            }
        }
    }

    static func rejections(_ receipt: Receipt) -> [String] {
        logs(receipt, WitnessPoolABI.attestationRejected).compactMap { values in
            if case .string(let reason)? = values.last { return reason }
            return nil
        }
    }

    static func witness(_ chain: Chain, _ id: Address) throws -> [ABIValue] {
        try chain.read(pool, WitnessPoolABI.witness, [.address(id)])
    }

    static func uint(_ value: ABIValue) -> UInt64 { StakingTests.uint(value).l0 }

    /// The sum of every balance is the head's total supply.
    static func expectSupplyConserved(_ chain: Chain) throws {
        var sum = UInt256.zero
        try chain.ledger.store.forEachAccount { _, account in sum += account.balance }
        #expect(sum == chain.ledger.head.totalSupply)
    }

    // MARK: Joining

    @Test func joinNeedsTheOwnerAnActiveDeviceAndAPossessionProof() throws {
        let chain = try Chain(Self.genesis())
        let (owner, other) = (Self.keys[0], Self.keys[1])
        let device = Self.deviceKey(7)
        let id = device.publicKey.deviceID
        try chain.block([try chain.call(owner, Self.registry, DeviceRegistryABI.registerDevice,
                                        [.uint(1), .bytes(device.publicKey.bytes), .string("m"), .string("Acme"),
                                         Self.registration(chain, device, owner)], value: Self.mote / 10)])
        let key = Self.witnessKey(7)
        let receipts = try chain.block([
            try Self.joinDevice(chain, other, id, key),  // not the owner
            try Self.joinDevice(chain, owner, id, key, proofOwner: other.address),  // proof names another owner
            try Self.joinDevice(chain, owner, id, key, proofKey: Self.witnessKey(8)),  // proof by another key
            try Self.joinNode(chain, other, Self.witnessKey(9)),  // not a registered node
            try chain.call(owner, Self.pool, WitnessPoolABI.joinAsDevice, [.address(id), .fixedBytes([UInt8](repeating: 0, count: 32)), .bytes([UInt8](repeating: 0, count: 64))]),
        ], allowFailure: true)
        #expect(receipts.map(\.succeeded) == [false, false, false, false, false])
        #expect(receipts[0].failureReason?.contains("belongs to") == true)
        #expect(receipts[1].failureReason?.contains("possession") == true)
        #expect(receipts[2].failureReason?.contains("possession") == true)
        #expect(receipts[3].failureReason?.contains("NodeRegistry") == true)
        #expect(receipts[4].failureReason?.contains("not a valid Ed25519 public key") == true)
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessCount, []) == [.uint(0)])

        let joined = try chain.block([try Self.joinDevice(chain, owner, id, key)])
        #expect(Self.logs(joined[0], WitnessPoolABI.witnessJoined).count == 1)
        let view = try Self.witness(chain, id)
        #expect(view == [.uint(1), .fixedBytes(key.publicKey.bytes), .address(owner.address), .uint(100), .uint(0),
                         .uint(UInt256(chain.ledger.head.height)), .uint(0), .uint(0), .uint(0), .bool(true)])
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessByKey, [.fixedBytes(key.publicKey.bytes)]) == [.address(id)])
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessCount, []) == [.uint(1)])
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessAt, [.uint(0)]) == [.address(id)])

        // Twice, or a used key for another witness: refused. Leaving is the owner's; a rejoin needs a new key.
        let device2 = Self.deviceKey(8)
        try chain.block([try chain.call(owner, Self.registry, DeviceRegistryABI.registerDevice,
                                        [.uint(1), .bytes(device2.publicKey.bytes), .string("m"), .string("Acme"),
                                         Self.registration(chain, device2, owner)], value: Self.mote / 10)])
        let again = try chain.block([
            try Self.joinDevice(chain, owner, id, Self.witnessKey(10)),
            try Self.joinDevice(chain, owner, device2.publicKey.deviceID, key),
            try chain.call(other, Self.pool, WitnessPoolABI.leavePool, [.address(id)]),
        ], allowFailure: true)
        #expect(again.map(\.succeeded) == [false, false, false])
        #expect(again[0].failureReason?.contains("already in the pool") == true)
        #expect(again[1].failureReason?.contains("already used") == true)
        try chain.block([try chain.call(owner, Self.pool, WitnessPoolABI.leavePool, [.address(id)])])
        #expect(try Self.witness(chain, id).last == .bool(false))
        let rejoin = try chain.block([try Self.joinDevice(chain, owner, id, key)], allowFailure: true)
        #expect(rejoin[0].failureReason?.contains("already used") == true, "a key is never reused")
        try chain.block([try Self.joinDevice(chain, owner, id, Self.witnessKey(11))])
        #expect(try Self.witness(chain, id)[1] == .fixedBytes(Self.witnessKey(11).publicKey.bytes))
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessCount, []) == [.uint(1)], "a rejoin keeps its index")

        // A suspended device cannot join.
        try chain.block([try chain.call(owner, Self.registry, DeviceRegistryABI.suspendDevice, [.address(device2.publicKey.deviceID)])])
        let suspended = try chain.block([try Self.joinDevice(chain, owner, device2.publicKey.deviceID, Self.witnessKey(12))], allowFailure: true)
        #expect(suspended[0].failureReason?.contains("suspended") == true)
    }

    @Test func weightsAreSnapshotAtEachEpochStart() throws {
        let p = try Self.makePool(settle: false)
        let chain = p.chain
        #expect(chain.ledger.head.height == 2)
        func weights(_ epoch: UInt64, _ id: Address) throws -> [ABIValue] {
            try chain.read(Self.pool, WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(id)])
        }
        #expect(try weights(1, p.ids[0]) == [.uint(0), .uint(0)], "joins count from the next epoch")
        try chain.finishEpoch()
        for id in p.ids { #expect(try weights(2, id) == [.uint(100), .uint(300)]) }
        // The node leaves during epoch 2: it keeps its weight for epoch 2, has none in epoch 3.
        try chain.block([try chain.call(Self.keys[2], Self.pool, WitnessPoolABI.leavePool, [.address(p.node)])])
        #expect(try weights(2, p.node) == [.uint(100), .uint(300)])
        try chain.finishEpoch()
        #expect(try weights(3, p.node) == [.uint(0), .uint(200)])
        #expect(try weights(3, p.deviceIDs[0]) == [.uint(100), .uint(200)])
        // A suspended device weighs nothing from the next epoch.
        try chain.block([try chain.call(Self.keys[0], Self.registry, DeviceRegistryABI.suspendDevice, [.address(p.deviceIDs[0])])])
        try chain.finishEpoch()
        #expect(try weights(4, p.deviceIDs[0]) == [.uint(0), .uint(100)])
    }

    // MARK: Attestations

    @Test func acceptedAttestationsPayOwnersBuildReputationAndWitnessTheBlock() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let height = chain.ledger.head.height  // 5, in epoch 2
        let canonical = try #require(try chain.ledger.store.blockHash(atHeight: height))
        let before = try [Self.keys[0].address, Self.keys[1].address, Self.keys[2].address].map { try chain.balance($0) }
        let poolBefore = try chain.balance(Self.pool)
        // Two devices and one node (t = 3): the block is witnessed with a mix.
        let receipt = try Self.submit(chain, try p.witnessKeys.map { try Self.attest(chain, $0, height: height).binary })
        #expect(receipt.succeeded)
        #expect(Self.rejections(receipt).isEmpty)
        let accepted = Self.logs(receipt, WitnessPoolABI.attestationAccepted)
        #expect(accepted.count == 3)
        #expect(accepted.first == [.address(p.deviceIDs[0]), .uint(UInt256(height)), .fixedBytes(canonical.bytes), .uint(Self.reward)])
        let witnessed = Self.logs(receipt, WitnessPoolABI.blockWitnessed)
        #expect(witnessed == [[.uint(UInt256(height)), .fixedBytes(canonical.bytes), .uint(3)]])
        #expect(try chain.read(Self.pool, WitnessPoolABI.heightStatus, [.uint(UInt256(height))])
                == [.uint(3), .bool(true), .fixedBytes(canonical.bytes)])
        // keys[3] paid the gas (no tip): owners get exactly the reward.
        let after = try [Self.keys[0].address, Self.keys[1].address, Self.keys[2].address].map { try chain.balance($0) }
        for i in 0..<3 { #expect(after[i] == before[i] + Self.reward) }
        #expect(try chain.balance(Self.pool) == poolBefore - Self.reward * 3)
        for id in p.ids {
            let view = try Self.witness(chain, id)
            #expect(view[3] == .uint(101) && view[6] == .uint(1) && view[8] == .uint(Self.reward))
        }
        // Reputation is capped at maxReputation (101).
        try chain.block()
        let receipt2 = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: height + 2).binary])
        #expect(Self.logs(receipt2, WitnessPoolABI.attestationAccepted).count == 1)
        #expect(try Self.witness(chain, p.deviceIDs[0])[3] == .uint(101))
        // A transfer ends the old owner's witnessing (it holds the witness key): nobody is paid
        // until the new owner leaves and rejoins with its own key, which counts from the next epoch.
        try chain.block([try chain.call(Self.keys[0], Self.registry, DeviceRegistryABI.transferDevice,
                                        [.address(p.deviceIDs[0]), .address(Self.keys[4].address)])])
        let (oldOwner, newOwner) = (try chain.balance(Self.keys[0].address), try chain.balance(Self.keys[4].address))
        let transferred = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: chain.ledger.head.height).binary])
        #expect(Self.rejections(transferred) == ["the device changed owner since the witness joined"])
        #expect(try chain.balance(Self.keys[0].address) == oldOwner && chain.balance(Self.keys[4].address) == newOwner)
        #expect(try Self.witness(chain, p.deviceIDs[0])[2] == .address(Self.keys[4].address))
        try chain.block([
            try chain.call(Self.keys[4], Self.pool, WitnessPoolABI.leavePool, [.address(p.deviceIDs[0])]),
            try Self.joinDevice(chain, Self.keys[4], p.deviceIDs[0], Self.witnessKey(40)),
        ])
        try chain.finishEpoch()
        try chain.block()
        let rejoined = try chain.balance(Self.keys[4].address)
        try Self.submit(chain, [try Self.attest(chain, Self.witnessKey(40), height: chain.ledger.head.height).binary])
        #expect(try chain.balance(Self.keys[4].address) == rejoined + Self.reward)
        try Self.expectSupplyConserved(chain)
    }

    @Test func replayedAndDuplicateAttestationsAreRejected() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let attestation = try Self.attest(chain, p.witnessKeys[0], height: chain.ledger.head.height).binary
        let first = try Self.submit(chain, [attestation, attestation])
        #expect(Self.logs(first, WitnessPoolABI.attestationAccepted).count == 1)
        #expect(Self.rejections(first) == ["duplicate"])
        let replay = try Self.submit(chain, [attestation])
        #expect(Self.rejections(replay) == ["duplicate"])
        #expect(try Self.witness(chain, p.deviceIDs[0])[6] == .uint(1), "paid once")
        try Self.expectSupplyConserved(chain)
    }

    @Test func forgedProofsAreRejected() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        try chain.block()
        let h = chain.ledger.head.height
        let key = p.witnessKeys[0]
        let honest = try Self.attest(chain, key, height: h)
        let chainID = chain.ledger.chainID
        // The proof for another height, re-signed for this one.
        let otherHeight = try Self.attest(chain, key, height: h - 1)
        let moved = WitnessAttestation.make(key: key, chainID: chainID, height: h, blockHash: honest.blockHash, proof: otherHeight.vrfProof)
        // Another witness's proof under this key.
        let stolen = WitnessAttestation.make(
            key: key, chainID: chainID, height: h, blockHash: honest.blockHash, proof: try Self.attest(chain, p.witnessKeys[1], height: h).vrfProof)
        // A proof with a flipped byte in s, and 80 random bytes.
        var flippedBytes = honest.vrfProof.bytes
        flippedBytes[60] ^= 1
        let flipped = WitnessAttestation.make(key: key, chainID: chainID, height: h, blockHash: honest.blockHash, proof: try ECVRF.Proof(bytes: flippedBytes))
        let random = WitnessAttestation.make(
            key: key, chainID: chainID, height: h, blockHash: honest.blockHash,
            proof: try ECVRF.Proof(bytes: Keccak256.hash(utf8: "a").bytes + Keccak256.hash(utf8: "b").bytes + Array(Keccak256.hash(utf8: "c").bytes.prefix(16))))
        // A proof under a key that is not in the pool.
        let outsider = try Self.attest(chain, Self.witnessKey(99), height: h)
        let receipt = try Self.submit(chain, [moved.binary, stolen.binary, flipped.binary, random.binary, outsider.binary])
        #expect(Self.rejections(receipt) == ["invalid VRF proof", "invalid VRF proof", "invalid VRF proof", "invalid VRF proof", "unknown witness key"])
        #expect(Self.logs(receipt, WitnessPoolABI.attestationAccepted).isEmpty)
        #expect(try Self.witness(chain, p.deviceIDs[0])[7] == .uint(0), "a forgery is not incoherence")
    }

    @Test func badSignaturesMalformedAndOutOfWindowAreRejected() throws {
        let p = try Self.makePool()
        let chain = p.chain
        for _ in 0..<8 { try chain.block() }
        let head = chain.ledger.head.height  // 12; window 6: heights 7…12 are open in block 13
        let key = p.witnessKeys[0]
        var badSignature = try Self.attest(chain, key, height: head)
        badSignature.signature[0] ^= 1
        let otherChain = try Self.attest(chain, key, height: head)
        let resigned = WitnessAttestation.make(key: key, chainID: chain.ledger.chainID + 1, height: head, blockHash: otherChain.blockHash, proof: otherChain.vrfProof)
        let tooOld = try Self.attest(chain, key, height: head - 6)
        var notYet = tooOld
        notYet.height = head + 1
        let receipt = try Self.submit(chain, [
            badSignature.binary, resigned.binary, tooOld.binary, notYet.binary, Array(tooOld.binary.prefix(100)), [],
        ])
        let reasons = Self.rejections(receipt)
        #expect(reasons.count == 6)
        #expect(reasons[0] == "bad signature" && reasons[1] == "bad signature")
        #expect(reasons[2].contains("outside the attestation window") && reasons[3].contains("outside the attestation window"))
        #expect(reasons[4].hasPrefix("malformed") && reasons[5].hasPrefix("malformed"))
        // The oldest height still in the window is accepted.
        let oldest = try Self.submit(chain, [try Self.attest(chain, key, height: chain.ledger.head.height - 5).binary])
        #expect(Self.logs(oldest, WitnessPoolABI.attestationAccepted).count == 1)
        // An empty list reverts (nothing to do); so do too many.
        let empty = try chain.block([try chain.call(Self.keys[3], Self.pool, WitnessPoolABI.submitAttestations, [.array([])])], allowFailure: true)
        #expect(!empty[0].succeeded)
    }

    @Test func unassignedWitnessesAreRejected() throws {
        // One expected witness among three of equal weight: each is assigned a third of the time.
        let p = try Self.makePool(Self.genesis(Self.parameters(expected: 1, threshold: 1)))
        let chain = p.chain
        for _ in 0..<4 { try chain.block() }
        let key = p.witnessKeys[0]
        let seed = try chain.ledger.seed(ofEpoch: 2)
        let heights = (5...chain.ledger.head.height).filter { h in
            WitnessSortition.evaluate(key: key, seed: seed, height: h, weight: 100, totalWeight: 300, expected: 1) == nil
        }
        let assigned = (5...chain.ledger.head.height).filter { !heights.contains($0) }
        #expect(!heights.isEmpty, "some heights of epoch 2 do not assign this witness")
        let attestations = try (heights + assigned).map { try Self.attest(chain, key, height: $0).binary }
        let receipt = try Self.submit(chain, attestations)
        #expect(Self.rejections(receipt) == heights.map { "not assigned to height \($0)" })
        #expect(Self.logs(receipt, WitnessPoolABI.attestationAccepted).count == assigned.count)
        #expect(Self.logs(receipt, WitnessPoolABI.blockWitnessed).count == assigned.count, "t = 1")
    }

    @Test func incoherentWitnessesAreBlacklistedAndLoseWeight() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let h = chain.ledger.head.height
        let wrong = Keccak256.hash(utf8: "not the block")
        let receipt = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: h, hash: wrong).binary])
        let now = chain.ledger.head.height
        #expect(Self.logs(receipt, WitnessPoolABI.witnessBlacklisted) == [[.address(p.deviceIDs[0]), .uint(UInt256(now + 10)), .uint(50)]])
        #expect(Self.logs(receipt, WitnessPoolABI.attestationAccepted).isEmpty)
        let view = try Self.witness(chain, p.deviceIDs[0])
        #expect(view[3] == .uint(50) && view[4] == .uint(UInt256(now + 10)) && view[7] == .uint(1) && view[8] == .uint(0))
        // While blacklisted, even a correct attestation is refused.
        let later = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: h).binary])
        #expect(Self.rejections(later).first?.contains("blacklisted") == true)
        // The next epoch starts inside the blacklisting: weight 0.
        try chain.finishEpoch()
        #expect(try chain.read(Self.pool, WitnessPoolABI.epochWeights, [.uint(3), .address(p.deviceIDs[0])]) == [.uint(0), .uint(200)])
        // After the period, it weighs its cut reputation again (from the epoch after).
        while chain.ledger.head.height < now + 10 { try chain.block() }
        try chain.finishEpoch()
        let epoch = EpochTransition.epoch(ofHeight: chain.ledger.head.height + 1, chain.ledger.genesis.parameters)
        #expect(try chain.read(Self.pool, WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(p.deviceIDs[0])]) == [.uint(50), .uint(250)])
        try Self.expectSupplyConserved(chain)
    }

    @Test func equivocationIsIncoherent() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let h = chain.ledger.head.height
        let key = p.witnessKeys[2]  // the node
        try Self.submit(chain, [try Self.attest(chain, key, height: h).binary])
        #expect(try Self.witness(chain, p.node)[6] == .uint(1))
        let second = try Self.submit(chain, [try Self.attest(chain, key, height: h, hash: Keccak256.hash(utf8: "fork")).binary])
        #expect(Self.logs(second, WitnessPoolABI.witnessBlacklisted).count == 1)
        #expect(try Self.witness(chain, p.node)[7] == .uint(1))
        #expect(try Self.witness(chain, p.node)[3] == .uint(51))
    }

    @Test func aDryPoolPaysNothingButStillCounts() throws {
        let p = try Self.makePool(Self.genesis(fund: .zero))
        let chain = p.chain
        try chain.block()
        let h = chain.ledger.head.height
        let owner = try chain.balance(Self.keys[0].address)
        let receipt = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: h).binary])
        #expect(Self.logs(receipt, WitnessPoolABI.attestationAccepted).first?.last == .uint(0))
        #expect(try chain.balance(Self.keys[0].address) == owner)
        #expect(try Self.witness(chain, p.deviceIDs[0])[3] == .uint(101), "reputation still grows")
        // Anyone can refill it.
        let funded = try chain.block([try chain.call(Self.keys[4], Self.pool, WitnessPoolABI.fundPool, [], value: Self.mote)])
        #expect(funded[0].succeeded)
        #expect(try chain.balance(Self.pool) == Self.mote)
        let paid = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[1], height: h).binary])
        #expect(Self.logs(paid, WitnessPoolABI.attestationAccepted).first?.last == .uint(Self.reward))
        #expect(try chain.read(Self.pool, WitnessPoolABI.witnessParameters, [])
                == [.uint(8), .uint(3), .uint(Self.reward), .uint(10), .uint(6)])
        try Self.expectSupplyConserved(chain)
    }

    @Test func nodesCanCheckAnAttestationWithoutChangingState() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let honest = try Self.attest(chain, p.witnessKeys[0], height: chain.ledger.head.height)
        let root = chain.ledger.head.stateRoot
        #expect(chain.ledger.checkAttestation(honest.binary) == .accepted(reward: Self.reward))
        #expect(chain.ledger.checkAttestation(honest.binary) == .accepted(reward: Self.reward), "nothing was recorded")
        var forged = honest
        forged.signature[0] ^= 1
        #expect(chain.ledger.checkAttestation(forged.binary) == .rejected("bad signature"))
        let wrong = try Self.attest(chain, p.witnessKeys[1], height: chain.ledger.head.height, hash: Keccak256.hash(utf8: "x"))
        #expect(chain.ledger.checkAttestation(wrong.binary) == .incoherent)
        #expect(chain.ledger.checkAttestation([1, 2, 3]).isRejected)
        #expect(chain.ledger.head.stateRoot == root)
        #expect(try Self.witness(chain, p.deviceIDs[1])[7] == .uint(0))
        // Estimating the gas of a submission sees the chain as the block will.
        let data = try WitnessPoolABI.submitAttestations.abi.encodeCall([.array([.bytes(honest.binary)])])
        let estimate = try chain.ledger.simulate(from: Self.keys[3].address, to: Self.pool, value: .zero, data: data, gasLimit: 2_000_000)
        #expect(estimate.revert == nil)
        #expect(estimate.gasUsed > WitnessPoolContract.vrfVerifyGas + 60_000)
    }

    @Test func attestationsCostRealisticGas() throws {
        let p = try Self.makePool()
        let chain = p.chain
        try chain.block()
        let one = try Self.submit(chain, [try Self.attest(chain, p.witnessKeys[0], height: chain.ledger.head.height).binary])
        #expect(one.gasUsed > WitnessPoolContract.vrfVerifyGas + WitnessPoolContract.signatureCheckGas + 21_000)
        var bad = try Self.attest(chain, p.witnessKeys[1], height: chain.ledger.head.height)
        bad.signature[3] ^= 1
        let rejected = try Self.submit(chain, [bad.binary])
        // As docs/WITNESSING.md says: about 100,000 gas an accepted attestation, 40,000 a rejected
        // one that got to the signature, besides the transaction's own (21,000 and calldata).
        #expect((100_000...160_000).contains(one.gasUsed), "\(one.gasUsed)")
        #expect((55_000...90_000).contains(rejected.gasUsed), "\(rejected.gasUsed)")
        #expect(rejected.gasUsed > WitnessPoolContract.vrfVerifyGas + WitnessPoolContract.signatureCheckGas + 21_000, "a rejected check still pays its verification")
    }
}
