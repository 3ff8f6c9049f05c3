import Foundation
import MotePrimitives

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
    public let url: URL
    private let session: URLSession

    public init(url: URL, timeout: TimeInterval = 5) {
        self.url = url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    public func forward(_ binary: [UInt8]) async -> AttestationForwardOutcome {
        let body: JSON = .object([
            "jsonrpc": .string("2.0"), "id": .int(1), "method": .string("mote_submitAttestation"), "params": .array([.string(Hex.encode(binary))]),
        ])
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.serialized)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch {
            return .failed("the chain node at \(url.absoluteString) is unreachable: \(error.localizedDescription)")
        }
        guard data.count <= 64 * 1024, let document = try? JSON.parse([UInt8](data)) else { return .failed("not a JSON-RPC answer") }
        if let error = document["error"], error != .null { return .rejected(error["message"]?.stringValue ?? error.text) }
        guard let accepted = document["result"]?["accepted"]?.boolValue else { return .failed("an answer without \"accepted\"") }
        return accepted ? .accepted : .rejected(document["result"]?["reason"]?.stringValue ?? "refused")
    }
}
