import Foundation
import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTransactions
import MoteWitness
import Testing

@testable import MoteLedger

/// The findings of the security review after issue 15 (docs/SECURITY.md), each performed on a
/// real ledger: it fails with its reason and changes nothing.
@Suite struct ReviewFindingsTests {
    typealias Chain = StakingTests.Chain
    static let mote = ProtocolParameters.mote
    static let keys = StakingTests.keys
    static let fee = mote * 100

    static func reasons(_ receipts: [Receipt]) -> [String] { receipts.map { $0.failureReason ?? "ok" } }

    static func candidate(_ chain: Chain, _ name: String) throws -> [ABIValue] {
        try chain.read(StakingABI.address, StakingABI.candidateByName, [.string(name)])
    }

    static func register(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ name: String, op: Address, proof: [UInt8]) throws -> SignedTransaction {
        try chain.staking(owner, StakingABI.registerCandidate, [
            .string(name), .address(op), .address(owner.address), .uint(0), .bool(false), .uint(0), .bytes(proof),
        ], value: fee + mote * 2_000)
    }

    // MARK: A. An operator address taken without its key

    @Test func anOperatorAddressCannotBeTakenWithoutItsKey() throws {
        let chain = try Chain()
        let (victim, attacker) = (Self.keys[0], Self.keys[1])
        let operatorKey = Self.keys[2]  // the victim's node already runs with it
        let op = operatorKey.address
        let chainID = chain.ledger.chainID
        let victimsProof = OperatorProof.proof(by: operatorKey, chainID: chainID, owner: victim.address)
        let stakingBefore = try chain.balance(StakingABI.address)

        // The front-run: every proof the attacker can get hold of or make.
        let attacks = try chain.block([
            try Self.register(chain, attacker, "mallory", op: op, proof: []),
            try Self.register(chain, attacker, "mallory", op: op, proof: [UInt8](repeating: 7, count: 65)),
            try Self.register(chain, attacker, "mallory", op: op, proof: victimsProof),  // the victim's, replayed
            try Self.register(chain, attacker, "mallory", op: op, proof: OperatorProof.proof(by: operatorKey, chainID: chainID + 1, owner: attacker.address)),
            try Self.register(chain, attacker, "mallory", op: op, proof: OperatorProof.proof(by: attacker, chainID: chainID, owner: attacker.address)),
        ], allowFailure: true)
        let forged = "operatorProof is not the signature of \(op.checksummed) for owner \(attacker.address.checksummed) on chain \(chainID)"
        #expect(Self.reasons(attacks) == [
            "the operator \(op.checksummed) is not the sender: its key's operatorProof is needed", forged, forged, forged, forged,
        ])
        #expect(try chain.read(StakingABI.address, StakingABI.candidateCount, []) == [.uint(0)])
        #expect(try chain.balance(StakingABI.address) == stakingBefore)

        // The update path: a candidate run by the attacker's own key cannot move onto the victim's operator.
        try chain.block([try Self.register(chain, attacker, "mallory", op: attacker.address, proof: [])])
        let mallory = try Self.candidate(chain, "mallory")
        let update = try chain.block([
            try chain.staking(attacker, StakingABI.updateCandidate, [
                .string("mallory"), .address(op), .address(attacker.address), .uint(0), .bytes(victimsProof),
            ]),
        ], allowFailure: true)
        #expect(Self.reasons(update) == [forged])
        #expect(try Self.candidate(chain, "mallory") == mallory)

        // The victim registers with its key's consent; a later update that keeps the operator needs no proof again.
        try chain.block([try Self.register(chain, victim, "alice", op: op, proof: victimsProof)])
        #expect(try Self.candidate(chain, "alice")[2] == .address(op))
        try chain.block([
            try chain.staking(victim, StakingABI.updateCandidate, [.string("alice"), .address(op), .address(victim.address), .uint(500), .bytes([])]),
        ])
        #expect(try Self.candidate(chain, "alice")[7] == .uint(500))
    }

    // MARK: B. One equivocation slashed several times

    @Test func oneHeightIsSlashedOnce() throws {
        let chain = try Chain()
        let (owner, reporter) = (Self.keys[0], Self.keys[5])
        let operatorKey = Self.keys[2]
        try chain.block([
            try Self.register(chain, owner, "alpha", op: operatorKey.address,
                              proof: OperatorProof.proof(by: operatorKey, chainID: chain.ledger.chainID, owner: owner.address)),
        ])
        try chain.finishEpoch()
        let height = chain.ledger.head.height + 1
        func vote(_ kind: VoteKind, _ round: UInt32, _ block: String) -> Vote {
            Vote(kind: kind, height: height, round: round, blockHash: Keccak256.hash(utf8: block), chainID: 4_689, signingWith: operatorKey)
        }
        // Three conflicting precommits make three pairs; a prevote pair of another round is the same height.
        let (x, y, z) = (vote(.precommit, 0, "x"), vote(.precommit, 0, "y"), vote(.precommit, 0, "z"))
        let pairs = try [DoubleSignEvidence(x, y), DoubleSignEvidence(x, z), DoubleSignEvidence(y, z),
                         DoubleSignEvidence(vote(.prevote, 1, "x"), vote(.prevote, 1, "y"))].map { $0.encoded() }
        let producer = StakingTests.genesisOperators[0].address
        let first = try chain.block([try chain.staking(reporter, StakingABI.reportDoubleSign, [.bytes(pairs[0])])], producer: producer)
        #expect(first[0].logs.count == 1)
        let selfStake = StakingTests.uint(try Self.candidate(chain, "alpha")[5])
        #expect(selfStake == Self.mote * 1_800)
        let reporterBefore = try chain.balance(reporter.address)
        let again = try chain.block(try pairs.dropFirst().map { try chain.staking(reporter, StakingABI.reportDoubleSign, [.bytes($0)]) },
                                    producer: producer, allowFailure: true)
        let refused = "\(operatorKey.address.checksummed) was already slashed for height \(height)"
        #expect(Self.reasons(again) == [refused, refused, refused])
        #expect(StakingTests.uint(try Self.candidate(chain, "alpha")[5]) == selfStake)
        #expect(try chain.balance(reporter.address) == reporterBefore - again.reduce(UInt256.zero) { $0 + UInt256($1.gasUsed) * $1.effectiveGasPrice })
    }

    // MARK: C. Stakes and devices sent where nobody can move them

    @Test func stakesAndDevicesCannotGoToSystemContracts() throws {
        let chain = try Chain(DeviceRegistryTests.genesis())
        let (owner, voter) = (Self.keys[0], Self.keys[1])
        try chain.block([try Self.register(chain, owner, "alpha", op: owner.address, proof: [])])
        try chain.block([try chain.staking(voter, StakingABI.createStake, [.string("alpha"), .uint(0), .bool(false)], value: Self.mote * 10)])
        let device = DeviceRegistryTests.deviceKey(.p256, 7)
        let id = device.publicKey.deviceID
        try chain.block([try DeviceRegistryTests().register(chain, owner, device)])
        let bucketBefore = try chain.read(StakingABI.address, StakingABI.bucket, [.uint(1)])
        let deviceBefore = try chain.read(DeviceRegistryABI.address, DeviceRegistryABI.device, [.address(id)])
        let registryBefore = try chain.ledger.account(DeviceRegistryABI.address)

        let sinks = [StakingABI.address, DeviceRegistryABI.address, SystemAddresses.reserved(77)]
        var txs = try sinks.map { try chain.staking(voter, StakingABI.transferStake, [.uint(1), .address($0)]) }
        txs += try sinks.map { try chain.call(owner, DeviceRegistryABI.address, DeviceRegistryABI.transferDevice, [.address(id), .address($0)]) }
        let reasons = Self.reasons(try chain.block(txs, allowFailure: true))
        #expect(reasons == (sinks + sinks).map { "cannot transfer to \($0.checksummed): it is a system contract's address" })
        #expect(try chain.read(StakingABI.address, StakingABI.bucket, [.uint(1)]) == bucketBefore)
        #expect(try chain.read(DeviceRegistryABI.address, DeviceRegistryABI.device, [.address(id)]) == deviceBefore)
        #expect(try chain.ledger.account(DeviceRegistryABI.address) == registryBefore)
    }

    // MARK: D. Free Sybil "trusted node" witnesses

    @Test func aNodeWitnessAnswersWithStake() throws {
        typealias Pool = WitnessPoolTests
        let p = try Pool.makePool()
        let chain = p.chain
        // Sybils: fresh addresses, registered in the NodeRegistry for free, try to join as nodes.
        let sybils = [Self.keys[3], Self.keys[4]]
        try chain.block(try sybils.enumerated().map { i, key in
            try chain.call(key, NodeRegistryABI.address, NodeRegistryABI.register, [.string("sybil-\(i)"), .string("http://10.9.9.9:1")])
        })
        let poolBefore = try chain.ledger.account(WitnessPoolABI.address)
        let joins = try chain.block(try sybils.enumerated().map { i, key in try Pool.joinNode(chain, key, Pool.witnessKey(20 + i)) },
                                    allowFailure: true)
        #expect(Self.reasons(joins) == sybils.map {
            "\($0.address.checksummed) is neither a genesis delegate's operator nor a staking candidate's operator or owner"
        })
        #expect(try chain.ledger.account(WitnessPoolABI.address) == poolBefore)
        #expect(try chain.read(WitnessPoolABI.address, WitnessPoolABI.witnessCount, []) == [.uint(3)])

        // The staked node earns; once its candidate unstakes its self-stake it earns nothing and weighs nothing next epoch.
        let h = chain.ledger.head.height
        let earned = try Pool.submit(chain, [try Pool.attest(chain, p.witnessKeys[2], height: h).binary])
        #expect(Pool.logs(earned, WitnessPoolABI.attestationAccepted).count == 1)
        let bucket = try Self.candidate(chain, "node")[4]
        try chain.block([try chain.staking(Self.keys[2], StakingABI.unstake, [bucket])])
        let before = try Pool.witness(chain, p.node)
        let late = try Pool.submit(chain, [try Pool.attest(chain, p.witnessKeys[2], height: chain.ledger.head.height).binary])
        let minimum = chain.ledger.genesis.parameters.minSelfStake.value
        #expect(Pool.rejections(late) == ["candidate node's self-stake is unstaked or below minSelfStake (\(minimum) wei)"])
        #expect(try Pool.witness(chain, p.node) == before)
        try chain.finishEpoch()
        let next = EpochTransition.epoch(ofHeight: chain.ledger.head.height + 1, chain.ledger.genesis.parameters)
        let weights = try chain.read(WitnessPoolABI.address, WitnessPoolABI.epochWeights, [.uint(UInt256(next)), .address(p.node)])
        #expect(weights[0] == .uint(0))
        #expect(weights[1] == .uint(200), "the two devices alone")
    }

    // MARK: E. Unbounded witness rechecks at the epoch's end

    /// The gas of an epoch's last block after `changes` node witnesses left the NodeRegistry during the epoch.
    static func epochEndGas(changes: Int) throws -> UInt64 {
        var p = StakingTests.parameters()
        p.numCandidateDelegates = 4
        p.numDelegates = 2
        let genesis = StakingTests.genesis(p)
        let load = try EpochTransitionLoad(genesis: genesis)
        try load.addCandidates(4)
        try load.addWitnesses(80)
        _ = try load.finishEpoch()
        let nodes = NodeRegistryContract(genesis: genesis)
        for i in 0..<changes {
            let id = Address(suffixOf: Keccak256.hash(utf8: "load witness 1 \(i)"))
            let context = SystemCallContext(caller: id, value: .zero, height: load.height + 1, timestamp: 0, canWrite: true,
                                            address: NodeRegistryABI.address, state: load.state, gasLimit: .max,
                                            parameters: genesis.parameters)
            _ = try nodes.call(NodeRegistryABI.unregister, arguments: [], context: context)
        }
        return try load.finishEpoch()
    }

    @Test func theEpochsEndDoesNotGrowWithWitnessChanges() throws {
        // Each change is weighed by the call that makes it; the epoch's end once drained a queue of them all.
        let few = try Self.epochEndGas(changes: 2)
        let many = try Self.epochEndGas(changes: 70)
        #expect(many <= few + 4 * SystemCallContext.Gas.storageRead, "\(few) vs \(many)")
    }
}
