import Foundation
import MotePrimitives

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small JSON-RPC 2.0 client for the chain node the stream node talks to: the device
/// directory's `mote_device`, the MQTT bridge's `mote_submitAttestation`, the result poster's
/// `eth_call`, `eth_sendRawTransaction`, …. Answers are bounded in size.
public struct ChainRPCClient: Sendable {
    public let url: URL
    /// The largest answer read, in bytes.
    public let maxAnswerBytes: Int
    private let session: URLSession

    public init(url: URL, timeout: TimeInterval = 10, maxAnswerBytes: Int = 4 << 20) {
        self.url = url
        self.maxAnswerBytes = maxAnswerBytes
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// Calls `method`; a JSON-RPC error becomes `.refused` with its code and message.
    public func call(_ method: String, _ params: [JSON] = []) async throws(ChainRPCError) -> JSON {
        let body: JSON = .object(["jsonrpc": .string("2.0"), "id": .int(1), "method": .string(method), "params": .array(params)])
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.serialized)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch {
            throw ChainRPCError(.unreachable, "the node at \(url.absoluteString) is unreachable: \(error.localizedDescription)")
        }
        guard data.count <= maxAnswerBytes, let document = try? JSON.parse([UInt8](data)) else {
            throw ChainRPCError(.malformed, "the node answered \(method) with something that is not JSON-RPC")
        }
        if let error = document["error"], error != .null {
            throw ChainRPCError(.refused(code: error["code"]?.intValue ?? 0), "\(method): \(error["message"]?.stringValue ?? error.text)")
        }
        guard let result = document["result"] else { throw ChainRPCError(.malformed, "\(method) answered without a result") }
        return result
    }
}

/// Why a chain call failed.
public struct ChainRPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unreachable
        case malformed
        /// The node answered with a JSON-RPC error (3: execution reverted).
        case refused(code: Int)
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
