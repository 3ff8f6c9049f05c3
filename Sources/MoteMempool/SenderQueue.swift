import MoteChain
import MotePrimitives
import MoteTransactions

/// A pooled transaction with what the pool needs to rank, charge and age it.
struct PoolEntry {
    let transaction: SignedTransaction
    /// Admission order across the whole pool; breaks ties, older first.
    let arrival: UInt64
    /// When it was admitted, in the caller's seconds.
    let addedAt: UInt64
    /// The most it can take from the sender: gasLimit × maxFeePerGas + value (saturating).
    let cost: UInt256

    init(_ transaction: SignedTransaction, arrival: UInt64, addedAt: UInt64) {
        self.transaction = transaction
        self.arrival = arrival
        self.addedAt = addedAt
        self.cost = Self.cost(of: transaction.transaction)
    }

    var nonce: UInt64 { transaction.transaction.nonce }
    var feeCap: UInt256 { transaction.transaction.maxFeePerGas }
    var tip: UInt256 { transaction.transaction.maxPriorityFeePerGas }
    var gasLimit: UInt64 { transaction.transaction.gasLimit }

    /// gasLimit × maxFeePerGas + value, saturating at `UInt256.max` (which no balance covers).
    static func cost(of tx: Transaction) -> UInt256 {
        let (gas, overflow) = UInt256(tx.gasLimit).multipliedReportingOverflow(by: tx.maxFeePerGas)
        return overflow ? .max : gas.addingSaturating(tx.value)
    }
}

extension UInt256 {
    /// `self + other`, or `UInt256.max` where that overflows.
    func addingSaturating(_ other: UInt256) -> UInt256 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

/// One sender's pooled transactions, in nonce order, with the account state they were
/// checked against.
///
/// Invariants, kept by every mutating method: nonces strictly increase and none is below
/// `stateNonce`; `entries[0..<pendingCount]` are exactly the run of consecutive nonces from
/// `stateNonce` (pending), the rest sit behind a gap (queued); the running total of `cost`
/// over the entries never exceeds `balance`.
struct SenderQueue {
    private(set) var stateNonce: UInt64
    private(set) var balance: UInt256
    private(set) var entries: [PoolEntry] = []
    private(set) var pendingCount = 0

    init(account: Account) {
        stateNonce = account.nonce
        balance = account.balance
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The nonce the sender's next transaction would need to be pending.
    var nextNonce: UInt64 { stateNonce &+ UInt64(pendingCount) }

    /// Where `nonce` is, or would be inserted, and whether it is there.
    func position(of nonce: UInt64) -> (index: Int, exists: Bool) {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].nonce < nonce { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].nonce == nonce)
    }

    /// The total cost of the entries before `index` (saturating).
    func cost(before index: Int) -> UInt256 {
        entries[..<index].reduce(UInt256.zero) { $0.addingSaturating($1.cost) }
    }

    /// Inserts `entry`, replacing one with the same nonce; returns what left the queue: the
    /// replaced entry and any later ones the balance no longer covers.
    mutating func put(_ entry: PoolEntry) -> [PoolEntry] {
        precondition(entry.nonce >= stateNonce, "a pooled nonce is never below the account nonce")
        var removed: [PoolEntry] = []
        let (index, exists) = position(of: entry.nonce)
        if exists {
            removed.append(entries[index])
            entries[index] = entry
        } else {
            entries.insert(entry, at: index)
        }
        removed += dropOverdrawn()
        recountPending()
        return removed
    }

    /// Removes the entry with `nonce` and `hash`, if it is there.
    mutating func remove(nonce: UInt64, hash: Hash32) -> PoolEntry? {
        let (index, exists) = position(of: nonce)
        guard exists, entries[index].transaction.hash == hash else { return nil }
        let entry = entries.remove(at: index)
        recountPending()
        return entry
    }

    /// Removes every entry matching `predicate`; later nonces stay, queued if a gap opens.
    mutating func removeAll(where predicate: (PoolEntry) -> Bool) -> [PoolEntry] {
        let removed = entries.filter(predicate)
        guard !removed.isEmpty else { return [] }
        entries.removeAll(where: predicate)
        recountPending()
        return removed
    }

    /// Takes the account's latest nonce and balance; returns the entries that left: those
    /// below the new nonce (mined or replaced on chain) and those the balance no longer covers.
    mutating func refresh(_ account: Account) -> [PoolEntry] {
        stateNonce = account.nonce
        balance = account.balance
        let staleEnd = entries.firstIndex { $0.nonce >= stateNonce } ?? entries.count
        var removed = Array(entries[..<staleEnd])
        entries.removeFirst(staleEnd)
        removed += dropOverdrawn()
        recountPending()
        return removed
    }

    /// Drops the first entry whose running total of cost exceeds the balance, and all after it
    /// (the running total only grows, so those exceed it too).
    private mutating func dropOverdrawn() -> [PoolEntry] {
        var total = UInt256.zero
        for index in entries.indices {
            total = total.addingSaturating(entries[index].cost)
            if total > balance {
                let dropped = Array(entries[index...])
                entries.removeSubrange(index...)
                return dropped
            }
        }
        return []
    }

    private mutating func recountPending() {
        var run = 0
        while run < entries.count, entries[run].nonce == stateNonce &+ UInt64(run) { run += 1 }
        pendingCount = run
    }
}
