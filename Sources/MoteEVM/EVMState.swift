import MoteCrypto
import MotePrimitives

/// An account as the state before a transaction holds it.
public struct EVMAccount: Hashable, Sendable {
    public var nonce: UInt64
    public var balance: UInt256
    public var code: [UInt8]
    /// keccak256(code); computed when not given.
    public var codeHash: Hash32

    public init(nonce: UInt64 = 0, balance: UInt256 = .zero, code: [UInt8] = [], codeHash: Hash32? = nil) {
        self.nonce = nonce
        self.balance = balance
        self.code = code
        self.codeHash = codeHash ?? (code.isEmpty ? EVMAccount.emptyCodeHash : Keccak256.hash(code))
    }

    /// keccak256 of no bytes.
    public static let emptyCodeHash = Keccak256.hash([])

    /// No nonce, no balance, no code (EIP-161).
    public var isEmpty: Bool { nonce == 0 && balance.isZero && codeHash == EVMAccount.emptyCodeHash }
}

/// Where the EVM reads the state as it was before the transaction (a trie, a database, a map).
public protocol EVMStateReader: AnyObject {
    /// The account at `address`, or nil if none exists.
    func account(_ address: Address) -> EVMAccount?
    /// The stored value of `key` in `address`'s storage (zero when unset).
    func storage(_ address: Address, _ key: UInt256) -> UInt256
    /// True if `address` has any non-zero storage (EIP-7610 collision rule).
    func hasStorage(_ address: Address) -> Bool
}

/// Everything a transaction changed, to be written back by the caller.
public struct EVMStateChanges: Sendable {
    /// Accounts that exist after the transaction, with their storage writes (zero means deleted).
    public var updated: [Address: (account: EVMAccount, storage: [UInt256: UInt256], storageCleared: Bool)]
    /// Accounts removed (self-destructed, or touched and empty).
    public var deleted: Set<Address>
}

/// One account's working copy during a transaction.
final class AccountObject {
    var nonce: UInt64
    var balance: UInt256
    var code: [UInt8]
    var codeHash: Hash32
    /// False for an address with no account (yet).
    var exists: Bool
    /// Storage written in this transaction (current values).
    var storage: [UInt256: UInt256] = [:]
    /// Values as they were when the transaction began (cache of reads).
    var originalStorage: [UInt256: UInt256] = [:]
    /// Storage slots accessed (EIP-2929).
    var warmSlots: Set<UInt256> = []
    var transientStorage: [UInt256: UInt256] = [:]
    /// True once the account was (re)created in this transaction: the reader's storage is gone.
    var createdInTransaction = false
    var isWarm = false
    var touched = false
    var selfDestructed = false

    let address: Address

    init(address: Address, account: EVMAccount?) {
        self.address = address
        nonce = account?.nonce ?? 0
        balance = account?.balance ?? .zero
        code = account?.code ?? []
        codeHash = account?.codeHash ?? EVMAccount.emptyCodeHash
        exists = account != nil
    }

    var isEmpty: Bool { nonce == 0 && balance.isZero && codeHash == EVMAccount.emptyCodeHash }
    /// Exists and is not empty (EIP-161's "alive").
    var isAlive: Bool { exists && !isEmpty }
    var hasCodeOrNonce: Bool { nonce != 0 || codeHash != EVMAccount.emptyCodeHash }
}

/// An undo record: how to put one change back when a frame reverts.
enum JournalEntry {
    case balance(AccountObject, UInt256)
    case nonce(AccountObject, UInt64)
    case code(AccountObject, [UInt8], Hash32)
    case storage(AccountObject, UInt256, UInt256?)
    case transientStorage(AccountObject, UInt256, UInt256)
    case exists(AccountObject, Bool)
    case created(AccountObject, storage: [UInt256: UInt256], wasCreated: Bool)
    case warmAccount(AccountObject)
    case warmSlot(AccountObject, UInt256)
    case touched(AccountObject)
    case selfDestructed(AccountObject)
    case refund(Int64)
}

/// The state a transaction runs on: a journaled overlay over an `EVMStateReader`, with the
/// access lists (EIP-2929), transient storage (EIP-1153), logs and the refund counter.
public final class EVMState {
    public let reader: any EVMStateReader
    var accounts: [Address: AccountObject] = [:]
    var journal: [JournalEntry] = []
    var logs: [EVMLog] = []
    var refund: Int64 = 0

    static let ripemd160Address = Address(bytes: [UInt8](repeating: 0, count: 19) + [3])!

    public init(reader: any EVMStateReader) {
        self.reader = reader
    }

    /// A point to revert to.
    struct Checkpoint {
        let journalCount: Int
        let logCount: Int
    }

    @inline(__always) func account(_ address: Address) -> AccountObject {
        if let object = accounts[address] { return object }
        let object = AccountObject(address: address, account: reader.account(address))
        accounts[address] = object
        return object
    }

    func checkpoint() -> Checkpoint { Checkpoint(journalCount: journal.count, logCount: logs.count) }

    func revert(to checkpoint: Checkpoint) {
        while journal.count > checkpoint.journalCount {
            switch journal.removeLast() {
            case .balance(let a, let v): a.balance = v
            case .nonce(let a, let v): a.nonce = v
            case .code(let a, let code, let hash): a.code = code; a.codeHash = hash
            case .storage(let a, let key, let previous): a.storage[key] = previous
            case .transientStorage(let a, let key, let previous): a.transientStorage[key] = previous
            case .exists(let a, let v): a.exists = v
            case .created(let a, let storage, let wasCreated):
                a.storage = storage
                a.createdInTransaction = wasCreated
            case .warmAccount(let a): a.isWarm = false
            case .warmSlot(let a, let key): a.warmSlots.remove(key)
            case .touched(let a):
                // Mainnet block 2675119 left the RIPEMD-160 precompile touched after a failed call;
                // clients keep that exception, so an empty account at 0x03 stays touched.
                if a.address != Self.ripemd160Address { a.touched = false }
            case .selfDestructed(let a): a.selfDestructed = false
            case .refund(let v): refund = v
            }
        }
        if logs.count > checkpoint.logCount { logs.removeSubrange(checkpoint.logCount...) }
    }

    // MARK: Accounts

    /// Marks `address` warm; returns true if it was cold.
    @inline(__always) func warm(_ object: AccountObject) -> Bool {
        if object.isWarm { return false }
        object.isWarm = true
        journal.append(.warmAccount(object))
        return true
    }

    /// Marks a storage slot warm; returns true if it was cold.
    @inline(__always) func warm(_ object: AccountObject, slot: UInt256) -> Bool {
        if object.warmSlots.insert(slot).inserted {
            journal.append(.warmSlot(object, slot))
            return true
        }
        return false
    }

    func touch(_ object: AccountObject) {
        if !object.touched {
            object.touched = true
            journal.append(.touched(object))
        }
    }

    /// Makes the account exist (a transfer or creation reached it).
    func ensureExists(_ object: AccountObject) {
        if !object.exists {
            object.exists = true
            journal.append(.exists(object, false))
        }
        touch(object)
    }

    func setBalance(_ object: AccountObject, _ value: UInt256) {
        journal.append(.balance(object, object.balance))
        object.balance = value
        ensureExists(object)
    }

    func setNonce(_ object: AccountObject, _ value: UInt64) {
        journal.append(.nonce(object, object.nonce))
        object.nonce = value
        ensureExists(object)
    }

    func setCode(_ object: AccountObject, _ code: [UInt8]) {
        journal.append(.code(object, object.code, object.codeHash))
        object.code = code
        object.codeHash = code.isEmpty ? EVMAccount.emptyCodeHash : Keccak256.hash(code)
        ensureExists(object)
    }

    /// Moves `value` wei; the caller has checked the balance. Zero-value transfers still touch.
    func transfer(from: AccountObject, to: AccountObject, value: UInt256) {
        if value.isZero {
            if to.exists { touch(to) }
            return
        }
        setBalance(from, from.balance &- value)
        setBalance(to, to.balance &+ value)
    }

    /// Starts a contract at `object`: fresh storage, nonce 1 (EIP-161), remembered as created.
    func markCreated(_ object: AccountObject) {
        journal.append(.created(object, storage: object.storage, wasCreated: object.createdInTransaction))
        object.storage = [:]
        object.createdInTransaction = true
        ensureExists(object)
    }

    /// True if the address holds storage (in this transaction or before it).
    func hasStorage(_ object: AccountObject, _ address: Address) -> Bool {
        if object.storage.values.contains(where: { !$0.isZero }) { return true }
        if object.createdInTransaction { return false }
        return reader.hasStorage(address)
    }

    // MARK: Storage

    @inline(__always) func originalStorage(_ object: AccountObject, _ address: Address, _ key: UInt256) -> UInt256 {
        if object.createdInTransaction { return .zero }
        if let v = object.originalStorage[key] { return v }
        let v = reader.storage(address, key)
        object.originalStorage[key] = v
        return v
    }

    @inline(__always) func storage(_ object: AccountObject, _ address: Address, _ key: UInt256) -> UInt256 {
        if let v = object.storage[key] { return v }
        return originalStorage(object, address, key)
    }

    @inline(__always) func setStorage(_ object: AccountObject, _ key: UInt256, _ value: UInt256) {
        journal.append(.storage(object, key, object.storage[key]))
        object.storage[key] = value
    }

    @inline(__always) func transientStorage(_ object: AccountObject, _ key: UInt256) -> UInt256 {
        object.transientStorage[key] ?? .zero
    }

    @inline(__always) func setTransientStorage(_ object: AccountObject, _ key: UInt256, _ value: UInt256) {
        journal.append(.transientStorage(object, key, object.transientStorage[key] ?? .zero))
        object.transientStorage[key] = value
    }

    func addRefund(_ delta: Int64) {
        journal.append(.refund(refund))
        refund += delta
    }

    func markSelfDestructed(_ object: AccountObject) {
        if !object.selfDestructed {
            object.selfDestructed = true
            journal.append(.selfDestructed(object))
        }
    }

    // MARK: End of transaction

    /// What the transaction changed: self-destructed and touched-empty accounts deleted (EIP-161,
    /// EIP-6780), every other changed account with its storage writes. Deterministic order is the
    /// caller's business (the result is keyed by address).
    public func changes() -> EVMStateChanges {
        var updated: [Address: (account: EVMAccount, storage: [UInt256: UInt256], storageCleared: Bool)] = [:]
        var deleted: Set<Address> = []
        for (address, object) in accounts {
            let before = reader.account(address)
            if object.selfDestructed || (object.touched && object.exists && object.isEmpty) {
                if before != nil || object.exists { deleted.insert(address) }
                continue
            }
            guard object.exists else { continue }
            let changedStorage = object.storage.filter { key, value in
                object.createdInTransaction || originalStorage(object, address, key) != value
            }
            let account = EVMAccount(nonce: object.nonce, balance: object.balance, code: object.code, codeHash: object.codeHash)
            if before == account && changedStorage.isEmpty && !object.createdInTransaction { continue }
            updated[address] = (account, changedStorage, object.createdInTransaction)
        }
        return EVMStateChanges(updated: updated, deleted: deleted)
    }
}
