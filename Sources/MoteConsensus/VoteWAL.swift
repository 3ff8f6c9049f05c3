#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write-ahead log of everything this node signed, so that a crash never makes it sign
/// two different votes for one (height, round, kind).
///
/// Each record is `[length: u32 BE][crc32: u32 BE][payload]`, the CRC (IEEE) taken over the
/// length bytes and the payload, the payload a `WALRecord` of at most `maxRecordSize` bytes.
/// `append` returns only once the record is fsynced: the driver releases a signature only
/// after that. Opening replays the log. A damaged *last* record (cut short by a crash, or
/// whose checksum fails because its write was torn) is truncated away and the count of
/// dropped bytes reported; damage followed by further records is not a torn write but
/// corruption, and opening refuses with an error rather than silently dropping signatures.
public final class VoteWAL {
    /// The largest record payload, in bytes.
    public static let maxRecordSize = 4096
    private static let headerSize = 8

    private let storage: any WALStorage
    /// The records replayed when the log was opened, in the order they were written.
    public private(set) var records: [WALRecord] = []
    /// How many bytes of damaged tail were cut off when the log was opened.
    public private(set) var truncatedBytes = 0
    /// Why the tail was cut off, if it was.
    public private(set) var truncationReason: String?
    /// The log's size in bytes.
    public private(set) var size = 0

    /// Opens the log in `storage`, replays it and truncates a damaged tail.
    public init(storage: any WALStorage) throws(WALError) {
        self.storage = storage
        let bytes = try storage.readAll()
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            guard remaining >= Self.headerSize else {
                truncationReason = "torn record header at offset \(offset)"
                break
            }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let stored = bytes[offset + 4..<offset + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // The record reaches the end of the log: if it is damaged, it is the torn tail.
            let isLast = remaining - Self.headerSize <= length
            guard length <= Self.maxRecordSize else {
                if isLast {
                    truncationReason = "torn record (length \(length)) at offset \(offset)"
                    break
                }
                throw WALError(.corrupt("record length \(length) above \(Self.maxRecordSize) at offset \(offset), with \(remaining) bytes after it"))
            }
            guard remaining - Self.headerSize >= length else {
                truncationReason = "torn record at offset \(offset)"
                break
            }
            let payload = Array(bytes[offset + Self.headerSize..<offset + Self.headerSize + length])
            guard CRC32.checksum(bytes[offset..<offset + 4] + payload) == stored else {
                if isLast {
                    truncationReason = "checksum mismatch in the last record at offset \(offset)"
                    break
                }
                throw WALError(.corrupt("checksum mismatch at offset \(offset), with records after it"))
            }
            do {
                records.append(try WALRecord(decoding: payload))
            } catch {
                throw WALError(.corrupt("undecodable record at offset \(offset): \(error)"))
            }
            offset += Self.headerSize + length
        }
        if offset < bytes.count {
            truncatedBytes = bytes.count - offset
            try storage.truncate(to: offset)
        }
        size = offset
    }

    /// Opens (or creates) the log file at `path`.
    public convenience init(path: String) throws(WALError) {
        try self.init(storage: FileWALStorage(path: path))
    }

    /// The framed bytes of `record`: length, checksum, payload.
    public static func frame(_ record: WALRecord) throws(WALError) -> [UInt8] {
        let payload = record.encoded()
        guard payload.count <= maxRecordSize else { throw WALError(.recordTooLarge(payload.count)) }
        let length = UInt32(payload.count)
        let lengthBytes: [UInt8] = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) }
        let crc = CRC32.checksum(lengthBytes + payload)
        return lengthBytes + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) } + payload
    }

    /// Appends `record` and fsyncs; once this returns the record survives a crash.
    public func append(_ record: WALRecord) throws(WALError) {
        let framed = try Self.frame(record)
        try storage.append(framed)
        try storage.sync()
        size += framed.count
    }

    /// Drops the records of heights below `height` (call it once the application has
    /// committed `height - 1`), rewriting the log atomically. Returns how many were kept.
    @discardableResult
    public func prune(belowHeight height: UInt64) throws(WALError) -> Int {
        let reopened = try VoteWAL(storage: storage)
        let kept = reopened.records.filter { $0.height >= height }
        var bytes: [UInt8] = []
        for record in kept { bytes += try Self.frame(record) }
        try storage.replaceAll(with: bytes)
        size = bytes.count
        return kept.count
    }
}

/// A vote WAL that could not be read or written.
public struct WALError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case io(String, Int32)
        case recordTooLarge(Int)
        case crashed(String)
        case corrupt(String)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// A failure injected by a test double (a simulated crash or full disk).
    public static func injected(_ why: String) -> WALError { WALError(.crashed(why)) }

    public var description: String {
        switch kind {
        case .io(let what, let code): return "vote WAL: \(what) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .recordTooLarge(let size): return "vote WAL: record of \(size) bytes above \(VoteWAL.maxRecordSize)"
        case .crashed(let why): return "vote WAL: \(why)"
        case .corrupt(let why): return "vote WAL is corrupt (not a torn last write): \(why); refusing to start — inspect or move the file"
        }
    }
}
