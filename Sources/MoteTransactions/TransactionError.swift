/// Why bytes are not an acceptable transaction. `code` is stable for scripts; `description` is for people.
public struct TransactionError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case empty
        case tooLarge(Int, limit: Int)
        case malformedRLP(String)
        case notATransaction
        case typeNotSupported(UInt8)
        case wrongFieldCount(expected: Int, actual: Int)
        case fieldIsList(String)
        case leadingZeros(String)
        case overflow(String, bits: Int)
        case addressTooShort(String)
        case addressTooLong(String)
        case storageKeyLength(Int)
        case malformedAccessList
        case invalidV
        case invalidYParity
        case invalidSignatureValues
        case highS
        case wrongChainID(expected: UInt64, actual: String)
        case chainIDOutOfRange(String)
        case unprotected
        case nonceTooBig
        case tipAboveFeeCap
        case gasLimitTimesPriceOverflow
        case initCodeTooLarge(Int)
        case intrinsicGasTooLow(needed: UInt64, limit: UInt64)
        case recoveryFailed
        case blobCreation
        case malformedBlobHashes
        case tooManyBlobHashes(Int, limit: Int)
        case blobHashLength(Int)
        case noBlobs
        case blobHashVersion(UInt8)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// A stable machine-readable reason, e.g. `invalid_chain_id`.
    public var code: String {
        switch kind {
        case .empty: return "empty"
        case .tooLarge: return "too_large"
        case .malformedRLP: return "malformed_rlp"
        case .notATransaction: return "not_a_transaction"
        case .typeNotSupported: return "type_not_supported"
        case .wrongFieldCount: return "wrong_field_count"
        case .fieldIsList: return "field_is_list"
        case .leadingZeros: return "leading_zeros"
        case .overflow: return "field_overflow"
        case .addressTooShort: return "address_too_short"
        case .addressTooLong: return "address_too_long"
        case .storageKeyLength: return "storage_key_length"
        case .malformedAccessList: return "malformed_access_list"
        case .invalidV: return "invalid_v"
        case .invalidYParity: return "invalid_y_parity"
        case .invalidSignatureValues: return "invalid_signature_values"
        case .highS: return "high_s"
        case .wrongChainID, .chainIDOutOfRange: return "invalid_chain_id"
        case .unprotected: return "unprotected_transaction"
        case .nonceTooBig: return "nonce_too_big"
        case .tipAboveFeeCap: return "tip_above_fee_cap"
        case .gasLimitTimesPriceOverflow: return "gas_limit_price_overflow"
        case .initCodeTooLarge: return "init_code_too_large"
        case .intrinsicGasTooLow: return "intrinsic_gas_too_low"
        case .recoveryFailed: return "sender_recovery_failed"
        case .blobCreation: return "blob_creation"
        case .malformedBlobHashes: return "malformed_blob_hashes"
        case .tooManyBlobHashes: return "too_many_blobs"
        case .blobHashLength: return "blob_hash_length"
        case .noBlobs: return "no_blobs"
        case .blobHashVersion: return "blob_hash_version"
        }
    }

    public var description: String {
        switch kind {
        case .empty: return "empty input"
        case .tooLarge(let n, let limit): return "transaction is \(n) bytes, over the \(limit)-byte limit"
        case .malformedRLP(let why): return "malformed RLP: \(why)"
        case .notATransaction: return "not a transaction: neither an RLP list nor a typed envelope"
        case .typeNotSupported(3): return "transaction type 3 (EIP-4844) is not supported: blob transactions are not accepted on Mote"
        case .typeNotSupported(let t): return "transaction type \(t) is not supported"
        case .wrongFieldCount(let e, let a): return "expected \(e) fields, got \(a)"
        case .fieldIsList(let f): return "field \(f) must be a byte string, not a list"
        case .leadingZeros(let f): return "field \(f) has leading zero bytes"
        case .overflow(let f, let bits): return "field \(f) is wider than \(bits) bits"
        case .addressTooShort(let f): return "\(f) address is shorter than 20 bytes"
        case .addressTooLong(let f): return "\(f) address is longer than 20 bytes"
        case .storageKeyLength(let n): return "access-list storage key is \(n) bytes, not 32"
        case .malformedAccessList: return "access list entries must be [address, [storageKeys]]"
        case .invalidV: return "v is neither 27/28 nor chainId*2+35/36 (EIP-155)"
        case .invalidYParity: return "y parity must be 0 or 1"
        case .invalidSignatureValues: return "signature r and s must be in [1, n-1]"
        case .highS: return "signature s is above n/2 (EIP-2 requires low s)"
        case .wrongChainID(let e, let a): return "wrong chain id \(a), expected \(e)"
        case .chainIDOutOfRange(let a): return "chain id \(a) does not fit in 64 bits"
        case .unprotected: return "transaction has no chain id (EIP-155 replay protection required)"
        case .nonceTooBig: return "nonce must be below 2^64-1 (EIP-2681)"
        case .tipAboveFeeCap: return "maxPriorityFeePerGas is above maxFeePerGas"
        case .gasLimitTimesPriceOverflow: return "gasLimit * maxFeePerGas overflows 256 bits"
        case .initCodeTooLarge(let n): return "init code is \(n) bytes, over the 49152-byte limit (EIP-3860)"
        case .intrinsicGasTooLow(let needed, let limit): return "gas limit \(limit) is below the intrinsic gas \(needed)"
        case .recoveryFailed: return "cannot recover the sender from the signature"
        case .blobCreation: return "a blob transaction must have a 20-byte recipient (it cannot create a contract)"
        case .malformedBlobHashes: return "blobVersionedHashes must be a list of byte strings"
        case .tooManyBlobHashes(let n, let limit): return "\(n) blob versioned hashes, over the limit of \(limit)"
        case .blobHashLength(let n): return "blob versioned hash is \(n) bytes, not 32"
        case .noBlobs: return "a blob transaction must carry at least one blob"
        case .blobHashVersion(let v): return "blob versioned hash has version \(v), expected 1 (KZG)"
        }
    }
}
