import MoteMQTT
import NIOCore
import Testing

/// The frame decoder: every packet a broker sends, split and joined frames, and malformed
/// frames refused with a clear error.
@Suite struct MQTTFrameDecoderTests {
    let decoder = MQTTFrameDecoder(maxPacketSize: 1_024)

    func decodeAll(_ bytes: [UInt8]) throws(MQTTError) -> [MQTTPacket] {
        var buffer = ByteBuffer(bytes: bytes)
        var packets: [MQTTPacket] = []
        while let packet = try decoder.decode(&buffer) { packets.append(packet) }
        return packets
    }

    func refusal(_ bytes: [UInt8], decoder: MQTTFrameDecoder? = nil) -> MQTTError? {
        var buffer = ByteBuffer(bytes: bytes)
        do throws(MQTTError) {
            _ = try (decoder ?? self.decoder).decode(&buffer)
            return nil
        } catch {
            return error
        }
    }

    @Test func roundTripsEveryBrokerPacket() throws {
        let packets: [MQTTPacket] = [
            .connack(sessionPresent: true, returnCode: 0), .connack(sessionPresent: false, returnCode: 5),
            .publish(MQTTMessage(topic: "a/b", payload: [1, 2, 3])),
            .publish(MQTTMessage(topic: "mote/v1/ack/x", payload: Array(repeating: 7, count: 300), qos: .atLeastOnce, retain: true, packetID: 9, duplicate: true)),
            .puback(packetID: 1), .pubrec(packetID: 2), .pubrel(packetID: 3), .pubcomp(packetID: 4),
            .suback(packetID: 5, returnCodes: [0, 1, 0x80]), .unsuback(packetID: 6), .pingresp,
        ]
        let stream = packets.flatMap(\.frame)
        #expect(try decodeAll(stream) == packets)
    }

    @Test func waitsForWholeFrames() throws {
        let frame = MQTTPacket.publish(MQTTMessage(topic: "t", payload: Array(repeating: 1, count: 200))).frame
        var buffer = ByteBuffer()
        for byte in frame.dropLast() {
            buffer.writeInteger(byte)
            #expect(try decoder.decode(&buffer) == nil)
        }
        buffer.writeInteger(frame.last!)
        #expect(try decoder.decode(&buffer) != nil)
        #expect(buffer.readableBytes == 0)
    }

    @Test func refusesRemainingLengthsOverFourBytes() {
        #expect(refusal([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])?.code == .malformedPacket)
        // Four bytes is the most, and is read as a length (too large here).
        #expect(refusal([0x30, 0xFF, 0xFF, 0xFF, 0x7F])?.code == .packetTooLarge)
    }

    @Test func refusesOversizedFramesBeforeTheirBody() {
        // The header says 2000 bytes follow; none have arrived, and none need to.
        #expect(refusal([0x30, 0xD0, 0x0F])?.code == .packetTooLarge)
        let small = MQTTFrameDecoder(maxPacketSize: 10)
        #expect(refusal(MQTTPacket.publish(MQTTMessage(topic: "abc", payload: [1, 2, 3, 4, 5, 6])).frame, decoder: small)?.code == .packetTooLarge)
    }

    @Test func refusesMalformedPackets() {
        let malformed: [(String, [UInt8])] = [
            ("PUBACK with flags", [0x41, 0x02, 0x00, 0x01]),
            ("PUBACK too long", [0x40, 0x03, 0x00, 0x01, 0x00]),
            ("PUBACK id 0", [0x40, 0x02, 0x00, 0x00]),
            ("PUBREL without flag 2", [0x60, 0x02, 0x00, 0x01]),
            ("CONNACK of 3 bytes", [0x20, 0x03, 0x00, 0x00, 0x00]),
            ("CONNACK reserved ack flags", [0x20, 0x02, 0x02, 0x00]),
            ("CONNACK code 6", [0x20, 0x02, 0x00, 0x06]),
            ("PUBLISH QoS 3", [0x36, 0x04, 0x00, 0x01, 0x61, 0x00]),
            ("PUBLISH QoS 0 with DUP", [0x38, 0x03, 0x00, 0x01, 0x61]),
            ("PUBLISH topic past the end", [0x30, 0x03, 0x00, 0x05, 0x61]),
            ("PUBLISH topic not UTF-8", [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28]),
            ("PUBLISH to a wildcard", [0x30, 0x03, 0x00, 0x01, 0x23]),
            ("PUBLISH QoS 1 id 0", [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00]),
            ("SUBACK bad code", [0x90, 0x03, 0x00, 0x01, 0x03]),
            ("SUBACK without codes", [0x90, 0x02, 0x00, 0x01]),
            ("UNSUBACK too long", [0xB0, 0x03, 0x00, 0x01, 0x00]),
            ("PINGRESP with a body", [0xD0, 0x01, 0x00]),
            ("reserved type 0", [0x00, 0x00]),
            ("reserved type 15", [0xF0, 0x00]),
        ]
        for (name, bytes) in malformed {
            let error = refusal(bytes)
            #expect(error?.code == .malformedPacket, "\(name): \(String(describing: error))")
        }
    }

    @Test func refusesClientOnlyPacketsAndQoS2() {
        for bytes: [UInt8] in [[0x10, 0x00], [0x82, 0x00], [0xA2, 0x00], [0xC0, 0x00], [0xE0, 0x00], [0x34, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]] {
            #expect(refusal(bytes)?.code == .protocolViolation)
        }
    }
}

/// Topic names, filters and matching.
@Suite struct MQTTTopicTests {
    @Test func matchesFilters() {
        #expect(MQTTTopic.matches("mote/v1/telemetry/0xab", filter: "mote/v1/telemetry/+"))
        #expect(!MQTTTopic.matches("mote/v1/telemetry/0xab/x", filter: "mote/v1/telemetry/+"))
        #expect(MQTTTopic.matches("mote/v1/ack/a", filter: "mote/#"))
        #expect(MQTTTopic.matches("mote", filter: "mote/#"))
        #expect(!MQTTTopic.matches("$SYS/x", filter: "#"))
        #expect(!MQTTTopic.matches("mote/v1", filter: "mote/v1/+"))
        #expect(MQTTTopic.isValidFilter("a/+/b/#"))
        #expect(!MQTTTopic.isValidFilter("a/b#"))
        #expect(!MQTTTopic.isValidFilter("a/#/b"))
        #expect(!MQTTTopic.isValidName("a/+"))
        #expect(!MQTTTopic.isValidName(""))
    }
}
