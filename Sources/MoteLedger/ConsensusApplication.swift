import MoteChain
import MotePrimitives
import MoteStorage
import MoteTransactions

/// The one seam between consensus and the application (as CometBFT's ABCI): the node asks the
/// application to build a proposal, to judge one, to execute a decided block, to commit it,
/// and answers queries through it. Consensus never touches state any other way.
/// `LedgerApplication` (the ledger and its `BlockValidator`) implements it.
public protocol ConsensusApplication: AnyObject {
    /// The newest committed block.
    var head: ChainHead { get }

    /// PrepareProposal: the next block on the head from `candidates` (in order; any that
    /// cannot apply are left out), produced by `producer`, executed and ready to commit.
    func prepareProposal(
        candidates: [SignedTransaction], producer: Address, timestamp: UInt64, epoch: UInt64, parentCommit: [UInt8], vrfProof: [UInt8]
    ) throws(LedgerError) -> Ledger.BuiltBlock

    /// ProcessProposal: whether a proposed block may be voted for; its execution if so.
    func processProposal(_ block: Block) throws(BlockValidityError) -> BlockCommit

    /// FinalizeBlock: executes a block consensus decided (its certificate already checked).
    func finalizeBlock(_ block: Block) throws(LedgerError) -> BlockCommit

    /// Commit: makes a finalized block and its state durable, in one write.
    func commit(_ commit: BlockCommit) throws(LedgerError)

    /// Query: a read-only call of `to` with `data` at the head.
    func query(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) throws(LedgerError) -> Result<[UInt8], SystemContractRevert>
}

/// The ledger as consensus sees it: blocks built and re-executed by `Ledger`, judged by
/// `BlockValidator`.
public final class LedgerApplication: ConsensusApplication {
    public let ledger: Ledger
    public let validator: BlockValidator

    public init(ledger: Ledger, validator: BlockValidator) {
        self.ledger = ledger
        self.validator = validator
    }

    public var head: ChainHead { ledger.head }

    public func prepareProposal(
        candidates: [SignedTransaction], producer: Address, timestamp: UInt64, epoch: UInt64, parentCommit: [UInt8], vrfProof: [UInt8]
    ) throws(LedgerError) -> Ledger.BuiltBlock {
        try ledger.buildBlock(
            candidates: candidates, producer: producer, timestamp: timestamp, epoch: epoch, parentCommit: parentCommit, vrfProof: vrfProof)
    }

    public func processProposal(_ block: Block) throws(BlockValidityError) -> BlockCommit { try validator.check(block, on: ledger) }

    public func finalizeBlock(_ block: Block) throws(LedgerError) -> BlockCommit { try ledger.execute(block) }

    public func commit(_ commit: BlockCommit) throws(LedgerError) { try ledger.commit(commit) }

    public func query(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        try ledger.call(from: from, to: to, data: data, gasLimit: gasLimit)
    }
}
