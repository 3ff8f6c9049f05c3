import Foundation
import MoteMQTT
import MotePrimitives
import MoteRPCClient
import MoteWitness

/// How far an attestation got.
public enum AttestationDelivery: Equatable, Sendable {
    /// The node checked it and holds it for its next `submitAttestations`.
    case accepted
    /// The node refused it, saying why (a duplicate, outside the window, not assigned…).
    case rejected(String)
    /// The broker took it (MQTT): the stream node forwards it; the chain's events tell the rest.
    case published
}

/// Where a micro-miner sends its attestations: its trusted node over HTTP or MQTT.
public protocol AttestationSender: Sendable {
    func send(_ attestation: WitnessAttestation) async throws(LightClientError) -> AttestationDelivery
    /// Closes any connection.
    func close() async
}

/// Sends attestations with the node's `mote_submitAttestation(binary hex)`.
public struct RPCAttestationSender: AttestationSender {
    public let client: JSONRPCClient

    public init(client: JSONRPCClient) { self.client = client }

    public func send(_ attestation: WitnessAttestation) async throws(LightClientError) -> AttestationDelivery {
        let answer = try await client.request("mote_submitAttestation", [.string(Hex.encode(attestation.binary))])
        guard let accepted = answer["accepted"]?.boolValue else {
            throw LightClientError(.badAnswer, "mote_submitAttestation answered without \"accepted\"")
        }
        return accepted ? .accepted : .rejected(String((answer["reason"]?.stringValue ?? "refused").prefix(200)))
    }

    public func close() async {}
}

/// Publishes attestations, QoS 1, as their 216-byte binary form to `mote/v1/attest/{witnessKey}`
/// on the stream node's broker; the stream node's MQTT bridge hands them to the chain node.
/// A dropped connection is re-made on the next send.
public actor MQTTAttestationSender: AttestationSender {
    public let configuration: MQTTConfiguration
    private var client: MQTTClient?

    /// `mote/v1/attest/{witnessKey hex}`.
    public static func topic(witnessKey: [UInt8]) -> String { "mote/v1/attest/\(Hex.encode(witnessKey))" }

    public init(configuration: MQTTConfiguration) { self.configuration = configuration }

    public func send(_ attestation: WitnessAttestation) async throws(LightClientError) -> AttestationDelivery {
        let client: MQTTClient
        if let current = self.client, current.isConnected {
            client = current
        } else {
            if let stale = self.client { await stale.disconnect() }
            let fresh = MQTTClient(configuration: configuration)
            do throws(MQTTError) { try await fresh.connect() } catch {
                await fresh.disconnect()
                throw LightClientError(.unreachable, "cannot connect to the broker \(configuration.host):\(configuration.port): \(error.message)")
            }
            self.client = fresh
            client = fresh
        }
        do throws(MQTTError) {
            try await client.publish([MQTTMessage(topic: Self.topic(witnessKey: attestation.witnessKey), payload: attestation.binary, qos: .atLeastOnce)])
        } catch {
            self.client = nil
            await client.disconnect()
            throw LightClientError(.unreachable, "cannot publish to \(configuration.host):\(configuration.port): \(error.message)")
        }
        return .published
    }

    public func close() async {
        await client?.disconnect()
        client = nil
    }
}
