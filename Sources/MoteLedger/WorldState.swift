import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTrie

/// The world state while a block executes: accounts and system-contract storage over the
/// committed state, with a journal so one transaction's changes can be reverted.
///
/// Reads go to the flat state in the store (one lookup, no trie walk); writes stay in
/// memory until `commit()`, which applies them to the state trie (through the owner's
/// `applyAccounts`, which updates the ledger's trie in place) and to contracts' storage tries,
/// in address order, and returns the new root and the flat changes for one atomic write. The
/// tries themselves are not stored: the ledger rebuilds them from the flat state when it
/// opens (see `Ledger`).
/// Nothing here reads a clock or iterates a dictionary where order could matter.
public final class WorldState {
    private let store: any StateReader
    /// Applies account changes (in address order) to the state trie of the committed state
    /// and returns its new root.
    private let applyAccounts: ([(address: Address, account: Account?)]) throws(LedgerError) -> Hash32
    /// Opens the storage trie of a contract at the committed state.
    private let storageTrie: (Address) throws(LedgerError) -> SecureTrie
    /// Accounts read or written; nil = does not exist.
    private var accounts: [Address: Account?] = [:]
    private var dirtyAccounts: Set<Address> = []
    /// Storage values read or written, per contract and slot; nil = empty. A value is kept
    /// whole here and laid out as 32-byte words (`StorageLayout`) only at `commit()`.
    private var storage: [Address: [Hash32: [UInt8]?]] = [:]
    /// The committed value of each slot read or written, to write only the words that change.
    private var committed: [Address: [Hash32: [UInt8]?]] = [:]
    private var dirtyStorage: [Address: Set<Hash32>] = [:]
    private var journal: [JournalEntry] = []
    /// The first read of the store that failed, if any: a fault of this node (a disk error),
    /// never a property of the chain, so whoever sees it must not turn it into a revert or a
    /// recorded failure that other nodes would not see.
    public private(set) var fault: LedgerError?

    private enum JournalEntry {
        case account(Address, previous: Account?, wasDirty: Bool)
        case storage(Address, Hash32, previous: [UInt8]?, wasDirty: Bool)
    }

    /// The state whose flat form is in `store`; `applyAccounts` applies the account changes
    /// to its state trie and returns the root, and `storageTrie` opens a contract's storage
    /// trie at the same state.
    init(
        store: any StateReader,
        applyAccounts: @escaping ([(address: Address, account: Account?)]) throws(LedgerError) -> Hash32,
        storageTrie: @escaping (Address) throws(LedgerError) -> SecureTrie
    ) {
        self.store = store
        self.applyAccounts = applyAccounts
        self.storageTrie = storageTrie
    }

    // MARK: Accounts

    /// The account at `address` (an empty account if none exists).
    public func account(_ address: Address) throws(LedgerError) -> Account {
        try existingAccount(address) ?? Account()
    }

    /// The account if it exists.
    public func existingAccount(_ address: Address) throws(LedgerError) -> Account? {
        if let cached = accounts[address] { return cached }
        let loaded: Account?
        do { loaded = try store.account(address) } catch { throw noteFault(error) }
        accounts[address] = .some(loaded)
        return loaded
    }

    /// Loads the accounts at `addresses` not read yet in one batch (a block's senders and
    /// recipients before it runs), as `existingAccount` would one by one.
    func prefetch(_ addresses: [Address]) throws(LedgerError) {
        accounts.reserveCapacity(accounts.count + addresses.count)
        dirtyAccounts.reserveCapacity(dirtyAccounts.count + addresses.count)
        let missing = addresses.filter { accounts[$0] == nil }
        guard !missing.isEmpty else { return }
        let loaded: [Account?]
        do { loaded = try store.accounts(missing) } catch { throw noteFault(error) }
        for (address, account) in zip(missing, loaded) where accounts[address] == nil { accounts[address] = .some(account) }
    }

    /// Replaces the account at `address`; an empty account is deleted (EIP-161).
    public func setAccount(_ address: Address, _ account: Account) throws(LedgerError) {
        let previous = try existingAccount(address)
        journal.append(.account(address, previous: previous, wasDirty: dirtyAccounts.contains(address)))
        accounts[address] = .some(account.isEmpty ? nil : account)
        dirtyAccounts.insert(address)
    }

    /// Changes the account at `address` in place.
    public func modify(_ address: Address, _ change: (inout Account) throws(LedgerError) -> Void) throws(LedgerError) {
        var value = try account(address)
        try change(&value)
        try setAccount(address, value)
    }

    // MARK: Storage (system contracts)

    /// The value at `slot` of `address`'s storage, or nil if empty: a Solidity `bytes` over
    /// 32-byte words in the store (`StorageLayout`), read whole.
    public func storageValue(_ address: Address, _ slot: Hash32) throws(LedgerError) -> [UInt8]? {
        if let cached = storage[address]?[slot] { return cached }
        let loaded = try committedValue(address, slot)
        storage[address, default: [:]][slot] = .some(loaded)
        committed[address, default: [:]][slot] = .some(loaded)
        return loaded
    }

    /// The value at `slot` in the store, assembled from its words.
    private func committedValue(_ address: Address, _ slot: Hash32) throws(LedgerError) -> [UInt8]? {
        switch try StorageLayout.head(word(address, slot)) {
        case .empty?: return nil
        case .short(let bytes)?: return bytes
        case .long(let length)?:
            var value: [UInt8] = []
            value.reserveCapacity(StorageLayout.wordCount(length) * 32)
            for index in 0..<StorageLayout.wordCount(length) {
                value += try word(address, StorageLayout.dataSlot(slot, index)).bigEndianBytes
            }
            return Array(value.prefix(length))
        case nil:
            throw noteFault(StorageError(.corrupt, "storage of \(address.hex) at \(slot.hex) is not a value's head word"))
        }
    }

    /// The 32-byte word at `slot` in the store (zero when empty).
    private func word(_ address: Address, _ slot: Hash32) throws(LedgerError) -> UInt256 {
        let bytes: [UInt8]?
        do { bytes = try store.storageValue(address, slot: slot) } catch { throw noteFault(error) }
        guard let bytes else { return .zero }
        guard let word = UInt256(bigEndian: bytes) else {
            throw noteFault(StorageError(.corrupt, "storage of \(address.hex) at \(slot.hex) holds \(bytes.count) bytes, not a word"))
        }
        return word
    }

    /// Sets `slot` of `address`'s storage; nil or empty clears it.
    public func setStorageValue(_ address: Address, _ slot: Hash32, _ value: [UInt8]?) throws(LedgerError) {
        let previous = try storageValue(address, slot)
        let wasDirty = dirtyStorage[address]?.contains(slot) ?? false
        journal.append(.storage(address, slot, previous: previous, wasDirty: wasDirty))
        storage[address, default: [:]][slot] = .some(value?.isEmpty == false ? value : nil)
        dirtyStorage[address, default: []].insert(slot)
    }

    /// Remembers a failed store read as this state's fault and returns it to throw.
    private func noteFault(_ error: StorageError) -> LedgerError {
        let fault = LedgerError(.storage(error.description))
        if self.fault == nil { self.fault = fault }
        return fault
    }

    // MARK: Journal

    /// A point to revert to.
    public var checkpoint: Int { journal.count }

    /// Undoes every change made since `checkpoint`.
    public func revert(to checkpoint: Int) {
        while journal.count > checkpoint {
            switch journal.removeLast() {
            case .account(let address, let previous, let wasDirty):
                accounts[address] = .some(previous)
                if !wasDirty { dirtyAccounts.remove(address) }
            case .storage(let address, let slot, let previous, let wasDirty):
                storage[address, default: [:]][slot] = .some(previous)
                if !wasDirty { dirtyStorage[address]?.remove(slot) }
            }
        }
    }

    /// Forgets the journal (after a transaction is final within the block).
    public func discardJournal() { journal.removeAll(keepingCapacity: true) }

    // MARK: Commit

    /// What `commit()` produced: the new root, the flat changes to store, and the storage tries after them.
    public struct Changes: Sendable {
        public var stateRoot: Hash32
        public var accounts: [(address: Address, account: Account?)]
        public var storage: [(address: Address, slot: Hash32, value: [UInt8]?)]
        /// The storage tries that changed, after the changes.
        public var storageTries: [Address: SecureTrie]
    }

    /// The words `value` occupies at `slot` (none for no value).
    private static func words(of value: [UInt8]?, at slot: Hash32) -> [Hash32: UInt256] {
        guard let value, !value.isEmpty else { return [:] }
        var words = [slot: StorageLayout.headWord(value)]
        for (index, word) in StorageLayout.dataWords(value).enumerated() { words[StorageLayout.dataSlot(slot, index)] = word }
        return words
    }

    /// Applies every change to the tries (in address and slot order) and returns the result.
    /// The state object should not be used afterwards.
    public func commit() throws(LedgerError) -> Changes {
        var storageChanges: [(address: Address, slot: Hash32, value: [UInt8]?)] = []
        var storageTries: [Address: SecureTrie] = [:]

        // Storage tries first: they change the accounts' storage roots.
        for address in dirtyStorage.keys.sorted() {
            let slots = dirtyStorage[address]!.sorted()
            guard !slots.isEmpty else { continue }
            var account = try account(address)
            var trie = try storageTrie(address)
            var words: [Hash32: UInt256] = [:]
            for slot in slots {
                let before = Self.words(of: committed[address]?[slot] ?? nil, at: slot)
                let after = Self.words(of: storage[address]![slot]!, at: slot)
                for (wordSlot, word) in after where before[wordSlot] != word { words[wordSlot] = word }
                for wordSlot in before.keys where after[wordSlot] == nil { words[wordSlot] = .zero }
            }
            var pairs: [(key: [UInt8], value: [UInt8])] = []
            for wordSlot in words.keys.sorted() {
                let word = words[wordSlot]!
                // Kept as Ethereum keeps a storage word: its minimal big-endian bytes, RLP in the trie.
                let value = word.isZero ? nil : word.minimalBigEndianBytes
                pairs.append((wordSlot.bytes, value.map { RLP.encode(.bytes($0)) } ?? []))
                storageChanges.append((address, wordSlot, value))
            }
            do { try trie.update(pairs) } catch { throw LedgerError(.storage("storage trie of \(address): \(error)")) }
            account.storageRoot = trie.rootHash
            storageTries[address] = trie
            accounts[address] = .some(account.isEmpty ? nil : account)
            dirtyAccounts.insert(address)
        }

        var accountChanges: [(address: Address, account: Account?)] = []
        accountChanges.reserveCapacity(dirtyAccounts.count)
        for address in dirtyAccounts.sorted() { accountChanges.append((address, accounts[address]!)) }
        let root = try applyAccounts(accountChanges)
        return Changes(stateRoot: root, accounts: accountChanges, storage: storageChanges, storageTries: storageTries)
    }
}
