/// The SQL stores' tables, declared once for SQLite and PostgreSQL (docs/STREAM.md#store).
///
/// Every `UInt64` (sequence numbers, timestamps) is kept as a signed 64-bit integer with its
/// top bit flipped (`UInt64.sortableInt64`), so that SQL compares and sorts them as `UInt64`
/// and `UInt64.max` round-trips.
enum TelemetrySchema {
    /// The version these statements create; kept in `schema_version`.
    static let version: Int64 = 1

    /// SQLite (the embedded default).
    static let sqlite: [String] = [
        // schema_version: one row, the version of the tables below.
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        // devices: each device's highest stored sequence; never deleted, so retention never re-opens replays.
        """
        CREATE TABLE IF NOT EXISTS devices (
            device BLOB PRIMARY KEY NOT NULL,
            last_sequence INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
        // messages: the accepted messages, one row each (a rowid table: payloads reach 1 MiB).
        """
        CREATE TABLE IF NOT EXISTS messages (
            device BLOB NOT NULL,
            sequence INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            payload BLOB NOT NULL,
            signature BLOB NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (device, sequence)
        )
        """,
        // messages_by_received_at: what retention deletes, per device.
        "CREATE INDEX IF NOT EXISTS messages_by_received_at ON messages (device, received_at)",
    ]

    /// PostgreSQL. `devices.last_sequence` is NULL only inside an append's transaction, for a
    /// device seen for the first time (the row exists so that it can be locked).
    static let postgres: [String] = [
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS devices (
            device BYTEA PRIMARY KEY,
            last_sequence BIGINT
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS messages (
            device BYTEA NOT NULL,
            sequence BIGINT NOT NULL,
            timestamp BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            content_type TEXT NOT NULL,
            payload BYTEA NOT NULL,
            signature BYTEA NOT NULL,
            hash BYTEA NOT NULL,
            PRIMARY KEY (device, sequence)
        )
        """,
        "CREATE INDEX IF NOT EXISTS messages_by_received_at ON messages (device, received_at)",
    ]
}

extension UInt64 {
    /// This value as an `Int64` that sorts the same way (top bit flipped): how SQL columns keep it.
    var sortableInt64: Int64 { Int64(bitPattern: self ^ (1 << 63)) }

    /// The value that `sortableInt64` stored.
    init(sortableInt64 value: Int64) { self = UInt64(bitPattern: value) ^ (1 << 63) }
}

/// The sequence range `messages(…afterSequence:…)` asks for, or nil when nothing can match.
func firstWantedSequence(after afterSequence: UInt64?) -> UInt64? {
    guard let afterSequence else { return 0 }
    return afterSequence == .max ? nil : afterSequence + 1
}
