import MoteCrypto
import MotePrimitives
import NIOCore

extension P2PNode {
    /// Adds the frame codec and a peer handler to a new channel (on the loop).
    func installPipeline(on channel: any Channel, direction: ConnectionDirection, endpoint: PeerEndpoint?) throws {
        loop.preconditionInEventLoop()
        nextConnectionID += 1
        let handler = PeerChannelHandler(node: self, connectionID: nextConnectionID, direction: direction, endpoint: endpoint)
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(FrameDecoder(maximumFrameSize: config.maxFrameSize)),
            MessageToByteHandler(FrameEncoder(maximumFrameSize: config.maxFrameSize)),
            handler,
        ])
    }

    /// A fresh hello for one connection (new nonce each time).
    func makeHello() -> Hello {
        var system = SystemRandomNumberGenerator()
        let nonce = Hash32(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &system) })!
        return Hello(
            protocolVersion: config.protocolVersion, chainID: config.chainID, genesisHash: config.genesisHash,
            nodeID: nodeID, listenPort: UInt16(clamping: boundPort ?? 0), nonce: nonce)
    }

    /// A connection became active; false means "close it now" (stopping, banned host, too many
    /// handshakes in progress).
    func connectionOpened(_ handler: PeerChannelHandler) -> Bool {
        guard lifecycle == .running else { return false }
        if config.banHosts, let host = handler.remoteHost, bans.isBanned(.host(host), now: .now()) {
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .banned))
            return false
        }
        guard connections.count - peers.count < config.maxPendingConnections else {
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .tooManyPeers))
            return false
        }
        connections[handler.connectionID] = handler
        return true
    }

    /// The handshake state machine accepted the peer; the node decides whether to keep it.
    func handshakeCompleted(_ handler: PeerChannelHandler, peer hello: Hello) {
        let id = hello.nodeID
        if let endpoint = handler.endpoint, dialTargets[endpoint] != nil {
            dialTargets[endpoint]!.learnedID = id
            dialTargets[endpoint]!.attempts = 0
        }
        if bans.isBanned(.node(id), now: .now()) {
            refuse(handler, .banned)
            return
        }
        if let existing = peers[id] {
            // Both sides keep the connection dialed by the lower node id.
            let keepOutbound = nodeID < id
            if (handler.direction == .outbound) == keepOutbound, (existing.direction == .outbound) != keepOutbound {
                existing.replaced = true
                existing.disconnect(.duplicateConnection)
                handler.markEstablished(hello)
                peers[id] = handler
            } else {
                handler.disconnect(.duplicateConnection)
            }
            return
        }
        guard peers.count < config.maxPeers else {
            refuse(handler, .tooManyPeers)
            return
        }
        handler.markEstablished(hello)
        peers[id] = handler
        if let info = handler.info { emit(.peerConnected(info)) }
    }

    private func refuse(_ handler: PeerChannelHandler, _ reason: DisconnectReason) {
        emit(.handshakeFailed(remoteAddress: handler.remoteAddress, reason))
        handler.disconnect(reason)
    }

    /// The handshake failed: mismatch, self-connection, bad signature, timeout, or the peer
    /// said goodbye.
    func handshakeFailed(_ handler: PeerChannelHandler, reason: DisconnectReason, sentByPeer: Bool) {
        if reason == .selfConnection, let endpoint = handler.endpoint {
            dialTargets[endpoint]?.permanentFailure = reason
        }
        if sentByPeer {
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, reason))
            handler.closeReason = reason
            handler.close()
        } else if reason == .badHandshake || reason == .protocolError {
            protocolViolation(handler, P2PError(.handshakeRefused(reason)))
        } else {
            refuse(handler, reason)
        }
    }

    /// A channel closed: drop it from the tables, tell the application, maybe redial.
    func connectionClosed(_ handler: PeerChannelHandler) {
        guard connections.removeValue(forKey: handler.connectionID) != nil || handler.endpoint != nil else { return }
        if let id = handler.peerID, peers[id] === handler {
            peers[id] = nil
            let reason = handler.closeReason ?? .connectionClosed
            failRequests(to: id, reason: reason)
            emit(.peerDisconnected(id, reason))
            for (endpoint, target) in dialTargets where target.learnedID == id { scheduleDial(endpoint) }
        }
        if let endpoint = handler.endpoint, dialTargets[endpoint] != nil {
            dialTargets[endpoint]!.dialing = false
            scheduleDial(endpoint)
        }
    }

    /// The peer broke the wire protocol: disconnect and ban.
    func protocolViolation(_ handler: PeerChannelHandler, _ error: any Error) {
        stats.protocolViolations += 1
        if handler.peerID == nil {
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .protocolError))
        }
        punish(handler, penalty: config.banThreshold, reason: .protocolError)
    }

    /// Adds `penalty` to the peer's score; at the threshold, bans and disconnects it. A peer
    /// that has not finished its handshake has no trusted id, so only its host can be banned.
    func punish(_ handler: PeerChannelHandler, penalty: Int, reason: DisconnectReason) {
        guard let id = handler.peerID else {
            if config.banHosts, let host = handler.remoteHost { ban(nil, host: host) }
            handler.disconnect(reason)
            return
        }
        penalties[id, default: 0] += penalty
        if penalties[id]! >= config.banThreshold {
            penalties[id] = nil
            ban(id, host: config.banHosts ? handler.remoteHost : nil)
            handler.disconnect(reason)
        }
    }

    /// Bans a node id and/or host for `banDuration`, and drops any connection to the node id.
    func ban(_ id: Address?, host: String?) {
        let until = NIODeadline.now() + config.banDuration
        if let id { bans.ban(.node(id), until: until) }
        if let host { bans.ban(.host(host), until: until) }
        emit(.peerBanned(id, host: host))
        if let id, let handler = peers[id] { handler.disconnect(.banned) }
    }

    /// An established peer sent `message`.
    func received(_ message: P2PMessage, from handler: PeerChannelHandler) {
        guard let id = handler.peerID, peers[id] === handler else { return }
        switch message {
        case .hello, .auth:
            protocolViolation(handler, P2PError(.unexpectedMessage(type: message.type)))
        case .ping(let nonce):
            handler.send(P2PMessage.pong(nonce).frame())
        case .pong:
            break
        case .disconnect(let reason):
            handler.closeReason = reason
            handler.close()
        case .transactions, .proposal, .vote, .block:
            receivedGossip(message, from: id)
        case .getBlocks(let requestID, let from, let count):
            serveBlocks(requestID: requestID, from: from, count: count, to: id)
        case .blocks(let requestID, let blocks):
            receivedBlocks(requestID: requestID, blocks: blocks, from: handler)
        }
    }
}

// MARK: - Public peer management

extension P2PNode {
    /// The established peers.
    public func connectedPeers() async -> [PeerInfo] {
        (try? await onLoop { self.peers.values.compactMap(\.info) }) ?? []
    }

    /// Counters since start.
    public func statistics() async -> P2PStats {
        (try? await onLoop { self.stats }) ?? P2PStats()
    }

    /// The application found the peer's data invalid: adds `penalty` (default: enough to ban)
    /// and bans and disconnects it once `banThreshold` is reached.
    public func reportMisbehaviour(_ peer: Address, penalty: Int? = nil) async {
        _ = try? await onLoop {
            let penalty = penalty ?? self.config.banThreshold
            if let handler = self.peers[peer] {
                self.punish(handler, penalty: penalty, reason: .misbehaviour)
            } else {
                self.penalties[peer, default: 0] += penalty
                if self.penalties[peer]! >= self.config.banThreshold {
                    self.penalties[peer] = nil
                    self.ban(peer, host: nil)
                }
            }
        }
    }

    /// True while `peer` is banned.
    public func isBanned(_ peer: Address) async -> Bool {
        (try? await onLoop { self.bans.isBanned(.node(peer), now: .now()) }) ?? false
    }

    /// Lifts a ban on `peer`.
    public func unban(_ peer: Address) async {
        _ = try? await onLoop { self.bans.unban(.node(peer)) }
    }

    /// Disconnects `peer` (it may reconnect; static peers are redialed).
    public func disconnect(_ peer: Address, reason: DisconnectReason = .requested) async {
        _ = try? await onLoop { self.peers[peer]?.disconnect(reason) }
    }

    /// Sends one message to one peer; false if the peer is not connected or its queue is full.
    @discardableResult
    public func send(_ message: P2PMessage, to peer: Address) async -> Bool {
        (try? await onLoop { self.peers[peer]?.send(message.frame()) ?? false }) ?? false
    }
}
