import Foundation
import Logging
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteTelemetry
import NIOConcurrencyHelpers

/// Feeds the ingestion pipeline from an MQTT broker and answers on it (docs/STREAM.md):
///
/// - `mote/v1/telemetry/{deviceId}`: one binary envelope; `{deviceId}` (0x, lowercase hex)
///   must be the envelope's device.
/// - `mote/v1/batch/{gatewayId}`: binary envelopes, each preceded by its u32-BE length.
/// - `mote/v1/ack/{deviceId}`: one JSON outcome per message, QoS 1, published after the store
///   accepted or refused it, signed with the node's Ed25519 ack key (`"sig"`, over
///   `StreamAckSignature.message`) so that a device can tell it from a forged one.
///
/// - `mote/v1/attest/{witnessKey}`: one 216-byte witness attestation (Proof of Assignment),
///   forwarded to the chain node's `mote_submitAttestation` when the bridge has a forwarder;
///   `{witnessKey}` (0x, lowercase hex) must be the attestation's key.
///
/// Messages that arrive together are checked together (one `ingest` call); the broker's
/// PUBACK for each is sent only after `append` returned. The connection is re-made with
/// backoff (0.25 s doubling to 30 s) whenever it drops, with a log line for the loss and for
/// the reconnection, and the subscriptions are made again, until the task running `run()` is
/// cancelled.
public final class StreamMQTTBridge: Sendable {
    public static let telemetryFilter = "mote/v1/telemetry/+"
    public static let batchFilter = "mote/v1/batch/+"
    public static let attestFilter = "mote/v1/attest/+"
    /// Bytes in a binary witness attestation.
    public static let attestationLength = 216

    /// The topic a device sends single messages on.
    public static func telemetryTopic(_ device: Address) -> String { "mote/v1/telemetry/\(device.hex)" }
    /// The topic a device or gateway sends batches on.
    public static func batchTopic(_ sender: String) -> String { "mote/v1/batch/\(sender)" }
    /// The topic a device's acknowledgements go to.
    public static func ackTopic(_ device: Address) -> String { "mote/v1/ack/\(device.hex)" }

    public let pipeline: IngestPipeline
    public let configuration: MQTTConfiguration
    /// Where attestations go; nil: the bridge does not subscribe to them.
    public let attestations: (any AttestationForwarder)?
    private let attestationCounters = NIOLockedValueBox((forwarded: 0, accepted: 0, refused: 0))
    private let current = NIOLockedValueBox<MQTTClient?>(nil)
    /// Whether the current connection has its subscriptions (SUBACKs received).
    private let subscribed = NIOLockedValueBox(false)
    private let counters = NIOLockedValueBox((received: 0, acknowledged: 0))
    /// Connections lost and made again since `run()` started.
    private let connectionCounters = NIOLockedValueBox((lost: 0, reconnected: 0))
    /// The key every ack is signed with.
    let ackKey: Ed25519.PrivateKey
    /// Where connection events go (a line each).
    let log: @Sendable (String) -> Void

    /// The public half of the ack key: what devices check acks against (hex in `/health`).
    public var ackPublicKey: Ed25519.PublicKey { ackKey.publicKey }

    /// The default log: `mote.stream.mqtt` through swift-log.
    public static let defaultLog: @Sendable (String) -> Void = { line in
        Logger(label: "mote.stream.mqtt").warning("\(line)")
    }

    public init(
        pipeline: IngestPipeline, configuration: MQTTConfiguration, attestations: (any AttestationForwarder)? = nil,
        ackKey: Ed25519.PrivateKey = .generate(), log: @escaping @Sendable (String) -> Void = StreamMQTTBridge.defaultLog
    ) {
        self.ackKey = ackKey
        self.log = log
        self.attestations = attestations
        var configuration = configuration
        configuration.acknowledgesOnDelivery = false
        configuration.maxPacketSize = max(configuration.maxPacketSize, pipeline.limits.maxBatchBytes + 1_024)
        self.pipeline = pipeline
        self.configuration = configuration
    }

    /// "connected" or "disconnected".
    public var state: String {
        current.withLockedValue { $0?.isConnected ?? false } && subscribed.withLockedValue { $0 } ? "connected" : "disconnected"
    }

    /// Messages received and acknowledgements published so far.
    public var counts: (received: Int, acknowledged: Int) { counters.withLockedValue { $0 } }

    /// Attestations forwarded to the chain node, accepted there, and refused (by the bridge or the node).
    public var attestationCounts: (forwarded: Int, accepted: Int, refused: Int) { attestationCounters.withLockedValue { $0 } }

    /// Connections lost, and made again after a loss, since `run()` started.
    public var connectionCounts: (lost: Int, reconnected: Int) { connectionCounters.withLockedValue { $0 } }

    /// Connects, subscribes and ingests until cancelled; reconnects with backoff.
    public func run() async {
        var backoff: Duration = .milliseconds(250)
        let broker = "\(configuration.host):\(configuration.port)"
        /// Why the last connection ended or failed, while reconnecting (nil: never lost).
        var lostBecause: String?
        var failedAttempts = 0
        while !Task.isCancelled {
            let client = MQTTClient(configuration: configuration)
            subscribed.withLockedValue { $0 = false }
            current.withLockedValue { $0 = client }
            do throws(MQTTError) {
                try await client.connect()
                let single = try await client.subscribe(Self.telemetryFilter, qos: .atLeastOnce)
                let batches = try await client.subscribe(Self.batchFilter, qos: .atLeastOnce)
                var streams = [single, batches]
                if attestations != nil { streams.append(try await client.subscribe(Self.attestFilter, qos: .atLeastOnce)) }
                subscribed.withLockedValue { $0 = true }
                if lostBecause != nil {
                    connectionCounters.withLockedValue { $0.reconnected += 1 }
                    log("MQTT: reconnected to the broker \(broker) after \(failedAttempts) failed attempts; subscriptions renewed")
                }
                lostBecause = nil
                failedAttempts = 0
                backoff = .milliseconds(250)
                await serve(client, streams: streams)
                guard !Task.isCancelled else { break }
                let reason = client.closeError?.message ?? "the connection closed"
                connectionCounters.withLockedValue { $0.lost += 1 }
                log("MQTT: lost the connection to the broker \(broker): \(reason); reconnecting")
                lostBecause = reason
            } catch {
                await client.disconnect()
                guard !Task.isCancelled else { break }
                failedAttempts += 1
                // The first failure, then every 10th, so a long outage is visible without flooding the log.
                if failedAttempts == 1 || failedAttempts % 10 == 0 {
                    log("MQTT: cannot connect to the broker \(broker) (attempt \(failedAttempts)): \(error.message); retrying in \(backoff)")
                }
                if lostBecause == nil { lostBecause = error.message }
            }
            guard !Task.isCancelled else { break }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
        await current.withLockedValue { $0 }?.disconnect()
    }

    /// Ingests what the subscriptions deliver until they end (the connection closed) or the task is cancelled.
    private func serve(_ client: MQTTClient, streams: [AsyncStream<MQTTMessage>]) async {
        let queue = MessageQueue<MQTTMessage>()
        let maxBatch = pipeline.limits.maxBatchMessages
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { readers in
                    for stream in streams {
                        readers.addTask { for await message in stream { queue.push(message) } }
                    }
                }
                queue.close()
            }
            group.addTask {
                await withTaskCancellationHandler {
                    var publishing: Task<Void, Never>?
                    while true {
                        let messages = await queue.take(max: maxBatch)
                        if messages.isEmpty { break }
                        let acks = await self.ingest(messages)
                        client.acknowledge(messages)
                        self.counters.withLockedValue { $0.received += messages.count }
                        // One publish of acknowledgements in flight while the next messages are checked.
                        await publishing?.value
                        publishing = Task {
                            do throws(MQTTError) {
                                try await client.publish(acks)
                                self.counters.withLockedValue { $0.acknowledged += acks.count }
                            } catch {}
                        }
                    }
                    await publishing?.value
                } onCancel: {
                    queue.close()
                    Task { await client.disconnect() }
                }
            }
        }
    }

    /// Forwards the attestations among `messages` to the chain node (all at once) and
    /// returns the other messages.
    func forwardAttestations(_ messages: [MQTTMessage]) async -> [MQTTMessage] {
        var rest: [MQTTMessage] = []
        var attestations: [[UInt8]] = []
        for message in messages {
            guard MQTTTopic.matches(message.topic, filter: Self.attestFilter) else {
                rest.append(message)
                continue
            }
            // The topic names the key: bytes 40..<72 of the binary form.
            let level = message.topic.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            guard self.attestations != nil, message.payload.count == Self.attestationLength,
                Hex.encode(message.payload[40..<72]) == level
            else {
                attestationCounters.withLockedValue { $0.refused += 1 }
                continue
            }
            attestations.append(message.payload)
        }
        guard let forwarder = self.attestations, !attestations.isEmpty else { return rest }
        let outcomes = await withTaskGroup(of: AttestationForwardOutcome.self) { group in
            for attestation in attestations { group.addTask { await forwarder.forward(attestation) } }
            var all: [AttestationForwardOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        attestationCounters.withLockedValue { counts in
            counts.forwarded += outcomes.count
            counts.accepted += outcomes.count { $0 == .accepted }
            counts.refused += outcomes.count { $0 != .accepted }
        }
        return rest
    }

    /// Decodes, ingests, and returns the acknowledgements to publish.
    func ingest(_ messages: [MQTTMessage]) async -> [MQTTMessage] {
        let messages = await forwardAttestations(messages)
        var inputs: [IngestInput] = []
        /// Per input: where its ack goes (nil: nowhere known), and its index in its MQTT message.
        var routes: [(topic: String?, index: Int, preferTopic: Bool)] = []
        var earlyAcks: [MQTTMessage] = []
        for message in messages {
            let level = message.topic.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            var topicDevice: Address?
            if level.utf8.count == 42 { topicDevice = try? Address(hex: level) }
            let topicAck = topicDevice.flatMap { $0.hex == level ? Self.ackTopic($0) : nil }
            if MQTTTopic.matches(message.topic, filter: Self.telemetryFilter) {
                var input = TelemetryBatch.decode(binary: message.payload)
                if case .success(let envelope) = input, envelope.deviceID.hex != level {
                    input = .failure(TelemetryError(.malformed, "topic names device \(level.prefix(42)) but the envelope is from \(envelope.deviceID.hex)"))
                }
                inputs.append(input)
                routes.append((topicAck, 0, true))
            } else {
                do throws(TelemetryError) {
                    let batch = try TelemetryBatch.decodeBinary(message.payload, limits: pipeline.limits)
                    for (index, input) in batch.enumerated() {
                        inputs.append(input)
                        routes.append((topicAck, index, false))
                    }
                } catch {
                    if let topicAck {
                        earlyAcks.append(
                            MQTTMessage(topic: topicAck, payload: Self.signedAck(IngestOutcome(index: 0, error: error), key: ackKey), qos: .atLeastOnce))
                    }
                }
            }
        }
        let outcomes = await pipeline.ingest(inputs)
        var acks = earlyAcks
        acks.reserveCapacity(outcomes.count + earlyAcks.count)
        var signing: [(topic: String, outcome: IngestOutcome)] = []
        for (outcome, route) in zip(outcomes, routes) {
            var outcome = outcome
            outcome.index = route.index
            // Single messages: the topic's device hears back. Batches: each message's device; one
            // that could not be read goes back to the batch topic's sender.
            let deviceAck = outcome.device.map(Self.ackTopic)
            guard let topic = route.preferTopic ? route.topic ?? deviceAck : deviceAck ?? route.topic else { continue }
            signing.append((topic, outcome))
        }
        // Ed25519 signatures, on all cores for large batches.
        let key = ackKey
        let payloads = signing.count >= 64
            ? pipeline.verifier.concurrentMap(signing) { Self.signedAck($0.outcome, key: key) }
            : signing.map { Self.signedAck($0.outcome, key: key) }
        for (item, payload) in zip(signing, payloads) {
            acks.append(MQTTMessage(topic: item.topic, payload: payload, qos: .atLeastOnce))
        }
        return acks
    }

    /// An outcome's JSON with `"sig"`: the ack key's signature over
    /// `StreamAckSignature.message` (null for an outcome without device and sequence, which no
    /// device can match anyway).
    static func signedAck(_ outcome: IngestOutcome, key: Ed25519.PrivateKey) -> [UInt8] {
        guard case .object(var members) = outcome.json else { return outcome.json.serialized }
        var signature: JSON = .null
        if let device = outcome.device, let sequence = outcome.sequence,
            let message = StreamAckSignature.message(
                device: device.bytes, sequence: sequence, hash: outcome.hash?.bytes, accepted: outcome.isAccepted,
                code: outcome.error?.code.rawValue)
        {
            signature = .string(Hex.encode(key.signature(for: message).bytes))
        }
        members["sig"] = signature
        return JSON.object(members).serialized
    }
}
