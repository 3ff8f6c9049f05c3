import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// The transaction pool: signed transactions waiting for a block.
///
/// ## Design
/// - **Layers.** `add(rawTransactions:now:)` decodes and applies the stateless rules
///   (`TransactionRules`), then recovers every sender of the batch at once on all cores
///   (`SignatureBatchVerifier`), all outside the lock. Only then does it take the lock and
///   apply the stateful checks to each transaction in input order (`PoolContents`, a plain
///   value with no lock and no clock). Raw transactions already pooled skip recovery.
/// - **Per sender**, transactions sit in nonce order. *Pending* ones are the run of
///   consecutive nonces from the account's state nonce; anything after a gap is *queued*, and
///   moves to pending when the gap fills. Only pending transactions are selected.
/// - **Admission**, in order: already known, fee minimums (`minimumTip`, `minimumFeeCap`),
///   nonce below the account's, replacement price (same sender and nonce: both fee caps at
///   least `priceBumpPercent` higher), per-account limit, balance (gasLimit × maxFeePerGas +
///   value, on top of the sender's pooled transactions at lower nonces), then capacity: a full
///   pool evicts its cheapest transaction (queued before pending, then the lowest fee cap,
///   then the newest) unless the incoming one would itself be the cheapest. A replacement or a
///   gap fill that raises a sender's running cost past its balance drops the sender's later
///   transactions that are no longer covered.
/// - **Selection** merges the senders' pending runs with a heap over their heads: highest
///   effective tip `min(maxPriorityFeePerGas, maxFeePerGas − baseFee)` first, ties to the
///   earlier arrival, nonce order kept within a sender.
/// - **State.** The pool reads nonces and balances through `PoolStateView`, the latest
///   committed state. Each admission re-reads its sender; `blockCommitted(_:)` and
///   `reset(state:)` re-read every pooled sender.
/// - **Time** is an argument (seconds), never read from a clock here, so tests drive it.
/// - **Concurrency.** Every method may be called from any thread (RPC handlers, the block
///   producer); the pool's data sits behind one lock, held only for the bookkeeping.
public final class TransactionPool: Sendable {
    /// The limits and prices this pool applies.
    public let config: PoolConfig
    private let verifier: SignatureBatchVerifier
    private let contents: Locked<PoolContents>

    /// An empty pool checking transactions against `state`; `verifier` recovers the senders
    /// of batches (by default on every core).
    public init(config: PoolConfig, state: any PoolStateView, verifier: SignatureBatchVerifier = SignatureBatchVerifier()) {
        self.config = config
        self.verifier = verifier
        self.contents = Locked(PoolContents(config: config, state: state))
    }

    // MARK: - Admission

    /// Decodes, checks and pools each encoded transaction; the results come in input order,
    /// each the transaction's hash or why it was refused. Senders are recovered for the whole
    /// batch in parallel; the stateful checks then run one by one in input order, so a
    /// batch gives the same results as the same transactions added one at a time.
    public func add(rawTransactions: [[UInt8]], now: UInt64) -> [Result<Hash32, PoolError>] {
        // Decode and hash on all cores.
        let rules = config.rules
        let decodedAndHashed = verifier.concurrentMap(rawTransactions) { raw in
            let result = Result { () throws(TransactionError) in try UnverifiedTransaction(decoding: raw, rules: rules) }
            return (result, (try? result.get()).map(\.hash))
        }
        let decoded = decodedAndHashed.map(\.0)
        let hashes = decodedAndHashed.map(\.1)
        // Skip recovery for transactions already pooled (common when peers gossip them again).
        let known = contents.withLock { contents in hashes.map { $0.map { contents.senderOf[$0] != nil } ?? false } }
        var toRecover: [UnverifiedTransaction] = []
        var recoverIndex: [Int] = []
        for (index, item) in decoded.enumerated() where !known[index] {
            if case .success(let unverified) = item {
                toRecover.append(unverified)
                recoverIndex.append(index)
            }
        }
        // Recover senders on all cores; a failure goes through the serial path, which names the error.
        let recovered = verifier.concurrentMap(toRecover) { unverified in
            Result { () throws(TransactionError) in try unverified.verified() }.mapError { PoolError(.invalid($0)) }
        }
        var signed = [Result<SignedTransaction, PoolError>?](repeating: nil, count: rawTransactions.count)
        for (slot, index) in recoverIndex.enumerated() { signed[index] = recovered[slot] }
        return contents.withLock { contents in
            decoded.indices.map { index -> Result<Hash32, PoolError> in
                switch decoded[index] {
                case .failure(let error):
                    return .failure(PoolError(.invalid(error)))
                case .success(let unverified):
                    if let hash = hashes[index], known[index] {
                        if contents.senderOf[hash] != nil { return .failure(PoolError(.alreadyKnown(hash))) }
                        // It left the pool since the look-up above: recover it now after all.
                        do throws(TransactionError) {
                            return contents.admit(try unverified.verified(), now: now)
                        } catch {
                            return .failure(PoolError(.invalid(error)))
                        }
                    }
                    return signed[index]!.flatMap { contents.admit($0, now: now) }
                }
            }
        }
    }

    /// Checks and pools a transaction whose sender is already recovered (one this node signed,
    /// or one returned to the pool after a reorganisation). The stateless rules are applied again.
    public func add(_ transaction: SignedTransaction, now: UInt64) -> Result<Hash32, PoolError> {
        guard transaction.rawBytes.count <= config.maxTransactionSize else {
            return .failure(PoolError(.tooLarge(size: transaction.rawBytes.count, limit: config.maxTransactionSize)))
        }
        do throws(TransactionError) {
            try config.rules.validate(transaction.transaction)
        } catch {
            return .failure(PoolError(.invalid(error)))
        }
        return contents.withLock { $0.admit(transaction, now: now) }
    }

    // MARK: - Blocks

    /// The pending transactions to put in a block, in block order: only those whose fee cap
    /// covers `baseFee`, highest effective tip `min(maxPriorityFeePerGas, maxFeePerGas − baseFee)`
    /// first (ties: earlier arrival first), each sender's in nonce order, at most `maxCount`
    /// of them with gas limits summing to at most `gasLimit`. A sender whose next transaction
    /// does not fit in the gas left is skipped; others continue. The pool is not changed.
    public func select(baseFee: UInt256, gasLimit: UInt64, maxCount: Int) -> [SignedTransaction] {
        contents.withLock { $0.select(baseFee: baseFee, gasLimit: gasLimit, maxCount: maxCount) }
    }

    /// Updates the pool after a block is committed; call it once the state view shows the
    /// block. Drops the block's transactions, and re-reads the block's senders: drops their
    /// pooled transactions now below the nonce, re-checks their balances (dropping what they no
    /// longer cover) and promotes queued ones whose gap closed. Only a block's senders can
    /// have gained nonce or lost balance to it, so other senders are not re-read (`reset`
    /// re-reads everyone).
    public func blockCommitted(_ transactions: [SignedTransaction]) {
        contents.withLock { contents in
            for transaction in transactions { _ = contents.remove(transaction.hash) }
            var seen = Set<Address>()
            for transaction in transactions where seen.insert(transaction.sender).inserted {
                contents.refresh(transaction.sender)
            }
        }
    }

    /// Switches to another state view (after a reorganisation, or to a newer snapshot) and
    /// re-checks every pooled sender against it, as `blockCommitted(_:)` does.
    public func reset(state: any PoolStateView) {
        contents.withLock { contents in
            contents.state = state
            contents.refreshAll()
        }
    }

    /// Drops the transactions admitted more than `config.lifetime` seconds before `now` and
    /// returns their hashes. A sender's later transactions stay, queued behind the gap.
    @discardableResult
    public func expire(now: UInt64) -> [Hash32] {
        contents.withLock { $0.expire(now: now) }
    }

    /// Removes one transaction (e.g. one that failed in block execution) and returns it.
    @discardableResult
    public func remove(_ hash: Hash32) -> SignedTransaction? {
        contents.withLock { $0.remove(hash) }
    }

    // MARK: - Introspection

    /// How many transactions are pooled, pending and queued.
    public var count: Int { contents.withLock { $0.count } }

    /// How many pooled transactions are pending (executable now, nonce run unbroken).
    public var pendingCount: Int { contents.withLock { $0.pendingCount } }

    /// How many pooled transactions are queued (behind a nonce gap).
    public var queuedCount: Int { contents.withLock { $0.queuedCount } }

    /// Whether the transaction with `hash` is pooled.
    public func contains(_ hash: Hash32) -> Bool {
        contents.withLock { $0.senderOf[hash] != nil }
    }

    /// The pooled transaction with `hash`, if any.
    public func transaction(_ hash: Hash32) -> SignedTransaction? {
        contents.withLock { $0.entry(hash)?.transaction }
    }

    /// `address`'s pending transactions, in nonce order.
    public func pending(for address: Address) -> [SignedTransaction] {
        contents.withLock { contents in
            guard let queue = contents.senders[address] else { return [] }
            return queue.entries[..<queue.pendingCount].map(\.transaction)
        }
    }

    /// `address`'s queued transactions (behind a nonce gap), in nonce order.
    public func queued(for address: Address) -> [SignedTransaction] {
        contents.withLock { contents in
            guard let queue = contents.senders[address] else { return [] }
            return queue.entries[queue.pendingCount...].map(\.transaction)
        }
    }

    /// The nonce `address`'s next transaction should carry: the account nonce plus its pending
    /// transactions (`eth_getTransactionCount` with the `pending` tag).
    public func nonce(for address: Address) -> UInt64 {
        contents.withLock { contents in
            let stateNonce = contents.state.account(address).nonce
            guard let queue = contents.senders[address] else { return stateNonce }
            return max(stateNonce, queue.nextNonce)
        }
    }

    /// Every broken internal invariant, described; empty when consistent (for tests).
    func invariantViolations() -> [String] {
        contents.withLock { $0.invariantViolations() }
    }
}
