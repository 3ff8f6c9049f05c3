import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPC
import MoteTransactions
import MoteWitness
import Testing

/// `mote_witness`, `mote_witnesses`, `mote_witnessStatus`, `mote_witnessParameters` and
/// `mote_epochSeed` against a real ledger: what micro-miners and `mote witness` read.
@Suite struct WitnessMethodsTests {
    func send(_ rpc: RPCService, _ key: Secp256k1.PrivateKey, nonce: UInt64, to: Address, _ function: SystemFunction,
              _ args: [ABIValue], value: UInt256 = .zero) async throws -> Hash32 {
        let tx = Transaction.dynamicFee(
            chainID: TestChain.chainID, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 2_000_000,
            to: to, value: value, data: try function.abi.encodeCall(args)
        ).signed(with: key)
        _ = try await rpc.result("eth_sendRawTransaction", [.data(tx.rawBytes)])
        return tx.hash
    }

    @Test func witnessMethodsDescribeThePoolAndTheEpoch() async throws {
        let chain = try TestChain(balance: TestChain.ether * 100_000)
        let rpc = RPCService(backend: chain)
        let node = TestChain.keys[0]
        let key = try ECVRF.SecretKey(seed: Keccak256.hash(utf8: "rpc witness").bytes)
        // A node witness answers with stake: its own candidacy, with the minimum self-stake.
        let p = ProtocolParameters()
        let staked = try await send(rpc, node, nonce: 0, to: StakingABI.address, StakingABI.registerCandidate,
                                    [.string("n0"), .address(node.address), .address(node.address), .uint(0), .bool(false), .uint(0), .bytes([])],
                                    value: p.registrationFee.value + p.minSelfStake.value)
        let registered = try await send(rpc, node, nonce: 1, to: NodeRegistryABI.address, NodeRegistryABI.register,
                                        [.string("n0"), .string("http://127.0.0.1:1")])
        let proof = WitnessPoolContract.possessionProof(key: key, chainID: TestChain.chainID, witnessID: node.address, owner: node.address)
        let joined = try await send(rpc, node, nonce: 2, to: WitnessPoolABI.address, WitnessPoolABI.joinAsNode,
                                    [.fixedBytes(key.publicKey.bytes), .bytes(proof)])
        try chain.produce()
        for hash in [staked, registered, joined] {
            #expect(try await rpc.result("eth_getTransactionReceipt", [.hash(hash)])["status"] == .s("0x1"))
        }

        let witness = try await rpc.result("mote_witness", [.address(node.address)])
        #expect(witness == .object([
            "id": .address(node.address), "kind": .s("node"), "witnessKey": .data(key.publicKey.bytes), "owner": .address(node.address),
            "reputation": .s("0x64"), "blacklistedUntil": .s("0x0"), "joinedAt": .s("0x1"), "accepted": .s("0x0"),
            "incoherent": .s("0x0"), "earned": .s("0x0"), "active": .bool(true), "epoch": .s("0x1"), "weight": .s("0x0"),
            "totalWeight": .s("0x0"),
        ]), "joined in epoch 1: no weight until epoch 2")
        #expect(try await rpc.result("mote_witness", [.data(key.publicKey.bytes)]) == witness)
        #expect(try await rpc.result("mote_witnesses") == .array([witness]))
        #expect(try await rpc.error("mote_witness", [.data([UInt8](repeating: 7, count: 32))]).code == -32001)
        #expect(try await rpc.error("mote_witness", [.address(TestChain.producer)]).code == -32001)
        #expect(try await rpc.error("mote_witness", [.s("0x12")]).code == -32602)
        #expect(try await rpc.error("mote_witness", []).code == -32602)

        #expect(try await rpc.result("mote_witnessParameters") == .object([
            "expectedWitnesses": .s("0x10"), "threshold": .s("0xa"), "attestationReward": .quantity(UInt256(10_000_000_000_000_000)),
            "blacklistBlocks": .s("0x4380"), "attestationWindow": .s("0x78"), "reputationStart": .s("0x64"), "reputationGain": .s("0x1"),
            "reputationPenalty": .s("0x32"), "maxReputation": .s("0x3e8"), "vrfSuite": .s("ECVRF-EDWARDS25519-SHA512-TAI"),
        ]))
        #expect(try await rpc.result("mote_witnessStatus", [.s("0x1")]) == .object([
            "height": .s("0x1"), "accepted": .s("0x0"), "witnessed": .bool(false), "blockHash": .null, "threshold": .s("0xa"),
        ]))
        #expect(try await rpc.error("mote_witnessStatus", []).code == -32602)

        let seed = try chain.ledger.seed(ofEpoch: 1)
        let epoch = try await rpc.result("mote_epochSeed", [.s("0x1")])
        #expect(epoch == .object([
            "epoch": .s("0x1"), "seed": .hash(seed), "firstHeight": .s("0x1"), "lastHeight": .s("0x2d0"), "totalWeight": .s("0x0"),
            "expectedWitnesses": .s("0x10"),
        ]))
        #expect(try await rpc.result("mote_epochSeed") == epoch, "the current epoch by default")
        let future = try await rpc.error("mote_epochSeed", [.s("0x2")])
        #expect(future.code == -32001, "epoch 2's seed is fixed only when epoch 1 ends")
        #expect(try await rpc.error("mote_epochSeed", [.s("0x0")]).code == -32001)
    }
}
