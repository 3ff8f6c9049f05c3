import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Small POSIX file operations the SDK's state files need: whole-file reads, atomic
/// replacement (write a temporary file, fsync, rename) and appends to an open descriptor.
enum DurableFile {
    /// The file's bytes; nil if it does not exist.
    static func read(_ path: String) throws(DeviceSDKError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw DeviceSDKError(.io, "cannot read \(path)") }
        return [UInt8](data)
    }

    /// Replaces the file at `path` with `bytes` atomically: a crash leaves the old or the new
    /// content, never a mix. `sync`: fsync before the rename, so the new content survives power loss.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o600, sync: Bool = true) throws(DeviceSDKError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw DeviceSDKError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        do throws(DeviceSDKError) {
            try write(fd, bytes, path: temporary)
            if sync, fsync(fd) != 0 { throw DeviceSDKError(.io, "cannot sync \(temporary): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw DeviceSDKError(.io, "cannot rename \(temporary): \(String(cString: strerror(errno)))") }
    }

    /// Writes all of `bytes` to `fd`.
    static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(DeviceSDKError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw DeviceSDKError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
