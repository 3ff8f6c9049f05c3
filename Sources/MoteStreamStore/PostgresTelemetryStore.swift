import Logging
import MotePrimitives
import NIOCore
import PostgresNIO

/// The store on a PostgreSQL server (when configured), through postgres-nio's `PostgresClient`.
/// Every session runs with `synchronous_commit = on`, so an `append` that has returned is on the
/// server's disk. Schema: `TelemetrySchema.postgres`, created idempotently by `prepareSchema()`.
///
/// Concurrent appends for one device never both store a sequence: each append locks its
/// devices' rows (`SELECT … FOR UPDATE`, in byte order, after inserting missing rows) before
/// reading their last sequences.
///
/// The client's connection pool works only while `run()` is running (it is a `Service`);
/// `withStore` runs it around a closure.
public final class PostgresTelemetryStore: TelemetryStore {
    private let client: PostgresClient
    private let logger: Logger
    /// Retries of an append that lost a deadlock or serialization conflict.
    private static let conflictRetries = 5

    /// A store for `configuration`; nothing connects until `run()` runs and a call needs a connection.
    public init(configuration: PostgresStoreConfiguration, logger: Logger = Logger(label: "mote.stream-store.postgres")) {
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.user,
            password: configuration.password, database: configuration.database, tls: .disable)
        clientConfiguration.options.maximumConnections = max(configuration.maximumConnections, 1)
        clientConfiguration.options.additionalStartupParameters = [("synchronous_commit", "on")]
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until the calling task is cancelled.
    public func run() async {
        await client.run()
    }

    /// Runs a store for `configuration` around `body`: starts its pool, prepares the schema,
    /// and stops the pool when `body` returns or throws.
    public static func withStore<Result: Sendable>(
        configuration: PostgresStoreConfiguration, logger: Logger = Logger(label: "mote.stream-store.postgres"),
        _ body: @Sendable (PostgresTelemetryStore) async throws -> Result
    ) async throws -> Result {
        let store = PostgresTelemetryStore(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            // Gives the pool a moment to start, so the first query does not find it idle.
            await Task.yield()
            try await store.prepareSchema()
            return try await body(store)
        }
    }

    /// Creates the tables if missing (any number of stores may race here), or checks that the
    /// existing schema is one this code reads.
    public func prepareSchema() async throws(TelemetryStoreError) {
        try await transaction("prepareSchema") { connection, logger in
            // Serializes concurrent schema creation ("mote" in ASCII as the lock key).
            try await connection.query("SELECT pg_advisory_xact_lock(1836020837)", logger: logger)
            for statement in TelemetrySchema.postgres {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let rows = try await connection.query("SELECT version FROM schema_version", logger: logger)
            var version: Int64?
            for try await (stored) in rows.decode(Int64.self) { version = stored }
            if let version {
                guard version == TelemetrySchema.version else {
                    throw TelemetryStoreError("schema version \(version), this build reads \(TelemetrySchema.version)")
                }
            } else {
                try await connection.query(
                    "INSERT INTO schema_version (version) VALUES (\(TelemetrySchema.version))", logger: logger)
            }
        }
    }

    /// The server's `synchronous_commit` setting on the store's connections, for tests.
    package func synchronousCommitSetting() async throws(TelemetryStoreError) -> String {
        try await transaction("synchronousCommitSetting") { connection, logger in
            let rows = try await connection.query("SHOW synchronous_commit", logger: logger)
            var setting = ""
            for try await (value) in rows.decode(String.self) { setting = value }
            return setting
        }
    }

    public func append(_ messages: [StoredMessage]) async throws(TelemetryStoreError) -> [AppendOutcome] {
        guard !messages.isEmpty else { return [] }
        let devices = AppendPlan.devices(of: messages).map(\.byteBuffer)
        return try await transaction("append") { connection, logger in
            // Rows for new devices first (last_sequence NULL until the update below), so that
            // every device's row exists to be locked.
            try await connection.query(
                """
                INSERT INTO devices (device) SELECT d FROM unnest(\(devices)::bytea[]) AS d ORDER BY d
                ON CONFLICT (device) DO NOTHING
                """, logger: logger)
            let locked = try await connection.query(
                "SELECT device, last_sequence FROM devices WHERE device = ANY(\(devices)::bytea[]) ORDER BY device FOR UPDATE",
                logger: logger)
            var lastSequences: [Address: UInt64] = [:]
            for try await (device, last) in locked.decode((ByteBuffer, Int64?).self) {
                if let address = Address(bytes: device.readableBytesView), let last {
                    lastSequences[address] = UInt64(sortableInt64: last)
                }
            }
            let plan = AppendPlan(messages: messages, lastSequences: lastSequences)
            let stored = plan.stored
            if !stored.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO messages (device, sequence, timestamp, received_at, content_type, payload, signature, hash)
                    SELECT * FROM unnest(
                        \(stored.map(\.deviceID.byteBuffer))::bytea[], \(stored.map(\.sequence.sortableInt64))::bigint[],
                        \(stored.map(\.timestamp.sortableInt64))::bigint[], \(stored.map(\.receivedAt.sortableInt64))::bigint[],
                        \(stored.map(\.contentType))::text[], \(stored.map { ByteBuffer(bytes: $0.payload) })::bytea[],
                        \(stored.map { ByteBuffer(bytes: $0.signature) })::bytea[], \(stored.map(\.hash.byteBuffer))::bytea[])
                    """, logger: logger)
            }
            let updated = plan.newLastSequences.sorted { $0.key < $1.key }
            try await connection.query(
                """
                UPDATE devices SET last_sequence = latest.last_sequence
                FROM unnest(\(updated.map(\.key.byteBuffer))::bytea[], \(updated.map(\.value.sortableInt64))::bigint[])
                    AS latest(device, last_sequence)
                WHERE devices.device = latest.device
                """, logger: logger)
            return plan.outcomes
        }
    }

    public func lastSequence(of device: Address) async throws(TelemetryStoreError) -> UInt64? {
        try await connection("lastSequence") { connection, logger in
            let rows = try await connection.query(
                "SELECT last_sequence FROM devices WHERE device = \(device.byteBuffer)", logger: logger)
            var result: UInt64?
            for try await (last) in rows.decode(Int64?.self) { result = last.map(UInt64.init(sortableInt64:)) }
            return result
        }
    }

    public func messages(
        of device: Address, from: UInt64, to: UInt64, afterSequence: UInt64?, limit: Int
    ) async throws(TelemetryStoreError) -> [StoredMessage] {
        guard from <= to, limit > 0, let first = firstWantedSequence(after: afterSequence) else { return [] }
        return try await connection("messages") { connection, logger in
            let rows = try await connection.query(
                """
                SELECT sequence, timestamp, received_at, content_type, payload, signature, hash FROM messages
                WHERE device = \(device.byteBuffer) AND sequence >= \(first.sortableInt64)
                    AND timestamp BETWEEN \(from.sortableInt64) AND \(to.sortableInt64)
                ORDER BY sequence LIMIT \(limit)
                """, logger: logger)
            var messages: [StoredMessage] = []
            let columns = (Int64, Int64, Int64, String, ByteBuffer, ByteBuffer, ByteBuffer).self
            for try await (sequence, timestamp, receivedAt, contentType, payload, signature, hash) in rows.decode(columns) {
                guard let hash = Hash32(bytes: hash.readableBytesView) else {
                    throw TelemetryStoreError("a stored hash is not 32 bytes")
                }
                messages.append(
                    StoredMessage(
                        deviceID: device, sequence: UInt64(sortableInt64: sequence), timestamp: UInt64(sortableInt64: timestamp),
                        receivedAt: UInt64(sortableInt64: receivedAt), contentType: contentType,
                        payload: Array(payload.readableBytesView), signature: Array(signature.readableBytesView), hash: hash))
            }
            return messages
        }
    }

    public func deleteMessages(of device: Address, receivedBefore: UInt64) async throws(TelemetryStoreError) -> Int {
        try await transaction("deleteMessages") { connection, logger in
            let rows = try await connection.query(
                """
                WITH deleted AS (
                    DELETE FROM messages WHERE device = \(device.byteBuffer) AND received_at < \(receivedBefore.sortableInt64)
                    RETURNING 1)
                SELECT count(*) FROM deleted
                """, logger: logger)
            var deleted = 0
            for try await (count) in rows.decode(Int64.self) { deleted = Int(count) }
            return deleted
        }
    }

    public func devices() async throws(TelemetryStoreError) -> [Address] {
        try await connection("devices") { connection, logger in
            let rows = try await connection.query(
                """
                SELECT device FROM devices
                WHERE EXISTS (SELECT 1 FROM messages WHERE messages.device = devices.device)
                ORDER BY device
                """, logger: logger)
            var devices: [Address] = []
            for try await (device) in rows.decode(ByteBuffer.self) {
                if let address = Address(bytes: device.readableBytesView) { devices.append(address) }
            }
            return devices
        }
    }

    public func count(of device: Address) async throws(TelemetryStoreError) -> Int {
        try await connection("count") { connection, logger in
            let rows = try await connection.query(
                "SELECT count(*) FROM messages WHERE device = \(device.byteBuffer)", logger: logger)
            var count = 0
            for try await (value) in rows.decode(Int64.self) { count = Int(value) }
            return count
        }
    }

    /// Runs `body` in one transaction, again (up to `conflictRetries` times) if it lost a
    /// deadlock or serialization conflict.
    private func transaction<T: Sendable>(
        _ operation: String, _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws(TelemetryStoreError) -> T {
        var attempt = 0
        while true {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(connection, logger)
                }
            } catch {
                attempt += 1
                if attempt <= Self.conflictRetries, Self.isConflict(error) { continue }
                throw Self.storeError(operation, error)
            }
        }
    }

    /// Runs `body` on a pooled connection, outside any transaction.
    private func connection<T: Sendable>(
        _ operation: String, _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws(TelemetryStoreError) -> T {
        do {
            return try await client.withConnection { connection in try await body(connection, logger) }
        } catch {
            throw Self.storeError(operation, error)
        }
    }

    /// The server error inside `error`, if any.
    private static func serverError(in error: any Error) -> PSQLError? {
        if let transactionError = error as? PostgresTransactionError {
            for inner in [transactionError.closureError, transactionError.commitError, transactionError.beginError] {
                if let inner, let found = serverError(in: inner) { return found }
            }
            return nil
        }
        return error as? PSQLError
    }

    /// A deadlock or serialization failure: the transaction may simply be run again.
    private static func isConflict(_ error: any Error) -> Bool {
        guard let state = serverError(in: error)?.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// A store error that says what failed, without the query's bound values (payloads).
    private static func storeError(_ operation: String, _ error: any Error) -> TelemetryStoreError {
        if let storeError = error as? TelemetryStoreError { return storeError }
        if let transactionError = error as? PostgresTransactionError, let inner = transactionError.closureError as? TelemetryStoreError {
            return inner
        }
        if let psql = serverError(in: error) {
            if let info = psql.serverInfo {
                let state = info[.sqlState] ?? "?"
                return TelemetryStoreError("PostgreSQL \(operation) failed: \(info[.message] ?? "server error") (SQLSTATE \(state))")
            }
            var reason = "\(psql.code)"
            if let underlying = psql.underlying { reason += ": \(underlying)" }
            return TelemetryStoreError("PostgreSQL \(operation) failed: \(reason)")
        }
        return TelemetryStoreError("PostgreSQL \(operation) failed: \(error)")
    }
}

extension Address {
    /// The 20 bytes, as PostgreSQL binds them (`bytea`).
    var byteBuffer: ByteBuffer { withUnsafeBytes { ByteBuffer(bytes: $0) } }
}

extension Hash32 {
    /// The 32 bytes, as PostgreSQL binds them (`bytea`).
    var byteBuffer: ByteBuffer { withUnsafeBytes { ByteBuffer(bytes: $0) } }
}
