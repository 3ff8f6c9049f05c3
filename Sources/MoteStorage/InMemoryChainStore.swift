import Foundation
import MoteChain
import MotePrimitives

/// A `ChainStore` in memory, with the same semantics as `LMDBChainStore`: for tests of the
/// layers above storage. Nothing survives the process.
///
/// `@unchecked Sendable`: every access to `state` holds `lock`.
public final class InMemoryChainStore: ChainStore, @unchecked Sendable {
    private let lock = NSLock()
    private var state = State()

    /// Everything stored, as plain collections.
    private struct State {
        var head: ChainHead?
        /// Index = height.
        var blocks: [Block] = []
        var hashes: [Hash32] = []
        var receipts: [[Receipt]] = []
        var heights: [Hash32: UInt64] = [:]
        var locations: [Hash32: TransactionLocation] = [:]
        var accounts: [Address: Account] = [:]
        var storage: [SlotKey: [UInt8]] = [:]
        var trieNodes: [Hash32: [UInt8]] = [:]
        var seenCommit: [UInt8] = []
    }

    /// An address and one of its storage slots.
    private struct SlotKey: Hashable {
        var address: Address
        var slot: Hash32
    }

    /// An empty store.
    public init() {}

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    public func head() throws(StorageError) -> ChainHead? { withState { $0.head } }

    public func blockHash(atHeight height: UInt64) throws(StorageError) -> Hash32? {
        withState { height < UInt64($0.hashes.count) ? $0.hashes[Int(height)] : nil }
    }

    public func height(ofBlock hash: Hash32) throws(StorageError) -> UInt64? { withState { $0.heights[hash] } }

    public func header(atHeight height: UInt64) throws(StorageError) -> BlockHeader? {
        withState { height < UInt64($0.blocks.count) ? $0.blocks[Int(height)].header : nil }
    }

    public func block(atHeight height: UInt64) throws(StorageError) -> Block? {
        withState { height < UInt64($0.blocks.count) ? $0.blocks[Int(height)] : nil }
    }

    public func receipts(atHeight height: UInt64) throws(StorageError) -> [Receipt]? {
        withState { height < UInt64($0.receipts.count) ? $0.receipts[Int(height)] : nil }
    }

    public func seenCommit() throws(StorageError) -> [UInt8]? {
        withState { $0.seenCommit.isEmpty ? nil : $0.seenCommit }
    }

    public func transactionLocation(_ hash: Hash32) throws(StorageError) -> TransactionLocation? {
        withState { $0.locations[hash] }
    }

    public func account(_ address: Address) throws(StorageError) -> Account? { withState { $0.accounts[address] } }

    public func storageValue(_ address: Address, slot: Hash32) throws(StorageError) -> [UInt8]? {
        withState { $0.storage[SlotKey(address: address, slot: slot)] }
    }

    public func trieNode(_ hash: Hash32) throws(StorageError) -> [UInt8]? { withState { $0.trieNodes[hash] } }

    public func forEachAccount(_ body: (Address, Account) throws(StorageError) -> Void) throws(StorageError) {
        for (address, account) in withState({ $0.accounts }).sorted(by: { $0.key < $1.key }) { try body(address, account) }
    }

    public func forEachStorageSlot(of address: Address, _ body: (Hash32, [UInt8]) throws(StorageError) -> Void) throws(StorageError) {
        let slots = withState { state in state.storage.filter { $0.key.address == address } }
        for (key, value) in slots.sorted(by: { $0.key.slot < $1.key.slot }) { try body(key.slot, value) }
    }

    public func commit(_ commit: BlockCommit) throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        let hash = try commit.validate(extending: state.head)
        let height = commit.block.height
        state.blocks.append(commit.block)
        state.hashes.append(hash)
        state.receipts.append(commit.receipts)
        state.heights[hash] = height
        for (i, tx) in commit.block.transactions.enumerated() {
            state.locations[tx.hash] = TransactionLocation(height: height, index: UInt32(i))
        }
        for node in commit.trieNodes { state.trieNodes[node.hash] = node.rlp }
        for change in commit.accounts { state.accounts[change.address] = change.account }
        for change in commit.storage { state.storage[SlotKey(address: change.address, slot: change.slot)] = change.value }
        state.seenCommit = commit.certificate
        state.head = commit.head
    }
}
