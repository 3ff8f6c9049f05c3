import MoteWitness

/// The node's intake of witness attestations (`mote_submitAttestation`): the seam between the
/// RPC layer and the node's attestation pool.
public protocol AttestationIntake: Sendable {
    /// Pre-checks an attestation and, if it passes, holds it for the node's next
    /// `submitAttestations` transaction.
    func submit(_ attestation: WitnessAttestation) async -> AttestationVerdict
}

/// The intake's answer to one attestation.
public struct AttestationVerdict: Equatable, Sendable {
    /// Whether the node holds it for inclusion.
    public var accepted: Bool
    /// Why not, when refused.
    public var reason: String?

    public static let accepted = AttestationVerdict(accepted: true, reason: nil)

    public static func rejected(_ reason: String) -> AttestationVerdict { AttestationVerdict(accepted: false, reason: reason) }

    public init(accepted: Bool, reason: String?) {
        self.accepted = accepted
        self.reason = reason
    }
}

extension RPCBackend {
    /// No intake unless the node provides one.
    public var attestationIntake: (any AttestationIntake)? { nil }
}
