import MotePrimitives
import MoteTransactions

/// The transaction pool's limits and prices.
public struct PoolConfig: Sendable {
    /// The stateless rules every pooled transaction meets (chain id, fork, maximum size).
    public var rules: TransactionRules
    /// The most transactions the pool holds; past it the cheapest is evicted.
    public var capacity: Int
    /// The most transactions one sender may have pooled (pending and queued together).
    public var accountCapacity: Int
    /// How much higher, in percent, both fee caps of a replacement (same sender and nonce)
    /// must be than those of the transaction it replaces.
    public var priceBumpPercent: UInt64
    /// How long a transaction may stay pooled, in seconds, before `expire(now:)` drops it.
    public var lifetime: UInt64
    /// The lowest `maxPriorityFeePerGas` (the gas price of a legacy transaction) accepted.
    public var minimumTip: UInt256
    /// The lowest `maxFeePerGas` (the gas price of a legacy transaction) accepted.
    public var minimumFeeCap: UInt256
    /// The executor's refusals that no later state can lift (e.g. a contract creation before
    /// the EVM, a gas limit above the block's): a transaction for which this returns a
    /// `(code, reason)` is refused at admission rather than pooled forever.
    public var executionCheck: (@Sendable (Transaction) -> (code: String, reason: String)?)?

    /// The largest encoded transaction accepted, in bytes: the rules' `maxEncodedSize`.
    public var maxTransactionSize: Int { rules.maxEncodedSize }

    /// A configuration; the defaults follow geth's (4096 slots, 64 per account, a 10 % price
    /// bump, three hours' lifetime, a 1-wei minimum tip).
    public init(
        rules: TransactionRules, capacity: Int = 4_096, accountCapacity: Int = 64, priceBumpPercent: UInt64 = 10,
        lifetime: UInt64 = 3 * 3_600, minimumTip: UInt256 = 1, minimumFeeCap: UInt256 = 0
    ) {
        precondition(capacity > 0 && accountCapacity > 0, "pool capacities must be positive")
        self.rules = rules
        self.capacity = capacity
        self.accountCapacity = accountCapacity
        self.priceBumpPercent = priceBumpPercent
        self.lifetime = lifetime
        self.minimumTip = minimumTip
        self.minimumFeeCap = minimumFeeCap
        self.executionCheck = nil
    }
}
