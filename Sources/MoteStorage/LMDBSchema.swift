import MoteChain
import MotePrimitives

/// The whole on-disk schema of `LMDBChainStore`: one LMDB environment in `<datadir>/chain`,
/// one named table per kind of record, and how keys and values are encoded.
///
/// Numbers in keys are big-endian, so a cursor walks heights in order. Values are RLP (the
/// encodings of `MoteChain`) unless noted. Any change to a table, a key or a value encoding
/// bumps `version`; a store of another version is refused at open.
enum LMDBSchema {
    /// The schema version, written when a store is created and checked at every open.
    /// 2: system-contract storage holds 32-byte words (`StorageLayout`), no longer whole values.
    static let version: UInt32 = 2

    /// Every table of the schema.
    enum Table: String, CaseIterable {
        /// Meta key (ASCII) → value: `schemaVersion` (UInt32 BE), `head` (see `encodeHead`),
        /// `seenCommit` (the head block's encoded commit certificate; absent or empty: none).
        case meta
        /// Height (UInt64 BE) → block hash (32 bytes): the canonical chain.
        case blockHashes
        /// Block hash (32 bytes) → height (UInt64 BE).
        case blockHeights
        /// Height (UInt64 BE) → `BlockHeader.encoded`.
        case headers
        /// Height (UInt64 BE) → `Block.storageEncoding` (header, raw transactions, senders).
        case blocks
        /// Height (UInt64 BE) → RLP list of `Receipt.storageEncoding` byte strings, one per transaction.
        case receipts
        /// Transaction hash (32 bytes) → height (UInt64 BE) ‖ index in the block (UInt32 BE).
        case transactions
        /// Address (20 bytes) → `Account.encoded`: the latest flat state.
        case accounts
        /// Address (20 bytes) ‖ slot (32 bytes) → slot value (raw bytes): the latest flat storage.
        case storage
        /// Node hash (Keccak-256, 32 bytes) → node RLP. Reserved: the ledger keeps its tries in
        /// memory and rebuilds them from the flat state at open, so it writes no nodes here today.
        case trieNodes
    }

    /// Meta key of the schema version.
    static let schemaVersionKey = LMDBKey("schemaVersion")
    /// Meta key of the head.
    static let headKey = LMDBKey("head")
    /// Meta key of the head block's commit certificate, written in the same transaction as
    /// the block (an addition within schema version 1: older stores simply lack it).
    static let seenCommitKey = LMDBKey("seenCommit")

    /// The opened handles of every table.
    struct Tables: Sendable {
        let meta, blockHashes, blockHeights, headers, blocks, receipts, transactions, accounts, storage, trieNodes: LMDBTable

        /// Opens every table in `txn`; with `create`, creates the missing ones. Returns nil if a
        /// table is missing and `create` is false.
        init?(_ txn: LMDBTransaction, create: Bool) throws(StorageError) {
            var opened: [Table: LMDBTable] = [:]
            for table in Table.allCases {
                guard let handle = try txn.openTable(table.rawValue, create: create) else { return nil }
                opened[table] = handle
            }
            meta = opened[.meta]!
            blockHashes = opened[.blockHashes]!
            blockHeights = opened[.blockHeights]!
            headers = opened[.headers]!
            blocks = opened[.blocks]!
            receipts = opened[.receipts]!
            transactions = opened[.transactions]!
            accounts = opened[.accounts]!
            storage = opened[.storage]!
            trieNodes = opened[.trieNodes]!
        }
    }

    // MARK: Value encodings

    /// UInt32 big-endian.
    static func encode(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// UInt64 big-endian.
    static func encode(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// Reads `count` (≤ 8) big-endian bytes at `offset` of `bytes`.
    static func bigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in offset..<offset + count { value = value << 8 | UInt64(bytes[i]) }
        return value
    }

    /// A transaction location: height (8 bytes BE) ‖ index (4 bytes BE).
    static func encode(_ location: TransactionLocation) -> [UInt8] {
        encode(location.height) + encode(location.index)
    }

    /// Decodes `encode(_: TransactionLocation)`.
    static func decodeLocation(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> TransactionLocation {
        guard bytes.count == 12 else { throw StorageError(.corrupt, "transaction location: expected 12 bytes, got \(bytes.count)") }
        return TransactionLocation(height: bigEndian(bytes, count: 8), index: UInt32(bigEndian(bytes, at: 8, count: 4)))
    }

    /// The head: `rlp([height, hash, stateRoot, totalSupply, minted, burned])`.
    static func encodeHead(_ head: ChainHead) -> [UInt8] {
        RLP.encode(.list([
            .uint(head.height), .hash(head.hash), .hash(head.stateRoot), .uint(head.totalSupply), .uint(head.minted),
            .uint(head.burned),
        ]))
    }

    /// Decodes `encodeHead`.
    static func decodeHead(_ bytes: [UInt8]) throws(StorageError) -> ChainHead {
        do {
            let fields = try RLP.decode(bytes).listValue()
            guard fields.count == 6, let hash = Hash32(bytes: try fields[1].bytesValue()),
                let stateRoot = Hash32(bytes: try fields[2].bytesValue())
            else { throw StorageError(.corrupt, "head: malformed") }
            return ChainHead(
                height: try fields[0].uint64Value(), hash: hash, stateRoot: stateRoot,
                totalSupply: try fields[3].uint256Value(), minted: try fields[4].uint256Value(),
                burned: try fields[5].uint256Value())
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.corrupt, "head: \(error)")
        }
    }

    /// Receipts of one block: an RLP list of each receipt's storage encoding as a byte string.
    static func encodeReceipts(_ receipts: [Receipt]) -> [UInt8] {
        RLP.encode(.list(receipts.map { .bytes($0.storageEncoding) }))
    }

    /// Decodes `encodeReceipts`.
    static func decodeReceipts(_ bytes: [UInt8], height: UInt64) throws(StorageError) -> [Receipt] {
        let items: [RLPItem]
        do { items = try RLP.decode(bytes).listValue() } catch {
            throw StorageError(.corrupt, "receipts at height \(height): \(error)")
        }
        var receipts: [Receipt] = []
        receipts.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do { receipts.append(try Receipt(storageEncoding: try item.bytesValue())) } catch {
                throw StorageError(.corrupt, "receipt \(i) at height \(height): \(error)")
            }
        }
        return receipts
    }
}
