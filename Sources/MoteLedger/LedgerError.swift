/// Why the ledger refused a block or could not proceed.
public struct LedgerError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case storage(String)
        case invalidBlock(String)
        case invalidTransaction(index: Int, TransactionFailure)
        case genesisMismatch(String)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .storage(let why): return "storage: \(why)"
        case .invalidBlock(let why): return "invalid block: \(why)"
        case .invalidTransaction(let i, let failure): return "invalid block: transaction \(i): \(failure)"
        case .genesisMismatch(let why): return "genesis mismatch: \(why)"
        }
    }
}

/// Why a transaction cannot be included in a block (it is then left out, not charged).
public struct TransactionFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Equatable, Sendable {
        case nonceTooLow = "nonce_too_low"
        case nonceTooHigh = "nonce_too_high"
        case insufficientFunds = "insufficient_funds"
        case feeCapBelowBaseFee = "fee_cap_below_base_fee"
        case blockGasExceeded = "block_gas_exceeded"
        case invalid = "invalid_transaction"
        case creationUnsupported = "contract_creation_unsupported"
    }
    /// A stable machine-readable code.
    public let kind: Kind
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public var code: String { kind.rawValue }
}
