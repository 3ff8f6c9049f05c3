import Foundation
import MoteChain
import MotePrimitives

/// The node's `ChainStore`: an LMDB environment in `<datadir>/chain` (schema in
/// `LMDBSchema.swift`).
///
/// Each read runs in its own short read transaction, so readers never block the writer nor
/// each other. `commit(_:)` writes a block and everything it changed in one write
/// transaction, fsynced before it returns: a block whose commit returned survives a crash or
/// `kill -9`, and a commit interrupted half-way leaves no trace.
///
/// One process at a time may open a data directory (an exclusive lock on
/// `<datadir>/chain/mote.lock`); the store closes when the last reference goes.
///
/// `@unchecked Sendable`: its only state is the environment (thread-safe, see
/// `LMDBEnvironment`) and table handles that are immutable once opened.
public final class LMDBChainStore: ChainStore, @unchecked Sendable {
    /// How to open the environment.
    public struct Options: Sendable {
        /// The largest the database may grow to, in bytes. Address space only: the file grows
        /// as it fills. 1 TiB on 64-bit systems, 1 GiB on 32-bit ones.
        public var mapSize: Int
        /// The most concurrent read transactions.
        public var maxReaders: UInt32

        /// The default map size.
        public static let defaultMapSize = MemoryLayout<Int>.size >= 8 ? 1 << 40 : 1 << 30

        /// Options with the given map size and reader limit.
        public init(mapSize: Int = Options.defaultMapSize, maxReaders: UInt32 = 512) {
            self.mapSize = mapSize
            self.maxReaders = maxReaders
        }
    }

    /// The environment's folder: `<datadir>/chain`.
    public let path: String
    private let environment: LMDBEnvironment
    private let tables: LMDBSchema.Tables

    /// Opens the chain store of data directory `dataDirectory`, creating the directory and an
    /// empty store if there is none.
    ///
    /// Throws `StorageError(.incompatible, …)` for a folder that holds something other than a
    /// Mote chain store or a store of another schema version, and `StorageError(.io, …)` when
    /// the directory cannot be created or another process has the store open.
    public convenience init(dataDirectory: String, options: Options = Options()) throws(StorageError) {
        try self.init(dataDirectory: dataDirectory, options: options, schemaVersion: LMDBSchema.version)
    }

    /// Opens with `schemaVersion` in place of the current one (tests write other versions).
    package init(dataDirectory: String, options: Options, schemaVersion: UInt32) throws(StorageError) {
        path = (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/chain"
        environment = try LMDBEnvironment(
            path: path, mapSize: options.mapSize, maxTables: UInt32(LMDBSchema.Table.allCases.count + 2),
            maxReaders: options.maxReaders)
        let path = path
        tables = try environment.write { txn throws(StorageError) -> LMDBSchema.Tables in
            guard let meta = try txn.openTable(LMDBSchema.Table.meta.rawValue, create: false) else {
                // No meta table: a new environment, or some other LMDB database.
                guard try txn.mainTableEntries() == 0 else {
                    throw StorageError(.incompatible, "\(path): an LMDB database, but not a Mote chain store")
                }
                guard let tables = try LMDBSchema.Tables(txn, create: true) else {
                    throw StorageError(.io, "\(path): could not create the tables")
                }
                try txn.put(tables.meta, LMDBSchema.schemaVersionKey, LMDBSchema.encode(schemaVersion))
                return tables
            }
            guard let stored = try txn.get(meta, LMDBSchema.schemaVersionKey), stored.count == 4 else {
                throw StorageError(.incompatible, "\(path): no schema version: not a Mote chain store")
            }
            let version = UInt32(LMDBSchema.bigEndian(stored, count: 4))
            guard version == schemaVersion else {
                throw StorageError(
                    .incompatible,
                    "\(path): chain store schema version \(version), but this build reads version \(schemaVersion)")
            }
            guard let tables = try LMDBSchema.Tables(txn, create: false) else {
                throw StorageError(.corrupt, "\(path): schema version \(version) but tables are missing")
            }
            return tables
        }
    }

    /// Opens the chain store of data directory `dataDirectory` for reading only: nothing is
    /// created, no lock is taken, so it works beside a node that has the store open (`mote
    /// status`). Every write (`commit`) throws.
    ///
    /// Throws `StorageError(.incompatible, …)` when `<dataDirectory>/chain` does not exist or
    /// holds no Mote chain store of this build's schema version.
    public init(readOnlyDataDirectory dataDirectory: String, options: Options = Options()) throws(StorageError) {
        path = (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/chain"
        environment = try LMDBEnvironment(
            readOnlyPath: path, mapSize: options.mapSize, maxTables: UInt32(LMDBSchema.Table.allCases.count + 2),
            maxReaders: options.maxReaders)
        let path = path
        tables = try environment.readOpeningTables { txn throws(StorageError) -> LMDBSchema.Tables in
            guard let meta = try txn.openTable(LMDBSchema.Table.meta.rawValue, create: false),
                let stored = try txn.get(meta, LMDBSchema.schemaVersionKey), stored.count == 4
            else { throw StorageError(.incompatible, "\(path): not a Mote chain store") }
            let version = UInt32(LMDBSchema.bigEndian(stored, count: 4))
            guard version == LMDBSchema.version else {
                throw StorageError(
                    .incompatible, "\(path): chain store schema version \(version), but this build reads version \(LMDBSchema.version)")
            }
            guard let tables = try LMDBSchema.Tables(txn, create: false) else {
                throw StorageError(.corrupt, "\(path): schema version \(version) but tables are missing")
            }
            return tables
        }
    }

    // MARK: BlockReader

    public func head() throws(StorageError) -> ChainHead? {
        try environment.read { txn throws(StorageError) in try readHead(txn) }
    }

    public func blockHash(atHeight height: UInt64) throws(StorageError) -> Hash32? {
        try environment.read { txn throws(StorageError) -> Hash32? in
            guard let bytes = try txn.get(tables.blockHashes, LMDBKey(height: height)) else { return nil }
            guard bytes.count == 32 else { throw StorageError(.corrupt, "block hash at height \(height): not 32 bytes") }
            return Hash32(copying: bytes)
        }
    }

    public func height(ofBlock hash: Hash32) throws(StorageError) -> UInt64? {
        try environment.read { txn throws(StorageError) -> UInt64? in
            guard let bytes = try txn.get(tables.blockHeights, LMDBKey(hash)) else { return nil }
            guard bytes.count == 8 else { throw StorageError(.corrupt, "height of block \(hash): not 8 bytes") }
            return LMDBSchema.bigEndian(bytes, count: 8)
        }
    }

    public func header(atHeight height: UInt64) throws(StorageError) -> BlockHeader? {
        guard let bytes = try read(tables.headers, LMDBKey(height: height)) else { return nil }
        do { return try BlockHeader(encoded: bytes) } catch {
            throw StorageError(.corrupt, "header at height \(height): \(error)")
        }
    }

    public func block(atHeight height: UInt64) throws(StorageError) -> Block? {
        guard let bytes = try read(tables.blocks, LMDBKey(height: height)) else { return nil }
        do { return try Block(storageEncoding: bytes) } catch {
            throw StorageError(.corrupt, "block at height \(height): \(error)")
        }
    }

    public func receipts(atHeight height: UInt64) throws(StorageError) -> [Receipt]? {
        guard let bytes = try read(tables.receipts, LMDBKey(height: height)) else { return nil }
        return try LMDBSchema.decodeReceipts(bytes, height: height)
    }

    public func seenCommit() throws(StorageError) -> [UInt8]? {
        guard let bytes = try read(tables.meta, LMDBSchema.seenCommitKey), !bytes.isEmpty else { return nil }
        return bytes
    }

    // MARK: IndexReader

    public func transactionLocation(_ hash: Hash32) throws(StorageError) -> TransactionLocation? {
        try environment.read { txn throws(StorageError) -> TransactionLocation? in
            guard let bytes = try txn.get(tables.transactions, LMDBKey(hash)) else { return nil }
            return try LMDBSchema.decodeLocation(bytes)
        }
    }

    // MARK: StateReader

    public func account(_ address: Address) throws(StorageError) -> Account? {
        guard let bytes = try read(tables.accounts, LMDBKey(address)) else { return nil }
        do { return try Account(encoded: bytes) } catch {
            throw StorageError(.corrupt, "account \(address): \(error)")
        }
    }

    /// One read transaction, the addresses looked up in key order through one cursor.
    public func accounts(_ addresses: [Address]) throws(StorageError) -> [Account?] {
        let order = addresses.indices.sorted { addresses[$0] < addresses[$1] }
        var result = [Account?](repeating: nil, count: addresses.count)
        try environment.read { txn throws(StorageError) in
            try txn.withCursor(tables.accounts) { cursor throws(StorageError) in
                for i in order {
                    guard let bytes = try cursor.get(LMDBKey(addresses[i])) else { continue }
                    do { result[i] = try Account(encoded: Array(bytes)) } catch {
                        throw StorageError(.corrupt, "account \(addresses[i]): \(error)")
                    }
                }
            }
        }
        return result
    }

    public func storageValue(_ address: Address, slot: Hash32) throws(StorageError) -> [UInt8]? {
        try read(tables.storage, LMDBKey(address, slot))
    }

    public func trieNode(_ hash: Hash32) throws(StorageError) -> [UInt8]? {
        try read(tables.trieNodes, LMDBKey(hash))
    }

    public func forEachAccount(_ body: (Address, Account) throws(StorageError) -> Void) throws(StorageError) {
        try environment.read { txn throws(StorageError) in
            try txn.forEach(tables.accounts) { key, value throws(StorageError) in
                guard let address = Address(bytes: key) else { throw StorageError(.corrupt, "account key of \(key.count) bytes") }
                do { try body(address, try Account(encoded: Array(value))) } catch let error as StorageError { throw error } catch {
                    throw StorageError(.corrupt, "account \(address): \(error)")
                }
                return true
            }
        }
    }

    public func forEachStorageSlot(of address: Address, _ body: (Hash32, [UInt8]) throws(StorageError) -> Void) throws(StorageError) {
        try environment.read { txn throws(StorageError) in
            try txn.forEach(tables.storage, prefix: address.bytes) { key, value throws(StorageError) in
                guard key.count == 52, let slot = Hash32(bytes: key[20...]) else {
                    throw StorageError(.corrupt, "storage key of \(key.count) bytes")
                }
                try body(slot, Array(value))
                return true
            }
        }
    }

    // MARK: ChainWriter

    /// Commits since the memory map's pages were last released (`releaseMappedPages`).
    private let commitsSinceRelease = LockedCounter()
    /// Every this many commits the store releases its mapped pages: without it, every page
    /// of the growing database the node once touched stays in its resident memory (the
    /// file-backed part of its RSS grows by about the bytes stored per block, forever).
    static let commitsPerPageRelease = 64

    public func commit(_ commit: BlockCommit) throws(StorageError) {
        defer {
            if commitsSinceRelease.increment() % Self.commitsPerPageRelease == 0 { environment.releaseMappedPages() }
        }
        try environment.write { txn throws(StorageError) in
            // The head is read inside the write transaction: no other writer can move it
            // between the check and the write.
            let blockHash = try commit.validate(extending: try readHead(txn))
            let block = commit.block
            let height = LMDBKey(height: block.height)

            // Heights only grow, so the per-height tables append (LMDB checks the order).
            try txn.put(tables.blockHashes, height, blockHash.bytes, append: true)
            try txn.put(tables.blockHeights, LMDBKey(blockHash), LMDBSchema.encode(block.height))
            try txn.put(tables.headers, height, block.header.encoded, append: true)
            try txn.put(tables.blocks, height, block.storageEncoding, append: true)
            try txn.put(tables.receipts, height, LMDBSchema.encodeReceipts(commit.receipts), append: true)

            // Index entries and accounts are written in key order through one cursor each, so
            // consecutive writes usually land on the page the cursor is already on.
            var location = LMDBSchema.encode(TransactionLocation(height: block.height, index: 0))
            let byHash = block.transactions.indices.sorted { block.transactions[$0].hash < block.transactions[$1].hash }
            try txn.withCursor(tables.transactions) { cursor throws(StorageError) in
                for i in byHash {
                    let index = UInt32(i)
                    location[8] = UInt8(index >> 24)
                    location[9] = UInt8(truncatingIfNeeded: index >> 16)
                    location[10] = UInt8(truncatingIfNeeded: index >> 8)
                    location[11] = UInt8(truncatingIfNeeded: index)
                    try cursor.put(LMDBKey(block.transactions[i].hash), location)
                }
            }
            // Nodes are content-addressed: one already stored is the same bytes.
            for node in commit.trieNodes {
                try txn.put(tables.trieNodes, LMDBKey(node.hash), node.rlp, keepExisting: true)
            }
            try txn.withCursor(tables.accounts) { cursor throws(StorageError) in
                for change in commit.accounts {
                    if let account = change.account {
                        try cursor.put(LMDBKey(change.address), account.encoded)
                    } else {
                        try cursor.delete(LMDBKey(change.address))
                    }
                }
            }
            for change in commit.storage {
                if let value = change.value {
                    try txn.put(tables.storage, LMDBKey(change.address, change.slot), value)
                } else {
                    try txn.delete(tables.storage, LMDBKey(change.address, change.slot))
                }
            }
            try txn.put(tables.meta, LMDBSchema.seenCommitKey, commit.certificate)
            try txn.put(tables.meta, LMDBSchema.headKey, LMDBSchema.encodeHead(commit.head))
        }
    }

    // MARK: Helpers

    /// The value under `key` in `table`, copied out of a short read transaction.
    private func read(_ table: LMDBTable, _ key: LMDBKey) throws(StorageError) -> [UInt8]? {
        try environment.read { txn throws(StorageError) in try txn.getBytes(table, key) }
    }

    /// The head as stored in `txn`'s snapshot.
    private func readHead(_ txn: LMDBTransaction) throws(StorageError) -> ChainHead? {
        guard let bytes = try txn.get(tables.meta, LMDBSchema.headKey) else { return nil }
        return try LMDBSchema.decodeHead(Array(bytes))
    }
}

/// A counter shared by threads.
///
/// `@unchecked Sendable`: `value` is only touched under `lock`.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// Adds one and returns the new value.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
