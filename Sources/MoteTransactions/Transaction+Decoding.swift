import MoteCrypto
import MotePrimitives

/// A transaction decoded and checked against the rules, whose sender is not yet recovered.
///
/// Recovery is the expensive step; split off so that batches can recover on all cores.
public struct UnverifiedTransaction: Sendable {
    public let transaction: Transaction
    public let signature: Secp256k1.RecoverableSignature
    public let rawBytes: [UInt8]
    /// The hash the sender signed.
    public let signingHash: Hash32
    /// The transaction hash: Keccak-256 of `rawBytes`.
    public let hash: Hash32

    /// Decodes `raw` (a legacy RLP list or a typed envelope) and applies `rules`.
    /// `checkRules: false` skips the stateless rules (chain id, fees, intrinsic gas) for
    /// transactions read back from our own database, which were checked when accepted.
    public init(decoding raw: [UInt8], rules: TransactionRules, checkRules: Bool = true) throws(TransactionError) {
        guard !raw.isEmpty else { throw TransactionError(.empty) }
        guard raw.count <= rules.maxEncodedSize else {
            throw TransactionError(.tooLarge(raw.count, limit: rules.maxEncodedSize))
        }
        let first = raw[0]
        let fields: [RLPItem]
        let kind: Transaction.Kind
        if first >= 0xc0 {
            kind = .legacy
            fields = try Self.decodeList(raw)
        } else if first <= 0x7f {
            guard let typed = Transaction.Kind(rawValue: first), typed != .legacy, rules.fork.supports(typed),
                typed != .blob || rules.allowsBlobTransactions
            else {
                throw TransactionError(.typeNotSupported(first))
            }
            kind = typed
            fields = try Self.decodeList(Array(raw.dropFirst()))
        } else {
            throw TransactionError(.notATransaction)
        }
        var reader = FieldReader(fields: fields)
        let (transaction, signature) = try reader.read(kind)
        if checkRules { try rules.validate(transaction) }
        guard signature.hasValidValues else { throw TransactionError(.invalidSignatureValues) }
        guard signature.isLowS else { throw TransactionError(.highS) }
        self.transaction = transaction
        self.signature = signature
        self.rawBytes = raw
        self.signingHash = transaction.signingHash
        self.hash = Keccak256.hash(raw)
    }

    /// Recovers the sender.
    public func verified() throws(TransactionError) -> SignedTransaction {
        let key: Secp256k1.PublicKey
        do { key = try Secp256k1.recover(hash: signingHash, signature: signature) } catch {
            throw TransactionError(.recoveryFailed)
        }
        return SignedTransaction(transaction: transaction, signature: signature, rawBytes: rawBytes, sender: key.address, hash: hash)
    }

    /// The signed transaction with a sender recovered elsewhere (e.g. by a batch verifier).
    public func verified(sender: Address) -> SignedTransaction {
        SignedTransaction(transaction: transaction, signature: signature, rawBytes: rawBytes, sender: sender, hash: hash)
    }

    private static func decodeList(_ bytes: [UInt8]) throws(TransactionError) -> [RLPItem] {
        let item: RLPItem
        do { item = try RLP.decode(bytes) } catch { throw TransactionError(.malformedRLP(error.description)) }
        guard case .list(let fields) = item else { throw TransactionError(.notATransaction) }
        return fields
    }
}

extension SignedTransaction {
    /// Decodes `raw`, applies `rules` and recovers the sender.
    public init(decoding raw: [UInt8], rules: TransactionRules) throws(TransactionError) {
        self = try UnverifiedTransaction(decoding: raw, rules: rules).verified()
    }
}

/// Reads a transaction's RLP fields in order, naming the field in every error.
private struct FieldReader {
    let fields: [RLPItem]
    var index = 0

    init(fields: [RLPItem]) { self.fields = fields }

    mutating func read(_ kind: Transaction.Kind) throws(TransactionError) -> (Transaction, Secp256k1.RecoverableSignature) {
        let expected = [Transaction.Kind.legacy: 9, .accessList: 11, .dynamicFee: 12, .blob: 14][kind]!
        guard fields.count == expected else {
            throw TransactionError(.wrongFieldCount(expected: expected, actual: fields.count))
        }
        var chainID: UInt64? = nil
        if kind != .legacy { chainID = try chainIDField(try uint256("chainId")) }
        let nonce = try uint64("nonce")
        let tip: UInt256
        let feeCap: UInt256
        if kind == .dynamicFee || kind == .blob {
            tip = try uint256("maxPriorityFeePerGas")
            feeCap = try uint256("maxFeePerGas")
        } else {
            tip = try uint256("gasPrice")
            feeCap = tip
        }
        let gasLimit = try uint64("gasLimit")
        let to = try recipient()
        if kind == .blob, to == nil { throw TransactionError(.blobCreation) }
        let value = try uint256("value")
        let data = try bytes("data")
        let accessList = kind == .legacy ? [] : try readAccessList()
        var maxFeePerBlobGas: UInt256 = 0
        var blobVersionedHashes: [Hash32] = []
        if kind == .blob {
            maxFeePerBlobGas = try uint256("maxFeePerBlobGas")
            blobVersionedHashes = try readBlobVersionedHashes()
        }
        let recoveryID: UInt8
        let vOrParity = try uint256(kind == .legacy ? "v" : "yParity")
        let r = try uint256("r")
        let s = try uint256("s")
        if kind == .legacy {
            (chainID, recoveryID) = try Self.legacyV(vOrParity)
        } else {
            guard let parity = vOrParity.uint64, parity <= 1 else { throw TransactionError(.invalidYParity) }
            recoveryID = UInt8(parity)
        }
        let tx = Transaction(
            kind: kind, chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: feeCap,
            gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList,
            maxFeePerBlobGas: maxFeePerBlobGas, blobVersionedHashes: blobVersionedHashes)
        return (tx, Secp256k1.RecoverableSignature(r: r, s: s, recoveryID: recoveryID))
    }

    /// v = 27/28 (no chain id) or chainId·2 + 35/36 (EIP-155).
    private static func legacyV(_ v: UInt256) throws(TransactionError) -> (UInt64?, UInt8) {
        if v == 27 || v == 28 { return (nil, UInt8(v.l0 - 27)) }
        guard v >= 35 else { throw TransactionError(.invalidV) }
        let (id, parity) = (v - 35).quotientAndRemainder(dividingBy: 2)
        guard let chainID = id.uint64 else {
            throw TransactionError(.chainIDOutOfRange(id.description))
        }
        return (chainID, UInt8(parity.l0))
    }

    private func chainIDField(_ value: UInt256) throws(TransactionError) -> UInt64 {
        guard let id = value.uint64 else { throw TransactionError(.chainIDOutOfRange(value.description)) }
        return id
    }

    private mutating func next() -> RLPItem {
        defer { index += 1 }
        return fields[index]
    }

    private mutating func bytes(_ name: String) throws(TransactionError) -> [UInt8] {
        guard case .bytes(let bytes) = next() else { throw TransactionError(.fieldIsList(name)) }
        return bytes
    }

    private mutating func uint64(_ name: String) throws(TransactionError) -> UInt64 {
        let raw = try bytes(name)
        guard raw.first != 0 else { throw TransactionError(.leadingZeros(name)) }
        guard raw.count <= 8 else { throw TransactionError(.overflow(name, bits: 64)) }
        return raw.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func uint256(_ name: String) throws(TransactionError) -> UInt256 {
        let raw = try bytes(name)
        guard raw.first != 0 else { throw TransactionError(.leadingZeros(name)) }
        guard let value = UInt256(bigEndian: raw) else { throw TransactionError(.overflow(name, bits: 256)) }
        return value
    }

    private mutating func recipient() throws(TransactionError) -> Address? {
        let raw = try bytes("to")
        if raw.isEmpty { return nil }
        return try Self.address(raw, name: "to")
    }

    private static func address(_ raw: [UInt8], name: String) throws(TransactionError) -> Address {
        guard raw.count >= 20 else { throw TransactionError(.addressTooShort(name)) }
        guard let address = Address(bytes: raw) else { throw TransactionError(.addressTooLong(name)) }
        return address
    }

    private mutating func readBlobVersionedHashes() throws(TransactionError) -> [Hash32] {
        guard case .list(let items) = next() else { throw TransactionError(.malformedBlobHashes) }
        guard items.count <= Transaction.maxDecodedBlobHashes else {
            throw TransactionError(.tooManyBlobHashes(items.count, limit: Transaction.maxDecodedBlobHashes))
        }
        var out: [Hash32] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .bytes(let raw) = item else { throw TransactionError(.malformedBlobHashes) }
            guard let hash = Hash32(bytes: raw) else { throw TransactionError(.blobHashLength(raw.count)) }
            out.append(hash)
        }
        return out
    }

    private mutating func readAccessList() throws(TransactionError) -> [AccessListEntry] {
        guard case .list(let entries) = next() else { throw TransactionError(.fieldIsList("accessList")) }
        var out: [AccessListEntry] = []
        out.reserveCapacity(entries.count)
        for entry in entries {
            guard case .list(let pair) = entry, pair.count == 2,
                case .bytes(let addressBytes) = pair[0], case .list(let keys) = pair[1]
            else { throw TransactionError(.malformedAccessList) }
            let address = try Self.address(addressBytes, name: "access-list")
            var storageKeys: [Hash32] = []
            storageKeys.reserveCapacity(keys.count)
            for key in keys {
                guard case .bytes(let keyBytes) = key else { throw TransactionError(.malformedAccessList) }
                guard let hash = Hash32(bytes: keyBytes) else { throw TransactionError(.storageKeyLength(keyBytes.count)) }
                storageKeys.append(hash)
            }
            out.append(AccessListEntry(address: address, storageKeys: storageKeys))
        }
        return out
    }
}
