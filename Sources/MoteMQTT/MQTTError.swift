/// Why an MQTT operation or connection failed. `code` says what kind of failure; `message`
/// says what exactly.
public struct MQTTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: Equatable, Sendable {
        /// A frame that breaks MQTT 3.1.1's encoding rules; the connection is closed.
        case malformedPacket
        /// A frame over the configured maximum packet size; the connection is closed.
        case packetTooLarge
        /// A well-formed packet the broker should not have sent now; the connection is closed.
        case protocolViolation
        /// The broker refused the connection (CONNACK return code 1…5).
        case connectionRefused(returnCode: UInt8)
        /// The broker refused a subscription (SUBACK 0x80).
        case subscriptionRefused
        /// No connection: never connected, or closed.
        case notConnected
        /// The broker did not answer in time (CONNACK, PINGRESP).
        case timeout
        /// The connection was closed while an operation was waiting.
        case connectionClosed
        /// A topic, filter, client id or payload the protocol does not allow.
        case invalidArgument
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "MQTT \(code): \(message)" }
}
