import MotePrimitives

/// Why a call to a node failed: it could not be reached, it answered something that is not
/// JSON-RPC, or it refused the request with a JSON-RPC error.
public struct RPCClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// No answer: connection refused, unknown host, timeout, TLS failure.
        case unreachable
        /// An answer that is not a JSON-RPC response (HTTP error page, too large, not JSON), or
        /// a result of the wrong shape.
        case badResponse
        /// A JSON-RPC error object from the node (3: execution reverted, -32001: not found).
        case refused(code: Int, message: String)
        /// The URL given is not an http(s) or ws(s) URL.
        case invalidURL
        /// A transaction filled in from the node's answers breaks a rule (too large, wrong chain id, …).
        case invalidTransaction
    }

    public let kind: Kind
    public let description: String

    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }

    public init(_ kind: Kind, _ description: String) { self.init(kind: kind, description: description) }

    /// The error in words (the same as `description`).
    public var message: String { description }

    /// The JSON-RPC error code of a refusal.
    public var code: Int? {
        if case .refused(let code, _) = kind { return code }
        return nil
    }

    /// The node's JSON-RPC code for "no such thing" (device, candidate, witness).
    public static let notFoundCode = -32001
    /// The node's JSON-RPC code for a call that reverted.
    public static let revertedCode = 3

    /// The contract's reason in a node's "execution reverted: REASON" refusal (code 3), else nil.
    public var revertReason: String? {
        guard case .refused(code: Self.revertedCode, let message) = kind else { return nil }
        let prefix = "execution reverted: "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }

    /// An answer of the wrong shape.
    public static func badResponse(_ description: String) -> RPCClientError { RPCClientError(.badResponse, description) }
}
