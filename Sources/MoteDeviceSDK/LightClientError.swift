import MotePrimitives
import MoteRPCClient

/// Why the micro-miner's light client could not follow or attest: a node that cannot be
/// reached, an answer that is not what the API promises, or a header or certificate that does
/// not verify (the node lied, or the chain is not the one the device trusts).
public struct LightClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: Equatable, Sendable {
        /// The node could not be reached, or answered with an error.
        case unreachable
        /// The node's answer is not JSON-RPC, or not the shape the method promises.
        case badAnswer
        /// A header or commit certificate failed a check: forged, or not final.
        case unverified
        /// The node does not have what was asked for (yet).
        case notFound
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension LightClientError {
    /// A node call's failure: the node's "not found" refusal is `.notFound`, an answer of the
    /// wrong shape `.badAnswer`, anything else `.unreachable`.
    public init(_ error: RPCClientError) {
        switch error.kind {
        case .refused(code: RPCClientError.notFoundCode, _): self.init(.notFound, error.message)
        case .badResponse: self.init(.badAnswer, error.message)
        case .unreachable, .refused, .invalidURL, .invalidTransaction: self.init(.unreachable, error.message)
        }
    }
}

extension JSONRPCClient {
    /// `call`, its failure as a `LightClientError`.
    func request(_ method: String, _ params: [JSON]) async throws(LightClientError) -> JSON {
        do { return try await call(method, params) } catch { throw LightClientError(error) }
    }
}
