import MoteCrypto
import MotePrimitives
import NIOCore

extension P2PNode {
    /// Sets the socket options and adds the read-activity tracker, the frame codec and a peer
    /// handler to a new channel (on the loop).
    func installPipeline(on channel: any Channel, direction: ConnectionDirection, endpoint: PeerEndpoint?) throws {
        loop.preconditionInEventLoop()
        applySocketOptions(channel)
        nextConnectionID += 1
        let activity = ReadActivity()
        let handler = PeerChannelHandler(
            node: self, connectionID: nextConnectionID, direction: direction, endpoint: endpoint, activity: activity)
        try channel.pipeline.syncOperations.addHandlers([
            ReadActivityHandler(activity),
            ByteToMessageHandler(FrameDecoder(maximumFrameSize: config.maxFrameSize)),
            MessageToByteHandler(FrameEncoder(maximumFrameSize: config.maxFrameSize)),
            handler,
        ])
    }

    /// `TCP_USER_TIMEOUT` and keepalive (Linux): the kernel gives up on a connection whose data
    /// goes unacknowledged, or whose idle path stops answering probes, instead of retransmitting
    /// with growing back-off for many minutes. Best effort: a refused option is ignored.
    private func applySocketOptions(_ channel: any Channel) {
        #if os(Linux)
        guard let options = channel.syncOptions else { return }
        func seconds(_ amount: TimeAmount) -> Int { Int(clamping: max(1, min(amount.nanoseconds / 1_000_000_000, 32_767))) }
        if let timeout = config.tcpUserTimeout {
            let milliseconds = Int(clamping: max(1, min(timeout.nanoseconds / 1_000_000, Int64(Int32.max))))
            try? options.setOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 18)), value: milliseconds)  // TCP_USER_TIMEOUT
        }
        if let idle = config.tcpKeepaliveIdle {
            try? options.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            try? options.setOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 4)), value: seconds(idle))  // TCP_KEEPIDLE
            try? options.setOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 5)), value: 1)  // TCP_KEEPINTVL
            try? options.setOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 6)), value: 3)  // TCP_KEEPCNT
        }
        #endif
    }

    /// A fresh hello for one connection (new nonce each time).
    func makeHello() -> Hello {
        var system = SystemRandomNumberGenerator()
        let nonce = Hash32(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &system) })!
        return Hello(
            protocolVersion: config.protocolVersion, chainID: config.chainID, genesisHash: config.genesisHash,
            nodeID: nodeID, listenPort: UInt16(clamping: boundPort ?? 0), nonce: nonce)
    }

    /// A connection became active; false means "close it now" (stopping, banned host, no room
    /// for another inbound handshake).
    func connectionOpened(_ handler: PeerChannelHandler) -> Bool {
        guard lifecycle == .running else { return false }
        if config.banHosts, let host = handler.remoteHost, bans.isBanned(.host(host), now: .now()) {
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .banned))
            return false
        }
        if handler.direction == .inbound, !admitInbound(handler) {
            stats.pendingRefused += 1
            emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .tooManyPeers))
            return false
        }
        connections[handler.connectionID] = handler
        return true
    }

    /// Finds room for a new inbound connection in the handshake slots: at most
    /// `maxPendingPerHost` per IP and `maxPendingConnections` in all. When a limit is reached,
    /// the oldest connection that has been in its handshake for `pendingEvictionAge` makes
    /// room: from the same host when that host is at its cap, else from the host holding the
    /// most slots, provided it holds more than the newcomer's host. A real peer finishes its
    /// handshake in a round trip, so only silent or stuck connections are ever evicted, and a
    /// host with few connections always gets in past hosts with many. Our own dials are not
    /// counted.
    private func admitInbound(_ handler: PeerChannelHandler) -> Bool {
        let pending = connections.values.filter { $0.direction == .inbound && $0.peerID == nil && !$0.isClosing }
        let host = handler.remoteHost ?? handler.remoteAddress
        let now = NIODeadline.now()
        let stale = pending.filter { now - $0.openedAt >= config.pendingEvictionAge }
        let fromHost = pending.filter { ($0.remoteHost ?? $0.remoteAddress) == host }
        if fromHost.count >= max(1, config.maxPendingPerHost) {
            guard let victim = stale.filter({ ($0.remoteHost ?? $0.remoteAddress) == host }).min(by: { $0.openedAt < $1.openedAt })
            else { return false }
            evictPending(victim)
            return true
        }
        if pending.count >= max(1, config.maxPendingConnections) {
            // Full: the newcomer may replace a stale connection of a host that holds more slots
            // than its own host (the one holding the most, its oldest first), so a host that
            // floods can only push out its own or other flooders' connections, never a host
            // with fewer.
            var byHost: [String: Int] = [:]
            for connection in pending { byHost[connection.remoteHost ?? connection.remoteAddress, default: 0] += 1 }
            let mine = fromHost.count
            let candidates = stale.filter { (byHost[$0.remoteHost ?? $0.remoteAddress] ?? 0) > mine }.sorted {
                let left = byHost[$0.remoteHost ?? $0.remoteAddress] ?? 0
                let right = byHost[$1.remoteHost ?? $1.remoteAddress] ?? 0
                return left != right ? left > right : $0.openedAt < $1.openedAt
            }
            guard let victim = candidates.first else { return false }
            evictPending(victim)
        }
        return true
    }

    private func evictPending(_ handler: PeerChannelHandler) {
        stats.pendingEvicted += 1
        emit(.handshakeFailed(remoteAddress: handler.remoteAddress, .tooManyPeers))
        handler.disconnect(.tooManyPeers)
    }

    /// True for peers this node keeps whatever else wants the room: `preferredPeers` and the
    /// node ids learned at static peers and bootnodes.
    func isPreferred(_ id: Address) -> Bool {
        preferred.contains(id) || dialTargets.values.contains { $0.learnedID == id }
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
        if peers.count >= config.maxPeers {
            // A preferred peer (a validator, a static peer) takes the place of another peer,
            // an inbound one first, the newest first.
            let victim = isPreferred(id) || handler.endpoint != nil
                ? peers.values.filter { !$0.isClosing && !isPreferred($0.peerID!) && $0.endpoint == nil }
                    .max { ($0.direction == .inbound ? 1 : 0, $0.connectionID) < ($1.direction == .inbound ? 1 : 0, $1.connectionID) }
                : nil
            guard let victim else {
                refuse(handler, .tooManyPeers)
                return
            }
            log("peer \(victim.peerID!) dropped to make room for preferred peer \(id)")
            victim.disconnect(.tooManyPeers)
        }
        handler.markEstablished(hello)
        peers[id] = handler
        if let endpoint = handler.endpoint { dialTargets[endpoint]?.reportedDown = false }
        log("peer \(id) connected (\(handler.direction == .inbound ? "inbound from" : "outbound to") \(handler.remoteAddress), \(peers.count) peers)")
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
            log("peer \(id) disconnected: \(reason)\(handler.closeDetail.map { " (\($0))" } ?? ""), \(peers.count) peers")
            emit(.peerDisconnected(id, reason))
            for (endpoint, target) in dialTargets where target.learnedID == id { scheduleDial(endpoint) }
        }
        if let endpoint = handler.endpoint, dialTargets[endpoint] != nil {
            dialTargets[endpoint]!.dialing = false
            scheduleDial(endpoint)
        }
    }

    /// Nothing arrived from an established peer for `pingTimeout`: the path is gone. Close
    /// without a goodbye (it could not arrive); the close redials static peers.
    func pingTimedOut(_ handler: PeerChannelHandler, silence: TimeAmount) {
        stats.pingTimeouts += 1
        handler.closeReason = .timeout
        handler.closeDetail = "nothing received for \(silence.nanoseconds / 1_000_000) ms"
        handler.close()
    }

    /// Passes a line to `P2PConfig.log`.
    func log(_ line: @autoclosure () -> String) {
        config.log?("p2p: " + line())
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
