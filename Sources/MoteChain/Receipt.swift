import MoteCrypto
import MotePrimitives
import MoteTransactions

/// What executing one transaction did: status, gas, logs, and why it failed if it did.
public struct Receipt: Hashable, Sendable {
    /// The envelope type of the transaction (typed receipts carry it as a prefix).
    public var kind: Transaction.Kind
    /// True if the transaction's effects were applied; false if it was reverted (fees are still paid).
    public var succeeded: Bool
    /// Gas used by this and every earlier transaction of the block.
    public var cumulativeGasUsed: UInt64
    /// Gas used by this transaction.
    public var gasUsed: UInt64
    /// Price per gas actually paid (base fee + tip).
    public var effectiveGasPrice: UInt256
    public var logs: [Log]
    /// Why the transaction failed, for people and RPC; not part of the consensus encoding.
    public var failureReason: String?

    public init(
        kind: Transaction.Kind, succeeded: Bool, cumulativeGasUsed: UInt64, gasUsed: UInt64,
        effectiveGasPrice: UInt256, logs: [Log], failureReason: String? = nil
    ) {
        self.kind = kind
        self.succeeded = succeeded
        self.cumulativeGasUsed = cumulativeGasUsed
        self.gasUsed = gasUsed
        self.effectiveGasPrice = effectiveGasPrice
        self.logs = logs
        self.failureReason = failureReason
    }

    /// The bloom of this receipt's logs.
    public var bloom: Bloom { Bloom(logs: logs) }

    /// Ethereum's receipt encoding (EIP-2718), what the receipts root commits to:
    /// `[type ‖] rlp([status, cumulativeGasUsed, logsBloom, logs])`.
    public var consensusEncoding: [UInt8] {
        let body = RLP.encode(.list([
            .uint(UInt64(succeeded ? 1 : 0)), .uint(cumulativeGasUsed), .bytes(logs.isEmpty ? Bloom.empty.bytes : bloom.bytes),
            .list(logs.map(\.rlpItem)),
        ]))
        return kind == .legacy ? body : [kind.rawValue] + body
    }

    /// The stored form: everything, failure reason included.
    public var storageEncoding: [UInt8] {
        RLP.encode(.list([
            .uint(UInt64(kind.rawValue)), .uint(UInt64(succeeded ? 1 : 0)), .uint(cumulativeGasUsed), .uint(gasUsed),
            .uint(effectiveGasPrice), .list(logs.map(\.rlpItem)), .bytes(Array((failureReason ?? "").utf8)),
        ]))
    }

    /// Decodes `storageEncoding`.
    public init(storageEncoding bytes: [UInt8]) throws(ChainDecodingError) {
        let f = try RLP.decode(bytes, "receipt").fields(7, "receipt")
        guard let kind = Transaction.Kind(rawValue: UInt8(truncatingIfNeeded: try f[0].uint64("receipt type"))),
            try f[0].uint64("receipt type") <= 2
        else { throw ChainDecodingError("receipt: unknown type") }
        let status = try f[1].uint64("receipt status")
        guard status <= 1 else { throw ChainDecodingError("receipt: status must be 0 or 1") }
        var logs: [Log] = []
        for item in try f[5].list("receipt logs") { logs.append(try Log(item: item)) }
        let reason = try f[6].bytes("receipt failure reason")
        self.init(
            kind: kind, succeeded: status == 1, cumulativeGasUsed: try f[2].uint64("receipt cumulative gas"),
            gasUsed: try f[3].uint64("receipt gas used"), effectiveGasPrice: try f[4].uint256("receipt gas price"),
            logs: logs, failureReason: reason.isEmpty ? nil : String(decoding: reason, as: UTF8.self))
    }
}
