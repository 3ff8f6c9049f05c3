#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte store under a `VoteWAL`: an append-only file, or memory in tests.
public protocol WALStorage: AnyObject {
    /// Every byte stored so far.
    func readAll() throws(WALError) -> [UInt8]
    /// Appends `bytes` at the end (not yet durable).
    func append(_ bytes: [UInt8]) throws(WALError)
    /// Makes everything appended durable (fsync).
    func sync() throws(WALError)
    /// Cuts the store to its first `length` bytes, durably.
    func truncate(to length: Int) throws(WALError)
    /// Replaces the whole content with `bytes`, atomically: after a crash the store holds
    /// either the old content or the new, never a mix.
    func replaceAll(with bytes: [UInt8]) throws(WALError)
}

/// A WAL file on disk, opened for appending; created (and its directory synced) if missing.
public final class FileWALStorage: WALStorage {
    /// The file's path.
    public let path: String
    private var fd: Int32

    /// Opens or creates the file at `path`.
    public init(path: String) throws(WALError) {
        self.path = path
        let existed = access(path, F_OK) == 0
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WALError(.io("open \(path)", errno)) }
        self.fd = fd
        if !existed { syncDirectory(holding: path) }
    }

    deinit { close(fd) }

    public func readAll() throws(WALError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw WALError(.io("read \(path)", errno))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            offset += off_t(n)
        }
    }

    public func append(_ bytes: [UInt8]) throws(WALError) {
        try writeAll(fd, bytes, path: path)
    }

    public func sync() throws(WALError) {
        guard fsync(fd) == 0 else { throw WALError(.io("fsync \(path)", errno)) }
    }

    public func truncate(to length: Int) throws(WALError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw WALError(.io("truncate \(path)", errno)) }
        try sync()
    }

    /// Writes `path.tmp`, fsyncs it, renames it over `path` and fsyncs the directory.
    public func replaceAll(with bytes: [UInt8]) throws(WALError) {
        let temporary = path + ".tmp"
        try writeSynced(bytes, to: temporary)
        // Open the new file for appending before it replaces the old one: if that fails, the
        // old file and descriptor stay in use, and later appends are not lost to an unlinked file.
        let reopened = open(temporary, O_RDWR | O_APPEND | O_CLOEXEC)
        guard reopened >= 0 else { throw WALError(.io("reopen \(temporary)", errno)) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            close(reopened)
            throw WALError(.io("rename \(temporary)", code))
        }
        close(fd)
        fd = reopened
        syncDirectory(holding: path)
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR; `path` names it in errors.
func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(WALError) {
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0 {
            if errno == EINTR { continue }
            throw WALError(.io("write \(path)", errno))
        }
        written += n
    }
}

/// Writes `bytes` as the whole content of file `path` (created or truncated) and fsyncs it;
/// on failure the file is removed.
func writeSynced(_ bytes: [UInt8], to path: String) throws(WALError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw WALError(.io("open \(path)", errno)) }
    do { try writeAll(fd, bytes, path: path) } catch {
        close(fd)
        unlink(path)
        throw error
    }
    guard fsync(fd) == 0 else {
        let code = errno
        close(fd)
        unlink(path)
        throw WALError(.io("fsync \(path)", code))
    }
    close(fd)
}

/// fsyncs the folder holding `path`, so that a file created or renamed there survives a crash.
func syncDirectory(holding path: String) {
    let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let dirfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
    if dirfd >= 0 {
        _ = fsync(dirfd)
        close(dirfd)
    }
}

/// A WAL kept in memory: for tests and for nodes that do not sign.
public final class InMemoryWALStorage: WALStorage {
    /// The stored bytes.
    public private(set) var bytes: [UInt8]

    /// A store holding `bytes`.
    public init(bytes: [UInt8] = []) { self.bytes = bytes }

    public func readAll() throws(WALError) -> [UInt8] { bytes }
    public func append(_ bytes: [UInt8]) throws(WALError) { self.bytes += bytes }
    public func sync() throws(WALError) {}
    public func truncate(to length: Int) throws(WALError) { bytes.removeSubrange(min(length, bytes.count)...) }
    public func replaceAll(with bytes: [UInt8]) throws(WALError) { self.bytes = bytes }
}
