import MoteCrypto
import MoteMQTT
import MoteP2P
import MotePrimitives
import NIOCore

extension FuzzTarget {
    /// The p2p byte stream: frames split by `FrameDecoder.readFrame`, each decoded by
    /// `P2PMessage(frame:)`; every message re-encodes to the frame it came from.
    public static let p2pFrame = FuzzTarget(
        name: "p2p-frame",
        summary: "FrameDecoder.readFrame over a byte stream, then P2PMessage(frame:): each message re-frames to the same bytes",
        seeds: {
            let hello = Hello(
                protocolVersion: P2PMessage.protocolVersion, chainID: FuzzFixtures.chainID, genesisHash: FuzzFixtures.hash("genesis"),
                nodeID: FuzzFixtures.keys[0].address, listenPort: 30_303, nonce: FuzzFixtures.hash("nonce"))
            let signature = FuzzFixtures.keys[0].sign(hash: hello.authHash(peerNonce: FuzzFixtures.hash("peer nonce")))
            let messages: [P2PMessage] = [
                .hello(hello), .auth(signature), .ping(42), .pong(0xFFFF_FFFF_FFFF), .disconnect(DisconnectReason(rawValue: 3)),
                .transactions(FuzzFixtures.transactions.map(\.rawBytes)), .proposal(FuzzFixtures.proposals[0].encoded()),
                .vote(FuzzFixtures.votes[0].encoded()), .block(FuzzFixtures.certificate.encoded()),
                .getBlocks(requestID: 7, from: 100, count: 64), .blocks(requestID: 7, [[0xC0], FuzzFixtures.transactions[0].rawBytes]),
            ]
            let frames = messages.map { frameBytes($0) }
            return frames + [frames[2] + frames[3] + frames[5]]
        }(),
        dictionary: rlpTokens + [[0, 0, 0, 1], [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0x01, 0x00, 0x00, 0x01], [0x10], [0x11], [0x12], [0x13], [0x20], [0x21]],
        maxInputSize: 8_192
    ) { input in
        var buffer = ByteBuffer(bytes: input)
        var frames = 0
        while true {
            let start = buffer.readerIndex
            let frame: P2PFrame
            do {
                guard let next = try FrameDecoder.readFrame(from: &buffer, maximumFrameSize: P2PFrame.defaultMaximumSize) else { break }
                frame = next
            } catch { return .rejected }
            guard buffer.readerIndex > start else { return .failure("readFrame returned a frame without consuming bytes") }
            let consumed = Array(input[start..<buffer.readerIndex])
            guard let message = try? P2PMessage(frame: frame) else { return .rejected }
            let outcome = roundTrip("p2p message type \(frame.type)", frameBytes(message), consumed)
            guard outcome == .accepted else { return outcome }
            frames += 1
        }
        return frames > 0 ? .accepted : .rejected
    }

    /// The MQTT byte stream a broker sends: `MQTTFrameDecoder.decode` packet by packet; every
    /// packet's own frame decodes back to the same packet.
    public static let mqttFrame = FuzzTarget(
        name: "mqtt-frame",
        summary: "MQTTFrameDecoder.decode over a byte stream (broker → client packets): each packet's frame decodes to the same packet",
        seeds: {
            let packets: [MQTTPacket] = [
                .connack(sessionPresent: false, returnCode: 0), .connack(sessionPresent: true, returnCode: 5),
                .publish(MQTTMessage(topic: "mote/v1/ack/0xabc", payload: Array("{\"seq\":1}".utf8))),
                .publish(MQTTMessage(topic: "mote/v1/telemetry/dev", payload: Array(repeating: 0x42, count: 200), qos: .atLeastOnce, retain: true, packetID: 9)),
                .puback(packetID: 1), .suback(packetID: 2, returnCodes: [0, 1, 0x80]), .unsuback(packetID: 3), .pingresp,
            ]
            let frames = packets.map(\.frame)
            return frames + [frames[0] + frames[2] + frames[7]]
        }(),
        dictionary: [[0x30], [0x32], [0x3B], [0x20, 0x02], [0x40, 0x02], [0x90], [0xB0, 0x02], [0xD0, 0x00], [0xFF, 0xFF, 0xFF, 0x7F], [0x80, 0x80, 0x80, 0x80, 0x01], [0x00, 0x00], [0xC0, 0x80]],
        maxInputSize: 8_192
    ) { input in
        let decoder = MQTTFrameDecoder(maxPacketSize: 1 << 20)
        var buffer = ByteBuffer(bytes: input)
        var packets = 0
        while true {
            let start = buffer.readerIndex
            let packet: MQTTPacket
            do {
                guard let next = try decoder.decode(&buffer) else { break }
                packet = next
            } catch { return .rejected }
            guard buffer.readerIndex > start else { return .failure("decode returned a packet without consuming bytes") }
            var again = ByteBuffer(bytes: packet.frame)
            guard let reread = try? decoder.decode(&again), reread == packet, again.readableBytes == 0 else {
                return .failure("a decoded packet's own frame does not decode back to it")
            }
            packets += 1
        }
        return packets > 0 ? .accepted : .rejected
    }
}

/// A message's frame on the wire: length prefix, type, payload.
func frameBytes(_ message: P2PMessage) -> [UInt8] {
    var out = ByteBuffer()
    do { try FrameEncoder.write(message.frame(), to: &out, maximumFrameSize: P2PFrame.defaultMaximumSize) } catch { return [] }
    return Array(out.readableBytesView)
}
