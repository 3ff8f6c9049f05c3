import MotePrimitives

/// The Ethereum protocol upgrades whose transaction rules Mote can apply.
///
/// Mote itself runs `cancun` rules without blob transactions; the older forks exist so the
/// ethereum/tests conformance suite can be checked entry by entry.
public enum Fork: String, CaseIterable, Comparable, Sendable {
    case berlin = "Berlin"
    case london = "London"
    case paris = "Paris"
    case shanghai = "Shanghai"
    case cancun = "Cancun"

    public static func < (a: Fork, b: Fork) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Whether this fork accepts transactions of `kind`.
    public func supports(_ kind: Transaction.Kind) -> Bool {
        switch kind {
        case .legacy, .accessList: return true
        case .dynamicFee: return self >= .london
        case .blob: return self >= .cancun
        }
    }
}

/// The stateless rules a transaction must meet before it is executed or pooled.
public struct TransactionRules: Sendable {
    /// The fork whose rules apply.
    public var fork: Fork
    /// The chain id transactions must carry; nil accepts any (for inspection tools; nodes always set it).
    public var chainID: UInt64?
    /// Whether legacy transactions without a chain id (pre-EIP-155) are accepted.
    public var allowsUnprotectedLegacy: Bool
    /// The largest encoded transaction accepted, in bytes.
    public var maxEncodedSize: Int
    /// Whether EIP-4844 blob transactions are decoded and accepted. Mote's chain carries no
    /// blobs, so nodes leave this false (type 3 is rejected as not supported); inspection tools
    /// (`mote tx decode`) and conformance tests set it.
    public var allowsBlobTransactions: Bool

    /// The most blobs one transaction may carry under Cancun (MAX_BLOB_GAS_PER_BLOCK / GAS_PER_BLOB).
    public static let maxBlobsPerTransaction = 6
    /// The version byte of a KZG blob versioned hash (EIP-4844 VERSIONED_HASH_VERSION_KZG).
    public static let kzgVersionedHashVersion: UInt8 = 0x01

    /// The largest contract init code (EIP-3860, from Shanghai).
    public static let maxInitCodeSize = 49_152

    public init(
        fork: Fork = .cancun, chainID: UInt64?, allowsUnprotectedLegacy: Bool = true, maxEncodedSize: Int = 512 * 1024,
        allowsBlobTransactions: Bool = false
    ) {
        self.allowsBlobTransactions = allowsBlobTransactions
        self.fork = fork
        self.chainID = chainID
        self.allowsUnprotectedLegacy = allowsUnprotectedLegacy
        self.maxEncodedSize = maxEncodedSize
    }

    /// The gas a transaction costs before any execution: 21000 (+32000 to create), 4 per zero
    /// and 16 per non-zero data byte (EIP-2028), 2400 per access-list address and 1900 per
    /// storage key (EIP-2930), and from Shanghai 2 per 32-byte word of init code (EIP-3860).
    public func intrinsicGas(of tx: Transaction) -> UInt64 {
        Self.intrinsicGas(
            data: tx.data, isCreation: tx.isCreation, accessListAddresses: tx.accessList.count,
            accessListStorageKeys: tx.accessList.reduce(0) { $0 + $1.storageKeys.count }, fork: fork)
    }

    /// The same rule from a transaction's parts (the EVM's transactions are not `Transaction`s).
    public static func intrinsicGas(
        data: [UInt8], isCreation: Bool, accessListAddresses: Int, accessListStorageKeys: Int, fork: Fork
    ) -> UInt64 {
        var gas: UInt64 = 21_000
        if isCreation { gas += 32_000 }
        var zeros: UInt64 = 0
        for byte in data where byte == 0 { zeros += 1 }
        let nonZeros = UInt64(data.count) - zeros
        gas += zeros * 4 + nonZeros * 16
        gas += UInt64(accessListAddresses) * 2_400 + UInt64(accessListStorageKeys) * 1_900
        if fork >= .shanghai, isCreation { gas += 2 * ((UInt64(data.count) + 31) / 32) }
        return gas
    }

    /// Checks everything about `tx` that needs no state: chain id, type, nonce and fee bounds,
    /// init code size and intrinsic gas.
    public func validate(_ tx: Transaction) throws(TransactionError) {
        guard fork.supports(tx.kind), tx.kind != .blob || allowsBlobTransactions else {
            throw TransactionError(.typeNotSupported(tx.kind.rawValue))
        }
        if tx.kind == .blob {
            guard tx.to != nil else { throw TransactionError(.blobCreation) }
            guard !tx.blobVersionedHashes.isEmpty else { throw TransactionError(.noBlobs) }
            guard tx.blobVersionedHashes.count <= Self.maxBlobsPerTransaction else {
                throw TransactionError(.tooManyBlobHashes(tx.blobVersionedHashes.count, limit: Self.maxBlobsPerTransaction))
            }
            for hash in tx.blobVersionedHashes where hash.bytes[0] != Self.kzgVersionedHashVersion {
                throw TransactionError(.blobHashVersion(hash.bytes[0]))
            }
        }
        if let id = tx.chainID {
            if let chainID, id != chainID {
                throw TransactionError(.wrongChainID(expected: chainID, actual: String(id)))
            }
        } else if !allowsUnprotectedLegacy {
            throw TransactionError(.unprotected)
        }
        // EIP-2681: the nonce must stay below 2^64 − 1.
        guard tx.nonce < UInt64.max else { throw TransactionError(.nonceTooBig) }
        guard tx.maxPriorityFeePerGas <= tx.maxFeePerGas else { throw TransactionError(.tipAboveFeeCap) }
        guard !UInt256(tx.gasLimit).multipliedReportingOverflow(by: tx.maxFeePerGas).overflow else {
            throw TransactionError(.gasLimitTimesPriceOverflow)
        }
        if fork >= .shanghai, tx.isCreation, tx.data.count > Self.maxInitCodeSize {
            throw TransactionError(.initCodeTooLarge(tx.data.count))
        }
        let needed = intrinsicGas(of: tx)
        guard tx.gasLimit >= needed else { throw TransactionError(.intrinsicGasTooLow(needed: needed, limit: tx.gasLimit)) }
    }
}
