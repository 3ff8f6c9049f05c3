import Foundation
import MoteChain
import MoteCrypto
import MoteDeviceSDK
import MotePrimitives
import MoteWitness
import NIOConcurrencyHelpers
import Testing

/// A node as the micro-miner sees it, over a `CertifiedChain`; it can be made to lie.
final class FakeWitnessNode: WitnessChainSource, AttestationSender {
    let chain: CertifiedChain
    let head: UInt64
    let weight: EpochWeight
    /// Raw headers the node swaps in (a lying node).
    let forged: NIOLockedValueBox<[UInt64: [UInt8]]> = NIOLockedValueBox([:])
    let received = NIOLockedValueBox<[WitnessAttestation]>([])

    init(chain: CertifiedChain, head: UInt64, weight: EpochWeight = EpochWeight(weight: 10, totalWeight: 10)) {
        self.chain = chain
        self.head = head
        self.weight = weight
    }

    static func seed(_ epoch: UInt64) -> Hash32 { Keccak256.hash(Array("seed".utf8) + epoch.bigEndianBytes8) }

    func chainStatus() async throws(LightClientError) -> ChainStatus {
        ChainStatus(chainID: CertifiedChain.chainID, epochLength: CertifiedChain.epochLength, height: head)
    }
    func rawHeader(height: UInt64) async throws(LightClientError) -> [UInt8]? {
        guard height <= head else { return nil }
        return forged.withLockedValue { $0[height] } ?? chain.raw[height]
    }
    func producers(ofEpoch epoch: UInt64) async throws(LightClientError) -> [Address] { chain.producers }
    func epochSeed(ofEpoch epoch: UInt64) async throws(LightClientError) -> Hash32 { Self.seed(epoch) }
    func weights(witnessKey: [UInt8], epoch: UInt64) async throws(LightClientError) -> EpochWeight { weight }
    func expectedWitnesses() async throws(LightClientError) -> UInt64 { 8 }
    func send(_ attestation: WitnessAttestation) async throws(LightClientError) -> AttestationDelivery {
        received.withLockedValue { $0.append(attestation) }
        return .accepted
    }
    func close() async {}
}

@Suite struct MicroMinerTests {
    let key = try! ECVRF.SecretKey(seed: [UInt8](repeating: 3, count: 32))

    @Test func attestsEveryCertifiedHeightItIsAssignedTo() async throws {
        let chain = CertifiedChain(count: 8)
        let node = FakeWitnessNode(chain: chain, head: 8)
        let miner = try MicroMiner(key: key, source: node, sender: node)
        let sent = try await miner.step()
        // Heights 1…7 are provable (8's certificate is in no header yet); full weight: all assigned.
        #expect(sent.map(\.attestation.height) == Array(1...7))
        for item in sent {
            let a = item.attestation
            #expect(a.blockHash == Keccak256.hash(chain.raw[a.height]!))
            #expect(a.signatureIsValid(chainID: CertifiedChain.chainID))
            let epoch = (a.height - 1) / CertifiedChain.epochLength + 1
            #expect(WitnessSortition.verify(
                .init(height: a.height, proof: a.vrfProof), publicKey: key.publicKey, seed: FakeWitnessNode.seed(epoch), weight: 10,
                totalWeight: 10, expected: 8))
        }
        #expect(try await miner.step().isEmpty)  // nothing new
        let stats = await miner.statistics
        #expect(stats.verified == 7 && stats.assigned == 7 && stats.accepted == 7 && stats.lastHeight == 7)
    }

    @Test func aLyingNodeGetsNoAttestation() async throws {
        let chain = CertifiedChain(count: 8)
        let node = FakeWitnessNode(chain: chain, head: 8)
        // Header 4 replaced with one the producers never certified.
        let real = try BlockHeader(encoded: chain.raw[4]!)
        let fake = CertifiedChain.header(height: 4, parent: real.parentHash, producer: real.producer, commit: real.parentCommit,
                                         stateRoot: Keccak256.hash(utf8: "fake"))
        node.forged.withLockedValue { $0[4] = fake.encoded }
        let miner = try MicroMiner(key: key, source: node, sender: node)
        await #expect(throws: LightClientError.self) { try await miner.step() }
        #expect(node.received.withLockedValue { $0.map(\.height) } == [1, 2, 3])
        #expect(await miner.statistics.lastHeight == 3)
        // Once the node stops lying the miner carries on from where it stopped.
        node.forged.withLockedValue { $0 = [:] }
        #expect(try await miner.step().map(\.attestation.height) == Array(4...7))
    }

    @Test func aWitnessWithoutWeightIsNeverAssigned() async throws {
        let node = FakeWitnessNode(chain: CertifiedChain(count: 6), head: 6, weight: EpochWeight(weight: 0, totalWeight: 10))
        let miner = try MicroMiner(key: key, source: node, sender: node)
        #expect(try await miner.step().isEmpty)
        #expect(await miner.statistics.verified == 5)
    }

    @Test func resumesFromItsStateFileAndCanBeMadeIncoherent() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mote-miner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let chain = CertifiedChain(count: 10)
        let first = FakeWitnessNode(chain: chain, head: 5)
        _ = try await MicroMiner(key: key, source: first, sender: first, stateFile: folder + "/height").step()
        #expect(first.received.withLockedValue { $0.count } == 4)
        var options = MicroMiner.Options()
        options.incoherent = true
        let second = FakeWitnessNode(chain: chain, head: 10)
        let restarted = try MicroMiner(key: key, source: second, sender: second, stateFile: folder + "/height", options: options)
        let sent = try await restarted.step()
        #expect(sent.map(\.attestation.height) == Array(5...9))
        // Incoherent on purpose: validly assigned and signed, but not the final hash.
        for item in sent {
            #expect(item.attestation.blockHash != Keccak256.hash(chain.raw[item.attestation.height]!))
            #expect(item.attestation.signatureIsValid(chainID: CertifiedChain.chainID))
        }
    }
}
