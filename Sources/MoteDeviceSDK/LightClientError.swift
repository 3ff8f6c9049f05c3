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
