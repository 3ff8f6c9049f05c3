import NIOCore

/// Reads the packets a broker sends out of a byte stream, strictly and within bounds:
/// the remaining length is a varint of at most 4 bytes, a frame larger than `maxPacketSize`
/// is refused as soon as its header is read (before its body is buffered), reserved flag bits
/// must be as MQTT 3.1.1 says, every length must fit the frame exactly, strings must be valid
/// UTF-8. Packets only clients send (CONNECT, SUBSCRIBE, …) are refused.
///
/// Any error means the stream cannot be read further: the caller closes the connection.
public struct MQTTFrameDecoder: Sendable {
    /// The largest frame accepted, fixed header included.
    public let maxPacketSize: Int

    public init(maxPacketSize: Int = 1 << 20) {
        self.maxPacketSize = max(2, min(maxPacketSize, MQTTPacket.maxRemainingLength + 5))
    }

    /// The next whole packet at the buffer's reader index (consumed), or nil if more bytes are needed.
    public func decode(_ buffer: inout ByteBuffer) throws(MQTTError) -> MQTTPacket? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var remaining = 0
        var multiplier = 1
        var headerLength = 1
        while true {
            guard headerLength <= 4 else { throw MQTTError(.malformedPacket, "remaining length longer than 4 bytes") }
            guard let byte = buffer.getInteger(at: buffer.readerIndex + headerLength, as: UInt8.self) else { return nil }
            remaining += Int(byte & 0x7F) * multiplier
            multiplier *= 128
            headerLength += 1
            if byte & 0x80 == 0 { break }
        }
        guard headerLength + remaining <= maxPacketSize else {
            throw MQTTError(.packetTooLarge, "a \(headerLength + remaining)-byte packet; the limit is \(maxPacketSize)")
        }
        guard buffer.readableBytes >= headerLength + remaining else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        var body = buffer.readSlice(length: remaining)!
        let packet = try Self.packet(type: first >> 4, flags: first & 0x0F, body: &body)
        guard body.readableBytes == 0 else {
            throw MQTTError(.malformedPacket, "\(body.readableBytes) bytes left over in a packet of type \(first >> 4)")
        }
        return packet
    }

    private static func packet(type: UInt8, flags: UInt8, body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket {
        func requireFlags(_ expected: UInt8, _ name: String) throws(MQTTError) {
            guard flags == expected else { throw MQTTError(.malformedPacket, "\(name) with reserved flags \(flags)") }
        }
        func packetID(_ name: String) throws(MQTTError) -> UInt16 {
            guard let id = body.readInteger(as: UInt16.self) else { throw MQTTError(.malformedPacket, "\(name) without a packet id") }
            guard id != 0 else { throw MQTTError(.malformedPacket, "\(name) with packet id 0") }
            return id
        }
        func exactly(_ length: Int, _ name: String) throws(MQTTError) {
            guard body.readableBytes == length else { throw MQTTError(.malformedPacket, "\(name) of \(body.readableBytes) bytes; it has \(length)") }
        }
        switch type {
        case 2:
            try requireFlags(0, "CONNACK")
            try exactly(2, "CONNACK")
            let ackFlags = body.readInteger(as: UInt8.self)!
            let code = body.readInteger(as: UInt8.self)!
            guard ackFlags & 0xFE == 0 else { throw MQTTError(.malformedPacket, "CONNACK with reserved flags \(ackFlags)") }
            guard code <= 5 else { throw MQTTError(.malformedPacket, "CONNACK return code \(code)") }
            return .connack(sessionPresent: ackFlags == 1, returnCode: code)
        case 3:
            let qosBits = (flags >> 1) & 0x03
            guard qosBits != 3 else { throw MQTTError(.malformedPacket, "PUBLISH with QoS 3") }
            guard qosBits != 2 else { throw MQTTError(.protocolViolation, "PUBLISH with QoS 2, which this client never subscribes with") }
            let qos = MQTTQoS(rawValue: qosBits)!
            let duplicate = flags & 0x08 != 0
            guard !(duplicate && qos == .atMostOnce) else { throw MQTTError(.malformedPacket, "PUBLISH with QoS 0 and DUP set") }
            let topic = try readString(&body, "PUBLISH topic")
            guard MQTTTopic.isValidName(topic) else { throw MQTTError(.malformedPacket, "PUBLISH to an invalid topic name") }
            let id: UInt16? = try qos == .atMostOnce ? nil : packetID("PUBLISH")
            let payload = body.readBytes(length: body.readableBytes) ?? []
            return .publish(MQTTMessage(topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, packetID: id, duplicate: duplicate))
        case 4, 5, 6, 7:
            let names = [4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP"]
            let name = names[Int(type)]!
            try requireFlags(type == 6 ? 2 : 0, name)
            try exactly(2, name)
            let id = try packetID(name)
            switch type {
            case 4: return .puback(packetID: id)
            case 5: return .pubrec(packetID: id)
            case 6: return .pubrel(packetID: id)
            default: return .pubcomp(packetID: id)
            }
        case 9:
            try requireFlags(0, "SUBACK")
            let id = try packetID("SUBACK")
            guard body.readableBytes >= 1 else { throw MQTTError(.malformedPacket, "SUBACK without return codes") }
            let codes = body.readBytes(length: body.readableBytes)!
            guard codes.allSatisfy({ $0 <= 2 || $0 == 0x80 }) else { throw MQTTError(.malformedPacket, "SUBACK with an invalid return code") }
            return .suback(packetID: id, returnCodes: codes)
        case 11:
            try requireFlags(0, "UNSUBACK")
            try exactly(2, "UNSUBACK")
            return .unsuback(packetID: try packetID("UNSUBACK"))
        case 13:
            try requireFlags(0, "PINGRESP")
            try exactly(0, "PINGRESP")
            return .pingresp
        case 1, 8, 10, 12, 14:
            throw MQTTError(.protocolViolation, "packet type \(type) is only sent by clients")
        default:
            throw MQTTError(.malformedPacket, "reserved packet type \(type)")
        }
    }

    private static func readString(_ body: inout ByteBuffer, _ name: String) throws(MQTTError) -> String {
        guard let length = body.readInteger(as: UInt16.self), let bytes = body.readBytes(length: Int(length)) else {
            throw MQTTError(.malformedPacket, "\(name) runs past the end of the packet")
        }
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            throw MQTTError(.malformedPacket, "\(name) is not valid UTF-8")
        }
        return text
    }
}
