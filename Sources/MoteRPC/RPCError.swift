import MotePrimitives

/// A JSON-RPC error object: the codes of JSON-RPC 2.0 and EIP-1474, with messages worded
/// as go-ethereum words them, since that is what Ethereum clients and scripts match on.
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSON?

    public init(code: Int, message: String, data: JSON? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    /// The error member of a response.
    public var json: JSON {
        var object: [String: JSON] = ["code": .int(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    /// -32700: the body is not JSON.
    public static func parseError(_ detail: String) -> RPCError { RPCError(code: -32700, message: "parse error: \(detail)") }
    /// -32600: JSON, but not a JSON-RPC request.
    public static func invalidRequest(_ detail: String) -> RPCError { RPCError(code: -32600, message: "invalid request: \(detail)") }
    /// -32601: no such method.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, message: "the method \(method.prefix(64)) does not exist/is not available")
    }
    /// -32602: the parameters are wrong.
    public static func invalidParams(_ detail: String) -> RPCError { RPCError(code: -32602, message: detail) }
    /// -32603: a failure inside the node.
    public static func internalError(_ detail: String) -> RPCError { RPCError(code: -32603, message: "internal error: \(detail)") }
    /// -32000: the request is understood but cannot be served (geth's catch-all, used for
    /// transaction pool rejections, which clients match by message).
    public static func server(_ message: String) -> RPCError { RPCError(code: -32000, message: message) }
    /// -32001: the thing asked for does not exist.
    public static func resourceNotFound(_ message: String) -> RPCError { RPCError(code: -32001, message: message) }
    /// -32005: a limit was exceeded (request size, batch length, range, results, rate, connections).
    public static func limitExceeded(_ message: String) -> RPCError { RPCError(code: -32005, message: message) }
    /// 3: a call reverted; `data` holds the revert data (`Error(string)` ABI-encoded).
    public static func executionReverted(reason: String, data: [UInt8]) -> RPCError {
        RPCError(code: 3, message: "execution reverted: \(reason)", data: .string(Hex.encode(data)))
    }
}
