import MoteChain
import MotePrimitives

/// Storage for a node's chain: finalized blocks, receipts, indexes and the world state.
///
/// Small capability protocols, readers apart from the writer (as reth splits its providers):
/// the ledger writes through `ChainWriter`; RPC, sync and the pool only read. Two
/// implementations pass one shared test suite: `InMemoryChainStore` (tests) and
/// `LMDBChainStore` (nodes; schema in `LMDBSchema.swift`).

/// Reads finalized blocks and their receipts.
public protocol BlockReader: Sendable {
    /// The newest committed block, or nil for an empty store.
    func head() throws(StorageError) -> ChainHead?
    /// The hash of the block at `height`, or nil above the head.
    func blockHash(atHeight height: UInt64) throws(StorageError) -> Hash32?
    /// The height of the block named `hash`, or nil for a block not stored.
    func height(ofBlock hash: Hash32) throws(StorageError) -> UInt64?
    /// The header at `height`, or nil above the head.
    func header(atHeight height: UInt64) throws(StorageError) -> BlockHeader?
    /// The block at `height` (transactions with their stored senders), or nil above the head.
    func block(atHeight height: UInt64) throws(StorageError) -> Block?
    /// The receipts of the block at `height`, one per transaction, or nil above the head.
    func receipts(atHeight height: UInt64) throws(StorageError) -> [Receipt]?
    /// The encoded commit certificate of the head block, stored with it ("seen commit"), or
    /// nil when none was stored (genesis, or a block committed without one). No header holds
    /// it yet: the next block's `parentCommit` will.
    func seenCommit() throws(StorageError) -> [UInt8]?
}

/// Reads the indexes: where each transaction is.
public protocol IndexReader: Sendable {
    /// Where the transaction named `hash` was included, or nil if it never was.
    func transactionLocation(_ hash: Hash32) throws(StorageError) -> TransactionLocation?
}

/// Reads the latest world state: flat accounts and storage slots for fast lookups, and trie
/// nodes by hash for roots and proofs.
public protocol StateReader: Sendable {
    /// The account at `address` in the latest state, or nil if it does not exist.
    func account(_ address: Address) throws(StorageError) -> Account?
    /// The accounts at `addresses` (nil where none exists), in the same order, read together
    /// (one snapshot and keys visited in order, where the store can).
    func accounts(_ addresses: [Address]) throws(StorageError) -> [Account?]
    /// The value of storage `slot` of `address` in the latest state, or nil if unset.
    func storageValue(_ address: Address, slot: Hash32) throws(StorageError) -> [UInt8]?
    /// The RLP of the trie node whose Keccak-256 is `hash`, or nil if not stored.
    func trieNode(_ hash: Hash32) throws(StorageError) -> [UInt8]?
    /// Calls `body` with every account of the latest state (to rebuild the state trie at start-up).
    func forEachAccount(_ body: (Address, Account) throws(StorageError) -> Void) throws(StorageError)
    /// Calls `body` with every non-empty storage slot of `address`.
    func forEachStorageSlot(of address: Address, _ body: (Hash32, [UInt8]) throws(StorageError) -> Void) throws(StorageError)
}

extension StateReader {
    /// One `account(_:)` call per address.
    public func accounts(_ addresses: [Address]) throws(StorageError) -> [Account?] {
        var result: [Account?] = []
        result.reserveCapacity(addresses.count)
        for address in addresses { result.append(try account(address)) }
        return result
    }
}

/// Writes one block and everything it changed in a single atomic transaction.
public protocol ChainWriter: Sendable {
    /// Commits `commit` entirely or not at all. The block must extend the current head
    /// (height = head + 1 and parent hash = head hash), or be height 0 on an empty store.
    func commit(_ commit: BlockCommit) throws(StorageError)
}

/// Everything a node stores.
public protocol ChainStore: BlockReader, IndexReader, StateReader, ChainWriter {}

/// The newest committed block and the chain totals at that block.
public struct ChainHead: Hashable, Sendable {
    public var height: UInt64
    public var hash: Hash32
    public var stateRoot: Hash32
    /// Genesis supply + minted − burned, at this block.
    public var totalSupply: UInt256
    /// Everything minted (rewards) since genesis.
    public var minted: UInt256
    /// Everything burned (base fees, fees of burn-type system calls) since genesis.
    public var burned: UInt256

    public init(height: UInt64, hash: Hash32, stateRoot: Hash32, totalSupply: UInt256, minted: UInt256, burned: UInt256) {
        self.height = height
        self.hash = hash
        self.stateRoot = stateRoot
        self.totalSupply = totalSupply
        self.minted = minted
        self.burned = burned
    }
}

/// Where a transaction is: block height and index in the block.
public struct TransactionLocation: Hashable, Sendable {
    public var height: UInt64
    public var index: UInt32

    public init(height: UInt64, index: UInt32) {
        self.height = height
        self.index = index
    }
}

/// One block with its receipts and every state change, written atomically.
public struct BlockCommit: Sendable {
    public var block: Block
    public var receipts: [Receipt]
    /// The head after this block (height and hash must be the block's).
    public var head: ChainHead
    /// New trie nodes (hash → RLP) of the state trie and of storage tries.
    public var trieNodes: [(hash: Hash32, rlp: [UInt8])]
    /// Flat-state account changes; nil deletes the account.
    public var accounts: [(address: Address, account: Account?)]
    /// Flat-state storage changes; nil deletes the slot.
    public var storage: [(address: Address, slot: Hash32, value: [UInt8]?)]
    /// The encoded commit certificate that finalized `block` (empty: none), stored in the same
    /// write so that a restarted node can build the next block and serve this one to peers.
    public var certificate: [UInt8] = []

    public init(
        block: Block, receipts: [Receipt], head: ChainHead, trieNodes: [(hash: Hash32, rlp: [UInt8])],
        accounts: [(address: Address, account: Account?)], storage: [(address: Address, slot: Hash32, value: [UInt8]?)] = []
    ) {
        self.block = block
        self.receipts = receipts
        self.head = head
        self.trieNodes = trieNodes
        self.accounts = accounts
        self.storage = storage
    }
}

/// A storage failure: the database could not be opened, read or written, or holds bytes that
/// do not decode, or a commit does not extend the head.
public struct StorageError: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The database could not be opened, read or written (the description says why).
        case io
        /// Stored bytes do not decode.
        case corrupt
        /// A commit's block is not the child of the head.
        case notExtendingHead
        /// A commit disagrees with itself (its head is not its block's, or receipts do not
        /// match transactions).
        case mismatch
        /// The data directory holds something this build cannot open: not a Mote chain
        /// store, or one of another schema version.
        case incompatible
    }
    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
