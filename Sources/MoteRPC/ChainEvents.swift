import MoteChain
import MotePrimitives
import NIOConcurrencyHelpers

/// Fans out what happens on the node — finalized blocks and newly pooled transactions — to
/// every subscriber (WebSocket subscriptions, polled filters). Each subscriber has its own
/// bounded buffer: a slow one loses its oldest events, it never holds up the node.
public final class ChainEvents: Sendable {
    public enum Event: Sendable {
        /// A block was finalized, with its receipts.
        case block(Block, [Receipt])
        /// Transactions entered the pool.
        case pendingTransactions([Hash32])
    }

    private struct State {
        var nextID: UInt64 = 0
        var streams: [UInt64: AsyncStream<Event>.Continuation] = [:]
        var observers: [UInt64: @Sendable (Event) -> Void] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A stream of events from now on, keeping at most `buffer` undelivered; ends with `cancel(id)`.
    public func subscribe(buffer: Int = 256) -> (id: UInt64, stream: AsyncStream<Event>) {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLockedValue { state in
            state.nextID += 1
            state.streams[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in self?.cancel(id) }
        return (id, stream)
    }

    /// Calls `observer` synchronously with every event (it must be quick).
    public func observe(_ observer: @escaping @Sendable (Event) -> Void) -> UInt64 {
        state.withLockedValue { state in
            state.nextID += 1
            state.observers[state.nextID] = observer
            return state.nextID
        }
    }

    /// Ends a subscription or removes an observer.
    public func cancel(_ id: UInt64) {
        let continuation = state.withLockedValue { state in
            state.observers[id] = nil
            return state.streams.removeValue(forKey: id)
        }
        continuation?.finish()
    }

    /// Delivers `event` to every subscriber.
    public func publish(_ event: Event) {
        let (streams, observers) = state.withLockedValue { (Array($0.streams.values), Array($0.observers.values)) }
        for observer in observers { observer(event) }
        for continuation in streams { continuation.yield(event) }
    }

    /// How many stream subscribers there are.
    public var subscriberCount: Int { state.withLockedValue { $0.streams.count } }
}
