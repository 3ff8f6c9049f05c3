import MotePrimitives
import MoteTransactions

/// The transaction rules around the EVM (Cancun, with the earlier forks' differences): validity,
/// intrinsic gas, up-front payment, warm addresses, execution, refunds and fees.
public enum TransactionProcessor {
    /// Intrinsic gas (before any code runs): 21000, calldata, creation, initcode, access list.
    public static func intrinsicGas(_ tx: EVMTransaction, fork: Fork) -> UInt64 {
        TransactionRules.intrinsicGas(
            data: tx.data, isCreation: tx.to == nil, accessListAddresses: tx.accessList.count,
            accessListStorageKeys: tx.accessList.reduce(0) { $0 + $1.storageKeys.count }, fork: fork)
    }

    /// Runs `tx` on `state` in `block`. Throws, changing nothing, if the transaction is invalid.
    /// On return `state` holds the transaction's effects (see `EVMState.changes()`).
    public static func execute(
        _ tx: EVMTransaction, block: BlockEnvironment, fork: Fork, state: EVMState
    ) throws(InvalidTransaction) -> TransactionOutcome {
        guard EVM.supports(fork) else { throw InvalidTransaction(.forkNotImplemented) }
        let intrinsic = intrinsicGas(tx, fork: fork)
        guard tx.type <= 2 || (tx.type == 3 && fork >= .cancun) else { throw InvalidTransaction(.typeNotSupported) }
        guard intrinsic <= tx.gasLimit else { throw InvalidTransaction(.intrinsicGasTooLow) }
        guard tx.nonce < UInt64.max else { throw InvalidTransaction(.nonceMax) }
        if fork >= .shanghai, tx.to == nil, tx.data.count > GasCost.maxInitCodeSize {
            throw InvalidTransaction(.initCodeTooLarge)
        }
        guard tx.gasLimit <= block.gasLimit, tx.gasLimit <= UInt64(Int64.max) else {
            throw InvalidTransaction(.gasLimitExceedsBlock)
        }
        // Fees (EIP-1559).
        guard tx.maxPriorityFeePerGas <= tx.maxFeePerGas else { throw InvalidTransaction(.tipAboveFeeCap) }
        guard tx.maxFeePerGas >= block.baseFee else { throw InvalidTransaction(.feeCapBelowBaseFee) }
        let priorityFee = min(tx.maxPriorityFeePerGas, tx.maxFeePerGas &- block.baseFee)
        let effectiveGasPrice = priorityFee &+ block.baseFee
        var (maxCost, overflow) = UInt256(tx.gasLimit).multipliedReportingOverflow(by: tx.maxFeePerGas)
        // Blobs (EIP-4844).
        var blobGasUsed: UInt64 = 0
        var blobFee = UInt256.zero
        if tx.type == 3 {
            guard tx.to != nil else { throw InvalidTransaction(.blobCreation) }
            guard !tx.blobVersionedHashes.isEmpty else { throw InvalidTransaction(.noBlobs) }
            guard tx.blobVersionedHashes.count <= Int(BlobGas.maxPerBlock / BlobGas.perBlob) else {
                throw InvalidTransaction(.tooManyBlobs)
            }
            for hash in tx.blobVersionedHashes where hash.bytes[0] != BlobGas.versionedHashVersion {
                throw InvalidTransaction(.invalidBlobVersion)
            }
            let blobBaseFee = block.blobBaseFee
            guard tx.maxFeePerBlobGas >= blobBaseFee else { throw InvalidTransaction(.blobFeeCapTooLow) }
            blobGasUsed = BlobGas.perBlob * UInt64(tx.blobVersionedHashes.count)
            let (maxBlobFee, o1) = UInt256(blobGasUsed).multipliedReportingOverflow(by: tx.maxFeePerBlobGas)
            let (sum, o2) = maxCost.addingReportingOverflow(maxBlobFee)
            maxCost = sum
            overflow = overflow || o1 || o2
            blobFee = UInt256(blobGasUsed) &* blobBaseFee
        }
        let (total, o3) = maxCost.addingReportingOverflow(tx.value)
        let sender = state.account(tx.sender)
        if sender.nonce > tx.nonce { throw InvalidTransaction(.nonceTooLow) }
        if sender.nonce < tx.nonce { throw InvalidTransaction(.nonceTooHigh) }
        guard !overflow, !o3, sender.balance >= total else { throw InvalidTransaction(.insufficientFunds) }
        guard sender.codeHash == EVMAccount.emptyCodeHash else { throw InvalidTransaction(.senderHasCode) }

        // Valid: pay for the gas up front and bump the nonce.
        let evm = EVM(fork: fork, block: block, state: state)
        evm.origin = tx.sender
        evm.gasPrice = effectiveGasPrice
        evm.blobHashes = tx.blobVersionedHashes
        state.setNonce(sender, sender.nonce + 1)
        state.setBalance(sender, sender.balance &- UInt256(tx.gasLimit) &* effectiveGasPrice &- blobFee)

        // Warm addresses and slots (EIP-2929, EIP-2930, EIP-3651).
        _ = state.warm(sender)
        for address in Precompiles.addresses(fork: fork) { _ = state.warm(state.account(address)) }
        if fork >= .shanghai { _ = state.warm(state.account(block.coinbase)) }
        for entry in tx.accessList {
            let object = state.account(entry.address)
            _ = state.warm(object)
            for key in entry.storageKeys { _ = state.warm(object, slot: key) }
        }

        let gas = Int(tx.gasLimit - intrinsic)
        var result: FrameResult
        var createdAddress: Address?
        if let to = tx.to {
            let target = state.account(to)
            _ = state.warm(target)
            result = evm.processMessage(Message(
                caller: tx.sender, target: to, codeAddress: to, value: tx.value, transfersValue: true,
                input: tx.data, gas: gas, depth: 0, isStatic: false, code: target.code, codeHash: target.codeHash))
        } else {
            let address = EVM.createAddress(sender: tx.sender, nonce: tx.nonce)
            createdAddress = address
            let target = state.account(address)
            _ = state.warm(target)
            if target.hasCodeOrNonce || state.hasStorage(target, address) {
                result = .halt(.addressCollision)
            } else {
                result = evm.processCreate(Message(
                    caller: tx.sender, target: address, codeAddress: address, value: tx.value, transfersValue: true,
                    input: [], gas: gas, depth: 0, isStatic: false, code: tx.data, codeHash: nil))
            }
        }
        if !result.status.isSuccess {
            // Logs and refunds of a failed transaction are dropped (state was reverted per frame).
            state.logs.removeAll()
            state.refund = 0
        }

        // Refund (EIP-3529: at most a fifth of the gas used) and fees.
        let gasUsedBeforeRefund = tx.gasLimit - UInt64(max(0, result.gasLeft))
        let refund = min(gasUsedBeforeRefund / 5, UInt64(max(0, state.refund)))
        let gasUsed = gasUsedBeforeRefund - refund
        state.setBalance(sender, sender.balance &+ UInt256(tx.gasLimit - gasUsed) &* effectiveGasPrice)
        let coinbase = state.account(block.coinbase)
        let fee = UInt256(gasUsed) &* (effectiveGasPrice &- block.baseFee)
        if !fee.isZero || coinbase.exists {
            state.setBalance(coinbase, coinbase.balance &+ fee)
        }
        return TransactionOutcome(
            status: result.status, gasUsed: gasUsed, gasUsedBeforeRefund: gasUsedBeforeRefund, refund: refund,
            output: result.output, logs: state.logs, createdAddress: createdAddress,
            effectiveGasPrice: effectiveGasPrice, blobGasUsed: blobGasUsed)
    }
}
