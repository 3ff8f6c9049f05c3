import MoteChain
import MotePrimitives
import MoteTransactions

/// The pool's data and rules, with no lock and no clock: `TransactionPool` holds one behind
/// its lock and passes time in. Transactions here have their senders recovered and meet the
/// stateless rules; this type applies the stateful ones.
struct PoolContents {
    let config: PoolConfig
    /// Where account nonces and balances come from.
    var state: any PoolStateView
    /// Every sender with at least one pooled transaction (no empty queues).
    private(set) var senders: [Address: SenderQueue] = [:]
    /// The sender of each pooled transaction, by hash.
    private(set) var senderOf: [Hash32: Address] = [:]
    /// The sum of the senders' pending counts.
    private(set) var pendingCount = 0
    private var nextArrival: UInt64 = 0

    init(config: PoolConfig, state: any PoolStateView) {
        self.config = config
        self.state = state
    }

    var count: Int { senderOf.count }
    var queuedCount: Int { count - pendingCount }

    func entry(_ hash: Hash32) -> PoolEntry? {
        guard let sender = senderOf[hash], let queue = senders[sender] else { return nil }
        return queue.entries.first { $0.transaction.hash == hash }
    }

    // MARK: - Admission

    /// Applies the stateful checks to `transaction` and pools it, evicting the cheapest
    /// transaction if the pool is full. Checks run in this order: already known, fee minimums,
    /// nonce below the account's, replacement price, per-account limit, balance, capacity.
    mutating func admit(_ transaction: SignedTransaction, now: UInt64) -> Result<Hash32, PoolError> {
        let hash = transaction.hash
        let tx = transaction.transaction
        let sender = transaction.sender
        if senderOf[hash] != nil { return .failure(PoolError(.alreadyKnown(hash))) }
        if let refusal = config.executionCheck?(tx) {
            return .failure(PoolError(.notExecutable(code: refusal.code, reason: refusal.reason)))
        }
        if tx.maxPriorityFeePerGas < config.minimumTip {
            return .failure(PoolError(.tipTooLow(tip: tx.maxPriorityFeePerGas, minimum: config.minimumTip)))
        }
        if tx.maxFeePerGas < config.minimumFeeCap {
            return .failure(PoolError(.feeCapTooLow(feeCap: tx.maxFeePerGas, minimum: config.minimumFeeCap)))
        }
        // Judge against the latest state, dropping what it has made stale.
        let account = state.account(sender)
        if senders[sender] != nil { refresh(sender, account) }
        if tx.nonce < account.nonce {
            return .failure(PoolError(.nonceTooLow(nonce: tx.nonce, accountNonce: account.nonce)))
        }
        let queue = senders[sender] ?? SenderQueue(account: account)
        let (index, replaces) = queue.position(of: tx.nonce)
        if replaces {
            let old = queue.entries[index]
            let neededFeeCap = bumped(old.feeCap)
            let neededTip = bumped(old.tip)
            if tx.maxFeePerGas < neededFeeCap || tx.maxPriorityFeePerGas < neededTip {
                return .failure(PoolError(.replacementUnderpriced(
                    nonce: tx.nonce, feeCap: tx.maxFeePerGas, tip: tx.maxPriorityFeePerGas,
                    neededFeeCap: neededFeeCap, neededTip: neededTip, bumpPercent: config.priceBumpPercent)))
            }
        } else if queue.entries.count >= config.accountCapacity {
            return .failure(PoolError(.accountLimit(limit: config.accountCapacity)))
        }
        let cost = PoolEntry.cost(of: tx)
        let pooledCost = queue.cost(before: index)
        if pooledCost.addingSaturating(cost) > queue.balance {
            return .failure(PoolError(.insufficientFunds(balance: queue.balance, cost: cost, pooledCost: pooledCost)))
        }
        if !replaces && count >= config.capacity {
            let incoming = EvictionRank(pending: tx.nonce == queue.nextNonce, feeCap: tx.maxFeePerGas, arrival: nextArrival)
            let victim = cheapestEvictable(sparing: sender, below: tx.nonce)
            guard let victim, victim.rank.isCheaper(than: incoming) else {
                return .failure(PoolError(.poolFull(
                    capacity: config.capacity, feeCap: tx.maxFeePerGas, cheapestFeeCap: victim?.rank.feeCap)))
            }
            _ = remove(victim.hash)
        }
        let entry = PoolEntry(transaction, arrival: nextArrival, addedAt: now)
        nextArrival += 1
        if senders[sender] == nil { senders[sender] = SenderQueue(account: account) }
        forget(update(sender) { $0.put(entry) })
        senderOf[hash] = sender
        return .success(hash)
    }

    /// `price` raised by the configured bump, rounded up: the least a replacement must offer.
    private func bumped(_ price: UInt256) -> UInt256 {
        let (scaled, overflow) = price.multipliedReportingOverflow(by: UInt256(config.priceBumpPercent) + 100)
        if overflow { return .max }
        let (quotient, remainder) = scaled.quotientAndRemainder(dividingBy: 100)
        return remainder.isZero ? quotient : quotient + 1
    }

    /// How expendable a pooled transaction is: queued before pending, then the lowest fee cap,
    /// then the newest.
    struct EvictionRank {
        var pending: Bool
        var feeCap: UInt256
        var arrival: UInt64

        func isCheaper(than other: EvictionRank) -> Bool {
            if pending != other.pending { return !pending }
            if feeCap != other.feeCap { return feeCap < other.feeCap }
            return arrival > other.arrival
        }
    }

    /// The pooled transaction to evict first, leaving alone `sender`'s transactions below
    /// `nonce` (evicting those would demote the one being admitted).
    private func cheapestEvictable(sparing sender: Address, below nonce: UInt64) -> (hash: Hash32, rank: EvictionRank)? {
        var best: (hash: Hash32, rank: EvictionRank)?
        for (address, queue) in senders {
            for (index, entry) in queue.entries.enumerated() {
                if address == sender && entry.nonce < nonce { continue }
                let rank = EvictionRank(pending: index < queue.pendingCount, feeCap: entry.feeCap, arrival: entry.arrival)
                if best.map({ rank.isCheaper(than: $0.rank) }) ?? true { best = (entry.transaction.hash, rank) }
            }
        }
        return best
    }

    // MARK: - Removal and upkeep

    /// Removes one transaction; a later nonce of its sender becomes queued.
    mutating func remove(_ hash: Hash32) -> SignedTransaction? {
        guard let sender = senderOf[hash], let nonce = entry(hash)?.nonce else { return nil }
        let removed = update(sender) { $0.remove(nonce: nonce, hash: hash) }
        if let removed { forget([removed]) }
        return removed?.transaction
    }

    /// Re-reads every pooled sender's account: drops transactions below the new nonce and those
    /// the new balance no longer covers, and promotes queued ones whose gap closed.
    mutating func refreshAll() {
        for sender in Array(senders.keys) { refresh(sender, state.account(sender)) }
    }

    /// Drops transactions admitted more than `config.lifetime` seconds before `now`.
    mutating func expire(now: UInt64) -> [Hash32] {
        var expired: [Hash32] = []
        let lifetime = config.lifetime
        for sender in Array(senders.keys) {
            let removed = update(sender) { queue in
                queue.removeAll { now > $0.addedAt && now - $0.addedAt > lifetime }
            }
            forget(removed)
            expired += removed.map(\.transaction.hash)
        }
        return expired
    }

    /// Re-reads one sender's account, if it has pooled transactions.
    mutating func refresh(_ sender: Address) {
        guard senders[sender] != nil else { return }
        refresh(sender, state.account(sender))
    }

    private mutating func refresh(_ sender: Address, _ account: Account) {
        forget(update(sender) { $0.refresh(account) })
    }

    /// Runs `body` on `sender`'s existing queue, keeping `pendingCount` in step and removing
    /// the queue if it empties. Callers keep `senderOf` in step with what `body` added or removed.
    private mutating func update<Result>(_ sender: Address, _ body: (inout SenderQueue) -> Result) -> Result {
        let before = senders[sender]!.pendingCount
        let result = body(&senders[sender]!)
        let queue = senders[sender]!
        pendingCount += queue.pendingCount - before
        if queue.isEmpty { senders[sender] = nil }
        return result
    }

    private mutating func forget(_ removed: [PoolEntry]) {
        for entry in removed { senderOf[entry.transaction.hash] = nil }
    }

    // MARK: - Selection

    /// The best pending transactions for a block; see `TransactionPool.select`.
    func select(baseFee: UInt256, gasLimit: UInt64, maxCount: Int) -> [SignedTransaction] {
        guard maxCount > 0 else { return [] }
        struct Head {
            let sender: Address
            let index: Int
            let tip: UInt256
            let arrival: UInt64
        }
        func head(_ sender: Address, _ queue: SenderQueue, _ index: Int) -> Head? {
            guard index < queue.pendingCount else { return nil }
            let entry = queue.entries[index]
            guard entry.feeCap >= baseFee else { return nil }
            return Head(sender: sender, index: index, tip: min(entry.tip, entry.feeCap - baseFee), arrival: entry.arrival)
        }
        // Highest effective tip first; arrival numbers are unique, so the order is total.
        var firsts: [Head] = []
        firsts.reserveCapacity(senders.count)
        for (sender, queue) in senders {
            if let first = head(sender, queue, 0) { firsts.append(first) }
        }
        var heads = BinaryHeap(firsts) { a, b in a.tip != b.tip ? a.tip > b.tip : a.arrival < b.arrival }
        var chosen: [SignedTransaction] = []
        var gasLeft = gasLimit
        while chosen.count < maxCount, gasLeft >= 21_000, let best = heads.popFirst() {
            let queue = senders[best.sender]!
            let entry = queue.entries[best.index]
            // Too big for what is left: skip the sender (its later nonces cannot go first).
            guard entry.gasLimit <= gasLeft else { continue }
            gasLeft -= entry.gasLimit
            chosen.append(entry.transaction)
            if let next = head(best.sender, queue, best.index + 1) { heads.insert(next) }
        }
        return chosen
    }

    // MARK: - Checks

    /// Every broken invariant, described; empty when the pool is consistent (for tests).
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var total = 0
        var pending = 0
        for (sender, queue) in senders {
            if queue.isEmpty { problems.append("\(sender): empty queue kept") }
            total += queue.entries.count
            pending += queue.pendingCount
            if queue.entries.count > config.accountCapacity { problems.append("\(sender): over the account limit") }
            var cost = UInt256.zero
            for (index, entry) in queue.entries.enumerated() {
                if entry.transaction.sender != sender { problems.append("\(sender): holds another sender's transaction") }
                if senderOf[entry.transaction.hash] != sender { problems.append("\(sender): nonce \(entry.nonce) not indexed") }
                if entry.nonce < queue.stateNonce { problems.append("\(sender): stale nonce \(entry.nonce)") }
                if index > 0, entry.nonce <= queue.entries[index - 1].nonce { problems.append("\(sender): nonces out of order") }
                cost = cost.addingSaturating(entry.cost)
                if cost > queue.balance { problems.append("\(sender): overdrawn at nonce \(entry.nonce)") }
            }
            var run = 0
            while run < queue.entries.count, queue.entries[run].nonce == queue.stateNonce &+ UInt64(run) { run += 1 }
            if run != queue.pendingCount { problems.append("\(sender): \(queue.pendingCount) pending, run is \(run)") }
        }
        if total != senderOf.count { problems.append("index holds \(senderOf.count) hashes for \(total) transactions") }
        if pending != pendingCount { problems.append("pending count \(pendingCount), actual \(pending)") }
        if total > config.capacity { problems.append("\(total) transactions, over the capacity") }
        return problems
    }
}
