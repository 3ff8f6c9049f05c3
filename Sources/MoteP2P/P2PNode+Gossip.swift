import MoteCrypto
import MotePrimitives
import NIOCore

extension P2PNode {
    /// Sends `message` to every established peer and returns how many it was queued for.
    /// Gossip messages are remembered so that echoes from peers are not delivered again, and
    /// are not sent to the peers that sent this very payload to this node (the application
    /// relaying what it received and verified does not echo it back to its senders).
    @discardableResult
    public func broadcast(_ message: P2PMessage) async -> Int {
        await broadcast(message, except: [])
    }

    /// `broadcast(_:)` that also skips the peers in `except` (for example the peer a message
    /// came from, when the application relays it re-encoded).
    @discardableResult
    public func broadcast(_ message: P2PMessage, except: Set<Address>) async -> Int {
        (try? await onLoop {
            let frame = message.frame()
            var skip = except
            if message.isGossip {
                let digest = Self.gossipDigest(frame)
                self.seen.insert(digest)
                skip.formUnion(self.seen.senders(of: digest))
            }
            return self.sendToAll(frame, except: skip, gossip: message.isGossip)
        }) ?? 0
    }

    /// Forgets that `message` was seen, so that the next copy a peer sends (e.g. the consensus
    /// rebroadcast of a proposal that arrived too early and had to be dropped) is delivered
    /// again instead of being discarded as a duplicate.
    public func forgetSeen(_ message: P2PMessage) async {
        _ = try? await onLoop { self.seen.remove(Self.gossipDigest(message.frame())) }
    }

    /// The de-duplication key of a gossip frame: `keccak256(type ‖ payload)`.
    package static func gossipDigest(_ frame: P2PFrame) -> Hash32 {
        var hasher = Keccak256.Hasher()
        hasher.update([frame.type])
        frame.payload.withUnsafeReadableBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// New gossip is delivered once to the application; repeats are dropped. Only the types in
    /// `P2PConfig.autoRelayTypes` are relayed here (to every peer that has not sent it);
    /// everything else is relayed by the application once it has checked it (`broadcast`).
    func receivedGossip(_ message: P2PMessage, from peer: Address) {
        let frame = message.frame()
        let digest = Self.gossipDigest(frame)
        guard seen.insert(digest, from: peer) else {
            stats.gossipDuplicates += 1
            return
        }
        stats.gossipAccepted += 1
        emit(.gossip(message, from: peer))
        if config.autoRelayTypes.contains(frame.type) {
            sendToAll(frame, except: Set(seen.senders(of: digest)), gossip: true)
        }
    }

    @discardableResult
    func sendToAll(_ frame: P2PFrame, except: Set<Address>, gossip: Bool) -> Int {
        var sent = 0
        for (id, handler) in peers where !except.contains(id) {
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
