import Foundation
import NIOConcurrencyHelpers

/// A device's sequence numbers, persisted: the file holds the last number handed out (decimal
/// text) and is replaced atomically *before* `next()` returns a number, so a restart — even
/// after a crash or power loss — never hands out a number twice (a stream node would refuse
/// it as a `replay`).
public final class SequenceCounter: Sendable {
    public let path: String
    private let sync: Bool
    private let last: NIOLockedValueBox<UInt64>

    /// Opens (or starts) the counter at `path`. A new counter's first number is `first`.
    /// `sync`: fsync each update (durable across power loss; slower on slow storage).
    public init(path: String, first: UInt64 = 1, sync: Bool = true) throws(DeviceSDKError) {
        self.path = path
        self.sync = sync
        if let bytes = try DurableFile.read(path) {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let value = UInt64(text) else { throw DeviceSDKError(.io, "\(path) does not hold a sequence number") }
            last = NIOLockedValueBox(value)
        } else {
            guard first > 0 else { throw DeviceSDKError(.invalidArgument, "the first sequence number must be at least 1") }
            last = NIOLockedValueBox(first - 1)
        }
    }

    /// The last number handed out (0: none yet).
    public var lastIssued: UInt64 { last.withLockedValue { $0 } }

    /// The next number, recorded in the file before it is returned.
    public func next() throws(DeviceSDKError) -> UInt64 {
        // (`withLockedValue` rethrows untyped errors, so the typed one travels in a Result.)
        let issued = last.withLockedValue { last -> Result<UInt64, DeviceSDKError> in
            guard last < .max else { return .failure(DeviceSDKError(.invalidArgument, "sequence numbers are exhausted")) }
            let next = last + 1
            do throws(DeviceSDKError) {
                try DurableFile.replace(path, with: Array("\(next)\n".utf8), sync: sync)
            } catch {
                return .failure(error)
            }
            last = next
            return .success(next)
        }
        return try issued.get()
    }
}
