import MoteP2P
import MoteTestSupport
import NIOCore
import NIOEmbedded
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    static func encode(_ frames: [P2PFrame]) throws -> ByteBuffer {
        var out = ByteBuffer()
        for frame in frames { try FrameEncoder.write(frame, to: &out, maximumFrameSize: 1 << 20) }
        return out
    }

    static func randomFrames(_ rng: inout SplitMix64, count: Int) -> [P2PFrame] {
        (0..<count).map { _ in
            let length = Int(rng.next() % 40)
            return P2PFrame(type: UInt8(truncatingIfNeeded: rng.next()), payload: ByteBuffer(bytes: rng.bytes(length)))
        }
    }

    static func readAll(_ channel: EmbeddedChannel) throws -> [P2PFrame] {
        var frames: [P2PFrame] = []
        while let frame = try channel.readInbound(as: P2PFrame.self) { frames.append(frame) }
        return frames
    }

    @Test func encoderWritesLengthTypeAndPayload() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder()))
        try channel.writeOutbound(P2PFrame(type: 0x11, payload: ByteBuffer(bytes: [1, 2, 3])))
        let bytes = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(bytes.readableBytesView) == [0, 0, 0, 4, 0x11, 1, 2, 3])
        _ = try channel.finish()
    }

    @Test func encoderRefusesOversizedFrames() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder(maximumFrameSize: 8)))
        #expect(throws: P2PError.self) {
            try channel.writeOutbound(P2PFrame(type: 1, payload: ByteBuffer(bytes: [UInt8](repeating: 0, count: 8))))
        }
        _ = try? channel.finish()
    }

    @Test func randomFramesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        let frames = Self.randomFrames(&rng, count: 200)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(try Self.encode(frames))
        #expect(try Self.readAll(channel) == frames)
        _ = try channel.finish()
    }

    @Test func framesSplitAtEveryByteReassemble() throws {
        var rng = SplitMix64(seed: 7)
        let frames = Self.randomFrames(&rng, count: 8)
        let bytes = try Self.encode(frames)
        for split in 0...bytes.readableBytes {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
            try channel.writeInbound(bytes.getSlice(at: 0, length: split)!)
            try channel.writeInbound(bytes.getSlice(at: split, length: bytes.readableBytes - split)!)
            #expect(try Self.readAll(channel) == frames, "split at \(split)")
            _ = try channel.finish()
        }
        // And one byte at a time.
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        for index in 0..<bytes.readableBytes { try channel.writeInbound(bytes.getSlice(at: index, length: 1)!) }
        #expect(try Self.readAll(channel) == frames)
        _ = try channel.finish()
        print("p2p frames: \(frames.count) frames, split at all \(bytes.readableBytes + 1) byte boundaries, reassembled")
    }

    @Test(arguments: [UInt32(1025), UInt32.max])
    func oversizedLengthIsRejectedFromTheHeaderAlone(length: UInt32) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maximumFrameSize: 1024)))
        var header = ByteBuffer()
        header.writeInteger(length)
        // Only the 4-byte header: rejected before any payload arrives, nothing reserved for it.
        #expect(throws: P2PError.frameTooLarge(length: Int(length), maximum: 1024)) {
            try channel.writeInbound(header)
        }
        _ = try? channel.finish()
    }

    @Test func zeroLengthIsRejected() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        #expect(throws: P2PError.zeroLengthFrame) {
            try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 0, 0x11]))
        }
        _ = try? channel.finish()
    }

    @Test func garbageIsRejected() throws {
        // An HTTP request read as a frame header claims ~1.2 GB.
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        #expect(throws: P2PError.self) {
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        }
        _ = try? channel.finish()
    }

    @Test func partialFrameWaitsForMoreData() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 3, 0x12, 9]))
        #expect(try channel.readInbound(as: P2PFrame.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: [8]))
        #expect(try channel.readInbound(as: P2PFrame.self) == P2PFrame(type: 0x12, payload: ByteBuffer(bytes: [9, 8])))
        _ = try channel.finish()
    }
}
