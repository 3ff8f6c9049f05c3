import MoteCrypto
import MotePrimitives
import NIOCore

extension P2PNode {
    /// Sends `message` to every established peer and returns how many it was queued for.
    /// Gossip messages are remembered so that echoes from peers are not delivered or relayed.
    @discardableResult
    public func broadcast(_ message: P2PMessage) async -> Int {
        (try? await onLoop {
            let frame = message.frame()
            if message.isGossip { self.seen.insert(Self.gossipDigest(frame)) }
            return self.sendToAll(frame, except: nil, gossip: message.isGossip)
        }) ?? 0
    }

    /// The de-duplication key of a gossip frame: `keccak256(type ‖ payload)`.
    package static func gossipDigest(_ frame: P2PFrame) -> Hash32 {
        var hasher = Keccak256.Hasher()
        hasher.update([frame.type])
        frame.payload.withUnsafeReadableBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// New gossip is delivered once and relayed to all other peers; repeats are dropped.
    func receivedGossip(_ message: P2PMessage, from peer: Address) {
        let frame = message.frame()
        guard seen.insert(Self.gossipDigest(frame)) else {
            stats.gossipDuplicates += 1
            return
        }
        stats.gossipAccepted += 1
        emit(.gossip(message, from: peer))
        sendToAll(frame, except: peer, gossip: true)
    }

    @discardableResult
    func sendToAll(_ frame: P2PFrame, except: Address?, gossip: Bool) -> Int {
        var sent = 0
        for (id, handler) in peers where id != except {
            if handler.send(frame) {
                sent += 1
            } else {
                stats.sendQueueDrops += 1
            }
        }
        if gossip { stats.gossipSent += sent }
        return sent
    }
}
