import MoteCrypto
import MotePrimitives

/// The handshake of one connection, as a state machine with no I/O: events in, actions out.
///
/// Protocol (symmetric; both sides run it at once):
/// 1. On connect, each side sends `hello` (version, chain id, genesis, node id, listen port,
///    and a fresh 32-byte nonce).
/// 2. On the peer's `hello`, each side checks version, chain id and genesis (mismatch →
///    `disconnect(reason)`), refuses its own node id (`selfConnection`), then sends `auth`: its
///    node key's signature over `keccak256("mote-p2p/hello-auth/v1" ‖ rlp(own hello) ‖ peer's nonce)`.
/// 3. On the peer's `auth`, each side recovers the signer; it must equal the peer's claimed
///    node id (else `badHandshake`). The connection is then established.
///
/// Because each signature covers the other side's fresh nonce, a recorded handshake cannot be
/// replayed to claim someone else's node id. (The channel itself is not encrypted.)
/// Duplicate connections, bans and peer limits are the node's business, decided after this.
package struct HandshakeStateMachine {
    package enum State: Equatable {
        case idle
        case awaitingHello
        case awaitingAuth(peer: Hello)
        case established(peer: Hello)
        case failed(DisconnectReason)
    }

    /// What the caller must do after an event.
    package enum Action: Equatable {
        /// Send this message.
        case send(P2PMessage)
        /// Send `auth`, then the handshake waits for the peer's `auth`.
        case sendAuth(P2PMessage)
        /// The handshake succeeded with this peer.
        case established(peer: Hello)
        /// Refuse: send `disconnect(reason)` and close.
        case reject(DisconnectReason)
        /// The peer sent `disconnect`; close.
        case peerDisconnected(DisconnectReason)
    }

    package private(set) var state: State = .idle
    package let local: Hello
    private let key: Secp256k1.PrivateKey

    /// A handshake that will present `local` and sign with `key` (whose address must be `local.nodeID`).
    package init(local: Hello, key: Secp256k1.PrivateKey) {
        precondition(key.address == local.nodeID, "hello node id must be the key's address")
        self.local = local
        self.key = key
    }

    /// The connection is up: send our hello.
    package mutating func start() -> Action {
        precondition(state == .idle)
        state = .awaitingHello
        return .send(.hello(local))
    }

    /// A message from the peer arrived before the handshake finished.
    package mutating func receive(_ message: P2PMessage) -> Action {
        switch (state, message) {
        case (_, .disconnect(let reason)):
            state = .failed(reason)
            return .peerDisconnected(reason)
        case (.awaitingHello, .hello(let peer)):
            if let reason = Self.incompatibility(local: local, peer: peer) { return fail(reason) }
            state = .awaitingAuth(peer: peer)
            let signature = key.sign(hash: local.authHash(peerNonce: peer.nonce))
            return .sendAuth(.auth(signature))
        case (.awaitingAuth(let peer), .auth(let signature)):
            let hash = peer.authHash(peerNonce: local.nonce)
            guard let signer = try? Secp256k1.recover(hash: hash, signature: signature), signer.address == peer.nodeID else {
                return fail(.badHandshake)
            }
            state = .established(peer: peer)
            return .established(peer: peer)
        default:
            return fail(.protocolError)
        }
    }

    /// The handshake timer fired.
    package mutating func timedOut() -> Action? {
        switch state {
        case .awaitingHello, .awaitingAuth: return fail(.handshakeTimeout)
        default: return nil
        }
    }

    private mutating func fail(_ reason: DisconnectReason) -> Action {
        state = .failed(reason)
        return .reject(reason)
    }

    /// Why two hellos cannot talk, or nil if they can.
    package static func incompatibility(local: Hello, peer: Hello) -> DisconnectReason? {
        if peer.protocolVersion != local.protocolVersion { return .incompatibleVersion }
        if peer.chainID != local.chainID { return .wrongChain }
        if peer.genesisHash != local.genesisHash { return .wrongGenesis }
        if peer.nodeID == local.nodeID { return .selfConnection }
        return nil
    }
}
