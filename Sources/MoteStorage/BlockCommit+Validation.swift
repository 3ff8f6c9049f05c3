import MoteChain
import MotePrimitives

extension BlockCommit {
    /// Checks, before anything is written, that this commit agrees with itself and extends
    /// `current` (the store's head, nil for an empty store). Both stores call it with the head
    /// read in the same critical section or transaction as the write that follows.
    ///
    /// Returns the block hash, computed once.
    func validate(extending current: ChainHead?) throws(StorageError) -> Hash32 {
        let header = block.header
        let hash = header.hash
        guard head.height == header.height else {
            throw StorageError(.mismatch, "commit head height \(head.height) is not the block's height \(header.height)")
        }
        guard head.hash == hash else {
            throw StorageError(.mismatch, "commit head hash \(head.hash) is not the block's hash \(hash)")
        }
        guard head.stateRoot == header.stateRoot else {
            throw StorageError(
                .mismatch, "commit head state root \(head.stateRoot) is not the block's state root \(header.stateRoot)")
        }
        guard receipts.count == block.transactions.count else {
            throw StorageError(
                .mismatch, "\(receipts.count) receipts for \(block.transactions.count) transactions at height \(header.height)")
        }
        if let current {
            guard header.height == current.height &+ 1 else {
                throw StorageError(
                    .notExtendingHead, "block height \(header.height) does not follow the head at height \(current.height)")
            }
            guard header.parentHash == current.hash else {
                throw StorageError(
                    .notExtendingHead,
                    "block \(header.height)'s parent \(header.parentHash) is not the head \(current.hash)")
            }
        } else {
            guard header.height == 0 else {
                throw StorageError(.notExtendingHead, "the store is empty: the first block must be height 0, not \(header.height)")
            }
        }
        return hash
    }
}
