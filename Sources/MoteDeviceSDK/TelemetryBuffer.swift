import Foundation
import MoteTelemetry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The messages a device has signed but the stream node has not yet settled, in sequence
/// order, mirrored in an append-only file: each message is `u32-BE length ‖ binary envelope`
/// (docs/SDK.md). `append` writes (and by default fsyncs) the record before it returns;
/// `remove` rewrites the file with what is left (atomically), and truncates it when nothing is.
///
/// On open, a record cut short by a crash at the end of the file is dropped, and so is a
/// record that does not decode. Bounded by a message count and a byte size.
struct TelemetryBuffer: Sendable {
    let path: String
    let maxMessages: Int
    let maxBytes: Int
    let sync: Bool
    private(set) var envelopes: [TelemetryEnvelope] = []
    /// The bytes the records of `envelopes` take in the file.
    private(set) var byteCount = 0
    private var fd: Int32

    init(path: String, maxMessages: Int, maxBytes: Int, sync: Bool) throws(DeviceSDKError) {
        (self.path, self.maxMessages, self.maxBytes, self.sync) = (path, maxMessages, maxBytes, sync)
        let bytes = try DurableFile.read(path) ?? []
        var offset = 0
        var damaged = false
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { damaged = true; break }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - offset - 4 else { damaged = true; break }
            if let envelope = try? TelemetryEnvelope(binary: bytes[offset + 4..<offset + 4 + length]) {
                envelopes.append(envelope)
                byteCount += 4 + length
            } else {
                damaged = true
            }
            offset += 4 + length
        }
        if damaged || !FileManager.default.fileExists(atPath: path) {
            try DurableFile.replace(path, with: envelopes.flatMap(Self.record), sync: sync)
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw DeviceSDKError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    /// `u32-BE length ‖ binary envelope`.
    static func record(_ envelope: TelemetryEnvelope) -> [UInt8] {
        let bytes = envelope.binary
        let length = UInt32(bytes.count)
        return [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
            + bytes
    }

    var count: Int { envelopes.count }

    /// Why `envelope` does not fit, or nil if it does.
    func refusal(for recordSize: Int) -> DeviceSDKError? {
        if envelopes.count >= maxMessages {
            return DeviceSDKError(.bufferFull, "buffer full: \(envelopes.count) messages waiting (the limit is \(maxMessages))")
        }
        if byteCount + recordSize > maxBytes {
            return DeviceSDKError(.bufferFull, "buffer full: \(byteCount) bytes waiting, \(recordSize) more would pass the limit of \(maxBytes)")
        }
        return nil
    }

    /// Appends `envelope`, written to the file before this returns.
    mutating func append(_ envelope: TelemetryEnvelope) throws(DeviceSDKError) {
        let record = Self.record(envelope)
        if let refusal = refusal(for: record.count) { throw refusal }
        try DurableFile.write(fd, record, path: path)
        if sync, fsync(fd) != 0 { throw DeviceSDKError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))") }
        envelopes.append(envelope)
        byteCount += record.count
    }

    /// Removes the messages with these sequence numbers and rewrites the file with the rest.
    mutating func remove(sequences: Set<UInt64>) throws(DeviceSDKError) {
        guard !sequences.isEmpty else { return }
        let kept = envelopes.filter { !sequences.contains($0.sequence) }
        let records = kept.flatMap(Self.record)
        if kept.isEmpty {
            guard ftruncate(fd, 0) == 0 else { throw DeviceSDKError(.io, "cannot truncate \(path): \(String(cString: strerror(errno)))") }
            if sync { fsync(fd) }
        } else {
            try DurableFile.replace(path, with: records, sync: sync)
            _ = closeFile(fd)
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw DeviceSDKError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        envelopes = kept
        byteCount = records.count
    }

    /// Closes the file.
    mutating func close() {
        if fd >= 0 { _ = closeFile(fd) }
        fd = -1
    }
}

/// `close(2)` (the buffer's own `close()` hides the name inside it).
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
