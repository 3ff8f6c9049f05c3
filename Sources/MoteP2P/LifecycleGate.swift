import Foundation

/// Guards hand-offs to the node's event loop against the loop having been shut down, and lets
/// callers wait for "shutdown requested" and "shutdown finished".
///
/// `@unchecked Sendable`: every stored property is read and written only while `lock` is held;
/// continuations are resumed after the lock is released.
final class LifecycleGate: @unchecked Sendable {
    private enum State { case open, closing, closed }
    private let lock = NSLock()
    private var state = State.open
    private var closingWaiters: [CheckedContinuation<Void, Never>] = []
    private var closedWaiters: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` under the lock unless the loop is gone; returns nil if it is.
    func ifLoopAlive<T>(_ body: () -> T) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return state == .closed ? nil : body()
    }

    /// Moves to "closing"; returns true for the one caller that must perform the shutdown.
    func beginClosing() -> Bool {
        lock.lock()
        guard state == .open else {
            lock.unlock()
            return false
        }
        state = .closing
        let waiters = closingWaiters
        closingWaiters = []
        lock.unlock()
        waiters.forEach { $0.resume() }
        return true
    }

    /// Moves to "closed": no more work reaches the loop.
    func markClosed() {
        lock.lock()
        state = .closed
        let waiters = closedWaiters + closingWaiters
        closedWaiters = []
        closingWaiters = []
        lock.unlock()
        waiters.forEach { $0.resume() }
    }

    /// Returns once shutdown has been requested.
    func waitUntilClosing() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if state == .open {
                closingWaiters.append(continuation)
                lock.unlock()
            } else {
                lock.unlock()
                continuation.resume()
            }
        }
    }

    /// Returns once shutdown has finished.
    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if state != .closed {
                closedWaiters.append(continuation)
                lock.unlock()
            } else {
                lock.unlock()
                continuation.resume()
            }
        }
    }
}
