import Foundation
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteStorage

/// What a node keeps on disk, opened by its caller: the chain store, and for a delegate the
/// vote WAL and the bodies of the blocks it signed for (`PendingBlockStore`), and the evidence
/// log. A test passes in-memory ones, or a temporary data directory's.
public struct NodeStorage {
    /// The blocks, state and indexes.
    public var chain: any ChainStore
    /// Every vote and proposal this node signed, fsynced before it is sent (a delegate's).
    public var wal: VoteWAL?
    /// Bodies of blocks this node signed for, and the last decision before its commit.
    public var pendingBlocks: any PendingBlockStore
    /// Double-signing evidence this node saw.
    public var evidence: EvidenceLog

    /// Stores from their parts.
    public init(chain: any ChainStore, wal: VoteWAL?, pendingBlocks: any PendingBlockStore, evidence: EvidenceLog) {
        self.chain = chain
        self.wal = wal
        self.pendingBlocks = pendingBlocks
        self.evidence = evidence
    }

    /// The stores in data directory `datadir` beside `chain`: `consensus.wal` and
    /// `consensus-blocks` for a delegate (a follower signs nothing and keeps them in memory),
    /// and `evidence.log`.
    public init(chain: any ChainStore, datadir: String, delegate: Bool) throws {
        self.chain = chain
        if delegate {
            wal = try VoteWAL(path: datadir + "/consensus.wal")
            pendingBlocks = try FilePendingBlockStore(path: datadir + "/consensus-blocks")
        } else {
            wal = nil
            pendingBlocks = InMemoryPendingBlockStore()
        }
        evidence = EvidenceLog(path: datadir + "/evidence.log")
    }
}
