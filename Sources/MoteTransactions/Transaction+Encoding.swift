import MoteCrypto
import MotePrimitives

extension Transaction {
    /// The fields shared by the signing payload and the signed encoding, in wire order.
    func payloadFields() -> [RLPItem] {
        let to: RLPItem = self.to.map { .address($0) } ?? .bytes([])
        switch kind {
        case .legacy:
            return [.uint(nonce), .uint(gasPrice), .uint(gasLimit), to, .uint(value), .bytes(data)]
        case .accessList:
            return [
                .uint(chainID ?? 0), .uint(nonce), .uint(gasPrice), .uint(gasLimit), to, .uint(value),
                .bytes(data), accessListItem,
            ]
        case .dynamicFee:
            return [
                .uint(chainID ?? 0), .uint(nonce), .uint(maxPriorityFeePerGas), .uint(maxFeePerGas),
                .uint(gasLimit), to, .uint(value), .bytes(data), accessListItem,
            ]
        case .blob:
            return [
                .uint(chainID ?? 0), .uint(nonce), .uint(maxPriorityFeePerGas), .uint(maxFeePerGas),
                .uint(gasLimit), to, .uint(value), .bytes(data), accessListItem,
                .uint(maxFeePerBlobGas), .list(blobVersionedHashes.map { .hash($0) }),
            ]
        }
    }

    var accessListItem: RLPItem {
        .list(accessList.map { .list([.address($0.address), .list($0.storageKeys.map { .hash($0) })]) })
    }

    /// The bytes whose Keccak-256 is signed.
    public var signingPayload: [UInt8] {
        switch kind {
        case .legacy:
            var fields = payloadFields()
            if let chainID { fields += [.uint(chainID), .bytes([]), .bytes([])] }
            return RLP.encode(.list(fields))
        case .accessList, .dynamicFee, .blob:
            return [kind.rawValue] + RLP.encode(.list(payloadFields()))
        }
    }

    /// The hash a sender signs.
    public var signingHash: Hash32 { Keccak256.hash(signingPayload) }

    /// Signs with `key` (deterministic, low-s) and returns the signed transaction.
    public func signed(with key: Secp256k1.PrivateKey) -> SignedTransaction {
        let signature = key.sign(hash: signingHash)
        return SignedTransaction(
            transaction: self, signature: signature, rawBytes: encoded(with: signature), sender: key.address)
    }

    /// The signed encoding of this transaction with `signature`.
    public func encoded(with signature: Secp256k1.RecoverableSignature) -> [UInt8] {
        let parity = UInt256(UInt64(signature.recoveryID))
        switch kind {
        case .legacy:
            let v = chainID.map { UInt256($0) * 2 + 35 + parity } ?? UInt256(27) + parity
            return RLP.encode(.list(payloadFields() + [.uint(v), .uint(signature.r), .uint(signature.s)]))
        case .accessList, .dynamicFee, .blob:
            let fields = payloadFields() + [.uint(parity), .uint(signature.r), .uint(signature.s)]
            return [kind.rawValue] + RLP.encode(.list(fields))
        }
    }
}
