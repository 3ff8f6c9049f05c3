import Foundation
import MoteDeviceSDK
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTelemetry
import Testing

/// The SDK over MQTT through a real mosquitto and the stream node's MQTT bridge: messages
/// published QoS 1, outcomes from the node's acks on the device's ack topic.
@Suite(.serialized) struct MQTTTelemetryTransportTests {
    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func deliversThroughTheBrokerAndSettlesOnTheNodesAcks() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let f = try SDKFixture()
        let bridge = StreamMQTTBridge(pipeline: f.pipeline, configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "stream"))
        let bridging = Task { await bridge.run() }
        defer { bridging.cancel() }
        for _ in 0..<100 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(bridge.state == "connected")
        try await Task.sleep(for: .milliseconds(300))

        let transport = MQTTTelemetryTransport(deviceID: f.identity.deviceID, host: "127.0.0.1", port: broker.port, ackTimeout: .seconds(5))
        let client = try f.client(transport)
        let log = ReportLog()
        let following = log.follow(client)
        let running = Task { await client.run() }
        defer { running.cancel(); following.cancel() }

        for n in 1...10 { try client.send(payload: SDKFixture.reading(n)) }
        try client.send(payload: SDKFixture.reading(11), timestamp: Date().addingTimeInterval(-3_600))
        for n in 12...20 { try client.send(payload: SDKFixture.reading(n)) }
        #expect(await client.waitUntilDelivered(timeout: .seconds(15)), "\(client.lastFailure ?? "")")
        let reports = await log.wait(for: 20)
        #expect(reports.map(\.sequence) == Array(1...20))
        #expect(reports.filter { !$0.isAccepted }.map { $0.error?.code } == [.staleTimestamp])
        #expect(await f.storedSequences() == Array(1...10) + Array(12...20))
        await client.close()
    }

    @Test func keepsMessagesWhileTheBrokerCannotBeReached() async throws {
        let f = try SDKFixture()
        // Nothing listens on port 1: every delivery fails and the messages stay buffered.
        let transport = MQTTTelemetryTransport(deviceID: f.identity.deviceID, host: "127.0.0.1", port: 1, ackTimeout: .seconds(2))
        let client = try f.client(transport)
        let running = Task { await client.run() }
        defer { running.cancel() }
        for n in 1...3 { try client.send(payload: SDKFixture.reading(n)) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(client.pendingCount == 3)
        #expect(client.lastFailure?.contains("cannot connect") == true, "\(client.lastFailure ?? "nil")")
    }
}
