import Foundation
import MoteCrypto
import MotePrimitives

/// One signed telemetry message (docs/TELEMETRY.md): what a device measured, its sequence
/// number and clock, signed with the device key under a domain tag bound to the chain.
///
/// Two wire forms carry the same fields and the same signature: a compact binary form for
/// constrained devices (MQTT, batches) and a JSON form for HTTP.
public struct TelemetryEnvelope: Equatable, Sendable {
    /// The envelope format version this code writes and reads.
    public static let version: UInt8 = 1
    /// Limits: content type bytes, payload bytes (a stream node may set a lower payload limit).
    public static let maxContentTypeBytes = 64
    public static let maxPayloadBytes = 1 << 20

    public var deviceID: Address
    /// Strictly increasing per device: a number seen before is a replay.
    public var sequence: UInt64
    /// The device's clock, milliseconds since 1970-01-01 UTC.
    public var timestamp: UInt64
    /// What the payload is, e.g. `application/json`.
    public var contentType: String
    public var payload: [UInt8]
    /// 64 bytes (see `DevicePublicKey.isValidSignature`).
    public var signature: [UInt8]

    public init(deviceID: Address, sequence: UInt64, timestamp: UInt64, contentType: String, payload: [UInt8], signature: [UInt8] = []) {
        self.deviceID = deviceID
        self.sequence = sequence
        self.timestamp = timestamp
        self.contentType = contentType
        self.payload = payload
        self.signature = signature
    }

    /// The digest the device signs: SHA-256 of
    /// `"MOTE-TELEMETRY-V1" ‖ chainId (8 BE) ‖ deviceID (20) ‖ sequence (8 BE) ‖ timestamp (8 BE)
    /// ‖ len(contentType) (1) ‖ contentType ‖ len(payload) (4 BE) ‖ payload`.
    public func signingDigest(chainID: UInt64) -> Hash32 {
        var bytes = Array("MOTE-TELEMETRY-V1".utf8)
        bytes.reserveCapacity(bytes.count + 50 + contentType.utf8.count + payload.count)
        Self.append(chainID, to: &bytes)
        bytes += deviceID.bytes
        Self.append(sequence, to: &bytes)
        Self.append(timestamp, to: &bytes)
        bytes.append(UInt8(truncatingIfNeeded: contentType.utf8.count))
        bytes += contentType.utf8
        Self.append(UInt32(truncatingIfNeeded: payload.count), to: &bytes)
        bytes += payload
        return SHA256Digest.hash(bytes)
    }

    /// Signs with `key` (whose device id must be `deviceID`).
    public mutating func sign(with key: DevicePrivateKey, chainID: UInt64) {
        signature = key.sign(digest: signingDigest(chainID: chainID))
    }

    /// A message signed by `key` in one step.
    public static func signed(
        by key: DevicePrivateKey, chainID: UInt64, sequence: UInt64, timestamp: UInt64, contentType: String, payload: [UInt8]
    ) -> TelemetryEnvelope {
        var envelope = TelemetryEnvelope(
            deviceID: key.publicKey.deviceID, sequence: sequence, timestamp: timestamp, contentType: contentType, payload: payload)
        envelope.sign(with: key, chainID: chainID)
        return envelope
    }

    /// Whether the signature is `key`'s and `key` is this device's.
    public func isValidSignature(by key: DevicePublicKey, chainID: UInt64) -> Bool {
        key.deviceID == deviceID && key.isValidSignature(signature, digest: signingDigest(chainID: chainID))
    }

    /// Keccak-256 of the binary form: the message's id (and its leaf in result proofs).
    public var hash: Hash32 { Keccak256.hash(binary) }

    // MARK: Binary form

    /// `version (1) ‖ deviceID (20) ‖ sequence (8 BE) ‖ timestamp (8 BE) ‖ len(contentType) (1)
    /// ‖ contentType ‖ len(payload) (4 BE) ‖ payload ‖ len(signature) (1) ‖ signature`.
    public var binary: [UInt8] {
        var out: [UInt8] = [Self.version]
        out.reserveCapacity(44 + contentType.utf8.count + payload.count + signature.count)
        out += deviceID.bytes
        Self.append(sequence, to: &out)
        Self.append(timestamp, to: &out)
        out.append(UInt8(truncatingIfNeeded: contentType.utf8.count))
        out += contentType.utf8
        Self.append(UInt32(truncatingIfNeeded: payload.count), to: &out)
        out += payload
        out.append(UInt8(truncatingIfNeeded: signature.count))
        out += signature
        return out
    }

    /// Reads the binary form; every length is checked, nothing may follow.
    public init(binary bytes: some Collection<UInt8>) throws(TelemetryError) {
        var reader = ByteReader(Array(bytes))
        let version = try reader.byte()
        guard version == Self.version else { throw TelemetryError(.unsupportedVersion, "envelope version \(version); this node reads \(Self.version)") }
        guard let device = Address(bytes: try reader.take(20)) else { throw TelemetryError(.malformed, "device id") }
        let sequence = try reader.uint64()
        let timestamp = try reader.uint64()
        let typeLength = Int(try reader.byte())
        guard typeLength <= Self.maxContentTypeBytes else { throw TelemetryError(.malformed, "content type over \(Self.maxContentTypeBytes) bytes") }
        guard let type = String(validating: try reader.take(typeLength), as: UTF8.self) else { throw TelemetryError(.malformed, "content type is not UTF-8") }
        let payloadLength = Int(try reader.uint32())
        guard payloadLength <= Self.maxPayloadBytes else { throw TelemetryError(.payloadTooLarge, "payload of \(payloadLength) bytes; the limit is \(Self.maxPayloadBytes)") }
        let payload = try reader.take(payloadLength)
        let signature = try reader.take(Int(try reader.byte()))
        guard reader.isAtEnd else { throw TelemetryError(.malformed, "\(reader.remaining) bytes after the signature") }
        self.init(deviceID: device, sequence: sequence, timestamp: timestamp, contentType: type, payload: payload, signature: signature)
    }

    // MARK: JSON form

    /// `{"v":1,"device":"0x…","seq":N,"ts":N,"type":"…","payload":"<base64>","sig":"0x…"}`.
    public var json: JSON {
        .object([
            "v": .int(Int(Self.version)), "device": .string(deviceID.hex), "seq": .number(String(sequence)),
            "ts": .number(String(timestamp)), "type": .string(contentType),
            "payload": .string(Data(payload).base64EncodedString()), "sig": .string(Hex.encode(signature)),
        ])
    }

    /// Reads the JSON form; unknown members, missing ones and wrong types are refused.
    public init(json value: JSON) throws(TelemetryError) {
        guard let object = value.objectValue else { throw TelemetryError(.malformed, "an envelope is a JSON object") }
        let known: Set<String> = ["v", "device", "seq", "ts", "type", "payload", "sig"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw TelemetryError(.malformed, "unknown member \"\(unknown.prefix(32))\"")
        }
        guard let v = object["v"]?.intValue else { throw TelemetryError(.malformed, "\"v\" must be a number") }
        guard v == Int(Self.version) else { throw TelemetryError(.unsupportedVersion, "envelope version \(v); this node reads \(Self.version)") }
        guard let deviceText = object["device"]?.stringValue, deviceText.utf8.count == 42,
            let device = try? Address(hex: deviceText)
        else { throw TelemetryError(.malformed, "\"device\" must be a 0x-prefixed 20-byte hex address") }
        func number(_ key: String) throws(TelemetryError) -> UInt64 {
            guard case .number(let text)? = object[key], let n = UInt64(text) else {
                throw TelemetryError(.malformed, "\"\(key)\" must be a non-negative integer below 2^64")
            }
            return n
        }
        let sequence = try number("seq")
        let timestamp = try number("ts")
        guard let type = object["type"]?.stringValue, type.utf8.count <= Self.maxContentTypeBytes else {
            throw TelemetryError(.malformed, "\"type\" must be a string of at most \(Self.maxContentTypeBytes) bytes")
        }
        guard let payloadText = object["payload"]?.stringValue else { throw TelemetryError(.malformed, "\"payload\" must be a base64 string") }
        guard payloadText.utf8.count <= (Self.maxPayloadBytes / 3 + 1) * 4 else {
            throw TelemetryError(.payloadTooLarge, "payload over \(Self.maxPayloadBytes) bytes")
        }
        guard let payload = Data(base64Encoded: payloadText) else { throw TelemetryError(.malformed, "\"payload\" is not valid base64") }
        guard let sigText = object["sig"]?.stringValue, sigText.utf8.count <= 2 + 2 * 255, let signature = try? Hex.decode(sigText),
            sigText.hasPrefix("0x")
        else { throw TelemetryError(.malformed, "\"sig\" must be 0x-prefixed hex") }
        self.init(deviceID: device, sequence: sequence, timestamp: timestamp, contentType: type, payload: Array(payload), signature: signature)
    }

    // MARK: Helpers

    static func append(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    static func append(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}

/// Reads big-endian fields off a byte array, refusing to read past its end.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws(TelemetryError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw TelemetryError(.malformed, "truncated: needs \(count) more bytes at offset \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func byte() throws(TelemetryError) -> UInt8 { try take(1)[0] }

    mutating func uint64() throws(TelemetryError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }

    mutating func uint32() throws(TelemetryError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
}

/// Why a key or a message is refused. `code` is stable (returned to devices over HTTP and MQTT).
public struct TelemetryError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badKey = "bad_key"
        case malformed
        case unsupportedVersion = "unsupported_version"
        case payloadTooLarge = "payload_too_large"
        case unknownDevice = "unknown_device"
        case inactiveDevice = "inactive_device"
        case badSignature = "bad_signature"
        case replay
        case staleTimestamp = "stale_timestamp"
        case batchTooLarge = "batch_too_large"
        case storage
        /// The stream node could not look the device up just now (its chain node is unreachable); retry.
        case unavailable
    }
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
