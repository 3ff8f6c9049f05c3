import Foundation
import GRDB
import MotePrimitives

/// The embedded store (the default): one SQLite file through GRDB, in WAL mode with
/// `synchronous = FULL`, so an `append` that has returned is on disk. Readers run beside the
/// single writer. Schema: `TelemetrySchema.sqlite`.
public final class SQLiteTelemetryStore: TelemetryStore {
    private let database: DatabasePool
    /// The file's path.
    public let path: String

    /// Opens the store at `path`, creating the file and its tables if missing.
    public init(path: String) throws(TelemetryStoreError) {
        var configuration = Configuration()
        configuration.label = "MoteStreamStore"
        // Another process (a crashed writer's successor, a reader) may hold the lock briefly.
        configuration.busyMode = .timeout(10)
        self.path = path
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            // After opening: GRDB sets NORMAL when it turns WAL on. The pool keeps this one
            // writer connection, so every commit syncs the WAL.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try database.write { db in try Self.prepareSchema(db) }
        } catch {
            throw TelemetryStoreError("cannot open the SQLite store at \(path): \(error)")
        }
    }

    /// Creates the tables, or checks that an existing file's schema is one this code reads.
    private static func prepareSchema(_ db: Database) throws {
        for statement in TelemetrySchema.sqlite { try db.execute(sql: statement) }
        guard let version = try Int64.fetchOne(db, sql: "SELECT version FROM schema_version") else {
            try db.execute(sql: "INSERT INTO schema_version (version) VALUES (?)", arguments: [TelemetrySchema.version])
            return
        }
        guard version == TelemetrySchema.version else {
            throw TelemetryStoreError("schema version \(version), this build reads \(TelemetrySchema.version)")
        }
    }

    /// SQLite's `synchronous` setting on the writer (2 is FULL), for tests.
    package func synchronousSetting() throws -> Int {
        try database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// SQLite's journal mode ("wal"), for tests.
    package func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    public func append(_ messages: [StoredMessage]) async throws(TelemetryStoreError) -> [AppendOutcome] {
        guard !messages.isEmpty else { return [] }
        return try await write("append") { db in
            let selectLast = try db.cachedStatement(sql: "SELECT last_sequence FROM devices WHERE device = ?")
            var lastSequences: [Address: UInt64] = [:]
            for device in AppendPlan.devices(of: messages) {
                if let last = try Int64.fetchOne(selectLast, arguments: [device.data]) {
                    lastSequences[device] = UInt64(sortableInt64: last)
                }
            }
            let plan = AppendPlan(messages: messages, lastSequences: lastSequences)
            let insertMessage = try db.cachedStatement(
                sql: """
                    INSERT INTO messages (device, sequence, timestamp, received_at, content_type, payload, signature, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for message in plan.stored {
                try insertMessage.execute(arguments: [
                    message.deviceID.data, message.sequence.sortableInt64, message.timestamp.sortableInt64,
                    message.receivedAt.sortableInt64, message.contentType, Data(message.payload), Data(message.signature),
                    message.hash.data,
                ])
            }
            let setLast = try db.cachedStatement(
                sql: """
                    INSERT INTO devices (device, last_sequence) VALUES (?, ?)
                    ON CONFLICT (device) DO UPDATE SET last_sequence = excluded.last_sequence
                    """)
            for (device, last) in plan.newLastSequences {
                try setLast.execute(arguments: [device.data, last.sortableInt64])
            }
            return plan.outcomes
        }
    }

    public func lastSequence(of device: Address) async throws(TelemetryStoreError) -> UInt64? {
        try await read("lastSequence") { db in
            try Int64.fetchOne(db, sql: "SELECT last_sequence FROM devices WHERE device = ?", arguments: [device.data])
                .map(UInt64.init(sortableInt64:))
        }
    }

    public func messages(
        of device: Address, from: UInt64, to: UInt64, afterSequence: UInt64?, limit: Int
    ) async throws(TelemetryStoreError) -> [StoredMessage] {
        guard from <= to, limit > 0, let first = firstWantedSequence(after: afterSequence) else { return [] }
        return try await read("messages") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT sequence, timestamp, received_at, content_type, payload, signature, hash FROM messages
                    WHERE device = ? AND sequence >= ? AND timestamp BETWEEN ? AND ?
                    ORDER BY sequence LIMIT ?
                    """,
                arguments: [device.data, first.sortableInt64, from.sortableInt64, to.sortableInt64, limit])
            var messages: [StoredMessage] = []
            while let row = try rows.next() {
                let hashBytes: Data = row[6]
                guard let hash = Hash32(bytes: hashBytes) else { throw TelemetryStoreError("a stored hash is not 32 bytes") }
                let payload: Data = row[4]
                let signature: Data = row[5]
                messages.append(
                    StoredMessage(
                        deviceID: device, sequence: UInt64(sortableInt64: row[0]), timestamp: UInt64(sortableInt64: row[1]),
                        receivedAt: UInt64(sortableInt64: row[2]), contentType: row[3], payload: [UInt8](payload),
                        signature: [UInt8](signature), hash: hash))
            }
            return messages
        }
    }

    public func deleteMessages(of device: Address, receivedBefore: UInt64) async throws(TelemetryStoreError) -> Int {
        try await write("deleteMessages") { db in
            try db.execute(
                sql: "DELETE FROM messages WHERE device = ? AND received_at < ?",
                arguments: [device.data, receivedBefore.sortableInt64])
            return db.changesCount
        }
    }

    public func devices() async throws(TelemetryStoreError) -> [Address] {
        try await read("devices") { db in
            try Data.fetchAll(
                db,
                sql: """
                    SELECT device FROM devices
                    WHERE EXISTS (SELECT 1 FROM messages WHERE messages.device = devices.device)
                    ORDER BY device
                    """
            ).compactMap { Address(bytes: $0) }
        }
    }

    public func count(of device: Address) async throws(TelemetryStoreError) -> Int {
        try await read("count") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE device = ?", arguments: [device.data]) ?? 0
        }
    }

    /// Runs `body` in one write transaction (committed and synced before this returns).
    private func write<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(TelemetryStoreError) -> T {
        do {
            return try await database.write(body)
        } catch {
            throw Self.storeError(operation, error)
        }
    }

    /// Runs `body` on a read snapshot.
    private func read<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(TelemetryStoreError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw Self.storeError(operation, error)
        }
    }

    private static func storeError(_ operation: String, _ error: any Error) -> TelemetryStoreError {
        if let storeError = error as? TelemetryStoreError { return storeError }
        return TelemetryStoreError("SQLite \(operation) failed: \(error)")
    }
}

extension Address {
    /// The 20 bytes, as SQL binds them.
    var data: Data { withUnsafeBytes { Data($0) } }
}

extension Hash32 {
    /// The 32 bytes, as SQL binds them.
    var data: Data { withUnsafeBytes { Data($0) } }
}
