import MotePrimitives

/// How Mote's own senders (the wallet, the stream node's result poster, a node's evidence
/// reports and attestation batches) price an EIP-1559 transaction, and what a node suggests.
public enum FeePolicy {
    /// The tip per gas a node suggests (`eth_maxPriorityFeePerGas`) unless its pool asks more: 1 gwei.
    public static let defaultTip = UInt256(1_000_000_000)

    /// Gas added to an estimate of a contract call, in percent: a system contract's gas depends
    /// on the storage it finds (a list another transaction lengthened first, a slot written for
    /// the first time), and unused gas is not charged.
    public static let callGasMarginPercent: UInt64 = 25

    /// The fee cap for `baseFee` and `tip`: 2 × base fee + tip, room for the base fee to double
    /// before inclusion. Nil when that overflows 256 bits.
    public static func maxFee(baseFee: UInt256, tip: UInt256) -> UInt256? {
        let (doubled, overflow1) = baseFee.multipliedReportingOverflow(by: 2)
        let (sum, overflow2) = doubled.addingReportingOverflow(tip)
        return overflow1 || overflow2 ? nil : sum
    }

    /// The gas limit for a contract call estimated at `estimate`: plus `callGasMarginPercent`
    /// (the estimate itself if that overflows).
    public static func callGasLimit(estimate: UInt64) -> UInt64 {
        let (margin, overflow1) = (estimate / 100).multipliedReportingOverflow(by: callGasMarginPercent)
        let (total, overflow2) = estimate.addingReportingOverflow(margin)
        return overflow1 || overflow2 ? estimate : total
    }
}
