import Foundation
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTelemetry
import MoteTestKit
import Testing

/// Ingestion over MQTT through a real mosquitto: envelopes published by a device, one ack per
/// message on its ack topic, the store checked.
@Suite(.serialized) struct StreamMQTTBridgeTests {
    @Test func ingestsSinglesAndBatchesAndAcknowledgesEachMessage() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let f = StreamFixture()
        let bridge = StreamMQTTBridge(pipeline: f.pipeline, configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "stream"))
        let running = Task { await bridge.run() }
        defer { running.cancel() }

        let device = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "device"))
        try await device.connect()
        let acks = try await device.subscribe("mote/v1/ack/#", qos: .atLeastOnce)
        for _ in 0..<100 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(bridge.state == "connected")
        // Give the bridge's subscriptions a moment after CONNACK.
        try await Task.sleep(for: .milliseconds(300))

        let id = f.p256.publicKey.deviceID
        var forged = f.message(f.p256, 3)
        forged.signature[5] ^= 1
        try await device.publish([
            MQTTMessage(topic: StreamMQTTBridge.telemetryTopic(id), payload: f.message(f.p256, 1).binary, qos: .atLeastOnce),
            MQTTMessage(topic: StreamMQTTBridge.telemetryTopic(id), payload: f.message(f.p256, 1).binary, qos: .atLeastOnce),  // replay
            MQTTMessage(topic: StreamMQTTBridge.telemetryTopic(id), payload: f.message(f.ed25519, 1).binary, qos: .atLeastOnce),  // wrong topic
            MQTTMessage(topic: StreamMQTTBridge.telemetryTopic(id), payload: [1, 2, 3], qos: .atLeastOnce),  // malformed
            MQTTMessage(
                topic: StreamMQTTBridge.batchTopic("gateway-1"),
                payload: TelemetryBatch.binary([f.message(f.p256, 2), forged, f.message(f.ed25519, 5), f.message(f.stranger, 1)]), qos: .atLeastOnce),
        ])

        var received: [JSON] = []
        var topics: [String] = []
        let deadline = ContinuousClock.now + .seconds(10)
        for await ack in acks {
            received.append(try JSON.parse(ack.payload))
            topics.append(ack.topic)
            if received.count == 8 || ContinuousClock.now > deadline { break }
        }
        #expect(received.count == 8)
        let codes = received.map { $0["code"]?.stringValue ?? "ok" }
        #expect(codes == ["ok", "replay", "malformed", "malformed", "ok", "bad_signature", "ok", "unknown_device"])
        // Acks go to the topic's device for singles and to each message's device for batches.
        let p256Ack = StreamMQTTBridge.ackTopic(id)
        #expect(topics == [p256Ack, p256Ack, p256Ack, p256Ack, p256Ack, p256Ack,
                           StreamMQTTBridge.ackTopic(f.ed25519.publicKey.deviceID), StreamMQTTBridge.ackTopic(f.stranger.publicKey.deviceID)])
        #expect(received[4]["index"] == .int(0) && received[5]["index"] == .int(1))
        #expect(await f.store.count(of: id) == 2)
        #expect(await f.store.count(of: f.ed25519.publicKey.deviceID) == 1)
        await device.disconnect()
    }
}
