import Foundation
import MotePrimitives
import MoteTelemetry

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers batches with `POST {base}/v1/telemetry/batch`, binary envelopes each preceded by
/// its u32-BE length (`Content-Type: application/octet-stream`), and reads the node's
/// per-message `results`.
public struct HTTPTelemetryTransport: TelemetryTransport {
    /// The stream node, e.g. `http://127.0.0.1:8600`.
    public let baseURL: URL
    /// How long one request may take.
    public let timeout: TimeInterval
    private let session: URLSession

    public init(baseURL: URL, timeout: TimeInterval = 10, session: URLSession = .shared) {
        self.baseURL = baseURL
        self.timeout = timeout
        self.session = session
    }

    /// `u32-BE length ‖ binary envelope`, repeated.
    static func batchBody(_ envelopes: [TelemetryEnvelope]) -> [UInt8] {
        envelopes.flatMap(TelemetryBuffer.record)
    }

    public func deliver(_ envelopes: [TelemetryEnvelope]) async throws(TransportError) -> [TelemetryError?] {
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/telemetry/batch"), timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(Self.batchBody(envelopes))
        let data: Data
        let response: URLResponse
        do { (data, response) = try await session.data(for: request) } catch {
            throw TransportError("cannot reach \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = try? JSON.parse([UInt8](data))
        if let results = answer?["results"]?.arrayValue {
            var outcomes = [TelemetryError?](repeating: TelemetryError(.malformed, "no outcome for this message"), count: envelopes.count)
            var answered = Set<Int>()
            for result in results {
                guard let index = result["index"]?.intValue, outcomes.indices.contains(index) else { continue }
                outcomes[index] = OutcomeJSON.error(of: result)
                answered.insert(index)
            }
            guard answered.count == envelopes.count else {
                throw TransportError("the node answered \(answered.count) of \(envelopes.count) messages (HTTP \(status))")
            }
            return outcomes
        }
        if (400..<500).contains(status), let error = answer?["error"], let code = error["code"]?.stringValue.flatMap(TelemetryError.Code.init) {
            let refusal = TelemetryError(code, error["message"]?.stringValue ?? "")
            throw TransportError("the node refused the batch (HTTP \(status)): \(refusal)", refusal: refusal)
        }
        throw TransportError("the node answered HTTP \(status): \(String(decoding: data.prefix(200), as: UTF8.self))")
    }

    public func close() async {}
}
