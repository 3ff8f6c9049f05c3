import MotePrimitives
import NIOCore

/// A `getBlocks` this node sent and awaits.
struct PendingRequest {
    let peer: Address
    let count: UInt32
    let from: UInt64
    let promise: EventLoopPromise<[[UInt8]]>
    let timeout: Scheduled<Void>
    let sent: NIODeadline
}

extension P2PNode {
    /// Asks `peer` for up to `count` blocks from height `from` (capped at
    /// `maxBlocksPerResponse`) and returns what it sends, in order. Fewer blocks than asked means
    /// the peer has no more. Throws at once if the peer is not connected or has been silent for
    /// two ping intervals (`peerUnresponsive`: ask another peer), and later if it disconnects
    /// (a dead peer is dropped at `pingTimeout`) or does not answer within `requestTimeout`;
    /// so catch-up never waits on a dead connection.
    public func requestBlocks(from: UInt64, count: UInt32, peer: Address) async throws -> [[UInt8]] {
        let future = try await onLoop { () throws -> EventLoopFuture<[[UInt8]]> in
            guard self.lifecycle == .running else { throw P2PError.notRunning }
            guard let handler = self.peers[peer], !handler.isClosing else { throw P2PError.peerNotConnected }
            let interval = self.config.effectivePingInterval.nanoseconds
            let (twice, overflow) = interval.multipliedReportingOverflow(by: 2)
            guard overflow || handler.silence.nanoseconds < twice else {
                self.log("sync: not asking \(peer) for blocks from \(from): silent for \(handler.silence.nanoseconds / 1_000_000) ms")
                throw P2PError.peerUnresponsive
            }
            self.nextRequestID += 1
            let requestID = self.nextRequestID
            let count = min(count, self.config.maxBlocksPerResponse)
            let promise = self.loop.makePromise(of: [[UInt8]].self)
            let timeout = self.loop.scheduleTask(in: self.config.requestTimeout) {
                if let request = self.pendingRequests.removeValue(forKey: requestID) {
                    self.log("sync: request \(requestID) to \(request.peer) (blocks from \(request.from)) timed out")
                    request.promise.fail(P2PError.requestTimedOut)
                }
            }
            self.pendingRequests[requestID] = PendingRequest(
                peer: peer, count: count, from: from, promise: promise, timeout: timeout, sent: .now())
            if handler.send(P2PMessage.getBlocks(requestID: requestID, from: from, count: count).frame()) {
                self.log("sync: request \(requestID) asks \(peer) for up to \(count) blocks from \(from)")
            } else {
                timeout.cancel()
                self.pendingRequests[requestID] = nil
                promise.fail(P2PError.peerNotConnected)
            }
            return promise.futureResult
        }
        return try await future.get()
    }

    /// A peer asked for blocks: ask the provider off the loop, answer on it.
    func serveBlocks(requestID: UInt64, from: UInt64, count: UInt32, to peer: Address) {
        let count = min(count, config.maxBlocksPerResponse)
        guard let provider = blockProvider, count > 0 else {
            peers[peer]?.send(P2PMessage.blocks(requestID: requestID, []).frame())
            return
        }
        Task {
            let blocks = await provider(from, count)
            self.execute { self.answerBlocks(requestID: requestID, blocks: Array(blocks.prefix(Int(count))), to: peer) }
        }
    }

    private func answerBlocks(requestID: UInt64, blocks: [[UInt8]], to peer: Address) {
        // Keep the answer inside one frame: drop trailing blocks that would not fit.
        var budget = config.maxFrameSize - 64
        var fitting: [[UInt8]] = []
        for block in blocks {
            budget -= block.count + 9
            guard budget >= 0 else { break }
            fitting.append(block)
        }
        peers[peer]?.send(P2PMessage.blocks(requestID: requestID, fitting).frame())
    }

    /// A `blocks` answer: complete the matching request. Answers to unknown (or timed out)
    /// requests are ignored; more blocks than asked is a protocol violation.
    func receivedBlocks(requestID: UInt64, blocks: [[UInt8]], from handler: PeerChannelHandler) {
        guard let request = pendingRequests[requestID], request.peer == handler.peerID else { return }
        pendingRequests[requestID] = nil
        request.timeout.cancel()
        guard blocks.count <= Int(request.count) else {
            request.promise.fail(P2PError(.unexpectedMessage(type: P2PMessage.MessageType.blocks)))
            protocolViolation(handler, P2PError.malformed(P2PMessage.MessageType.blocks, "more blocks than requested"))
            return
        }
        log("sync: request \(requestID) answered by \(request.peer) with \(blocks.count) blocks in \((NIODeadline.now() - request.sent).nanoseconds / 1_000_000) ms")
        request.promise.succeed(blocks)
    }

    /// Fails the requests waiting on a peer that left.
    func failRequests(to peer: Address, reason: DisconnectReason) {
        for (id, request) in pendingRequests where request.peer == peer {
            log("sync: request \(id) to \(peer) failed: peer disconnected (\(reason))")
            pendingRequests[id] = nil
            request.timeout.cancel()
            request.promise.fail(P2PError(.disconnected(reason)))
        }
    }
}
