import NIOConcurrencyHelpers
import NIOCore

/// The stream node's HTTP connection limits (docs/STREAM.md#connection-limits).
public struct StreamConnectionLimits: Equatable, Sendable {
    /// The most open HTTP connections in all.
    public var maxConnections = 4_096
    /// The most open HTTP connections from one IP address.
    public var maxConnectionsPerIP = 256
    /// Seconds a connection may stay open with no request in progress (after connecting,
    /// or after its last answer) before the node closes it.
    public var idleTimeoutSeconds = 30

    public init() {}
}

/// Counts open connections, in all and per IP address, against `StreamConnectionLimits`.
/// (The same idea as the RPC server's connection counter, with a per-IP table.)
public final class StreamConnectionCounter: Sendable {
    public let limits: StreamConnectionLimits
    private let state = NIOLockedValueBox((total: 0, perIP: [String: Int]()))

    public init(limits: StreamConnectionLimits) { self.limits = limits }

    /// Why a connection was not admitted.
    public enum Refusal: Equatable, Sendable {
        case total
        case perIP
    }

    /// Takes a slot for a connection from `ip`; the refusal if every slot (in all, or for
    /// that address) is taken.
    func acquire(ip: String) -> Refusal? {
        state.withLockedValue { state in
            guard state.total < limits.maxConnections else { return .total }
            let fromIP = state.perIP[ip, default: 0]
            guard fromIP < limits.maxConnectionsPerIP else { return .perIP }
            state.total += 1
            state.perIP[ip] = fromIP + 1
            return nil
        }
    }

    func release(ip: String) {
        state.withLockedValue { state in
            state.total -= 1
            let left = state.perIP[ip, default: 1] - 1
            state.perIP[ip] = left > 0 ? left : nil
        }
    }

    /// Open connections: in all, and how many addresses hold them.
    public var current: (total: Int, addresses: Int) { state.withLockedValue { ($0.total, $0.perIP.count) } }

    /// Connections refused so far because of the total and the per-IP limit.
    let refusals = NIOLockedValueBox((total: 0, perIP: 0))

    public var refused: (total: Int, perIP: Int) { refusals.withLockedValue { $0 } }
}

/// Admits an accepted HTTP connection against a `StreamConnectionCounter`, or closes it at
/// once (no request is read, no file descriptor is held); gives its slot back when it closes.
final class StreamConnectionLimiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let counter: StreamConnectionCounter
    private var admittedIP: String?
    private var decided = false

    init(counter: StreamConnectionCounter) { self.counter = counter }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context: context)
        context.fireChannelActive()
    }

    private func admit(context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        let ip = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = counter.acquire(ip: ip) {
            counter.refusals.withLockedValue { counts in
                switch refusal {
                case .total: counts.total += 1
                case .perIP: counts.perIP += 1
                }
            }
            context.close(promise: nil)
        } else {
            admittedIP = ip
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection is closing: what it sent is not read.
        guard admittedIP != nil else { return }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func release() {
        guard let ip = admittedIP else { return }
        admittedIP = nil
        counter.release(ip: ip)
    }
}
