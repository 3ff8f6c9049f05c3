import MotePrimitives
import MoteTelemetry

/// Limits on what the ingestion pipeline accepts.
public struct IngestLimits: Equatable, Sendable {
    /// The largest payload of one message (bytes).
    public var maxPayloadBytes = 64 * 1024
    /// The most messages in one batch.
    public var maxBatchMessages = 1_000
    /// The largest batch body (bytes).
    public var maxBatchBytes = 4 << 20
    /// How far (milliseconds) a message's timestamp may be from this node's clock, either way.
    public var timestampToleranceMs: UInt64 = 5 * 60 * 1_000

    public init() {}
}

/// One input to the pipeline: a decoded envelope, or why it could not be decoded.
public typealias IngestInput = Result<TelemetryEnvelope, TelemetryError>

/// What became of one message: accepted (stored), or rejected with a stable code.
public struct IngestOutcome: Equatable, Sendable {
    /// The message's position in its batch (0 for a single message).
    public var index: Int
    /// The device, sequence number and hash, where the message could be decoded.
    public var device: Address?
    public var sequence: UInt64?
    public var hash: Hash32?
    /// nil: accepted.
    public var error: TelemetryError?

    public init(index: Int, device: Address? = nil, sequence: UInt64? = nil, hash: Hash32? = nil, error: TelemetryError? = nil) {
        self.index = index
        self.device = device
        self.sequence = sequence
        self.hash = hash
        self.error = error
    }

    public var isAccepted: Bool { error == nil }

    /// `{"index","device","seq","hash","status":"accepted"|"rejected","code","message"}`.
    public var json: JSON {
        .object([
            "index": .int(index), "device": device.map { .string($0.hex) } ?? .null,
            "seq": sequence.map { .number(String($0)) } ?? .null, "hash": hash.map { .string($0.hex) } ?? .null,
            "status": .string(isAccepted ? "accepted" : "rejected"),
            "code": error.map { .string($0.code.rawValue) } ?? .null, "message": error.map { .string($0.message) } ?? .null,
        ])
    }

    /// The HTTP status a single message's outcome is answered with.
    public var httpStatus: Int { error.map { Self.httpStatus(for: $0.code) } ?? 200 }

    /// 400 for what cannot be read, 413 for what is too large, 503 for what may succeed on
    /// retry, 422 for the rest (readable but refused).
    public static func httpStatus(for code: TelemetryError.Code) -> Int {
        switch code {
        case .malformed, .unsupportedVersion, .badKey: 400
        case .payloadTooLarge, .batchTooLarge: 413
        case .storage, .unavailable: 503
        case .unknownDevice, .inactiveDevice, .badSignature, .replay, .staleTimestamp: 422
        }
    }
}

/// Batches on the wire: a JSON array of envelopes, or binary envelopes each preceded by its
/// length (u32 big-endian).
public enum TelemetryBatch {
    /// `u32-BE length ‖ binary envelope`, repeated.
    public static func binary(_ envelopes: [TelemetryEnvelope]) -> [UInt8] {
        var out: [UInt8] = []
        for envelope in envelopes {
            let bytes = envelope.binary
            let length = UInt32(bytes.count)
            out += [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
            out += bytes
        }
        return out
    }

    /// Splits a binary batch and decodes each envelope; a broken frame (a length running past
    /// the end) refuses the whole batch, a bad envelope only itself.
    public static func decodeBinary(_ bytes: [UInt8], limits: IngestLimits) throws(TelemetryError) -> [IngestInput] {
        guard bytes.count <= limits.maxBatchBytes else { throw TelemetryError(.batchTooLarge, "batch of \(bytes.count) bytes; the limit is \(limits.maxBatchBytes)") }
        var inputs: [IngestInput] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw TelemetryError(.malformed, "batch: \(bytes.count - offset) stray bytes at offset \(offset)") }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length <= bytes.count - offset else { throw TelemetryError(.malformed, "batch: message \(inputs.count) runs past the end") }
            guard inputs.count < limits.maxBatchMessages else {
                throw TelemetryError(.batchTooLarge, "more than \(limits.maxBatchMessages) messages in one batch")
            }
            inputs.append(decode(binary: bytes[offset..<offset + length]))
            offset += length
        }
        return inputs
    }

    /// Decodes a JSON array of envelopes; a document that is not a JSON array refuses the
    /// whole batch, a bad element only itself.
    public static func decodeJSON(_ bytes: [UInt8], limits: IngestLimits) throws(TelemetryError) -> [IngestInput] {
        guard bytes.count <= limits.maxBatchBytes else { throw TelemetryError(.batchTooLarge, "batch of \(bytes.count) bytes; the limit is \(limits.maxBatchBytes)") }
        let document: JSON
        do throws(JSONParseError) { document = try JSON.parse(bytes) } catch { throw TelemetryError(.malformed, "batch is not JSON: \(error.description)") }
        guard let elements = document.arrayValue else { throw TelemetryError(.malformed, "a batch is a JSON array of envelopes") }
        guard elements.count <= limits.maxBatchMessages else {
            throw TelemetryError(.batchTooLarge, "\(elements.count) messages in one batch; the limit is \(limits.maxBatchMessages)")
        }
        return elements.map { element in Result { () throws(TelemetryError) in try TelemetryEnvelope(json: element) } }
    }

    /// One binary envelope.
    public static func decode(binary bytes: some Collection<UInt8>) -> IngestInput {
        Result { () throws(TelemetryError) in try TelemetryEnvelope(binary: bytes) }
    }

    /// One JSON envelope.
    public static func decode(json bytes: [UInt8]) -> IngestInput {
        Result { () throws(TelemetryError) in
            let document: JSON
            do throws(JSONParseError) { document = try JSON.parse(bytes) } catch { throw TelemetryError(.malformed, "not JSON: \(error.description)") }
            return try TelemetryEnvelope(json: document)
        }
    }
}
