import NIOConcurrencyHelpers

/// A queue between producers (subscription streams) and one consumer that takes everything
/// waiting at once, so that messages arriving together are checked together.
final class MessageQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<[Element], Never>?
        var closed = false
    }
    private let state = NIOLockedValueBox(State())

    func push(_ item: Element) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<[Element], Never>? in
            guard !state.closed else { return nil }
            state.items.append(item)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.items = [] }
            return waiter
        }
        // Resumed with everything queued so far (here just this item, or a few).
        waiter?.resume(returning: [item])
    }

    /// Up to `max` items, waiting if there are none; empty once closed and drained.
    func take(max: Int) async -> [Element] {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> [Element]? in
                if !state.items.isEmpty {
                    let count = Swift.min(max, state.items.count)
                    defer { state.items.removeFirst(count) }
                    return Array(state.items.prefix(count))
                }
                if state.closed { return [] }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Ends the queue: waiting consumers get what is left, then empty arrays.
    func close() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<[Element], Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }
}
