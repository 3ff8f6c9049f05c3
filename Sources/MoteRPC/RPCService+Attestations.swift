import MoteChain
import MotePrimitives
import MoteStorage
import MoteWitness

/// `mote_` methods for Proof of Assignment's device side: raw headers for light clients that
/// check commit certificates themselves, and the intake of witness attestations.
extension RPCService {
    static let attestationMethods: Set<String> = ["mote_rawHeader", "mote_submitAttestation"]

    func attestationMethod(_ method: String, _ params: Params) async throws(RPCError) -> JSON {
        switch method {
        case "mote_rawHeader":
            // The header's RLP, byte for byte: its keccak is the block hash, and the header of
            // h + 1 carries the commit certificate of h (`parentCommit`).
            try params.expect(1...1)
            guard let height = try height(of: try params.blockTag(0)),
                let header = try read({ () throws(StorageError) in try backend.store.header(atHeight: height) })
            else { return .null }
            return .data(header.encoded)
        case "mote_submitAttestation":
            // The 216-byte binary form as hex, or the JSON object form.
            try params.expect(1...1)
            guard let intake = backend.attestationIntake else {
                throw RPCError.server("this node takes no attestations (it has no operator key to submit them with)")
            }
            let attestation: WitnessAttestation
            let argument = try params.required(0)
            do throws(WitnessAttestationError) {
                switch argument {
                case .string(let text):
                    guard text.utf8.count == 2 + 2 * WitnessAttestation.binaryLength else {
                        throw WitnessAttestationError("an attestation is \(WitnessAttestation.binaryLength) bytes of 0x-prefixed hex")
                    }
                    guard let bytes = try? Params.data(text) else { throw WitnessAttestationError("not 0x-prefixed hex") }
                    attestation = try WitnessAttestation(binary: bytes)
                case let object:
                    attestation = try WitnessAttestation(json: object)
                }
            } catch {
                throw Params.invalid(0, "malformed attestation: \(error.message)")
            }
            let verdict = await intake.submit(attestation)
            return .object(["accepted": .bool(verdict.accepted), "reason": verdict.reason.map { .string($0) } ?? .null])
        default:
            throw RPCError.methodNotFound(method)
        }
    }
}
