import Foundation
import MotePrimitives
import MoteRPCClient

/// Where the stream node's MQTT bridge hands witness attestations (`mote/v1/attest/{key}`):
/// the chain node that checks and includes them.
public protocol AttestationForwarder: Sendable {
    /// Forwards one 216-byte binary attestation; the chain node's verdict, or why it could not
    /// be asked.
    func forward(_ binary: [UInt8]) async -> AttestationForwardOutcome
}

/// What became of one forwarded attestation.
public enum AttestationForwardOutcome: Equatable, Sendable {
    case accepted
    case rejected(String)
    /// The chain node could not be reached or answered nonsense.
    case failed(String)
}

/// Forwards attestations with the chain node's `mote_submitAttestation(hex)`.
public struct RPCAttestationForwarder: AttestationForwarder {
    private let client: JSONRPCClient

    public init(url: URL, timeout: TimeInterval = 5) {
        client = JSONRPCClient(url: url, timeout: timeout, maxResponseBytes: 64 * 1024)
    }

    public var url: URL { client.url }

    public func forward(_ binary: [UInt8]) async -> AttestationForwardOutcome {
        let result: JSON
        do throws(RPCClientError) {
            result = try await client.call("mote_submitAttestation", [.string(Hex.encode(binary))])
        } catch {
            if case .refused = error.kind { return .rejected(error.message) }
            return .failed(error.message)
        }
        guard let accepted = result["accepted"]?.boolValue else { return .failed("an answer without \"accepted\"") }
        return accepted ? .accepted : .rejected(result["reason"]?.stringValue ?? "refused")
    }
}
