import MotePrimitives
import MoteTelemetry

/// A telemetry message as the layer-2 store keeps it: the envelope's fields and signature,
/// its hash, and when this node received it.
public struct StoredMessage: Equatable, Sendable {
    public var deviceID: Address
    public var sequence: UInt64
    /// The device's clock (milliseconds since 1970).
    public var timestamp: UInt64
    /// This node's clock when the message was accepted (milliseconds since 1970): retention
    /// counts from here.
    public var receivedAt: UInt64
    public var contentType: String
    public var payload: [UInt8]
    public var signature: [UInt8]
    /// Keccak-256 of the envelope's binary form.
    public var hash: Hash32

    /// Every field as given (how stores read messages back, without rehashing).
    public init(
        deviceID: Address, sequence: UInt64, timestamp: UInt64, receivedAt: UInt64, contentType: String, payload: [UInt8],
        signature: [UInt8], hash: Hash32
    ) {
        self.deviceID = deviceID
        self.sequence = sequence
        self.timestamp = timestamp
        self.receivedAt = receivedAt
        self.contentType = contentType
        self.payload = payload
        self.signature = signature
        self.hash = hash
    }

    public init(envelope: TelemetryEnvelope, receivedAt: UInt64) {
        deviceID = envelope.deviceID
        sequence = envelope.sequence
        timestamp = envelope.timestamp
        self.receivedAt = receivedAt
        contentType = envelope.contentType
        payload = envelope.payload
        signature = envelope.signature
        hash = envelope.hash
    }

    /// The envelope it came from.
    public var envelope: TelemetryEnvelope {
        TelemetryEnvelope(
            deviceID: deviceID, sequence: sequence, timestamp: timestamp, contentType: contentType, payload: payload, signature: signature)
    }
}

/// What `append` did with one message.
public enum AppendOutcome: Equatable, Sendable {
    case stored
    /// Its sequence number is not above the device's last stored one (a replay or duplicate).
    case replay(lastSequence: UInt64)
}

/// The layer-2 store of accepted telemetry (docs/STREAM.md). Implementations: in memory (tests),
/// SQLite (embedded, the default) and PostgreSQL; one shared test suite runs against each.
///
/// Replay protection lives here, atomically with the write: a device's last sequence number
/// is kept apart from its messages, so deleting expired messages never lets an old message in
/// again.
public protocol TelemetryStore: Sendable {
    /// Stores the messages that are new — sequence above the device's last stored one, and
    /// increasing within the call — in one transaction that is durable (synced) before this
    /// returns; the others are left out. Returns one outcome per message, in order.
    func append(_ messages: [StoredMessage]) async throws(TelemetryStoreError) -> [AppendOutcome]

    /// The highest sequence number ever stored for `device`, or nil.
    func lastSequence(of device: Address) async throws(TelemetryStoreError) -> UInt64?

    /// `device`'s messages with device timestamps in `from...to`, by sequence number above
    /// `afterSequence` (pagination), at most `limit` of them, in sequence order.
    func messages(
        of device: Address, from: UInt64, to: UInt64, afterSequence: UInt64?, limit: Int
    ) async throws(TelemetryStoreError) -> [StoredMessage]

    /// Deletes `device`'s messages received before `receivedBefore`; returns how many.
    func deleteMessages(of device: Address, receivedBefore: UInt64) async throws(TelemetryStoreError) -> Int

    /// Every device with stored messages (for the retention job).
    func devices() async throws(TelemetryStoreError) -> [Address]

    /// How many messages `device` has stored.
    func count(of device: Address) async throws(TelemetryStoreError) -> Int
}

/// A store that cannot be read or written (the description says why).
public struct TelemetryStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The in-memory store, for tests.
public actor InMemoryTelemetryStore: TelemetryStore {
    private var byDevice: [Address: [StoredMessage]] = [:]
    private var last: [Address: UInt64] = [:]

    public init() {}

    public func append(_ messages: [StoredMessage]) throws(TelemetryStoreError) -> [AppendOutcome] {
        let known = AppendPlan.devices(of: messages).compactMap { device in last[device].map { (device, $0) } }
        let plan = AppendPlan(messages: messages, lastSequences: Dictionary(uniqueKeysWithValues: known))
        for message in plan.stored { byDevice[message.deviceID, default: []].append(message) }
        last.merge(plan.newLastSequences) { $1 }
        return plan.outcomes
    }

    public func lastSequence(of device: Address) -> UInt64? { last[device] }

    public func messages(of device: Address, from: UInt64, to: UInt64, afterSequence: UInt64?, limit: Int) -> [StoredMessage] {
        guard from <= to else { return [] }
        let wanted = (byDevice[device] ?? []).filter { message in
            (from...to).contains(message.timestamp) && afterSequence.map { message.sequence > $0 } ?? true
        }
        return Array(wanted.sorted { $0.sequence < $1.sequence }.prefix(max(limit, 0)))
    }

    public func deleteMessages(of device: Address, receivedBefore: UInt64) -> Int {
        let before = byDevice[device]?.count ?? 0
        byDevice[device]?.removeAll { $0.receivedAt < receivedBefore }
        return before - (byDevice[device]?.count ?? 0)
    }

    public func devices() -> [Address] { byDevice.filter { !$0.value.isEmpty }.keys.sorted() }

    public func count(of device: Address) -> Int { byDevice[device]?.count ?? 0 }
}
