import Foundation
import MoteCrypto
import MoteDeviceSDK
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTestKit
import MoteWitness
import NIOConcurrencyHelpers
import Testing

/// Records what the stream node's bridge forwards, as the chain node would receive it.
final class RecordingForwarder: AttestationForwarder {
    let received = NIOLockedValueBox<[[UInt8]]>([])
    func forward(_ binary: [UInt8]) async -> AttestationForwardOutcome {
        received.withLockedValue { $0.append(binary) }
        return .accepted
    }
}

/// Attestations over MQTT through a real mosquitto: the SDK publishes, the stream node's bridge
/// forwards well-formed ones to the chain node and drops the rest.
@Suite(.serialized) struct MQTTAttestationTests {
    @Test func theBridgeForwardsAttestationsPublishedByTheMicroMiner() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let fixture = try SDKFixture()
        let forwarder = RecordingForwarder()
        let bridge = StreamMQTTBridge(
            pipeline: fixture.pipeline, configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "stream"),
            attestations: forwarder)
        let running = Task { await bridge.run() }
        defer { running.cancel() }
        for _ in 0..<200 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(bridge.state == "connected")

        let key = try ECVRF.SecretKey(seed: [UInt8](repeating: 5, count: 32))
        let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: .zero, height: 7), suite: .tai)
        let attestation = WitnessAttestation.make(key: key, chainID: 4_689, height: 7, blockHash: Keccak256.hash(utf8: "b"), proof: proof)
        let sender = MQTTAttestationSender(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "witness"))
        #expect(try await sender.send(attestation) == .published)

        // A payload under another key's topic, and one of the wrong length: dropped by the bridge.
        let other = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "other"))
        try await other.connect()
        try await other.publish([
            MQTTMessage(topic: MQTTAttestationSender.topic(witnessKey: [UInt8](repeating: 1, count: 32)), payload: attestation.binary, qos: .atLeastOnce),
            MQTTMessage(topic: MQTTAttestationSender.topic(witnessKey: attestation.witnessKey), payload: [1, 2, 3], qos: .atLeastOnce),
        ])
        for _ in 0..<200 where bridge.attestationCounts.forwarded + bridge.attestationCounts.refused < 3 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(forwarder.received.withLockedValue { $0 } == [attestation.binary])
        #expect(bridge.attestationCounts.forwarded == 1 && bridge.attestationCounts.refused == 2)
        await sender.close()
        await other.disconnect()
    }
}
