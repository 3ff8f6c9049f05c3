import Foundation
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
///   accepted or refused it.
///
/// Messages that arrive together are checked together (one `ingest` call); the broker's
/// PUBACK for each is sent only after `append` returned. The connection is re-made with
/// backoff whenever it drops, until the task running `run()` is cancelled.
public final class StreamMQTTBridge: Sendable {
    public static let telemetryFilter = "mote/v1/telemetry/+"
    public static let batchFilter = "mote/v1/batch/+"

    /// The topic a device sends single messages on.
    public static func telemetryTopic(_ device: Address) -> String { "mote/v1/telemetry/\(device.hex)" }
    /// The topic a device or gateway sends batches on.
    public static func batchTopic(_ sender: String) -> String { "mote/v1/batch/\(sender)" }
    /// The topic a device's acknowledgements go to.
    public static func ackTopic(_ device: Address) -> String { "mote/v1/ack/\(device.hex)" }

    public let pipeline: IngestPipeline
    public let configuration: MQTTConfiguration
    private let current = NIOLockedValueBox<MQTTClient?>(nil)
    /// Whether the current connection has its subscriptions (SUBACKs received).
    private let subscribed = NIOLockedValueBox(false)
    private let counters = NIOLockedValueBox((received: 0, acknowledged: 0))

    public init(pipeline: IngestPipeline, configuration: MQTTConfiguration) {
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

    /// Connects, subscribes and ingests until cancelled; reconnects with backoff.
    public func run() async {
        var backoff: Duration = .milliseconds(250)
        while !Task.isCancelled {
            let client = MQTTClient(configuration: configuration)
            subscribed.withLockedValue { $0 = false }
            current.withLockedValue { $0 = client }
            do throws(MQTTError) {
                try await client.connect()
                let single = try await client.subscribe(Self.telemetryFilter, qos: .atLeastOnce)
                let batches = try await client.subscribe(Self.batchFilter, qos: .atLeastOnce)
                subscribed.withLockedValue { $0 = true }
                backoff = .milliseconds(250)
                await serve(client, streams: [single, batches])
            } catch {
                await client.disconnect()
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

    /// Decodes, ingests, and returns the acknowledgements to publish.
    func ingest(_ messages: [MQTTMessage]) async -> [MQTTMessage] {
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
                        earlyAcks.append(MQTTMessage(topic: topicAck, payload: IngestOutcome(index: 0, error: error).json.serialized, qos: .atLeastOnce))
                    }
                }
            }
        }
        let outcomes = await pipeline.ingest(inputs)
        var acks = earlyAcks
        acks.reserveCapacity(outcomes.count + earlyAcks.count)
        for (outcome, route) in zip(outcomes, routes) {
            var outcome = outcome
            outcome.index = route.index
            // Single messages: the topic's device hears back. Batches: each message's device; one
            // that could not be read goes back to the batch topic's sender.
            let deviceAck = outcome.device.map(Self.ackTopic)
            guard let topic = route.preferTopic ? route.topic ?? deviceAck : deviceAck ?? route.topic else { continue }
            acks.append(MQTTMessage(topic: topic, payload: outcome.json.serialized, qos: .atLeastOnce))
        }
        return acks
    }
}
