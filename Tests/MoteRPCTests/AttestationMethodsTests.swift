import MoteChain
import MoteCrypto
import MotePrimitives
import MoteRPC
import MoteWitness
import NIOConcurrencyHelpers
import Testing

/// An intake that records what reaches it and refuses heights above 10.
final class RecordingIntake: AttestationIntake {
    let received = NIOLockedValueBox<[WitnessAttestation]>([])
    func submit(_ attestation: WitnessAttestation) async -> AttestationVerdict {
        received.withLockedValue { $0.append(attestation) }
        return attestation.height > 10 ? .rejected("too high") : .accepted
    }
}

/// `mote_rawHeader` and `mote_submitAttestation` against a real ledger.
@Suite struct AttestationMethodsTests {
    @Test func rawHeaderIsTheHeaderTheBlockHashNames() async throws {
        let chain = try TestChain()
        let rpc = RPCService(backend: chain)
        try chain.produce()
        try chain.produce()
        for height in ["0x1", "0x2", "latest"] {
            let raw = try Hex.decode(try await rpc.result("mote_rawHeader", [.s(height)]).stringValue!)
            let block = try await rpc.result("eth_getBlockByNumber", [.s(height), .bool(false)])
            #expect(Keccak256.hash(raw).hex == block["hash"]?.stringValue)
            #expect(try BlockHeader(encoded: raw).height == UInt64(block["number"]!.stringValue!.dropFirst(2), radix: 16))
        }
        #expect(try await rpc.result("mote_rawHeader", [.s("0x9")]) == .null)
        #expect(try await rpc.error("mote_rawHeader", [.s("nine")]).code == -32602)
    }

    @Test func submitAttestationParsesBothFormsAndReportsTheVerdict() async throws {
        let chain = try TestChain()
        let rpc = RPCService(backend: chain)
        let key = try ECVRF.SecretKey(seed: [UInt8](repeating: 4, count: 32))
        func attestation(_ height: UInt64) -> WitnessAttestation {
            let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: .zero, height: height), suite: .tai)
            return WitnessAttestation.make(key: key, chainID: TestChain.chainID, height: height, blockHash: .zero, proof: proof)
        }
        // No intake: a clear refusal.
        #expect(try await rpc.error("mote_submitAttestation", [.data(attestation(3).binary)]).code == -32000)

        let intake = RecordingIntake()
        chain.intake = intake
        let accepted = try await rpc.result("mote_submitAttestation", [.data(attestation(3).binary)])
        #expect(accepted["accepted"] == .bool(true) && accepted["reason"] == .null)
        let refused = try await rpc.result("mote_submitAttestation", [attestation(11).json])
        #expect(refused["accepted"] == .bool(false) && refused["reason"] == .s("too high"))
        #expect(intake.received.withLockedValue { $0 } == [attestation(3), attestation(11)])

        // Malformed: wrong length, not hex, a bad key, an unknown member, a missing argument.
        var badKey = attestation(3).binary
        badKey.replaceSubrange(40..<72, with: [UInt8](repeating: 0xff, count: 32))
        var extra = attestation(3).json.objectValue!
        extra["extra"] = .s("x")
        for params: [JSON] in [[.data([1, 2, 3])], [.s("0x" + String(repeating: "zz", count: 216))], [.data(badKey)], [.object(extra)], []] {
            #expect(try await rpc.error("mote_submitAttestation", params).code == -32602)
        }
        #expect(intake.received.withLockedValue { $0.count } == 2)
    }
}
