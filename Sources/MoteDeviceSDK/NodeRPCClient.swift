import Foundation
import MotePrimitives

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal JSON-RPC 2.0 client for the one trusted node a device talks to: one request per
/// call, a timeout, and a bound on the answer's size.
public struct NodeRPCClient: Sendable {
    /// The node's JSON-RPC URL, e.g. `http://127.0.0.1:8545`.
    public let url: URL
    /// The largest answer read, in bytes.
    public static let maxAnswerBytes = 1 << 20
    private let session: URLSession

    public init(url: URL, timeout: TimeInterval = 10) {
        self.url = url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// Calls `method`; the `result`, or an `.unreachable` error carrying the node's message
    /// (code -32001, "not found", maps to `.notFound`).
    public func call(_ method: String, _ params: [JSON]) async throws(LightClientError) -> JSON {
        let body: JSON = .object(["jsonrpc": .string("2.0"), "id": .int(1), "method": .string(method), "params": .array(params)])
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.serialized)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch {
            throw LightClientError(.unreachable, "the node at \(url.absoluteString) is unreachable: \(error.localizedDescription)")
        }
        guard data.count <= Self.maxAnswerBytes, let document = try? JSON.parse([UInt8](data)) else {
            throw LightClientError(.badAnswer, "the node answered \(method) with something that is not JSON-RPC")
        }
        if let error = document["error"], error != .null {
            let message = "\(method): \(error["message"]?.stringValue ?? error.text)"
            throw LightClientError(error["code"]?.intValue == -32001 ? .notFound : .unreachable, message)
        }
        guard let result = document["result"] else { throw LightClientError(.badAnswer, "\(method) answered without a result") }
        return result
    }
}

extension JSON {
    /// `0x` hex data, or nil.
    var dataValue: [UInt8]? { stringValue.flatMap { try? Hex.decode($0) } }
}
