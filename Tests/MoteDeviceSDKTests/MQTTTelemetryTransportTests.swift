import Foundation
import MoteCrypto
import MoteDeviceSDK
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTelemetry
import MoteTestKit
import Testing

/// The SDK over MQTT through a real mosquitto and the stream node's MQTT bridge: messages
/// published QoS 1, outcomes from the node's acks on the device's ack topic.
@Suite(.serialized) struct MQTTTelemetryTransportTests {
    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func deliversThroughTheBrokerAndSettlesOnTheNodesAcks() async throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let f = try SDKFixture()
        let bridge = StreamMQTTBridge(pipeline: f.pipeline, configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "stream"))
        let bridging = Task { await bridge.run() }
        defer { bridging.cancel() }
        for _ in 0..<100 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(bridge.state == "connected")
        try await Task.sleep(for: .milliseconds(300))

        let transport = MQTTTelemetryTransport(
            deviceID: f.identity.deviceID, host: "127.0.0.1", port: broker.port, ackKey: bridge.ackPublicKey, ackTimeout: .seconds(5))
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

    /// Anyone who can publish on a device's ack topic (a broker without the ACL, a compromised
    /// client) can send it an "accepted" ack; the SDK believes only acks signed by the stream
    /// node's key, for its device, naming the hash of the message it sent.
    @Test(.enabled(if: MosquittoBroker.executable != nil, "mosquitto is not installed"))
    func ignoresForgedAcksAndSettlesOnTheNodesSignedOnes() async throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let f = try SDKFixture()
        let nodeKey = Ed25519.PrivateKey.generate()
        let transport = MQTTTelemetryTransport(
            deviceID: f.identity.deviceID, host: "127.0.0.1", port: broker.port, ackKey: nodeKey.publicKey, ackTimeout: .seconds(2))
        let envelope = TelemetryEnvelope.signed(
            by: f.identity.privateKey, chainID: SDKFixture.chainID, sequence: 1, timestamp: UInt64(Date().timeIntervalSince1970 * 1_000),
            contentType: "application/json", payload: SDKFixture.reading(1))
        let device = f.identity.deviceID

        // The forger hears the device's message and answers it at once, three ways.
        let forger = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "forger"))
        try await forger.connect()
        let heard = try await forger.subscribe(MQTTTelemetryTransport.telemetryTopic(device), qos: .atLeastOnce)
        let forging = Task {
            for await _ in heard {
                let ackTopic = MQTTTelemetryTransport.ackTopic(device)
                let hash = envelope.hash.hex
                let unsigned = #"{"index":0,"device":"\#(device.hex)","seq":1,"hash":"\#(hash)","status":"accepted","code":null,"message":null}"#
                let wrongKey = Ed25519.PrivateKey.generate()
                let message = StreamAckSignature.message(device: device.bytes, sequence: 1, hash: envelope.hash.bytes, accepted: true, code: nil)!
                let badSig = Hex.encode(wrongKey.signature(for: message).bytes)
                let signedByOther = #"{"index":0,"device":"\#(device.hex)","seq":1,"hash":"\#(hash)","status":"accepted","code":null,"message":null,"sig":"\#(badSig)"}"#
                // The node's real signature, but over another message's hash (a replayed ack of an earlier life of this device).
                let otherHash = [UInt8](repeating: 7, count: 32)
                let replayedSig = Hex.encode(
                    nodeKey.signature(for: StreamAckSignature.message(device: device.bytes, sequence: 1, hash: otherHash, accepted: true, code: nil)!).bytes)
                let replayed = #"{"index":0,"device":"\#(device.hex)","seq":1,"hash":"\#(Hex.encode(otherHash))","status":"accepted","code":null,"message":null,"sig":"\#(replayedSig)"}"#
                try? await forger.publish([unsigned, signedByOther, replayed].map { MQTTMessage(topic: ackTopic, payload: Array($0.utf8), qos: .atLeastOnce) })
            }
        }
        defer { forging.cancel() }

        await #expect(throws: TransportError.self) { _ = try await transport.deliver([envelope]) }
        #expect(await transport.ignoredAcks == 3)

        // The stream node's own ack (signed with its key) settles the message.
        let f2 = f
        let bridge = StreamMQTTBridge(
            pipeline: f2.pipeline, configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "stream"), ackKey: nodeKey)
        let bridging = Task { await bridge.run() }
        defer { bridging.cancel() }
        for _ in 0..<100 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        let outcomes = try await transport.deliver([envelope])
        #expect(outcomes.count == 1 && outcomes[0] == nil, "\(outcomes)")
        #expect(await f.storedSequences() == [1])
        await transport.close()
        await forger.disconnect()
    }

    @Test func keepsMessagesWhileTheBrokerCannotBeReached() async throws {
        let f = try SDKFixture()
        // Nothing listens on port 1: every delivery fails and the messages stay buffered.
        let transport = MQTTTelemetryTransport(
            deviceID: f.identity.deviceID, host: "127.0.0.1", port: 1, ackKey: Ed25519.PrivateKey.generate().publicKey, ackTimeout: .seconds(2))
        let client = try f.client(transport)
        let running = Task { await client.run() }
        defer { running.cancel() }
        for n in 1...3 { try client.send(payload: SDKFixture.reading(n)) }
        let deadline = ContinuousClock.now + .seconds(20)
        while client.lastFailure?.contains("cannot connect") != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(client.pendingCount == 3)
        #expect(client.lastFailure?.contains("cannot connect") == true, "\(client.lastFailure ?? "nil")")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mosquitto on a free loopback port, stopped with SIGKILL.
///
/// Not `MosquittoBroker`: its `stop()` sends SIGTERM and waits, but a mosquitto started from
/// a test thread inherits a signal mask with SIGTERM blocked, so it never exits and `stop()`
/// spins in `waitUntilExit` forever (reported to MoteMQTT's owners).
final class TestBroker: @unchecked Sendable {
    let port: Int
    private let process = Process()
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-sdk-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let config = directory.appendingPathComponent("mosquitto.conf")
        try "listener \(port) 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n"
            .write(to: config, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: MosquittoBroker.executable ?? "/usr/sbin/mosquitto")
        process.arguments = ["-c", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !Self.accepts(port) { usleep(50_000) }
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard named else { throw TransportError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
