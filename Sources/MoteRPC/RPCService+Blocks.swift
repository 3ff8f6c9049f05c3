import MoteChain
import MoteLedger
import MotePrimitives
import MoteStorage
import MoteTransactions

/// Blocks, transactions and receipts in the JSON shapes Ethereum clients parse.
extension RPCService {
    /// keccak256(rlp([])): the uncle hash of a block without uncles.
    static let emptyUnclesHash = try! Hash32(hex: "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")

    /// The header fields of a block (as `newHeads` sends them).
    func headerJSON(_ header: BlockHeader, hash: Hash32) -> [String: JSON] {
        [
            "number": .quantity(header.height), "hash": .hash(hash), "parentHash": .hash(header.parentHash),
            "nonce": .string("0x0000000000000000"), "sha3Uncles": .hash(Self.emptyUnclesHash),
            "logsBloom": .data(header.logsBloom.bytes), "transactionsRoot": .hash(header.transactionsRoot),
            "stateRoot": .hash(header.stateRoot), "receiptsRoot": .hash(header.receiptsRoot), "miner": .address(header.producer),
            "difficulty": .quantity(0), "totalDifficulty": .quantity(0), "extraData": .string("0x"),
            "gasLimit": .quantity(header.gasLimit), "gasUsed": .quantity(header.gasUsed), "timestamp": .quantity(header.timestamp),
            "baseFeePerGas": .quantity(header.baseFee), "mixHash": .hash(.zero), "epoch": .quantity(header.epoch),
            "vrfProof": .data(header.vrfProof),
        ]
    }

    func blockJSON(_ block: Block, full: Bool) -> JSON {
        var object = headerJSON(block.header, hash: block.hash)
        object["size"] = .quantity(block.encoded.count)
        object["uncles"] = .array([])
        object["transactions"] = .array(block.transactions.enumerated().map { index, tx in
            full ? transactionJSON(tx, block: block, index: index) : .hash(tx.hash)
        })
        return .object(object)
    }

    /// A transaction; `block` nil for a pending one.
    func transactionJSON(_ signed: SignedTransaction, block: Block?, index: Int) -> JSON {
        let tx = signed.transaction
        var object: [String: JSON] = [
            "hash": .hash(signed.hash), "from": .address(signed.sender), "to": tx.to.map { .address($0) } ?? .null,
            "nonce": .quantity(tx.nonce), "gas": .quantity(tx.gasLimit), "value": .quantity(tx.value), "input": .data(tx.data),
            "type": .quantity(UInt64(tx.kind.rawValue)), "v": .quantity(signed.v), "r": .quantity(signed.signature.r),
            "s": .quantity(signed.signature.s),
            "blockHash": block.map { .hash($0.hash) } ?? .null, "blockNumber": block.map { .quantity($0.height) } ?? .null,
            "transactionIndex": block == nil ? .null : .quantity(index),
        ]
        if let chainID = tx.chainID { object["chainId"] = .quantity(chainID) }
        switch tx.kind {
        case .legacy:
            object["gasPrice"] = .quantity(tx.maxFeePerGas)
        case .accessList, .dynamicFee, .blob:
            object["yParity"] = .quantity(UInt64(signed.signature.recoveryID))
            object["accessList"] = .array(tx.accessList.map { entry in
                .object(["address": .address(entry.address), "storageKeys": .array(entry.storageKeys.map { .hash($0) })])
            })
            if tx.kind == .blob {
                object["maxFeePerBlobGas"] = .quantity(tx.maxFeePerBlobGas)
                object["blobVersionedHashes"] = .array(tx.blobVersionedHashes.map { .hash($0) })
            }
            if tx.kind == .dynamicFee || tx.kind == .blob {
                object["maxFeePerGas"] = .quantity(tx.maxFeePerGas)
                object["maxPriorityFeePerGas"] = .quantity(tx.maxPriorityFeePerGas)
                // Mined: the price paid; pending: the most it may pay.
                let baseFee = block?.header.baseFee
                object["gasPrice"] = .quantity(baseFee.map { min(tx.maxFeePerGas, $0 + tx.maxPriorityFeePerGas) } ?? tx.maxFeePerGas)
            } else {
                object["gasPrice"] = .quantity(tx.maxFeePerGas)
            }
        }
        return .object(object)
    }

    /// A finalized transaction, or a pooled one, or null.
    func transaction(hash: Hash32) throws(RPCError) -> JSON {
        if let location = try read({ () throws(StorageError) in try backend.store.transactionLocation(hash) }),
            let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: location.height) }),
            Int(location.index) < block.transactions.count
        {
            return transactionJSON(block.transactions[Int(location.index)], block: block, index: Int(location.index))
        }
        if let pooled = backend.pool.transaction(hash) { return transactionJSON(pooled, block: nil, index: 0) }
        return .null
    }

    func receipt(hash: Hash32) throws(RPCError) -> JSON {
        guard let location = try read({ () throws(StorageError) in try backend.store.transactionLocation(hash) }) else { return .null }
        let receipts = try blockReceiptsJSON(height: location.height)
        guard Int(location.index) < receipts.count else { return .null }
        return receipts[Int(location.index)]
    }

    func blockReceipts(height: UInt64) throws(RPCError) -> JSON { .array(try blockReceiptsJSON(height: height)) }

    /// The receipts of a block, with their logs numbered across the block.
    func blockReceiptsJSON(height: UInt64) throws(RPCError) -> [JSON] {
        guard let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }),
            let receipts = try read({ () throws(StorageError) in try backend.store.receipts(atHeight: height) })
        else { return [] }
        var logIndex = 0
        var out: [JSON] = []
        for (index, (tx, receipt)) in zip(block.transactions, receipts).enumerated() {
            var logs: [JSON] = []
            for log in receipt.logs {
                logs.append(logJSON(log, block: block, transaction: tx.hash, transactionIndex: index, logIndex: logIndex))
                logIndex += 1
            }
            var object: [String: JSON] = [
                "transactionHash": .hash(tx.hash), "transactionIndex": .quantity(index), "blockHash": .hash(block.hash),
                "blockNumber": .quantity(block.height), "from": .address(tx.sender),
                "to": tx.transaction.to.map { .address($0) } ?? .null, "cumulativeGasUsed": .quantity(receipt.cumulativeGasUsed),
                "gasUsed": .quantity(receipt.gasUsed), "effectiveGasPrice": .quantity(receipt.effectiveGasPrice),
                "contractAddress": .null, "logs": .array(logs), "logsBloom": .data(receipt.bloom.bytes),
                "type": .quantity(UInt64(receipt.kind.rawValue)), "status": .quantity(receipt.succeeded ? 1 : 0),
            ]
            if let reason = receipt.failureReason { object["failureReason"] = .string(reason) }
            out.append(.object(object))
        }
        return out
    }

    func logJSON(_ log: Log, block: Block, transaction: Hash32, transactionIndex: Int, logIndex: Int) -> JSON {
        .object([
            "address": .address(log.address), "topics": .array(log.topics.map { .hash($0) }), "data": .data(log.data),
            "blockNumber": .quantity(block.height), "blockHash": .hash(block.hash), "transactionHash": .hash(transaction),
            "transactionIndex": .quantity(transactionIndex), "logIndex": .quantity(logIndex), "removed": .bool(false),
        ])
    }

    // MARK: Fees

    /// The most blocks `eth_feeHistory` reports at once.
    static let maxFeeHistoryBlocks: UInt64 = 1_024

    /// `eth_feeHistory(blockCount, newestBlock, rewardPercentiles)`.
    func feeHistory(_ params: Params) throws(RPCError) -> JSON {
        try params.expect(2...3)
        let count: UInt64
        switch try params.required(0) {
        case .string(let text):
            guard let n = text.hasPrefix("0x") ? try? Params.quantity64(text) : UInt64(text) else {
                throw Params.invalid(0, "expected a block count")
            }
            count = n
        case .number(let text):
            guard let n = UInt64(text) else { throw Params.invalid(0, "expected a block count") }
            count = n
        default: throw Params.invalid(0, "expected a block count")
        }
        var percentiles: [Double] = []
        if let value = params.value(2) {
            guard let items = value.arrayValue, items.count <= 100 else { throw Params.invalid(2, "expected at most 100 percentiles") }
            for item in items {
                guard case .number(let text) = item, let p = Double(text), (0...100).contains(p), p >= (percentiles.last ?? 0) else {
                    throw Params.invalid(2, "percentiles must be numbers from 0 to 100 in ascending order")
                }
                percentiles.append(p)
            }
        }
        guard let newest = try height(of: try params.blockTag(1)) else { throw RPCError.resourceNotFound("block not found") }
        let blocks = min(count, Self.maxFeeHistoryBlocks, newest + 1)
        guard blocks > 0 else { return .object(["oldestBlock": .quantity(0), "baseFeePerGas": .array([]), "gasUsedRatio": .array([])]) }
        let oldest = newest + 1 - blocks
        var baseFees: [JSON] = []
        var ratios: [JSON] = []
        var rewards: [JSON] = []
        var last: BlockHeader? = nil
        for height in oldest...newest {
            guard let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }) else { break }
            let header = block.header
            baseFees.append(.quantity(header.baseFee))
            ratios.append(.number(header.gasLimit == 0 ? "0" : String(Double(header.gasUsed) / Double(header.gasLimit))))
            if !percentiles.isEmpty {
                let receipts = try read({ () throws(StorageError) in try backend.store.receipts(atHeight: height) }) ?? []
                rewards.append(.array(Self.rewards(block: block, receipts: receipts, percentiles: percentiles).map { .quantity($0) }))
            }
            last = header
        }
        if let last { baseFees.append(.quantity(FeeMarket.nextBaseFee(parent: last, parameters: backend.genesis.parameters))) }
        var object: [String: JSON] = [
            "oldestBlock": .quantity(oldest), "baseFeePerGas": .array(baseFees), "gasUsedRatio": .array(ratios),
        ]
        if !percentiles.isEmpty { object["reward"] = .array(rewards) }
        return .object(object)
    }

    /// The priority fee at each percentile of a block's gas, the transactions sorted by the tip
    /// they paid (as go-ethereum computes it); zeros for an empty block.
    static func rewards(block: Block, receipts: [Receipt], percentiles: [Double]) -> [UInt256] {
        let baseFee = block.header.baseFee
        var paid: [(tip: UInt256, gas: UInt64)] = zip(block.transactions, receipts).map { tx, receipt in
            let t = tx.transaction
            return (min(t.maxPriorityFeePerGas, t.maxFeePerGas > baseFee ? t.maxFeePerGas - baseFee : .zero), receipt.gasUsed)
        }
        guard !paid.isEmpty, block.header.gasUsed > 0 else { return percentiles.map { _ in .zero } }
        paid.sort { $0.tip < $1.tip }
        var out: [UInt256] = []
        var index = 0
        var sum = paid[0].gas
        for p in percentiles {
            let threshold = UInt64(Double(block.header.gasUsed) * p / 100)
            while sum < threshold, index < paid.count - 1 {
                index += 1
                sum += paid[index].gas
            }
            out.append(paid[index].tip)
        }
        return out
    }
}
