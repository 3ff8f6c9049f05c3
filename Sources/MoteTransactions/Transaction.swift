import MoteCrypto
import MotePrimitives

/// An Ethereum transaction before signing: legacy (with or without an EIP-155 chain id),
/// EIP-2930 (access list), EIP-1559 (dynamic fee) or EIP-4844 (blob).
///
/// Mote decodes blob transactions (for inspection and conformance) but its chain does not
/// accept them: `TransactionRules.allowsBlobTransactions` is false on nodes.
///
/// Legacy and EIP-2930 transactions have one `gasPrice`; they store it in both
/// `maxFeePerGas` and `maxPriorityFeePerGas`, which is how EIP-1559 treats them.
public struct Transaction: Hashable, Sendable {
    /// The envelope type (EIP-2718): 0 legacy, 1 access list, 2 dynamic fee, 3 blob.
    public enum Kind: UInt8, Sendable, CaseIterable {
        case legacy = 0
        case accessList = 1
        case dynamicFee = 2
        /// EIP-4844; decoded, never accepted by the Mote chain.
        case blob = 3
    }

    /// The most blob versioned hashes a blob transaction may list when decoded (a structural
    /// bound; the protocol limit per block is far lower and is checked by `TransactionRules`).
    public static let maxDecodedBlobHashes = 4_096

    public var kind: Kind
    /// The chain id; nil only for a legacy transaction without replay protection (pre-EIP-155).
    public var chainID: UInt64?
    public var nonce: UInt64
    /// The tip cap (EIP-1559); equals the gas price for legacy and EIP-2930 transactions.
    public var maxPriorityFeePerGas: UInt256
    /// The fee cap (EIP-1559); equals the gas price for legacy and EIP-2930 transactions.
    public var maxFeePerGas: UInt256
    public var gasLimit: UInt64
    /// The recipient; nil creates a contract.
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    public var accessList: [AccessListEntry]
    /// The blob gas fee cap (EIP-4844); 0 for other kinds.
    public var maxFeePerBlobGas: UInt256
    /// The versioned hashes of the blobs (EIP-4844); empty for other kinds.
    public var blobVersionedHashes: [Hash32]

    /// The gas price of a legacy or EIP-2930 transaction (the fee cap of an EIP-1559 one).
    public var gasPrice: UInt256 { maxFeePerGas }

    /// True for a contract creation.
    public var isCreation: Bool { to == nil }

    /// A legacy transaction; `chainID` nil means no EIP-155 replay protection.
    public static func legacy(
        chainID: UInt64?, nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64,
        to: Address?, value: UInt256, data: [UInt8] = []
    ) -> Transaction {
        Transaction(
            kind: .legacy, chainID: chainID, nonce: nonce, maxPriorityFeePerGas: gasPrice,
            maxFeePerGas: gasPrice, gasLimit: gasLimit, to: to, value: value, data: data, accessList: [])
    }

    /// An EIP-2930 transaction.
    public static func accessList(
        chainID: UInt64, nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64,
        to: Address?, value: UInt256, data: [UInt8] = [], accessList: [AccessListEntry] = []
    ) -> Transaction {
        Transaction(
            kind: .accessList, chainID: chainID, nonce: nonce, maxPriorityFeePerGas: gasPrice,
            maxFeePerGas: gasPrice, gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList)
    }

    /// An EIP-1559 transaction.
    public static func dynamicFee(
        chainID: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256,
        gasLimit: UInt64, to: Address?, value: UInt256, data: [UInt8] = [], accessList: [AccessListEntry] = []
    ) -> Transaction {
        Transaction(
            kind: .dynamicFee, chainID: chainID, nonce: nonce, maxPriorityFeePerGas: maxPriorityFeePerGas,
            maxFeePerGas: maxFeePerGas, gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList)
    }

    /// An EIP-4844 blob transaction; `to` is required (a blob transaction cannot create).
    public static func blob(
        chainID: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256,
        gasLimit: UInt64, to: Address, value: UInt256, data: [UInt8] = [], accessList: [AccessListEntry] = [],
        maxFeePerBlobGas: UInt256, blobVersionedHashes: [Hash32]
    ) -> Transaction {
        Transaction(
            kind: .blob, chainID: chainID, nonce: nonce, maxPriorityFeePerGas: maxPriorityFeePerGas,
            maxFeePerGas: maxFeePerGas, gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList,
            maxFeePerBlobGas: maxFeePerBlobGas, blobVersionedHashes: blobVersionedHashes)
    }

    /// Memberwise initialiser; prefer `legacy`, `accessList`, `dynamicFee` or `blob`.
    public init(
        kind: Kind, chainID: UInt64?, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256,
        gasLimit: UInt64, to: Address?, value: UInt256, data: [UInt8], accessList: [AccessListEntry],
        maxFeePerBlobGas: UInt256 = 0, blobVersionedHashes: [Hash32] = []
    ) {
        self.kind = kind
        self.chainID = chainID
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
        self.maxFeePerBlobGas = maxFeePerBlobGas
        self.blobVersionedHashes = blobVersionedHashes
    }
}

/// One address and the storage keys a transaction declares it will touch (EIP-2930).
public struct AccessListEntry: Hashable, Sendable {
    public var address: Address
    public var storageKeys: [Hash32]

    public init(address: Address, storageKeys: [Hash32]) {
        self.address = address
        self.storageKeys = storageKeys
    }
}

/// A decoded, signed transaction whose sender has been recovered.
public struct SignedTransaction: Hashable, Sendable {
    public let transaction: Transaction
    /// r, s and the y parity of the signature.
    public let signature: Secp256k1.RecoverableSignature
    /// The encoded bytes (typed transactions: type byte ‖ RLP payload).
    public let rawBytes: [UInt8]
    /// Keccak-256 of `rawBytes`.
    public let hash: Hash32
    /// The address that signed it.
    public let sender: Address

    /// The `v` value as encoded: 27/28, `chainID·2 + 35/36` (EIP-155), or the y parity for typed transactions.
    public var v: UInt256 {
        let parity = UInt256(UInt64(signature.recoveryID))
        switch (transaction.kind, transaction.chainID) {
        case (.legacy, nil): return UInt256(27) + parity
        case (.legacy, let id?): return UInt256(id) * 2 + 35 + parity
        default: return parity
        }
    }

    init(transaction: Transaction, signature: Secp256k1.RecoverableSignature, rawBytes: [UInt8], sender: Address, hash: Hash32? = nil) {
        self.transaction = transaction
        self.signature = signature
        self.rawBytes = rawBytes
        self.hash = hash ?? Keccak256.hash(rawBytes)
        self.sender = sender
    }
}
