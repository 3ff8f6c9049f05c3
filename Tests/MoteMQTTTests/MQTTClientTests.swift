import Foundation
import MoteMQTT
import MoteTestKit
import NIOCore
import NIOPosix
import Testing

/// The client against a real mosquitto broker (started per test on a free loopback port),
/// and against a fake broker that sends garbage.
@Suite(.serialized) struct MQTTClientTests {
    func client(_ broker: MosquittoBroker, _ id: String, keepAlive: UInt16 = 30, manualAcks: Bool = false) async throws -> MQTTClient {
        var config = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: id)
        config.keepAlive = keepAlive
        config.acknowledgesOnDelivery = !manualAcks
        let client = MQTTClient(configuration: config)
        try await client.connect()
        return client
    }

    /// The first `count` messages of a stream, or fewer if `seconds` pass.
    func take(_ count: Int, from stream: AsyncStream<MQTTMessage>, seconds: Double = 5) async -> [MQTTMessage] {
        await withTaskGroup(of: [MQTTMessage].self) { group in
            group.addTask {
                var out: [MQTTMessage] = []
                for await message in stream {
                    out.append(message)
                    if out.count == count { break }
                }
                return out
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return []
            }
            let first = await group.next()!
            group.cancelAll()
            if first.isEmpty, let second = await group.next() { return second }
            return first
        }
    }

    @Test func publishesAndReceivesWithQoS0And1() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let receiver = try await client(broker, "receiver")
        let sender = try await client(broker, "sender")
        let all = try await receiver.subscribe("mote/test/#", qos: .atLeastOnce)
        let one = try await receiver.subscribe("other/+/b", qos: .atMostOnce)

        try await sender.publish("mote/test/a", Array("zero".utf8))
        try await sender.publish("mote/test/a/b", Array("one".utf8), qos: .atLeastOnce)
        try await sender.publish("other/x/b", Array("one".utf8))
        let batch = (0..<50).map { MQTTMessage(topic: "mote/test/batch", payload: [UInt8($0)], qos: .atLeastOnce) }
        try await sender.publish(batch)

        let received = await take(52, from: all)
        #expect(received.count == 52)
        #expect(received.first?.payload == Array("zero".utf8))
        #expect(received[1].topic == "mote/test/a/b" && received[1].qos == .atLeastOnce && received[1].packetID != nil)
        #expect(received.dropFirst(2).map(\.payload) == batch.map(\.payload))
        let onlyB = await take(1, from: one)
        #expect(onlyB.map(\.payload) == [Array("one".utf8)])

        try await receiver.unsubscribe("mote/test/#")
        var ended = true
        for await _ in all { ended = false }
        #expect(ended)
        await sender.disconnect()
        await receiver.disconnect()
        #expect(!receiver.isConnected)
        await #expect(throws: MQTTError.self) { try await sender.publish("mote/test/a", [1]) }
    }

    @Test func manualAcknowledgementAndKeepAlive() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let receiver = try await client(broker, "manual", keepAlive: 1, manualAcks: true)
        let sender = try await client(broker, "sender2")
        let stream = try await receiver.subscribe("m/+", qos: .atLeastOnce)
        try await sender.publish((0..<10).map { MQTTMessage(topic: "m/\($0)", payload: [UInt8($0)], qos: .atLeastOnce) })
        let received = await take(10, from: stream)
        #expect(received.count == 10)
        receiver.acknowledge(received)
        // Pings every second keep the connection alive past the broker's 1.5 s limit.
        try await Task.sleep(for: .seconds(3))
        #expect(receiver.isConnected)
        try await sender.publish("m/x", [42], qos: .atLeastOnce)
        #expect(await take(1, from: stream).first?.payload == [42])
        await receiver.disconnect()
        await sender.disconnect()
    }

    @Test func failsClearlyWithoutABroker() async throws {
        let broker = try MosquittoBroker()
        let port = broker.port
        broker.stop()
        let client = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "nobody"))
        await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(client.closeError?.code == .notConnected)
    }

    @Test func closesOnAMalformedFrame() async throws {
        // A fake broker: a valid CONNACK, then a PUBLISH with QoS 3.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(GarbageBroker()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let client = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: server.localAddress!.port!, clientID: "victim"))
        try await client.connect()
        let stream = try await client.subscribe("x/#")
        for await _ in stream {}
        #expect(client.closeError?.code == .malformedPacket)
        #expect(!client.isConnected)
    }
}

/// Answers CONNECT with CONNACK and SUBSCRIBE with SUBACK followed by a malformed PUBLISH.
private final class GarbageBroker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        guard let first = bytes.first else { return }
        switch first >> 4 {
        case 1: context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x00])), promise: nil)
        case 8:
            let reply: [UInt8] = [0x90, 0x03, bytes[2], bytes[3], 0x00, 0x36, 0x04, 0x00, 0x01, 0x61, 0x00]
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil)
        default: break
        }
    }
}
