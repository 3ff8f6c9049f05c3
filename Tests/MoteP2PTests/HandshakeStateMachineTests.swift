import MoteCrypto
@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import Testing

@Suite("Handshake state machine")
struct HandshakeStateMachineTests {
    static func hello(_ key: Secp256k1.PrivateKey, chainID: UInt64 = 1, genesis: Hash32 = TestNetwork.genesis, version: UInt32 = 1, nonce: UInt8) -> Hello {
        Hello(protocolVersion: version, chainID: chainID, genesisHash: genesis, nodeID: key.address, listenPort: 30303,
              nonce: Hash32(bytes: [UInt8](repeating: nonce, count: 32))!)
    }

    static func sentMessage(_ action: HandshakeStateMachine.Action) -> P2PMessage? {
        switch action {
        case .send(let message), .sendAuth(let message): return message
        default: return nil
        }
    }

    @Test func bothSidesEstablish() throws {
        let keyA = TestNetwork.key(1), keyB = TestNetwork.key(2)
        var a = HandshakeStateMachine(local: Self.hello(keyA, nonce: 1), key: keyA)
        var b = HandshakeStateMachine(local: Self.hello(keyB, nonce: 2), key: keyB)
        let helloA = try #require(Self.sentMessage(a.start()))
        let helloB = try #require(Self.sentMessage(b.start()))
        let authA = try #require(Self.sentMessage(a.receive(helloB)))
        let authB = try #require(Self.sentMessage(b.receive(helloA)))
        #expect(a.receive(authB) == .established(peer: b.local))
        #expect(b.receive(authA) == .established(peer: a.local))
    }

    @Test(arguments: [
        (UInt64(2), TestNetwork.genesis, UInt32(1), DisconnectReason.wrongChain),
        (UInt64(1), Hash32.zero, UInt32(1), DisconnectReason.wrongGenesis),
        (UInt64(1), TestNetwork.genesis, UInt32(2), DisconnectReason.incompatibleVersion),
    ])
    func mismatchesAreRefused(chainID: UInt64, genesis: Hash32, version: UInt32, reason: DisconnectReason) {
        let keyA = TestNetwork.key(1), keyB = TestNetwork.key(2)
        var a = HandshakeStateMachine(local: Self.hello(keyA, nonce: 1), key: keyA)
        _ = a.start()
        #expect(a.receive(.hello(Self.hello(keyB, chainID: chainID, genesis: genesis, version: version, nonce: 2))) == .reject(reason))
    }

    @Test func selfConnectionIsRefused() {
        let key = TestNetwork.key(1)
        var a = HandshakeStateMachine(local: Self.hello(key, nonce: 1), key: key)
        _ = a.start()
        #expect(a.receive(.hello(Self.hello(key, nonce: 9))) == .reject(.selfConnection))
    }

    @Test func signatureByAnotherKeyIsRefused() throws {
        let keyA = TestNetwork.key(1), keyB = TestNetwork.key(2), keyM = TestNetwork.key(3)
        var a = HandshakeStateMachine(local: Self.hello(keyA, nonce: 1), key: keyA)
        _ = a.start()
        let claimed = Self.hello(keyB, nonce: 2)  // claims B's id, signs with M's key
        _ = a.receive(.hello(claimed))
        let forged = keyM.sign(hash: claimed.authHash(peerNonce: a.local.nonce))
        #expect(a.receive(.auth(forged)) == .reject(.badHandshake))
    }

    @Test func replayedSignatureForAnotherNonceIsRefused() {
        let keyA = TestNetwork.key(1), keyB = TestNetwork.key(2)
        var a = HandshakeStateMachine(local: Self.hello(keyA, nonce: 1), key: keyA)
        _ = a.start()
        let helloB = Self.hello(keyB, nonce: 2)
        _ = a.receive(.hello(helloB))
        let recorded = keyB.sign(hash: helloB.authHash(peerNonce: Hash32(bytes: [UInt8](repeating: 7, count: 32))!))
        #expect(a.receive(.auth(recorded)) == .reject(.badHandshake))
    }

    @Test func otherMessagesBeforeHandshakeAreProtocolErrors() {
        let key = TestNetwork.key(1)
        var a = HandshakeStateMachine(local: Self.hello(key, nonce: 1), key: key)
        _ = a.start()
        #expect(a.receive(.ping(1)) == .reject(.protocolError))
        var b = HandshakeStateMachine(local: Self.hello(key, nonce: 1), key: key)
        _ = b.start()
        #expect(b.receive(.disconnect(.tooManyPeers)) == .peerDisconnected(.tooManyPeers))
        #expect(b.timedOut() == nil)
        var c = HandshakeStateMachine(local: Self.hello(key, nonce: 1), key: key)
        _ = c.start()
        #expect(c.timedOut() == .reject(.handshakeTimeout))
    }
}
