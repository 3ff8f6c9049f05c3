import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An MQTT 3.1.1 client over SwiftNIO TCP: connect, publish (QoS 0 and 1), subscribe (an
/// `AsyncStream` of messages per subscription), unsubscribe, keepalive pings, disconnect.
///
/// One client is one connection; after it closes (broker gone, protocol error, `disconnect`),
/// every waiting call fails, every subscription stream finishes, and a new client is needed.
/// The protocol rules live in `MQTTSession` (no I/O); this type does the I/O around it.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    /// A request waiting for its acknowledgements (one PUBACK per QoS 1 message of a
    /// `publish` call, or one SUBACK/UNSUBACK).
    ///
    /// `@unchecked Sendable`: its fields are read and written only under the client's `state` lock.
    private final class Completion: @unchecked Sendable {
        var remaining: Int
        var returnCodes: [UInt8] = []
        var continuation: CheckedContinuation<Result<[UInt8], MQTTError>, Never>?

        init(remaining: Int, continuation: CheckedContinuation<Result<[UInt8], MQTTError>, Never>) {
            self.remaining = remaining
            self.continuation = continuation
        }
    }

    private struct Subscription {
        let id: Int
        let filter: String
        let continuation: AsyncStream<MQTTMessage>.Continuation
    }

    private struct State {
        var session = MQTTSession()
        var channel: (any Channel)?
        var connectWaiter: CheckedContinuation<Result<Void, MQTTError>, Never>?
        var waiters: [UInt16: Completion] = [:]
        var subscriptions: [Subscription] = []
        var nextSubscriptionID = 0
        var closeError: MQTTError?
        var started = false
        var keepAliveTask: RepeatedTask?
    }

    public init(configuration: MQTTConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Whether CONNACK accepted the connection and it has not closed since.
    public var isConnected: Bool { state.withLockedValue { $0.session.phase == .connected } }

    /// Why the connection closed, once it has.
    public var closeError: MQTTError? { state.withLockedValue { $0.closeError } }

    // MARK: Connecting

    /// Opens the TCP connection, sends CONNECT and waits for the broker's CONNACK.
    public func connect() async throws(MQTTError) {
        let config = configuration
        guard config.clientID.utf8.count <= 65_535, config.username.map({ $0.utf8.count <= 65_535 }) ?? true,
            (config.password?.count ?? 0) <= 65_535
        else { throw MQTTError(.invalidArgument, "client id, user name or password over 65535 bytes") }
        let alreadyStarted = state.withLockedValue { state in
            defer { state.started = true }
            return state.started
        }
        guard !alreadyStarted else { throw MQTTError(.invalidArgument, "a client connects once; make a new one") }

        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(config.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(MQTTChannelHandler(client: self, maxPacketSize: config.maxPacketSize))
                    }
                }
                .connect(host: config.host, port: config.port).get()
        } catch {
            let failure = MQTTError(.notConnected, "cannot connect to \(config.host):\(config.port): \(error)")
            connectionClosed(failure)
            throw failure
        }

        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, MQTTError>, Never>) in
            let closed = state.withLockedValue { state -> MQTTError? in
                if let error = state.closeError { return error }
                state.channel = channel
                state.connectWaiter = continuation
                return nil
            }
            if let closed {
                continuation.resume(returning: .failure(closed))
                return
            }
            let connect = MQTTConnect(
                clientID: config.clientID, cleanSession: config.cleanSession, keepAlive: config.keepAlive,
                username: config.username, password: config.password)
            send([.connect(connect)], on: channel)
            channel.eventLoop.scheduleTask(in: TimeAmount(config.connectTimeout)) {
                if self.state.withLockedValue({ $0.session.phase == .connecting }) {
                    self.close(MQTTError(.timeout, "no CONNACK within \(config.connectTimeout)"))
                }
            }
        }
        try result.get()
        if config.keepAlive > 0 {
            let period = TimeAmount.seconds(Int64(config.keepAlive))
            let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                self.keepAliveTick()
            }
            state.withLockedValue { $0.keepAliveTask = task }
        }
    }

    /// Sends DISCONNECT and closes the connection.
    public func disconnect() async {
        guard let channel = state.withLockedValue({ $0.session.phase == .connected ? $0.channel : nil }) else {
            close(MQTTError(.notConnected, "disconnected"))
            return
        }
        var buffer = channel.allocator.buffer(capacity: 2)
        MQTTPacket.disconnect.write(to: &buffer)
        try? await channel.writeAndFlush(buffer).get()
        close(MQTTError(.notConnected, "disconnected"))
        try? await channel.closeFuture.get()
    }

    // MARK: Publishing

    /// Publishes one message; with QoS 1, returns once the broker acknowledged it.
    public func publish(_ topic: String, _ payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws(MQTTError) {
        try await publish([MQTTMessage(topic: topic, payload: payload, qos: qos, retain: retain)])
    }

    /// Publishes messages in one write; returns once the broker acknowledged every QoS 1 one
    /// (QoS 0 ones: once written).
    public func publish(_ messages: [MQTTMessage]) async throws(MQTTError) {
        for message in messages {
            guard MQTTTopic.isValidName(message.topic) else { throw MQTTError(.invalidArgument, "invalid topic name \"\(message.topic.prefix(80))\"") }
            guard message.payload.count + message.topic.utf8.count + 4 <= MQTTPacket.maxRemainingLength else {
                throw MQTTError(.invalidArgument, "payload of \(message.payload.count) bytes is over MQTT's limit")
            }
        }
        let acknowledged = messages.filter { $0.qos == .atLeastOnce }.count
        if acknowledged == 0 {
            let channel = try connectedChannel()
            do { try await channel.writeAndFlush(encode(messages.map { .publish($0) }, on: channel)).get() } catch {
                throw MQTTError(.connectionClosed, "write failed: \(error)")
            }
            return
        }
        _ = try await request(waitingFor: acknowledged) { (session: inout MQTTSession) -> [MQTTPacket]? in
            var packets: [MQTTPacket] = []
            var ids: [UInt16] = []
            for var message in messages {
                message.duplicate = false
                message.packetID = nil
                if message.qos == .atLeastOnce {
                    guard let id = session.allocateID(for: .puback) else {
                        ids.forEach { session.release($0) }
                        return nil
                    }
                    ids.append(id)
                    message.packetID = id
                }
                packets.append(.publish(message))
            }
            return packets
        }
    }

    // MARK: Subscribing

    /// Subscribes to `filter`; the stream yields every message whose topic matches it, and
    /// finishes when the subscription or the connection ends. A refused subscription throws.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws(MQTTError) -> AsyncStream<MQTTMessage> {
        guard MQTTTopic.isValidFilter(filter) else { throw MQTTError(.invalidArgument, "invalid topic filter \"\(filter.prefix(80))\"") }
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTMessage.self)
        let id = state.withLockedValue { state in
            state.nextSubscriptionID += 1
            state.subscriptions.append(Subscription(id: state.nextSubscriptionID, filter: filter, continuation: continuation))
            return state.nextSubscriptionID
        }
        continuation.onTermination = { _ in
            self.state.withLockedValue { state in state.subscriptions.removeAll { $0.id == id } }
        }
        let codes: [UInt8]
        do throws(MQTTError) {
            codes = try await request(waitingFor: 1) { session in
                session.allocateID(for: .suback).map { id -> [MQTTPacket] in [.subscribe(packetID: id, filters: [(filter, qos)])] }
            }
        } catch {
            continuation.finish()
            throw error
        }
        guard codes.first.map({ $0 != 0x80 }) ?? false else {
            continuation.finish()
            throw MQTTError(.subscriptionRefused, "the broker refused the subscription to \(filter.prefix(80))")
        }
        return stream
    }

    /// Unsubscribes from `filter`; the streams subscribed to it finish.
    public func unsubscribe(_ filter: String) async throws(MQTTError) {
        guard MQTTTopic.isValidFilter(filter) else { throw MQTTError(.invalidArgument, "invalid topic filter \"\(filter.prefix(80))\"") }
        _ = try await request(waitingFor: 1) { session in
            session.allocateID(for: .unsuback).map { id -> [MQTTPacket] in [.unsubscribe(packetID: id, filters: [filter])] }
        }
        let ended = state.withLockedValue { state in
            defer { state.subscriptions.removeAll { $0.filter == filter } }
            return state.subscriptions.filter { $0.filter == filter }
        }
        for subscription in ended { subscription.continuation.finish() }
    }

    /// Acknowledges received QoS 1 messages (PUBACK), when `acknowledgesOnDelivery` is false.
    public func acknowledge(_ messages: [MQTTMessage]) {
        let ids = messages.compactMap { $0.qos == .atLeastOnce ? $0.packetID : nil }
        guard !ids.isEmpty, let channel = try? connectedChannel() else { return }
        channel.writeAndFlush(encode(ids.map { .puback(packetID: $0) }, on: channel), promise: nil)
    }

    // MARK: Internals

    private func connectedChannel() throws(MQTTError) -> any Channel {
        let (channel, closeError) = state.withLockedValue { state in
            (state.session.phase == .connected ? state.channel : nil, state.closeError)
        }
        guard let channel else { throw closeError ?? MQTTError(.notConnected, "not connected") }
        return channel
    }

    /// Registers a request's packet ids (`prepare` allocates them; nil: none free), sends its
    /// packets, and waits until `count` acknowledgements arrived or the connection closed.
    private func request(
        waitingFor count: Int, _ prepare: @escaping @Sendable (inout MQTTSession) -> [MQTTPacket]?
    ) async throws(MQTTError) -> [UInt8] {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8], MQTTError>, Never>) in
            let prepared = state.withLockedValue { state -> Result<([MQTTPacket], any Channel), MQTTError> in
                guard state.session.phase == .connected, let channel = state.channel else {
                    return .failure(state.closeError ?? MQTTError(.notConnected, "not connected"))
                }
                guard let packets = prepare(&state.session) else {
                    return .failure(MQTTError(.invalidArgument, "every packet id is in flight"))
                }
                let completion = Completion(remaining: count, continuation: continuation)
                for packet in packets {
                    switch packet {
                    case .publish(let message): if let id = message.packetID { state.waiters[id] = completion }
                    case .subscribe(let id, _), .unsubscribe(let id, _): state.waiters[id] = completion
                    default: break
                    }
                }
                return .success((packets, channel))
            }
            switch prepared {
            case .failure(let error): continuation.resume(returning: .failure(error))
            case .success(let (packets, channel)): send(packets, on: channel)
            }
        }
        return try result.get()
    }

    private func encode(_ packets: [MQTTPacket], on channel: any Channel) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: 64 * packets.count)
        for packet in packets { packet.write(to: &buffer) }
        return buffer
    }

    private func send(_ packets: [MQTTPacket], on channel: any Channel) {
        channel.writeAndFlush(encode(packets, on: channel), promise: nil)
    }

    /// A packet from the broker (on the channel's event loop); replies go into `replies`.
    func received(_ packet: MQTTPacket, replies: inout ByteBuffer) {
        var resume: [(CheckedContinuation<Result<[UInt8], MQTTError>, Never>, [UInt8])] = []
        var connected: CheckedContinuation<Result<Void, MQTTError>, Never>?
        var deliverTo: [AsyncStream<MQTTMessage>.Continuation] = []
        var message: MQTTMessage?
        let action = state.withLockedValue { state -> MQTTSession.Action in
            let action = state.session.receive(packet)
            func acknowledged(_ id: UInt16, codes: [UInt8]) {
                guard let completion = state.waiters.removeValue(forKey: id) else { return }
                completion.returnCodes += codes
                completion.remaining -= 1
                if completion.remaining == 0, let continuation = completion.continuation {
                    completion.continuation = nil
                    resume.append((continuation, completion.returnCodes))
                }
            }
            switch action {
            case .connected:
                connected = state.connectWaiter
                state.connectWaiter = nil
            case .published(let id), .unsubscribed(let id): acknowledged(id, codes: [])
            case .subscribed(let id, let codes): acknowledged(id, codes: codes)
            case .deliver(let delivered):
                message = delivered
                deliverTo = state.subscriptions.filter { MQTTTopic.matches(delivered.topic, filter: $0.filter) }.map(\.continuation)
            case .none, .close: break
            }
            return action
        }
        connected?.resume(returning: .success(()))
        for (continuation, codes) in resume { continuation.resume(returning: .success(codes)) }
        if let message {
            for continuation in deliverTo { continuation.yield(message) }
            if configuration.acknowledgesOnDelivery, message.qos == .atLeastOnce, let id = message.packetID {
                MQTTPacket.puback(packetID: id).write(to: &replies)
            }
        }
        if case .close(let error) = action { close(error) }
    }

    private func keepAliveTick() {
        let (action, channel) = state.withLockedValue { ($0.session.keepAliveTick(), $0.channel) }
        switch action {
        case .sendPing: if let channel { send([.pingreq], on: channel) }
        case .close(let error): close(error)
        case .none: break
        }
    }

    /// Closes the connection with `error` as the reason.
    func close(_ error: MQTTError) {
        let channel = state.withLockedValue { $0.channel }
        connectionClosed(error)
        channel?.close(promise: nil)
    }

    /// The connection ended: fails everything waiting, finishes every subscription.
    func connectionClosed(_ error: MQTTError) {
        let (connectWaiter, completions, subscriptions, keepAlive) = state.withLockedValue { state in
            if state.closeError == nil { state.closeError = error }
            state.session.closed()
            defer {
                state.connectWaiter = nil
                state.waiters = [:]
                state.subscriptions = []
                state.keepAliveTask = nil
            }
            var seen = Set<ObjectIdentifier>()
            var completions: [CheckedContinuation<Result<[UInt8], MQTTError>, Never>] = []
            for completion in state.waiters.values where seen.insert(ObjectIdentifier(completion)).inserted {
                if let continuation = completion.continuation {
                    completion.continuation = nil
                    completions.append(continuation)
                }
            }
            return (state.connectWaiter, completions, state.subscriptions, state.keepAliveTask)
        }
        keepAlive?.cancel()
        connectWaiter?.resume(returning: .failure(error))
        for continuation in completions { continuation.resume(returning: .failure(error)) }
        for subscription in subscriptions { subscription.continuation.finish() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
