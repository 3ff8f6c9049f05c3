import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore
import Testing

@Suite("P2P messages")
struct P2PMessageTests {
    static func randomMessages(_ rng: inout SplitMix64) -> [P2PMessage] {
        let key = TestNetwork.key(rng.next())
        let hello = Hello(
            protocolVersion: UInt32(truncatingIfNeeded: rng.next()), chainID: rng.next(),
            genesisHash: Hash32(bytes: rng.bytes(32))!, nodeID: key.address,
            listenPort: UInt16(truncatingIfNeeded: rng.next()), nonce: Hash32(bytes: rng.bytes(32))!)
        let blobs = (0..<Int(rng.next() % 5)).map { _ in rng.bytes(Int(rng.next() % 300)) }
        return [
            .hello(hello),
            .auth(key.sign(hash: Hash32(bytes: rng.bytes(32))!)),
            .ping(rng.next()), .pong(rng.next() >> (rng.next() % 64)),
            .transactions(blobs), .transactions([]),
            .proposal(rng.bytes(Int(rng.next() % 1000))), .vote(rng.bytes(97)), .block(rng.bytes(Int(rng.next() % 4000))),
            .getBlocks(requestID: rng.next(), from: rng.next() % 1000, count: UInt32(truncatingIfNeeded: rng.next())),
            .blocks(requestID: rng.next(), blobs),
            .disconnect(DisconnectReason(rawValue: UInt8(truncatingIfNeeded: rng.next()))),
        ]
    }

    @Test func randomMessagesRoundTrip() throws {
        var rng = SplitMix64(seed: 2024)
        var count = 0
        for _ in 0..<50 {
            for message in Self.randomMessages(&rng) {
                #expect(try P2PMessage(frame: message.frame()) == message)
                count += 1
            }
        }
        print("p2p messages: \(count) random messages round-tripped")
    }

    @Test(arguments: [
        (UInt8(0x7f), [UInt8]()),  // unknown type
        (P2PMessage.MessageType.transactions, [0xc1, 0x80, 0x00]),  // trailing byte
        (P2PMessage.MessageType.transactions, [0xc1, 0xc0]),  // nested list instead of bytes
        (P2PMessage.MessageType.auth, [UInt8](repeating: 1, count: 64)),  // short signature
        (P2PMessage.MessageType.auth, [UInt8](repeating: 0, count: 65)),  // r = s = 0
        (P2PMessage.MessageType.ping, [0x82, 0x00, 0x01]),  // leading zero
        (P2PMessage.MessageType.disconnect, [1, 2]),
        (P2PMessage.MessageType.hello, [0xc0]),
        (P2PMessage.MessageType.getBlocks, RLP.encode(.list([.uint(UInt64(1)), .uint(UInt64(2)), .uint(UInt64(UInt32.max) + 1)]))),
        (P2PMessage.MessageType.blocks, RLP.encode(.list([.uint(UInt64(1))]))),
    ])
    func malformedPayloadsAreProtocolViolations(type: UInt8, payload: [UInt8]) {
        do {
            _ = try P2PMessage(type: type, payload: payload)
            Issue.record("accepted malformed type \(type) payload \(payload)")
        } catch {
            #expect(error.isProtocolViolation)
        }
    }

    @Test func helloWithWrongFieldSizesIsRejected() {
        let item = RLPItem.list([.uint(UInt64(1)), .uint(UInt64(1)), .bytes([1, 2]), .bytes([UInt8](repeating: 0, count: 20)), .uint(UInt64(1)), .bytes([UInt8](repeating: 0, count: 32))])
        #expect(throws: P2PError.self) { try P2PMessage(type: P2PMessage.MessageType.hello, payload: RLP.encode(item)) }
    }

    @Test func gossipDigestDependsOnTypeAndPayload() {
        let a = P2PNode.gossipDigest(P2PMessage.vote([1, 2, 3]).frame())
        let b = P2PNode.gossipDigest(P2PMessage.block([1, 2, 3]).frame())
        let c = P2PNode.gossipDigest(P2PMessage.vote([1, 2, 3]).frame())
        #expect(a != b)
        #expect(a == c)
    }
}
