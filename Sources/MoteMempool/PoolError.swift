import MotePrimitives
import MoteTransactions

/// Why the pool refused a transaction. `code` is stable for scripts and RPC clients;
/// `description` is for people and carries the numbers.
public struct PoolError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        /// Decoding, the stateless rules or sender recovery failed.
        case invalid(TransactionError)
        case tooLarge(size: Int, limit: Int)
        case alreadyKnown(Hash32)
        case tipTooLow(tip: UInt256, minimum: UInt256)
        case feeCapTooLow(feeCap: UInt256, minimum: UInt256)
        case nonceTooLow(nonce: UInt64, accountNonce: UInt64)
        case replacementUnderpriced(
            nonce: UInt64, feeCap: UInt256, tip: UInt256, neededFeeCap: UInt256, neededTip: UInt256, bumpPercent: UInt64)
        case accountLimit(limit: Int)
        case insufficientFunds(balance: UInt256, cost: UInt256, pooledCost: UInt256)
        case poolFull(capacity: Int, feeCap: UInt256, cheapestFeeCap: UInt256?)
        /// The block executor would never include it (`code` and `reason` are the executor's).
        case notExecutable(code: String, reason: String)
        /// The node is at capacity: admission control refused it at the door.
        case overloaded(pooled: Int, limit: Int)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// Refused by admission control: `pooled` transactions held, `limit` admitted at most.
    public static func overloaded(pooled: Int, limit: Int) -> PoolError { PoolError(.overloaded(pooled: pooled, limit: limit)) }

    /// The decoding or validation error behind an `invalid` rejection, if that is what this is.
    public var transactionError: TransactionError? {
        if case .invalid(let error) = kind { return error }
        return nil
    }

    /// A stable machine-readable reason, e.g. `nonce_too_low`; for a transaction that does
    /// not decode or validate, the `TransactionError` code (e.g. `invalid_chain_id`).
    public var code: String {
        switch kind {
        case .invalid(let error): return error.code
        case .tooLarge: return "too_large"
        case .alreadyKnown: return "already_known"
        case .tipTooLow, .feeCapTooLow: return "fee_too_low"
        case .nonceTooLow: return "nonce_too_low"
        case .replacementUnderpriced: return "replacement_underpriced"
        case .accountLimit: return "account_limit"
        case .insufficientFunds: return "insufficient_funds"
        case .poolFull: return "pool_full"
        case .notExecutable(let code, _): return code
        case .overloaded: return "txpool_overloaded"
        }
    }

    public var description: String {
        switch kind {
        case .invalid(let error):
            return error.description
        case .tooLarge(let size, let limit):
            return "transaction is \(size) bytes, over the \(limit)-byte limit"
        case .alreadyKnown(let hash):
            return "transaction \(hash) is already in the pool"
        case .tipTooLow(let tip, let minimum):
            return "maxPriorityFeePerGas \(tip) is below the pool's minimum tip \(minimum)"
        case .feeCapTooLow(let feeCap, let minimum):
            return "maxFeePerGas \(feeCap) is below the pool's minimum fee cap \(minimum)"
        case .nonceTooLow(let nonce, let accountNonce):
            return "nonce \(nonce) is below the account nonce \(accountNonce)"
        case .replacementUnderpriced(let nonce, let feeCap, let tip, let neededFeeCap, let neededTip, let bump):
            return "replacing the pooled transaction with nonce \(nonce) needs maxFeePerGas ≥ \(neededFeeCap) and "
                + "maxPriorityFeePerGas ≥ \(neededTip) (\(bump) % more); got \(feeCap) and \(tip)"
        case .accountLimit(let limit):
            return "the sender already has \(limit) pooled transactions, the per-account limit"
        case .insufficientFunds(let balance, let cost, let pooledCost):
            let own = "balance \(balance) does not cover the cost \(cost) (gasLimit × maxFeePerGas + value)"
            return pooledCost.isZero ? own : own + " plus \(pooledCost) for the sender's pooled transactions at lower nonces"
        case .poolFull(let capacity, let feeCap, let cheapest?):
            return "the pool is full (\(capacity) transactions) and maxFeePerGas \(feeCap) does not beat the "
                + "cheapest evictable transaction's \(cheapest)"
        case .poolFull(let capacity, _, nil):
            return "the pool is full (\(capacity) transactions) and none can be evicted for this one"
        case .notExecutable(_, let reason):
            return reason
        case .overloaded(let pooled, let limit):
            return "the node is at capacity (\(pooled) transactions pooled, admitting up to \(limit): what the chain finalizes "
                + "in about 1.5 block intervals); retry later"
        }
    }
}
