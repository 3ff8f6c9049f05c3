internal import CLMDB
import Foundation
import MotePrimitives

/// The Swift owner of one LMDB environment (an `MDB_env`) and of the lock file that keeps a
/// second process out of it. It hands out transactions that live for one closure call; no
/// LMDB type leaves this target.
///
/// `@unchecked Sendable`: the environment is opened with `MDB_NOTLS`, so any thread may run a
/// read transaction; every transaction begins and ends inside one synchronous call on one
/// thread (LMDB's writer mutex must be released by the thread that took it); the pointer and
/// the lock descriptor are set in `init` and only released in `deinit`, when no call can be
/// running.
final class LMDBEnvironment: @unchecked Sendable {
    private let env: OpaquePointer
    private let lockDescriptor: Int32
    /// The environment's folder.
    let path: String

    /// Opens (creating if needed) the environment in folder `path`, which must not be in use by
    /// another process.
    init(path: String, mapSize: Int, maxTables: UInt32, maxReaders: UInt32) throws(StorageError) {
        self.path = path
        try Self.makeDirectory(path)
        let lock = try Self.lockExclusively(path + "/mote.lock")

        // Default durability: every commit is fsynced before `mdb_txn_commit` returns.
        let env: OpaquePointer
        do {
            env = try Self.openEnvironment(path, flags: 0, mapSize: mapSize, maxTables: maxTables, maxReaders: maxReaders)
        } catch {
            close(lock)
            throw error
        }
        self.env = env
        self.lockDescriptor = lock
        // Reader slots left by a process that was killed while reading: nobody else holds the
        // lock, so every slot is stale.
        var dead: Int32 = 0
        _ = mdb_reader_check(env, &dead)
    }

    /// Opens the existing environment in folder `path` for reading only (`MDB_RDONLY`): no
    /// exclusive lock, so it works beside a node that has the store open for writing (LMDB
    /// lets readers and one writer share an environment). Creates nothing but LMDB's own
    /// reader table (`lock.mdb`) when it is missing; refuses a folder without an LMDB data
    /// file. Every write transaction on it fails.
    init(readOnlyPath path: String, mapSize: Int, maxTables: UInt32, maxReaders: UInt32) throws(StorageError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw StorageError(.incompatible, "\(path): no such folder: no chain store here")
        }
        guard stat(path + "/data.mdb", &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw StorageError(.incompatible, "\(path): no data.mdb: not a Mote chain store")
        }
        self.env = try Self.openEnvironment(
            path, flags: UInt32(MDB_RDONLY), mapSize: mapSize, maxTables: maxTables, maxReaders: maxReaders)
        self.lockDescriptor = -1  // no mote.lock: `deinit`'s close(-1) is a no-op
    }

    /// Creates and opens an `MDB_env` in folder `path` with `flags` besides MDB_NOTLS (read
    /// transactions are not tied to a thread: Swift tasks hop threads) and MDB_NORDAHEAD
    /// (lookups are random; read-ahead would only fill the page cache).
    private static func openEnvironment(
        _ path: String, flags: UInt32, mapSize: Int, maxTables: UInt32, maxReaders: UInt32
    ) throws(StorageError) -> OpaquePointer {
        var created: OpaquePointer?
        var rc = mdb_env_create(&created)
        guard rc == MDB_SUCCESS, let env = created else { throw lmdbError("mdb_env_create", rc) }
        rc = mdb_env_set_mapsize(env, mapSize)
        if rc == MDB_SUCCESS { rc = mdb_env_set_maxdbs(env, maxTables) }
        if rc == MDB_SUCCESS { rc = mdb_env_set_maxreaders(env, maxReaders) }
        if rc == MDB_SUCCESS { rc = mdb_env_open(env, path, flags | UInt32(MDB_NOTLS) | UInt32(MDB_NORDAHEAD), 0o644) }
        guard rc == MDB_SUCCESS else {
            mdb_env_close(env)
            if rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH {
                throw StorageError(.incompatible, "open \(path): not a Mote chain store (\(String(cString: mdb_strerror(rc))))")
            }
            throw lmdbError(flags & UInt32(MDB_RDONLY) != 0 ? "open \(path) read-only" : "open \(path)", rc)
        }
        return env
    }

    deinit {
        mdb_env_close(env)
        close(lockDescriptor)
    }

    /// Runs `body` in a read-only transaction that is then committed rather than aborted, so
    /// the table handles it opens stay valid for the environment's lifetime (LMDB closes
    /// handles opened in an aborted transaction).
    func readOpeningTables<R>(_ body: (LMDBTransaction) throws(StorageError) -> R) throws(StorageError) -> R {
        var handle: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &handle)
        guard rc == MDB_SUCCESS, let txn = handle else { throw lmdbError("begin read transaction", rc) }
        let result: R
        do {
            result = try body(LMDBTransaction(txn: txn))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        rc = mdb_txn_commit(txn)
        guard rc == MDB_SUCCESS else { throw lmdbError("end read transaction", rc) }
        return result
    }

    /// Runs `body` in a read-only transaction: a consistent snapshot, released on return.
    func read<R>(_ body: (LMDBTransaction) throws(StorageError) -> R) throws(StorageError) -> R {
        var handle: OpaquePointer?
        let rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &handle)
        guard rc == MDB_SUCCESS, let txn = handle else { throw lmdbError("begin read transaction", rc) }
        defer { mdb_txn_abort(txn) }
        return try body(LMDBTransaction(txn: txn))
    }

    /// Runs `body` in the write transaction and commits it (durably) if `body` returns; aborts
    /// it, writing nothing, if `body` throws. Writers wait for one another.
    func write<R>(_ body: (LMDBTransaction) throws(StorageError) -> R) throws(StorageError) -> R {
        var handle: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, 0, &handle)
        guard rc == MDB_SUCCESS, let txn = handle else { throw lmdbError("begin write transaction", rc) }
        let result: R
        do {
            result = try body(LMDBTransaction(txn: txn))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        rc = mdb_txn_commit(txn)  // frees the transaction whether or not it succeeds
        guard rc == MDB_SUCCESS else { throw lmdbError("commit", rc) }
        return result
    }

    /// Drops this process's page-table entries for the whole memory map
    /// (`madvise(MADV_DONTNEED)`), so the store's pages stop counting in the node's resident
    /// memory as the database grows. Safe at any time, concurrent reads included: the map is a
    /// shared, read-only file mapping, so a page touched again is faulted back in from the page
    /// cache with the same bytes. The pages themselves stay in the kernel's page cache.
    func releaseMappedPages() {
        // LMDB does not expose its map's address (`me_mapaddr` is only set with
        // MDB_FIXEDMAP): find the mapping of `data.mdb` in /proc/self/maps.
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return }
        let file = (path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path) + "/data.mdb"
        let canonical = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        for line in maps.split(separator: "\n") where line.hasSuffix(canonical) || line.hasSuffix(" " + file) {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start,
                let address = UnsafeMutableRawPointer(bitPattern: start)
            else { continue }
            _ = madvise(address, Int(end - start), MADV_DONTNEED)
        }
    }

    /// Creates `path` and any missing parents as folders, or checks that they are folders.
    private static func makeDirectory(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o755) == 0 { continue }
            let code = errno
            var info = stat()
            guard code == EEXIST, stat(prefix, &info) == 0 else {
                throw StorageError(.io, "create directory \(prefix): \(String(cString: strerror(code)))")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StorageError(.io, "\(prefix) exists and is not a directory")
            }
        }
    }

    /// Opens `path` and takes an exclusive `flock` on it, which the kernel drops when the process
    /// exits, however it exits. Close-on-exec, so child processes do not inherit it.
    private static func lockExclusively(_ path: String) throws(StorageError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(.io, "open lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw StorageError(.io, "\(path): the chain store is in use by another process or another open store")
            }
            throw StorageError(.io, "lock \(path): \(String(cString: strerror(code)))")
        }
        return fd
    }
}

/// A transaction handed to an `LMDBEnvironment.read` or `.write` closure; it must not be kept
/// after the closure returns. Buffers it returns point into the memory map and are valid only
/// until the transaction ends.
struct LMDBTransaction {
    fileprivate let txn: OpaquePointer

    /// Opens the named table; creates it if `create`, else returns nil when it does not exist.
    func openTable(_ name: String, create: Bool) throws(StorageError) -> LMDBTable? {
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        if rc == MDB_INCOMPATIBLE { throw StorageError(.incompatible, "table \(name): not a Mote chain store") }
        guard rc == MDB_SUCCESS else { throw lmdbError("open table \(name)", rc) }
        return LMDBTable(name: name, dbi: dbi)
    }

    /// The number of entries in the environment's unnamed main table (which lists the named ones).
    func mainTableEntries() throws(StorageError) -> Int {
        var stat = MDB_stat()
        let rc = mdb_stat(txn, 0, &stat)  // dbi 0 is the main table
        guard rc == MDB_SUCCESS else { throw lmdbError("stat", rc) }
        return stat.ms_entries
    }

    /// The value under `key`, or nil; valid until the transaction ends.
    func get(_ table: LMDBTable, _ key: LMDBKey) throws(StorageError) -> UnsafeRawBufferPointer? {
        var data = MDB_val()
        let rc = key.withValue { k in mdb_get(txn, table.dbi, &k, &data) }
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS else { throw lmdbError("read \(table.name)", rc) }
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    /// The value under `key` copied into an array, or nil.
    func getBytes(_ table: LMDBTable, _ key: LMDBKey) throws(StorageError) -> [UInt8]? {
        try get(table, key).map { Array($0) }
    }

    /// Stores `value` under `key`.
    ///
    /// - `append`: the key sorts after every key in the table (faster; LMDB checks it).
    /// - `keepExisting`: leave an existing entry as it is (for content-addressed values).
    func put(
        _ table: LMDBTable, _ key: LMDBKey, _ value: UnsafeRawBufferPointer, append: Bool = false, keepExisting: Bool = false
    ) throws(StorageError) {
        try check(rawPut(table, key, value, append: append, keepExisting: keepExisting), table, keepExisting: keepExisting)
    }

    /// Stores `value` under `key` (see the buffer overload for the flags).
    func put(
        _ table: LMDBTable, _ key: LMDBKey, _ value: [UInt8], append: Bool = false, keepExisting: Bool = false
    ) throws(StorageError) {
        let rc = value.withUnsafeBytes { rawPut(table, key, $0, append: append, keepExisting: keepExisting) }
        try check(rc, table, keepExisting: keepExisting)
    }

    private func rawPut(
        _ table: LMDBTable, _ key: LMDBKey, _ value: UnsafeRawBufferPointer, append: Bool, keepExisting: Bool
    ) -> Int32 {
        var flags: UInt32 = 0
        if append { flags |= UInt32(MDB_APPEND) }
        if keepExisting { flags |= UInt32(MDB_NOOVERWRITE) }
        var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        return key.withValue { k in mdb_put(txn, table.dbi, &k, &data, flags) }
    }

    private func check(_ rc: Int32, _ table: LMDBTable, keepExisting: Bool) throws(StorageError) {
        if rc == MDB_KEYEXIST && keepExisting { return }
        guard rc == MDB_SUCCESS else { throw lmdbError("write \(table.name)", rc) }
    }

    /// Calls `body` with each entry whose key starts with `prefix` (all entries for an empty
    /// prefix), in key order; `body` returns false to stop. Pointers are valid only during the call.
    func forEach(
        _ table: LMDBTable, prefix: [UInt8] = [],
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(StorageError) -> Bool
    ) throws(StorageError) {
        var cursor: OpaquePointer?
        var rc = mdb_cursor_open(txn, table.dbi, &cursor)
        guard rc == MDB_SUCCESS, let cursor else { throw lmdbError("open cursor on \(table.name)", rc) }
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var data = MDB_val()
        var start = prefix
        if prefix.isEmpty {
            rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST)
        } else {
            rc = start.withUnsafeMutableBytes { raw in
                key = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
                return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
            }
        }
        while rc == MDB_SUCCESS {
            let k = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
            if !prefix.isEmpty, !(k.count >= prefix.count && zip(k, prefix).allSatisfy { $0 == $1 }) { return }
            guard try body(k, UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)) else { return }
            rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        guard rc == MDB_NOTFOUND else { throw lmdbError("iterate \(table.name)", rc) }
    }

    /// Runs `body` with a cursor on `table`, closed when it returns. Lookups and writes through
    /// one cursor in key order stay on the current page when they can, instead of searching
    /// the tree from the root each time.
    func withCursor<R>(_ table: LMDBTable, _ body: (LMDBCursor) throws(StorageError) -> R) throws(StorageError) -> R {
        var cursor: OpaquePointer?
        let rc = mdb_cursor_open(txn, table.dbi, &cursor)
        guard rc == MDB_SUCCESS, let cursor else { throw lmdbError("open cursor on \(table.name)", rc) }
        defer { mdb_cursor_close(cursor) }
        return try body(LMDBCursor(cursor: cursor, table: table))
    }

    /// Removes the entry under `key`, if there is one.
    func delete(_ table: LMDBTable, _ key: LMDBKey) throws(StorageError) {
        let rc = key.withValue { k in mdb_del(txn, table.dbi, &k, nil) }
        guard rc == MDB_SUCCESS || rc == MDB_NOTFOUND else { throw lmdbError("delete from \(table.name)", rc) }
    }
}

/// A cursor handed to an `LMDBTransaction.withCursor` closure; it must not be kept after the
/// closure returns.
struct LMDBCursor {
    fileprivate let cursor: OpaquePointer
    fileprivate let table: LMDBTable

    /// The value under `key`, or nil; valid until the transaction ends.
    func get(_ key: LMDBKey) throws(StorageError) -> UnsafeRawBufferPointer? {
        var data = MDB_val()
        let rc = key.withValue { k in mdb_cursor_get(cursor, &k, &data, MDB_SET) }
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS else { throw lmdbError("read \(table.name)", rc) }
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    /// Stores `value` under `key`, replacing any entry.
    func put(_ key: LMDBKey, _ value: [UInt8]) throws(StorageError) {
        let rc = value.withUnsafeBytes { raw in
            var data = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
            return key.withValue { k in mdb_cursor_put(cursor, &k, &data, 0) }
        }
        guard rc == MDB_SUCCESS else { throw lmdbError("write \(table.name)", rc) }
    }

    /// Removes the entry under `key`, if there is one.
    func delete(_ key: LMDBKey) throws(StorageError) {
        var data = MDB_val()
        var rc = key.withValue { k in mdb_cursor_get(cursor, &k, &data, MDB_SET) }
        if rc == MDB_NOTFOUND { return }
        if rc == MDB_SUCCESS { rc = mdb_cursor_del(cursor, 0) }
        guard rc == MDB_SUCCESS else { throw lmdbError("delete from \(table.name)", rc) }
    }
}

/// A named table (an LMDB database handle), valid for the environment's lifetime once the
/// transaction that opened it has committed.
struct LMDBTable: Sendable {
    /// The table's name in the environment, for error messages.
    let name: String
    fileprivate let dbi: MDB_dbi
}

/// A key of up to 56 bytes held inline, so building one never allocates.
struct LMDBKey {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    /// The number of key bytes.
    private(set) var count = 0

    /// A height: 8 bytes big-endian, so keys sort by height.
    init(height: UInt64) {
        var bigEndian = height.bigEndian
        Swift.withUnsafeBytes(of: &bigEndian) { append($0) }
    }

    /// A 32-byte hash.
    init(_ hash: Hash32) {
        hash.withUnsafeBytes { append($0) }
    }

    /// A 20-byte address.
    init(_ address: Address) {
        address.withUnsafeBytes { append($0) }
    }

    /// An address followed by a storage slot: 52 bytes.
    init(_ address: Address, _ slot: Hash32) {
        address.withUnsafeBytes { append($0) }
        slot.withUnsafeBytes { append($0) }
    }

    /// ASCII text (a meta key).
    init(_ text: StaticString) {
        text.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= 56, "LMDBKey holds at most 56 bytes")
        let offset = count
        Swift.withUnsafeMutableBytes(of: &storage) { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + bytes.count]).copyMemory(from: bytes)
        }
        count += bytes.count
    }

    /// Calls `body` with an `MDB_val` pointing at a copy of the key bytes.
    fileprivate func withValue<R>(_ body: (inout MDB_val) -> R) -> R {
        var copy = storage
        let count = count
        return Swift.withUnsafeMutableBytes(of: &copy) { raw in
            var value = MDB_val(mv_size: count, mv_data: raw.baseAddress)
            return body(&value)
        }
    }
}

/// `StorageError(.io, "<operation>: <mdb_strerror>")`.
private func lmdbError(_ operation: String, _ rc: Int32) -> StorageError {
    StorageError(.io, "\(operation): \(String(cString: mdb_strerror(rc)))")
}
