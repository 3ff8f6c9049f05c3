import MotePrimitives
import NIOConcurrencyHelpers

/// One WebSocket client: its requests run in order, its subscriptions push notifications, and
/// everything it is sent goes through one bounded outbox.
final class WebSocketSession: RPCSubscriber, Sendable {
    let service: RPCService
    let address: String
    /// Messages to send, in order.
    let outbox: AsyncStream<String>
    private let outboxInput: AsyncStream<String>.Continuation
    private let subscriptions = NIOLockedValueBox([String: Task<Void, Never>]())
    /// Subscriptions whose id has not been sent yet; they start delivering once it has.
    private let waiting = NIOLockedValueBox([AsyncStream<Void>.Continuation]())

    /// Messages a session may have waiting; a client that reads slower loses the oldest notifications.
    static let outboxCapacity = 10_000

    init(service: RPCService, address: String) {
        self.service = service
        self.address = address
        (outbox, outboxInput) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.outboxCapacity))
    }

    /// Answers one message.
    func receive(_ body: [UInt8]) async {
        if let out = await service.handle(body: body, caller: RPCCaller(address: address, session: self)) {
            send(String(decoding: out, as: UTF8.self))
        }
        let opened = waiting.withLockedValue { waiting in
            defer { waiting = [] }
            return waiting
        }
        for gate in opened { gate.finish() }
    }

    func send(_ text: String) { outboxInput.yield(text) }

    func subscribe(_ kind: SubscriptionKind) async throws(RPCError) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let (gate, gateInput) = AsyncStream<Void>.makeStream()
        let events = service.backend.events.subscribe(buffer: 1_024).stream
        let service = self.service
        let task = Task { [weak self] in
            for await _ in gate {}
            for await event in events {
                guard let self else { return }
                for result in service.notifications(kind, event: event) {
                    let message: JSON = .object([
                        "jsonrpc": .string("2.0"), "method": .string("eth_subscription"),
                        "params": .object(["subscription": .string(id), "result": result]),
                    ])
                    self.send(message.text)
                }
            }
        }
        let address = self.address
        let refusal: RPCError? = subscriptions.withLockedValue { subscriptions in
            guard subscriptions.count < service.limits.maxSubscriptions else {
                return RPCError.limitExceeded("too many subscriptions on this connection (limit \(service.limits.maxSubscriptions))")
            }
            guard service.subscriptionSlots.acquire(address) == nil else {
                return RPCError.limitExceeded(
                    "too many subscriptions from this address (limit \(service.limits.maxSubscriptionsPerIP) per client over all its connections)")
            }
            subscriptions[id] = task
            return nil
        }
        if let refusal {
            task.cancel()
            gateInput.finish()
            throw refusal
        }
        waiting.withLockedValue { $0.append(gateInput) }
        return id
    }

    func unsubscribe(_ id: String) async -> Bool {
        guard let task = subscriptions.withLockedValue({ $0.removeValue(forKey: id.lowercased()) }) else { return false }
        service.subscriptionSlots.release(address)
        task.cancel()
        return true
    }

    /// Ends every subscription and the outbox.
    func close() async {
        let tasks = subscriptions.withLockedValue { subscriptions in
            defer { subscriptions = [:] }
            return Array(subscriptions.values)
        }
        for task in tasks {
            service.subscriptionSlots.release(address)
            task.cancel()
        }
        let gates = waiting.withLockedValue { waiting in
            defer { waiting = [] }
            return waiting
        }
        for gate in gates { gate.finish() }
        outboxInput.finish()
    }
}

extension RPCService {
    /// What a subscription sends for one event: a header, the matching logs, or pooled transactions.
    func notifications(_ kind: SubscriptionKind, event: ChainEvents.Event) -> [JSON] {
        switch (kind, event) {
        case (.newHeads, .block(let block, _)):
            return [.object(headerJSON(block.header, hash: block.hash))]
        case (.logs(let filter), .block(let block, let receipts)):
            guard filter.mightMatch(block.header.logsBloom) else { return [] }
            return matchingLogs(filter, block: block, receipts: receipts)
        case (.newPendingTransactions(let full), .pendingTransactions(let hashes)):
            guard full else { return hashes.map { .hash($0) } }
            return hashes.compactMap { hash in backend.pool.transaction(hash).map { transactionJSON($0, block: nil, index: 0) } }
        default:
            return []
        }
    }
}
