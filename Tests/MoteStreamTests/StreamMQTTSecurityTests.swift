import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTelemetry
import MoteTestKit
import Testing

/// The broker locked down as `mote devnet` does it (issue 14, item 7), with a real mosquitto:
/// no anonymous clients, devices publishing only to their own topics and reading only their own
/// acks, oversize packets refused by the broker (not by the stream node), signed acks, and the
/// stream node reconnecting with a log line when the broker goes away.
@Suite(.serialized) struct StreamMQTTSecurityTests {
    static let streamPassword = "stream-password-0001"
    static let devicePassword = "device-password-0001"
    static let otherPassword = "device-password-0002"

    struct Setup {
        let broker: MosquittoBroker
        let f: StreamFixture
        let device: Address
        let other: Address
        let ackKey: Ed25519.PrivateKey
    }

    func setUp(maxPacketSize: Int = 1 << 20) throws -> Setup {
        let f = StreamFixture()
        let device = f.p256.publicKey.deviceID
        let other = f.ed25519.publicKey.deviceID
        let broker = try MosquittoBroker(
            security: .init(
                users: ["mote-stream": Self.streamPassword, device.hex: Self.devicePassword, other.hex: Self.otherPassword],
                streamUser: "mote-stream", maxPacketSize: maxPacketSize))
        return Setup(broker: broker, f: f, device: device, other: other, ackKey: .generate())
    }

    func bridge(_ s: Setup, log: @escaping @Sendable (String) -> Void = { _ in }) -> StreamMQTTBridge {
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: s.broker.port, clientID: "stream")
        configuration.username = "mote-stream"
        configuration.password = Array(Self.streamPassword.utf8)
        return StreamMQTTBridge(pipeline: s.f.pipeline, configuration: configuration, ackKey: s.ackKey, log: log)
    }

    func client(_ s: Setup, user: String?, password: String?, id: String) -> MQTTClient {
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: s.broker.port, clientID: id)
        configuration.username = user
        configuration.password = password.map { Array($0.utf8) }
        return MQTTClient(configuration: configuration)
    }

    func waitConnected(_ bridge: StreamMQTTBridge) async throws {
        for _ in 0..<200 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(bridge.state == "connected")
        try await Task.sleep(for: .milliseconds(200))
    }

    /// The next message of `stream` within `timeout`, or nil.
    func next(_ stream: AsyncStream<MQTTMessage>, timeout: Duration) async -> MQTTMessage? {
        await withTaskGroup(of: MQTTMessage?.self) { group in
            group.addTask {
                for await message in stream { return message }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func refusesAnonymousClientsAndWrongPasswords() async throws {
        let s = try setUp()
        defer { s.broker.stop() }
        for (user, password) in [(nil, nil), (s.device.hex, "wrong-password"), ("nobody-at-all", Self.devicePassword)] as [(String?, String?)] {
            let intruder = client(s, user: user, password: password, id: "intruder")
            await #expect(throws: MQTTError.self) { try await intruder.connect() }
            await intruder.disconnect()
        }
        let device = client(s, user: s.device.hex, password: Self.devicePassword, id: "device")
        try await device.connect()
        await device.disconnect()
    }

    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func devicesPublishAndReadOnlyTheirOwnTopics() async throws {
        let s = try setUp()
        defer { s.broker.stop() }
        let bridge = bridge(s)
        let running = Task { await bridge.run() }
        defer { running.cancel() }
        try await waitConnected(bridge)

        let device = client(s, user: s.device.hex, password: Self.devicePassword, id: "device")
        try await device.connect()
        let acks = try await device.subscribe(StreamMQTTBridge.ackTopic(s.device), qos: .atLeastOnce)
        // The other device listens to everything it can: all of mote/v1/#, and the first device's acks.
        let other = client(s, user: s.other.hex, password: Self.otherPassword, id: "other")
        try await other.connect()
        var eavesdropping: [AsyncStream<MQTTMessage>] = []
        for filter in ["mote/v1/#", StreamMQTTBridge.ackTopic(s.device), StreamMQTTBridge.telemetryTopic(s.device)] {
            // mosquitto may refuse the subscription or grant it and deliver nothing.
            if let stream = try? await other.subscribe(filter, qos: .atLeastOnce) { eavesdropping.append(stream) }
        }

        try await device.publish(StreamMQTTBridge.telemetryTopic(s.device), s.f.message(s.f.p256, 1).binary, qos: .atLeastOnce)
        let ack = try #require(await next(acks, timeout: .seconds(10)))
        let outcome = try JSON.parse(ack.payload)
        #expect(outcome["status"]?.stringValue == "accepted")
        // The ack is signed by the node's ack key.
        let signature = try Ed25519.Signature(bytes: Hex.decode(try #require(outcome["sig"]?.stringValue)))
        let hash = try Hex.decode(try #require(outcome["hash"]?.stringValue))
        let signed = try #require(StreamAckSignature.message(device: s.device.bytes, sequence: 1, hash: hash, accepted: true, code: nil))
        #expect(s.ackKey.publicKey.isValidSignature(signature, for: signed))

        // The other device publishes a (validly signed) message of the first on the first's
        // topic, and a fake ack on the first's ack topic: the broker drops both.
        // (mosquitto may also close the sender's connection, as 2.0 does for the ack topic.)
        try? await other.publish(StreamMQTTBridge.telemetryTopic(s.device), s.f.message(s.f.p256, 2).binary, qos: .atLeastOnce)
        try? await other.publish(
            StreamMQTTBridge.ackTopic(s.device), Array(#"{"device":"\#(s.device.hex)","seq":2,"status":"accepted"}"#.utf8), qos: .atLeastOnce)
        #expect(await next(acks, timeout: .seconds(1)) == nil)
        for stream in eavesdropping { #expect(await next(stream, timeout: .milliseconds(300)) == nil) }
        #expect(bridge.counts.received == 1)
        #expect(await s.f.store.messages(of: s.device, from: 0, to: .max, afterSequence: nil, limit: 10).map(\.sequence) == [1])
        await device.disconnect()
        await other.disconnect()
    }

    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func anOversizePublishIsRefusedByTheBrokerAndTheStreamNodeKeepsItsConnection() async throws {
        let s = try setUp(maxPacketSize: 64 * 1024)
        defer { s.broker.stop() }
        let bridge = bridge(s)
        let running = Task { await bridge.run() }
        defer { running.cancel() }
        try await waitConnected(bridge)

        let attacker = client(s, user: s.other.hex, password: Self.otherPassword, id: "attacker")
        try await attacker.connect()
        // 1 MiB on its own batch topic: the broker disconnects the sender.
        try? await attacker.publish(StreamMQTTBridge.batchTopic(s.other.hex), [UInt8](repeating: 0xAB, count: 1 << 20), qos: .atLeastOnce)
        for _ in 0..<100 where attacker.isConnected { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!attacker.isConnected)

        let device = client(s, user: s.device.hex, password: Self.devicePassword, id: "device")
        try await device.connect()
        let acks = try await device.subscribe(StreamMQTTBridge.ackTopic(s.device), qos: .atLeastOnce)
        try await device.publish(StreamMQTTBridge.telemetryTopic(s.device), s.f.message(s.f.p256, 1).binary, qos: .atLeastOnce)
        let ack = try #require(await next(acks, timeout: .seconds(10)))
        #expect(try JSON.parse(ack.payload)["status"]?.stringValue == "accepted")
        #expect(bridge.state == "connected")
        #expect(bridge.connectionCounts.lost == 0)
        await device.disconnect()
    }

    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func reconnectsWithALogLineWhenTheBrokerRestarts() async throws {
        let s = try setUp()
        defer { s.broker.stop() }
        let lines = LogLines()
        let bridge = bridge(s) { line in lines.append(line) }
        let running = Task { await bridge.run() }
        defer { running.cancel() }
        try await waitConnected(bridge)

        try s.broker.restart()
        let deadline = ContinuousClock.now + .seconds(20)
        while bridge.connectionCounts.reconnected < 1 || bridge.state != "connected", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(bridge.connectionCounts.lost >= 1)
        #expect(bridge.connectionCounts.reconnected >= 1)
        let logged = lines.all
        #expect(logged.contains { $0.contains("lost the connection to the broker") }, "\(logged)")
        #expect(logged.contains { $0.contains("reconnected to the broker") }, "\(logged)")

        // Subscriptions were made again: a message after the restart is ingested and acked.
        try await Task.sleep(for: .milliseconds(200))
        let device = client(s, user: s.device.hex, password: Self.devicePassword, id: "device")
        try await device.connect()
        let acks = try await device.subscribe(StreamMQTTBridge.ackTopic(s.device), qos: .atLeastOnce)
        try await device.publish(StreamMQTTBridge.telemetryTopic(s.device), s.f.message(s.f.p256, 1).binary, qos: .atLeastOnce)
        let ack = try #require(await next(acks, timeout: .seconds(10)))
        #expect(try JSON.parse(ack.payload)["status"]?.stringValue == "accepted")
        await device.disconnect()
    }
}

/// Log lines collected from another thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
