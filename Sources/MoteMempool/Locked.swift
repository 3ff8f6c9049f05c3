import Foundation

/// A value reachable only while holding a lock.
///
/// An `NSLock` rather than `Synchronization.Mutex`, which needs macOS 15 while the package
/// supports macOS 14. `@unchecked Sendable`: `value` is only touched inside `withLock`, which
/// holds `lock` for the whole access, so no two threads ever see it at once.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` on the value with the lock held.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
