import Foundation
import HummingbirdWSClient
import Logging
import MotePrimitives

/// JSON-RPC 2.0 over one WebSocket (the node's `ws://` port): calls answered by id on the one
/// connection, and `eth_subscribe` notifications delivered as streams. Messages are bounded
/// (`maxMessageBytes`), every call has a timeout, failures are `RPCClientError`s.
public actor JSONRPCWebSocketClient {
    public nonisolated let url: URL
    public nonisolated let timeout: TimeInterval
    public nonisolated let maxMessageBytes: Int
    private var outbound: WebSocketOutboundWriter?
    private var closed: RPCClientError?
    private var nextID = 1
    private var pending: [Int: CheckedContinuation<Result<JSON, RPCClientError>, Never>] = [:]
    private var subscriptions: [String: AsyncStream<JSON>.Continuation] = [:]
    private var connection: Task<Void, Never>?

    private init(url: URL, timeout: TimeInterval, maxMessageBytes: Int) {
        self.url = url
        self.timeout = timeout
        self.maxMessageBytes = maxMessageBytes
    }

    /// Connects to `url` (ws or wss); throws if the node cannot be reached in `timeout`.
    public static func connect(url: URL, timeout: TimeInterval = 30, maxMessageBytes: Int = 4 << 20) async throws(RPCClientError) -> JSONRPCWebSocketClient {
        _ = try RPCEndpoint.validate(url.absoluteString, source: "the WebSocket URL", schemes: ["ws", "wss"])
        let client = JSONRPCWebSocketClient(url: url, timeout: timeout, maxMessageBytes: maxMessageBytes)
        await client.open()
        try await client.waitUntilOpen()
        return client
    }

    private func open() {
        var logger = Logger(label: "mote.rpc.ws-client")
        logger.logLevel = .critical
        let url = url.absoluteString, maxBytes = maxMessageBytes
        let weakSelf = WeakClient(self)
        connection = Task {
            do {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: maxBytes), logger: logger
                ) { inbound, outbound, _ in
                    guard let client = weakSelf.client else { return }
                    await client.attach(outbound)
                    for try await message in inbound.messages(maxSize: maxBytes) {
                        guard case .text(let text) = message else { continue }
                        await client.receive(Array(text.utf8))
                    }
                }
                await weakSelf.client?.fail(RPCClientError(.unreachable, "the WebSocket at \(url) closed"))
            } catch {
                await weakSelf.client?.fail(RPCClientError(.unreachable, "cannot reach the node at \(url): \(error)"))
            }
        }
    }

    private func waitUntilOpen() async throws(RPCClientError) {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while outbound == nil, closed == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if let closed { throw closed }
        guard outbound != nil else {
            close()
            throw RPCClientError(.unreachable, "cannot reach the node at \(url.absoluteString): no WebSocket within \(Int(timeout)) s")
        }
    }

    private func attach(_ writer: WebSocketOutboundWriter) { outbound = writer }

    /// Calls `method`; returns the `result` member.
    public func call(_ method: String, _ params: [JSON] = []) async throws(RPCClientError) -> JSON {
        if let closed { throw closed }
        guard let outbound else { throw RPCClientError(.unreachable, "the WebSocket is not open") }
        let id = nextID
        nextID += 1
        let request: JSON = .object(["jsonrpc": .string("2.0"), "id": .int(id), "method": .string(method), "params": .array(params)])
        let seconds = timeout
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<JSON, RPCClientError>, Never>) in
            pending[id] = continuation
            Task {
                do { try await outbound.write(.text(String(decoding: request.serialized, as: UTF8.self))) } catch {
                    self.resolve(id, .failure(RPCClientError(.unreachable, "cannot send \(method): \(error)")))
                }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.resolve(id, .failure(RPCClientError(.unreachable, "no answer to \(method) within \(Int(seconds)) s")))
            }
        }
        return try result.get()
    }

    /// Subscribes (`eth_subscribe` with `params`, e.g. `["newHeads"]`); returns the id and the
    /// notifications' `result`s. The stream ends when the connection does.
    public func subscribe(_ params: [JSON]) async throws(RPCClientError) -> (id: String, notifications: AsyncStream<JSON>) {
        let answer = try await call("eth_subscribe", params)
        guard let id = answer.stringValue else { throw .badResponse("eth_subscribe answered \(answer.text.prefix(100))") }
        let (stream, continuation) = AsyncStream<JSON>.makeStream(bufferingPolicy: .bufferingNewest(1_024))
        subscriptions[id] = continuation
        return (id, stream)
    }

    /// Closes the connection; pending calls fail, subscription streams end.
    public func close() {
        fail(RPCClientError(.unreachable, "the WebSocket was closed"))
        connection?.cancel()
    }

    private func resolve(_ id: Int, _ result: Result<JSON, RPCClientError>) {
        pending.removeValue(forKey: id)?.resume(returning: result)
    }

    private func receive(_ bytes: [UInt8]) {
        guard let document = try? JSON.parse(bytes) else { return }
        if document["method"]?.stringValue == "eth_subscription", let params = document["params"],
            let id = params["subscription"]?.stringValue, let result = params["result"]
        {
            subscriptions[id]?.yield(result)
            return
        }
        guard let id = document["id"]?.intValue else { return }
        resolve(id, Result { () throws(RPCClientError) -> JSON in
            try JSONRPCClient.result(of: bytes, status: 101, method: "call \(id)", url: url)
        })
    }

    private func fail(_ error: RPCClientError) {
        if closed == nil { closed = error }
        outbound = nil
        for (_, continuation) in pending { continuation.resume(returning: .failure(error)) }
        pending.removeAll()
        for (_, continuation) in subscriptions { continuation.finish() }
        subscriptions.removeAll()
    }
}

/// A weak reference the connection's task holds, so a dropped client closes its socket.
private final class WeakClient: @unchecked Sendable {
    weak var client: JSONRPCWebSocketClient?
    init(_ client: JSONRPCWebSocketClient) { self.client = client }
}
