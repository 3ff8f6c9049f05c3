import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteTelemetry

/// Delivers messages over MQTT (docs/STREAM.md#mqtt): each envelope is published, QoS 1, to
/// `mote/v1/telemetry/{deviceId}`, and the stream node's outcome of each arrives on
/// `mote/v1/ack/{deviceId}`, which this transport subscribes to before publishing.
///
/// The broker's PUBACK only says the broker has the message; `deliver` returns once the
/// node's ack of every message came, or throws after `ackTimeout` (the client then retries;
/// an ack that arrives late still settles its message on the next attempt). A dropped
/// connection is re-made on the next `deliver`.
///
/// Only the stream node's acks count: each must carry `"sig"`, the node's Ed25519 signature
/// (`ackKey`) over `StreamAckSignature.message`, be for this device, and name the hash of the
/// message sent with that sequence number (when it names one). Anything else on the ack
/// topic — a forged or garbled ack — is ignored (`ignoredAcks` counts them).
public actor MQTTTelemetryTransport: TelemetryTransport {
    public let deviceID: Address
    public let configuration: MQTTConfiguration
    /// The stream node's ack key (its `/health` says `ackKey`).
    public let ackKey: Ed25519.PublicKey
    /// How long to wait for the node's acks of a batch.
    public let ackTimeout: Duration
    private var client: MQTTClient?
    private var pump: Task<Void, Never>?
    /// Acks received and not yet handed out: sequence → nil (accepted) or the refusal.
    private var acks: [UInt64: TelemetryError?] = [:]
    /// The hashes of the messages of the batch in flight, by sequence.
    private var sentHashes: [UInt64: Hash32] = [:]
    /// Messages on the ack topic that were not the node's valid acks for this device.
    public private(set) var ignoredAcks = 0
    private var waiter: (id: Int, sequences: [UInt64], continuation: CheckedContinuation<Bool, Never>)?
    private var nextWaiterID = 0

    /// `mote/v1/telemetry/{deviceId}`.
    public static func telemetryTopic(_ device: Address) -> String { "mote/v1/telemetry/\(device.hex)" }
    /// `mote/v1/ack/{deviceId}`.
    public static func ackTopic(_ device: Address) -> String { "mote/v1/ack/\(device.hex)" }

    /// A transport for `deviceID` through the broker at `host:port`, trusting acks signed by
    /// `ackKey`. With `password`, it logs in with the device id (`0x…`, lowercase) as user name,
    /// as the broker's ACL expects (docs/STREAM.md#securing-the-broker). The client id
    /// defaults to `mote-` and the device id's hex digits.
    public init(
        deviceID: Address, host: String, port: Int, ackKey: Ed25519.PublicKey, password: String? = nil, clientID: String? = nil,
        ackTimeout: Duration = .seconds(10)
    ) {
        var configuration = MQTTConfiguration(host: host, port: port, clientID: clientID ?? "mote-\(deviceID.hex.dropFirst(2))")
        configuration.connectTimeout = .seconds(5)
        if let password {
            configuration.username = deviceID.hex
            configuration.password = Array(password.utf8)
        }
        self.init(deviceID: deviceID, configuration: configuration, ackKey: ackKey, ackTimeout: ackTimeout)
    }

    public init(deviceID: Address, configuration: MQTTConfiguration, ackKey: Ed25519.PublicKey, ackTimeout: Duration = .seconds(10)) {
        self.deviceID = deviceID
        self.configuration = configuration
        self.ackKey = ackKey
        self.ackTimeout = ackTimeout
    }

    public func deliver(_ envelopes: [TelemetryEnvelope]) async throws(TransportError) -> [TelemetryError?] {
        guard let first = envelopes.first else { return [] }
        let client = try await connected()
        // Acks of messages before this batch are of no use any more.
        acks = acks.filter { $0.key >= first.sequence }
        sentHashes = Dictionary(envelopes.map { ($0.sequence, $0.hash) }, uniquingKeysWith: { $1 })
        let topic = Self.telemetryTopic(deviceID)
        do throws(MQTTError) {
            try await client.publish(envelopes.map { MQTTMessage(topic: topic, payload: $0.binary, qos: .atLeastOnce) })
        } catch {
            await drop(client)
            throw TransportError("cannot publish to \(configuration.host):\(configuration.port): \(error.message)")
        }
        let sequences = envelopes.map(\.sequence)
        guard await acknowledged(sequences) else {
            throw TransportError("no ack from the stream node within \(ackTimeout) for \(sequences.count - sequences.count { acks[$0] != nil }) messages")
        }
        return sequences.map { acks.removeValue(forKey: $0) ?? nil }
    }

    public func close() async {
        if let client { await drop(client) }
    }

    /// The connected client, connecting and subscribing to the ack topic first if needed.
    private func connected() async throws(TransportError) -> MQTTClient {
        if let client, client.isConnected { return client }
        if let client { await drop(client) }
        let fresh = MQTTClient(configuration: configuration)
        let stream: AsyncStream<MQTTMessage>
        do throws(MQTTError) {
            try await fresh.connect()
            stream = try await fresh.subscribe(Self.ackTopic(deviceID), qos: .atLeastOnce)
        } catch {
            await fresh.disconnect()
            throw TransportError("cannot connect to the broker \(configuration.host):\(configuration.port): \(error.message)")
        }
        client = fresh
        pump = Task { [weak self] in
            for await message in stream { await self?.received(message.payload) }
            await self?.lost(fresh)
        }
        return fresh
    }

    /// Forgets `client` (if it is still the current one) and disconnects it.
    private func drop(_ old: MQTTClient) async {
        guard old === client else { return }
        client = nil
        pump?.cancel()
        pump = nil
        finishWaiting(false)
        await old.disconnect()
    }

    /// The connection of `old` ended: whoever waits for acks stops waiting.
    private func lost(_ old: MQTTClient) {
        guard old === client else { return }
        client = nil
        pump = nil
        finishWaiting(false)
    }

    /// One message on the ack topic: kept only if it is the node's signed ack for this device.
    private func received(_ payload: [UInt8]) {
        guard payload.count <= 16_384, let outcome = try? JSON.parse(payload), let sequence = OutcomeJSON.sequence(of: outcome),
            Self.isSigned(outcome, sequence: sequence, device: deviceID, key: ackKey)
        else {
            ignoredAcks += 1
            return
        }
        // A signed ack for another message with this sequence number (the device's state was reset) is not this one's.
        if let named = outcome["hash"]?.stringValue, let sent = sentHashes[sequence], named != sent.hex {
            ignoredAcks += 1
            return
        }
        acks.updateValue(OutcomeJSON.error(of: outcome), forKey: sequence)
        if let waiter, waiter.sequences.allSatisfy({ acks[$0] != nil }) { finishWaiting(true) }
    }

    /// Whether `outcome` carries the node's valid signature and is about `device`.
    static func isSigned(_ outcome: JSON, sequence: UInt64, device: Address, key: Ed25519.PublicKey) -> Bool {
        guard outcome["device"]?.stringValue == device.hex, let sigText = outcome["sig"]?.stringValue, sigText.utf8.count == 130,
            let sigBytes = try? Hex.decode(sigText), let signature = try? Ed25519.Signature(bytes: sigBytes)
        else { return false }
        var hash: [UInt8]?
        if let hashText = outcome["hash"]?.stringValue {
            guard hashText.utf8.count == 66, let bytes = try? Hex.decode(hashText) else { return false }
            hash = bytes
        }
        let accepted = outcome["status"]?.stringValue == "accepted"
        guard
            let message = StreamAckSignature.message(
                device: device.bytes, sequence: sequence, hash: hash, accepted: accepted, code: accepted ? nil : outcome["code"]?.stringValue)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// Waits until every one of `sequences` has an ack (true) or the time runs out or the
    /// connection drops (false).
    private func acknowledged(_ sequences: [UInt64]) async -> Bool {
        if sequences.allSatisfy({ acks[$0] != nil }) { return true }
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = ackTimeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.timedOut(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiter = (id, sequences, continuation)
        }
    }

    private func timedOut(_ id: Int) {
        if waiter?.id == id { finishWaiting(false) }
    }

    private func finishWaiting(_ complete: Bool) {
        guard let waiting = waiter else { return }
        waiter = nil
        waiting.continuation.resume(returning: complete)
    }
}
