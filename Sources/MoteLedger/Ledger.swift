import Dispatch
import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTransactions
import MoteTrie

/// The deterministic heart of a trusted node: builds blocks from transactions, checks blocks
/// from others by re-executing them, and commits each one with all its state in one write.
///
/// No clock, no randomness, no network: time (the block timestamp) and the producer come in
/// as arguments, so every machine given the same blocks computes the same state roots.
/// One owner drives a `Ledger` (the consensus loop); readers use the store directly.
public final class Ledger {
    public let store: any ChainStore
    public let genesis: Genesis
    public let executor: BlockExecutor
    /// The newest committed block.
    public private(set) var head: ChainHead
    /// The newest committed header.
    public private(set) var headHeader: BlockHeader
    /// The state trie, in memory (rebuilt from the flat state when the ledger opens), at the
    /// state `stateTriePosition` says. It is the only copy and is updated in place: a block's
    /// account changes move it from the head to the block's post-state, and the head's flat
    /// accounts (still in the store until the block commits) move it back.
    private var stateTrie: SecureTrie
    /// Which state `stateTrie` holds.
    private var stateTriePosition = StateTriePosition.head
    /// Contracts' storage tries at the head, opened so far.
    private var storageTries: [Address: SecureTrie] = [:]
    /// Epoch seeds and producer orders computed so far.
    var epochCache = EpochCache()
    /// Blocks built or checked but not yet committed, by post-state root: their account changes
    /// and storage tries after them.
    private var pendingStates: [Hash32: PendingState] = [:]

    /// The state the in-place state trie holds.
    private enum StateTriePosition: Equatable {
        /// The head's state.
        case head
        /// The post-state of the pending block with this state root.
        case pending(Hash32)
        /// Unknown (an update failed half-way): rebuild it from the flat state before use.
        case unknown
    }

    /// What a block built or checked on top of the head changes, kept until a block commits.
    private struct PendingState {
        /// Account changes in address order (nil deletes).
        var accounts: [(address: Address, account: Account?)]
        /// The contracts' storage tries that changed, after the changes.
        var storage: [Address: SecureTrie] = [:]
    }

    /// Opens the chain in `store`, committing the genesis block first if the store is empty.
    /// A store holding another chain's genesis is refused.
    ///
    /// The state trie is not stored: it is rebuilt here from the flat accounts (about a second
    /// per million accounts) and checked against the head's state root, so a flat state that
    /// does not match the chain is caught before anything runs on it.
    public init(store: any ChainStore, genesis: Genesis, contracts: SystemContracts? = nil) throws(LedgerError) {
        self.store = store
        self.genesis = genesis
        self.executor = BlockExecutor(
            contracts: contracts ?? .standard(genesis), rules: TransactionRules(fork: .cancun, chainID: genesis.chainID))
        self.stateTrie = SecureTrie()
        let expected = try Self.genesisCommit(genesis)
        do {
            if let head = try store.head() {
                guard let stored = try store.blockHash(atHeight: 0), stored == expected.block.hash else {
                    throw LedgerError(.genesisMismatch("the data directory holds another chain (genesis \(String(describing: try? store.blockHash(atHeight: 0))), expected \(expected.block.hash))"))
                }
                guard let header = try store.header(atHeight: head.height) else {
                    throw LedgerError(.storage("head block \(head.height) is missing"))
                }
                self.head = head
                self.headHeader = header
                self.stateTrie = try Self.rebuildStateTrie(store)
                guard stateTrie.rootHash == head.stateRoot else {
                    throw LedgerError(.storage("the flat state does not match the head's state root \(head.stateRoot)"))
                }
            } else {
                try store.commit(expected)
                self.head = expected.head
                self.headHeader = expected.block.header
                self.stateTrie = try Self.rebuildStateTrie(store)
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storage("\(error)"))
        }
    }

    /// The chain id.
    public var chainID: UInt64 { genesis.chainID }
    /// The rules transactions must meet.
    public var rules: TransactionRules { executor.rules }

    /// The base fee the next block must use.
    public var nextBaseFee: UInt256 { FeeMarket.nextBaseFee(parent: headHeader, parameters: genesis.parameters) }

    /// The latest committed state of `address`.
    public func account(_ address: Address) throws(LedgerError) -> Account {
        do { return try store.account(address) ?? Account() } catch { throw LedgerError(.storage(error.description)) }
    }

    // MARK: Genesis

    /// The genesis block and state for `genesis`.
    ///
    /// The genesis header's `parentCommit` holds keccak(rlp([chainId, delegates, parameters])),
    /// so two genesis files that differ only in delegates or parameters give different chains.
    public static func genesisCommit(_ genesis: Genesis) throws(LedgerError) -> BlockCommit {
        var trie = SecureTrie()
        let state = WorldState(
            store: EmptyState(), applyAccounts: { changes throws(LedgerError) in try Self.apply(changes, to: &trie) },
            storageTrie: { _ in SecureTrie() })
        for allocation in genesis.allocations {
            try state.modify(allocation.address) { $0.balance += allocation.balance }
        }
        let changes = try state.commit()
        let header = BlockHeader(
            parentHash: .zero, height: 0, timestamp: genesis.timestamp, producer: .zero, epoch: 0,
            stateRoot: changes.stateRoot, transactionsRoot: Account.emptyTrieRoot, receiptsRoot: Account.emptyTrieRoot,
            logsBloom: Bloom(), gasUsed: 0, gasLimit: genesis.gasLimit, baseFee: genesis.baseFee,
            parentCommit: genesisConfigHash(genesis).bytes)
        let block = Block(header: header, transactions: [])
        let head = ChainHead(
            height: 0, hash: block.hash, stateRoot: changes.stateRoot, totalSupply: genesis.totalSupply, minted: .zero, burned: .zero)
        return BlockCommit(block: block, receipts: [], head: head, trieNodes: [], accounts: changes.accounts, storage: changes.storage)
    }

    /// The state trie of the store's flat accounts.
    static func rebuildStateTrie(_ store: any StateReader) throws(LedgerError) -> SecureTrie {
        var trie = SecureTrie()
        var batch: [(key: [UInt8], value: [UInt8])] = []
        batch.reserveCapacity(65_536)
        do {
            try store.forEachAccount { address, account throws(StorageError) in
                batch.append((address.bytes, account.encoded))
                if batch.count == 65_536 {
                    do { try trie.update(batch) } catch { throw StorageError(.corrupt, "state trie: \(error)") }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try trie.update(batch)
        } catch { throw LedgerError(.storage("rebuilding the state trie: \(error)")) }
        _ = trie.rootHash
        return trie
    }

    /// Applies account changes to `trie` and returns its root.
    static func apply(_ changes: [(address: Address, account: Account?)], to trie: inout SecureTrie) throws(LedgerError) -> Hash32 {
        do { try trie.update(changes.map { ($0.address.bytes, $0.account?.encoded ?? []) }) } catch {
            throw LedgerError(.storage("state trie: \(error)"))
        }
        return trie.rootHash
    }

    /// Brings the state trie to the head's state: undoes a pending block's changes with the
    /// head's flat accounts (the store holds the head until a block commits), or rebuilds it.
    private func rewindStateTrie() throws(LedgerError) {
        switch stateTriePosition {
        case .head:
            return
        case .pending(let root):
            stateTriePosition = .unknown
            if let pending = pendingStates[root] {
                var originals: [(address: Address, account: Account?)] = []
                originals.reserveCapacity(pending.accounts.count)
                do {
                    for change in pending.accounts { originals.append((change.address, try store.account(change.address))) }
                } catch { throw LedgerError(.storage(error.description)) }
                if try Self.apply(originals, to: &stateTrie) == head.stateRoot {
                    stateTriePosition = .head
                    return
                }
            }
        case .unknown:
            break
        }
        stateTrie = try Self.rebuildStateTrie(store)
        guard stateTrie.rootHash == head.stateRoot else {
            throw LedgerError(.storage("the flat state does not match the head's state root \(head.stateRoot)"))
        }
        stateTriePosition = .head
    }

    /// Applies a block's account changes on top of the head's state trie, in place, and
    /// returns the new root; the block's state stays pending until `commit`.
    private func applyPending(_ changes: [(address: Address, account: Account?)]) throws(LedgerError) -> Hash32 {
        try rewindStateTrie()
        stateTriePosition = .unknown
        let root = try Self.apply(changes, to: &stateTrie)
        stateTriePosition = .pending(root)
        pendingStates[root] = PendingState(accounts: changes)
        return root
    }

    /// Moves the state trie to the post-state of the pending block with state root `root`, if
    /// it is there or can be replayed; false otherwise. Call before the store moves past the head.
    private func forwardStateTrie(to root: Hash32) throws(LedgerError) -> Bool {
        if stateTriePosition == .pending(root) { return true }
        guard let pending = pendingStates[root] else { return false }
        try rewindStateTrie()
        stateTriePosition = .unknown
        guard try Self.apply(pending.accounts, to: &stateTrie) == root else { return false }
        stateTriePosition = .pending(root)
        return true
    }

    /// The storage trie of `address` at the head: cached, or rebuilt from the flat storage.
    private func headStorageTrie(_ address: Address) throws(LedgerError) -> SecureTrie {
        if let trie = storageTries[address] { return trie }
        var trie = SecureTrie()
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        do {
            try store.forEachStorageSlot(of: address) { slot, value throws(StorageError) in
                pairs.append((slot.bytes, RLP.encode(.bytes(value))))
            }
            try trie.update(pairs)
        } catch { throw LedgerError(.storage("rebuilding the storage trie of \(address): \(error)")) }
        guard trie.rootHash == (try account(address)).storageRoot else {
            throw LedgerError(.storage("the flat storage of \(address) does not match its storage root"))
        }
        storageTries[address] = trie
        return trie
    }

    /// A world state over the head.
    func headState() -> WorldState {
        WorldState(
            store: store,
            applyAccounts: { [unowned self] changes throws(LedgerError) in try self.applyPending(changes) },
            storageTrie: { [unowned self] address throws(LedgerError) in try self.headStorageTrie(address) })
    }

    /// An `eth_getProof`-style proof of `address` (and of `slots` in its storage) at the head.
    public func proof(_ address: Address, slots: [Hash32] = []) throws(LedgerError) -> (accountProof: [[UInt8]], storageProofs: [[[UInt8]]]) {
        try rewindStateTrie()
        do {
            let accountProof = try stateTrie.proof(for: address.bytes)
            let storage = slots.isEmpty ? SecureTrie() : try headStorageTrie(address)
            return (accountProof, try slots.map { slot throws(TrieError) in try storage.proof(for: slot.bytes) })
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storage("proof: \(error)"))
        }
    }

    static func genesisConfigHash(_ genesis: Genesis) -> Hash32 {
        let p = genesis.parameters
        let item = RLPItem.list([
            .uint(genesis.chainID),
            .list(genesis.delegates.map {
                .list([.bytes(Array($0.name.utf8)), .address($0.operatorAddress), .address($0.rewardAddress), .bytes($0.vrfPublicKey)])
            }),
            // Each area in its RLP form (epochs and fees in one list, as before the areas).
            .list(p.epochs.rlpFields + p.fees.rlpFields), p.staking.rlp, p.devices.rlp, p.witnesses.rlp, p.projects.rlp,
        ])
        return Keccak256.hash(RLP.encode(item))
    }

    // MARK: Building and checking blocks

    /// A block made by `buildBlock`, ready to commit, and the candidates it left out.
    public struct BuiltBlock: Sendable {
        public var commit: BlockCommit
        public var excluded: [(transaction: SignedTransaction, reason: TransactionFailure)]
        public var block: Block { commit.block }
    }

    /// A block whose transactions have run but whose roots are not computed yet.
    public struct ExecutedBlock {
        let state: WorldState
        let context: BlockContext
        public let transactions: [SignedTransaction]
        public let receipts: [Receipt]
        public let excluded: [(transaction: SignedTransaction, reason: TransactionFailure)]
        let burned: UInt256
        let producer: Address
        let epoch: UInt64
        let parentCommit: [UInt8]
        let vrfProof: [UInt8]
    }

    /// Builds the next block from `candidates` (in the given order), leaving out any that cannot apply.
    public func buildBlock(
        candidates: [SignedTransaction], producer: Address, timestamp: UInt64, epoch: UInt64,
        parentCommit: [UInt8] = [], vrfProof: [UInt8] = []
    ) throws(LedgerError) -> BuiltBlock {
        try seal(try executeCandidates(
            candidates, producer: producer, timestamp: timestamp, epoch: epoch, parentCommit: parentCommit, vrfProof: vrfProof))
    }

    /// Runs `candidates` (in order) on top of the head, leaving out any that cannot apply.
    public func executeCandidates(
        _ candidates: [SignedTransaction], producer: Address, timestamp: UInt64, epoch: UInt64,
        parentCommit: [UInt8] = [], vrfProof: [UInt8] = []
    ) throws(LedgerError) -> ExecutedBlock {
        let context = BlockContext(
            height: head.height + 1, timestamp: Swift.max(timestamp, headHeader.timestamp), feeRecipient: producer,
            baseFee: nextBaseFee, gasLimit: headHeader.gasLimit)
        let state = headState()
        let history = self.history
        try state.prefetch(Self.touchedAccounts(candidates, producer: producer))
        var included: [SignedTransaction] = []
        var receipts: [Receipt] = []
        var excluded: [(transaction: SignedTransaction, reason: TransactionFailure)] = []
        var gasUsed: UInt64 = 0
        var burned = UInt256.zero
        for tx in candidates {
            switch try executor.apply(tx, to: state, context: context, cumulativeGasUsed: gasUsed, chain: history) {
            case .success(let applied):
                included.append(tx)
                receipts.append(applied.receipt)
                gasUsed = applied.receipt.cumulativeGasUsed
                burned += applied.burned
            case .failure(let reason):
                excluded.append((tx, reason))
            }
        }
        return ExecutedBlock(
            state: state, context: context, transactions: included, receipts: receipts, excluded: excluded, burned: burned,
            producer: producer, epoch: epoch, parentCommit: parentCommit, vrfProof: vrfProof)
    }

    /// The senders, recipients and producer of a block, to read before it runs.
    static func touchedAccounts(_ transactions: [SignedTransaction], producer: Address) -> [Address] {
        var addresses: [Address] = []
        addresses.reserveCapacity(2 * transactions.count + 1)
        for tx in transactions {
            addresses.append(tx.sender)
            if let to = tx.transaction.to { addresses.append(to) }
        }
        addresses.append(producer)
        return addresses
    }

    /// Computes the state root and the other roots of an executed block and makes it ready to commit.
    public func seal(_ executed: ExecutedBlock) throws(LedgerError) -> BuiltBlock {
        let commit = try seal(
            state: executed.state, context: executed.context, transactions: executed.transactions, receipts: executed.receipts,
            burned: executed.burned, producer: executed.producer, epoch: executed.epoch, parentCommit: executed.parentCommit,
            vrfProof: executed.vrfProof)
        return BuiltBlock(commit: commit, excluded: executed.excluded)
    }

    /// Re-executes a block received from another node; every transaction must apply and every
    /// root, the bloom, gas and base fee must match the header. Returns what to commit.
    public func execute(_ block: Block) throws(LedgerError) -> BlockCommit {
        let header = block.header
        guard header.height == head.height + 1 else {
            throw LedgerError(.invalidBlock("height \(header.height), expected \(head.height + 1)"))
        }
        guard header.parentHash == head.hash else { throw LedgerError(.invalidBlock("parent hash does not match the head")) }
        guard header.timestamp >= headHeader.timestamp else { throw LedgerError(.invalidBlock("timestamp before the parent's")) }
        guard header.baseFee == nextBaseFee else {
            throw LedgerError(.invalidBlock("base fee \(header.baseFee), expected \(nextBaseFee)"))
        }
        guard header.gasLimit == headHeader.gasLimit else { throw LedgerError(.invalidBlock("gas limit changed")) }
        let context = BlockContext(
            height: header.height, timestamp: header.timestamp, feeRecipient: header.producer, baseFee: header.baseFee,
            gasLimit: header.gasLimit)
        let state = headState()
        let history = self.history
        try state.prefetch(Self.touchedAccounts(block.transactions, producer: header.producer))
        var receipts: [Receipt] = []
        var gasUsed: UInt64 = 0
        var burned = UInt256.zero
        for (i, tx) in block.transactions.enumerated() {
            switch try executor.apply(tx, to: state, context: context, cumulativeGasUsed: gasUsed, chain: history) {
            case .success(let applied):
                receipts.append(applied.receipt)
                gasUsed = applied.receipt.cumulativeGasUsed
                burned += applied.burned
            case .failure(let reason):
                throw LedgerError(.invalidTransaction(index: i, reason))
            }
        }
        let commit = try seal(
            state: state, context: context, transactions: block.transactions, receipts: receipts, burned: burned,
            producer: header.producer, epoch: header.epoch, parentCommit: header.parentCommit, vrfProof: header.vrfProof)
        let computed = commit.block.header
        guard computed.stateRoot == header.stateRoot else { throw LedgerError(.invalidBlock("state root mismatch")) }
        guard computed.transactionsRoot == header.transactionsRoot else { throw LedgerError(.invalidBlock("transactions root mismatch")) }
        guard computed.receiptsRoot == header.receiptsRoot else { throw LedgerError(.invalidBlock("receipts root mismatch")) }
        guard computed.logsBloom == header.logsBloom else { throw LedgerError(.invalidBlock("logs bloom mismatch")) }
        guard computed.gasUsed == header.gasUsed else { throw LedgerError(.invalidBlock("gas used mismatch")) }
        guard computed == header else { throw LedgerError(.invalidBlock("header mismatch")) }
        return commit
    }

    /// Commits a block built or checked against the current head.
    public func commit(_ commit: BlockCommit) throws(LedgerError) {
        guard commit.block.header.parentHash == head.hash, commit.head.height == head.height + 1 else {
            throw LedgerError(.invalidBlock("block \(commit.head.height) does not extend head \(head.height)"))
        }
        // Reach the block's post-state before the store moves: rewinding reads the head's flat state.
        let root = commit.head.stateRoot
        let known = try forwardStateTrie(to: root)
        do { try store.commit(commit) } catch { throw LedgerError(.storage(error.description)) }
        head = commit.head
        headHeader = commit.block.header
        if known, let pending = pendingStates[root] {
            stateTriePosition = .head
            storageTries.merge(pending.storage) { $1 }
        } else {
            stateTriePosition = .unknown
            storageTries.removeAll()
        }
        pendingStates.removeAll()
        if !known { try rewindStateTrie() }
    }

    private func seal(
        state: WorldState, context: BlockContext, transactions: [SignedTransaction], receipts: [Receipt], burned: UInt256,
        producer: Address, epoch: UInt64, parentCommit: [UInt8], vrfProof: [UInt8]
    ) throws(LedgerError) -> BlockCommit {
        try endBlock(state: state, context: context, producer: producer)
        // The state root on this thread; the transactions and receipts roots and the bloom beside it.
        let side = SideRoots()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { [transactions, receipts] in
            side.transactionsRoot = Result { () throws(LedgerError) in try Self.listRoot(transactions.map(\.rawBytes)) }
            side.receiptsRoot = Result { () throws(LedgerError) in try Self.listRoot(receipts.map(\.consensusEncoding)) }
            var bloom = Bloom()
            for receipt in receipts where !receipt.logs.isEmpty { bloom.formUnion(receipt.bloom) }
            side.bloom = bloom
        }
        let stateChanges = Result { () throws(LedgerError) in try state.commit() }
        group.wait()
        let changes = try stateChanges.get()
        pendingStates[changes.stateRoot]?.storage = changes.storageTries
        let header = BlockHeader(
            parentHash: head.hash, height: context.height, timestamp: context.timestamp, producer: producer, epoch: epoch,
            stateRoot: changes.stateRoot, transactionsRoot: try side.transactionsRoot.get(),
            receiptsRoot: try side.receiptsRoot.get(), logsBloom: side.bloom,
            gasUsed: receipts.last?.cumulativeGasUsed ?? 0, gasLimit: context.gasLimit, baseFee: context.baseFee,
            parentCommit: parentCommit, vrfProof: vrfProof)
        let block = Block(header: header, transactions: transactions)
        let newHead = ChainHead(
            height: header.height, hash: block.hash, stateRoot: changes.stateRoot, totalSupply: head.totalSupply - burned,
            minted: head.minted, burned: head.burned + burned)
        return BlockCommit(
            block: block, receipts: receipts, head: newHead, trieNodes: [], accounts: changes.accounts, storage: changes.storage)
    }

    /// Ethereum's list root: a trie of rlp(index) → item (transactions, receipts).
    public static func listRoot(_ items: [[UInt8]]) throws(LedgerError) -> Hash32 {
        MerklePatriciaTrie.listRoot(items)
    }

    // MARK: Read-only calls

    /// Runs a call against the latest state without changing it (`eth_call`): system contracts
    /// answer with ABI-encoded output (a state-changing function runs on a copy of the state,
    /// as Ethereum's dry runs expect, and its changes are thrown away); other addresses return
    /// empty output.
    public func call(from: Address, to: Address, data: [UInt8], gasLimit: UInt64 = 10_000_000) throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        let state = headState()
        let block = BlockContext(height: head.height, timestamp: headHeader.timestamp, feeRecipient: .zero, baseFee: .zero, gasLimit: gasLimit)
        let outcome = executor.router.call(CallMessage(caller: from, to: to, data: data, gasLimit: gasLimit), state: state, block: block, chain: history)
        if let fault = state.fault { throw fault }
        if let revert = outcome.revert { return .failure(SystemContractRevert(revert)) }
        return .success(outcome.output)
    }

    /// The code `eth_getCode` shows for `address` (`CallRouter.code(at:)`).
    public func code(at address: Address) -> [UInt8] { executor.router.code(at: address) }
}

/// Results computed on another thread while the state root is computed.
///
/// `@unchecked Sendable`: written by exactly one background task and read only after
/// `DispatchGroup.wait()` has returned, which orders the writes before the reads.
private final class SideRoots: @unchecked Sendable {
    var transactionsRoot: Result<Hash32, LedgerError> = .success(.zero)
    var receiptsRoot: Result<Hash32, LedgerError> = .success(.zero)
    var bloom = Bloom()
}

/// A state with nothing in it (for building genesis).
struct EmptyState: StateReader {
    func account(_ address: Address) throws(StorageError) -> Account? { nil }
    func storageValue(_ address: Address, slot: Hash32) throws(StorageError) -> [UInt8]? { nil }
    func trieNode(_ hash: Hash32) throws(StorageError) -> [UInt8]? { nil }
    func forEachAccount(_ body: (Address, Account) throws(StorageError) -> Void) throws(StorageError) {}
    func forEachStorageSlot(of address: Address, _ body: (Hash32, [UInt8]) throws(StorageError) -> Void) throws(StorageError) {}
}
