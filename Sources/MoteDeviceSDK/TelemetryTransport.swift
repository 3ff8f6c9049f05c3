import MotePrimitives
import MoteTelemetry

/// How a `TelemetryClient` hands a batch of its messages to a stream node: over HTTP
/// (`HTTPTelemetryTransport`) or MQTT (`MQTTTelemetryTransport`); tests may fake it.
public protocol TelemetryTransport: Sendable {
    /// Delivers `envelopes` (one device's, in sequence order) and returns the node's outcome of
    /// each, in the same order: nil if it was accepted (stored), else why it was refused.
    /// Throws when the outcomes could not be learned (node or broker unreachable, no answer in
    /// time) or the node refused the batch as a whole; the client then retries.
    func deliver(_ envelopes: [TelemetryEnvelope]) async throws(TransportError) -> [TelemetryError?]

    /// Closes connections; a later `deliver` opens them again.
    func close() async
}

/// Why a batch was not delivered.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Set when the node answered but refused the batch as a whole (e.g. `batch_too_large`).
    public let refusal: TelemetryError?

    public init(_ message: String, refusal: TelemetryError? = nil) {
        self.message = message
        self.refusal = refusal
    }

    public var description: String { message }
}

/// Reading a stream node's outcome objects (docs/STREAM.md):
/// `{"index","device","seq","hash","status":"accepted"|"rejected","code","message"}`.
enum OutcomeJSON {
    /// nil if accepted, else the refusal; a code this SDK does not know reads as `malformed`.
    static func error(of outcome: JSON) -> TelemetryError? {
        if outcome["status"]?.stringValue == "accepted" { return nil }
        let codeText = outcome["code"]?.stringValue ?? "malformed"
        let message = outcome["message"]?.stringValue ?? ""
        guard let code = TelemetryError.Code(rawValue: codeText) else {
            return TelemetryError(.malformed, "unknown refusal code \(codeText.prefix(40)): \(message)")
        }
        return TelemetryError(code, message)
    }

    /// The outcome's sequence number, if the node could decode the message.
    static func sequence(of outcome: JSON) -> UInt64? {
        guard case .number(let text)? = outcome["seq"] else { return nil }
        return UInt64(text)
    }
}
