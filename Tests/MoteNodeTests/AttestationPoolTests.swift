import Foundation
import MoteCrypto
import MotePrimitives
import MoteRPC
import MoteWitness
import Testing

@testable import MoteNode

/// A chain for the intake: fixed head, one seed per epoch, weights by key.
struct FakeAttestationChain: AttestationChainView {
    var head: UInt64 = 100
    var epochLength: UInt64 = 10
    var parameters: WitnessParameters? = WitnessParameters(expectedWitnesses: 8, attestationWindow: 32)
    var weightsByKey: [[UInt8]: (UInt64, UInt64)] = [:]

    func headHeight() async -> UInt64 { head }
    func epoch(ofHeight height: UInt64) -> UInt64 { height == 0 ? 0 : (height - 1) / epochLength + 1 }
    func witnessParameters() async -> WitnessParameters? { parameters }
    func epochSeed(_ epoch: UInt64) async -> Hash32? { Self.seed(epoch) }
    func weights(witnessKey: [UInt8], epoch: UInt64) async -> (weight: UInt64, totalWeight: UInt64)? {
        let w = weightsByKey[witnessKey] ?? (0, 100)
        return (w.0, w.1)
    }

    static func seed(_ epoch: UInt64) -> Hash32 { Keccak256.hash(Array("seed".utf8) + epoch.bigEndianBytes8) }
}

@Suite struct AttestationPoolTests {
    static let chainID: UInt64 = 4_689
    let witness = try! ECVRF.SecretKey(seed: [UInt8](repeating: 7, count: 32))
    let stranger = try! ECVRF.SecretKey(seed: [UInt8](repeating: 9, count: 32))
    let hash = Keccak256.hash(utf8: "block")

    /// A pool where `witness` has all the weight (so it is assigned to every height).
    func pool(capacity: Int = 16) -> AttestationPool {
        var chain = FakeAttestationChain()
        chain.weightsByKey[witness.publicKey.bytes] = (100, 100)
        return AttestationPool(chainID: Self.chainID, capacity: capacity, view: chain)
    }

    func attestation(_ key: ECVRF.SecretKey, height: UInt64, chainID: UInt64 = chainID, seedEpoch: UInt64? = nil) -> WitnessAttestation {
        let epoch = seedEpoch ?? (height - 1) / 10 + 1
        let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: FakeAttestationChain.seed(epoch), height: height), suite: .tai)
        return WitnessAttestation.make(key: key, chainID: chainID, height: height, blockHash: hash, proof: proof)
    }

    @Test func acceptsAnAssignedWitnessOncePerHeight() async {
        let pool = pool()
        #expect(await pool.submit(attestation(witness, height: 99)) == .accepted)
        #expect(await pool.submit(attestation(witness, height: 98)) == .accepted)
        #expect(pool.count == 2)
        // Another hash for the same height is a duplicate here (the id is key and height).
        var other = attestation(witness, height: 99)
        other = WitnessAttestation.make(key: witness, chainID: Self.chainID, height: 99, blockHash: Keccak256.hash(utf8: "x"), proof: other.vrfProof)
        #expect(await pool.submit(other).accepted == false)
        let taken = pool.take(head: 100, window: 32, maxCount: 10)
        #expect(taken.map(\.height) == [99, 98])
        #expect(pool.count == 0)
    }

    @Test func rejectsAReplayEvenAfterInclusion() async {
        let pool = pool()
        let original = attestation(witness, height: 95)
        #expect(await pool.submit(original) == .accepted)
        #expect(pool.take(head: 100, window: 32, maxCount: 10).count == 1)
        let replay = await pool.submit(original)
        #expect(!replay.accepted)
        #expect(replay.reason?.contains("duplicate") == true)
        // Byte-identical through the binary form too.
        #expect(await pool.submit(try! WitnessAttestation(binary: original.binary)).accepted == false)
    }

    @Test func rejectsForgedProofsAndSignatures() async {
        let pool = pool()
        // A proof for another height (replayed from an earlier assignment), re-signed.
        let earlier = attestation(witness, height: 90)
        let moved = WitnessAttestation.make(key: witness, chainID: Self.chainID, height: 91, blockHash: hash, proof: earlier.vrfProof)
        #expect(await pool.submit(moved).reason?.contains("VRF proof") == true)
        // A proof on another epoch's seed.
        #expect(await pool.submit(attestation(witness, height: 92, seedEpoch: 3)).reason?.contains("VRF proof") == true)
        // Someone else's proof under the witness's name, and a key the pool does not know.
        let theirs = attestation(stranger, height: 93)
        var stolen = attestation(witness, height: 93)
        stolen.vrfProof = theirs.vrfProof
        #expect(await pool.submit(stolen).accepted == false)
        #expect(await pool.submit(theirs).reason?.contains("weight") == true)
        // A signature that does not match, or made for another chain.
        var tampered = attestation(witness, height: 94)
        tampered.blockHash = Keccak256.hash(utf8: "tampered")
        #expect(await pool.submit(tampered).reason == "bad signature")
        #expect(await pool.submit(attestation(witness, height: 94, chainID: 1)).reason == "bad signature")
        #expect(pool.count == 0)
        // None of the refusals blocks the honest attestation for that height.
        #expect(await pool.submit(attestation(witness, height: 94)) == .accepted)
    }

    @Test func enforcesTheWindowAndTheCapacity() async {
        let pool = pool(capacity: 2)
        #expect(await pool.submit(attestation(witness, height: 101)).reason?.contains("not final") == true)
        #expect(await pool.submit(attestation(witness, height: 60)).reason?.contains("window") == true)
        #expect(await pool.submit(attestation(witness, height: 97)) == .accepted)
        #expect(await pool.submit(attestation(witness, height: 96)) == .accepted)
        #expect(await pool.submit(attestation(witness, height: 95)).reason?.contains("full") == true)
        // Taking for a later head drops what fell out of the window.
        #expect(pool.take(head: 128, window: 32, maxCount: 10).map(\.height) == [97])
        #expect(pool.totals.accepted == 2)
    }

    @Test func refusesWhenTheChainHasNoWitnessPool() async {
        var chain = FakeAttestationChain()
        chain.parameters = nil
        let pool = AttestationPool(chainID: Self.chainID, view: chain)
        #expect(await pool.submit(attestation(witness, height: 99)).accepted == false)
    }
}
