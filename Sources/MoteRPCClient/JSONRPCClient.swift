import Foundation
import MotePrimitives

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The one JSON-RPC 2.0 client of Mote's tools: the CLI, the stream node, the device SDK and the
/// load generators talk to nodes through it. One request per call over HTTP POST; every call
/// has a timeout; an answer is read only up to `maxResponseBytes` (a larger one is cut off
/// while it streams in, not after); failures are typed (`RPCClientError`).
///
/// `@unchecked Sendable`: the stored properties are immutable; the URL session is thread-safe.
public final class JSONRPCClient: @unchecked Sendable {
    /// The node's endpoint (http or https).
    public let url: URL
    /// Seconds one call may take, connecting included (a call may ask for another bound).
    public let timeout: TimeInterval
    /// The largest response body read; a larger one fails the call.
    public let maxResponseBytes: Int
    private let session: URLSession
    private let collector: ResponseCollector

    public init(url: URL, timeout: TimeInterval = 30, maxResponseBytes: Int = 32 << 20) {
        self.url = url
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        // Calls bound themselves (`call(…, timeout:)`); the session only guards against a stuck transfer.
        configuration.timeoutIntervalForResource = max(timeout, 3_600)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        collector = ResponseCollector()
        session = URLSession(configuration: configuration, delegate: collector, delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// Calls `method` with positional `params`; returns the `result` member.
    public func call(_ method: String, _ params: [JSON] = [], timeout: TimeInterval? = nil) async throws(RPCClientError) -> JSON {
        let request: JSON = .object(["jsonrpc": .string("2.0"), "id": .int(1), "method": .string(method), "params": .array(params)])
        let seconds = timeout ?? self.timeout
        let (status, body) = try await post(Data(request.serialized), timeout: seconds)
        return try Self.result(of: body, status: status, method: method, url: url)
    }

    /// Sends `calls` as one JSON-RPC batch; one result per call, in order (a call the node
    /// refused, or left unanswered, is a failure of its own). The batch itself fails only when
    /// the node cannot be reached or does not answer with a batch.
    public func batch(_ calls: [(method: String, params: [JSON])], timeout: TimeInterval? = nil) async throws(RPCClientError) -> [Result<JSON, RPCClientError>] {
        guard !calls.isEmpty else { return [] }
        let request: JSON = .array(calls.enumerated().map { id, call in
            .object(["jsonrpc": .string("2.0"), "id": .int(id), "method": .string(call.method), "params": .array(call.params)])
        })
        let (status, body) = try await post(Data(request.serialized), timeout: timeout ?? self.timeout)
        guard let document = try? JSON.parse(body), let replies = document.arrayValue else {
            throw RPCClientError(.badResponse, "the node at \(url.absoluteString) answered a batch (HTTP \(status)) with something that is not a batch")
        }
        var results = [Result<JSON, RPCClientError>](
            repeating: .failure(RPCClientError(.badResponse, "no answer in the batch")), count: calls.count)
        for reply in replies {
            guard let id = reply["id"]?.intValue, id >= 0, id < calls.count else { continue }
            results[id] = Result { () throws(RPCClientError) -> JSON in
                try Self.result(of: reply.serialized, status: status, method: calls[id].method, url: url)
            }
        }
        return results
    }

    /// `call` for a caller with nothing else to do meanwhile (the CLI): blocks this thread.
    public func callBlocking(_ method: String, _ params: [JSON] = [], timeout: TimeInterval? = nil) throws(RPCClientError) -> JSON {
        try Self.blocking { () async throws(RPCClientError) -> JSON in try await self.call(method, params, timeout: timeout) }
    }

    /// Runs `body` on the cooperative pool and waits for it on this thread.
    public static func blocking<T: Sendable, E: Error>(_ body: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
        let box = ResultBox<T, E>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do throws(E) { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }

    /// The `result` of a JSON-RPC response body, or the error it carries.
    static func result(of body: [UInt8], status: Int, method: String, url: URL) throws(RPCClientError) -> JSON {
        let document: JSON
        do { document = try JSON.parse(body) } catch {
            let snippet = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let why = status == 200 ? "a response that is not JSON (\(error.description))" : "HTTP \(status)"
            throw RPCClientError(
                .badResponse, "the node at \(url.absoluteString) answered \(method) with \(why)\(snippet.isEmpty ? "" : ": \(snippet)")")
        }
        if let error = document["error"], error != .null {
            let code = error["code"]?.intValue ?? 0
            let message = error["message"]?.stringValue ?? error.text
            throw RPCClientError(.refused(code: code, message: message), "node refused: \(message) (code \(code))")
        }
        guard let result = document["result"] else {
            throw RPCClientError(
                .badResponse, "the node at \(url.absoluteString) answered \(method) (HTTP \(status)) without a JSON-RPC result: \(document.text.prefix(200))")
        }
        return result
    }

    /// POSTs `body`; returns the HTTP status and the response body.
    private func post(_ body: Data, timeout: TimeInterval) async throws(RPCClientError) -> (Int, [UInt8]) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let task = session.dataTask(with: request)
        let limit = maxResponseBytes
        let collector = collector
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ResponseCollector.Outcome, Never>) in
                collector.register(task, limit: limit, continuation: continuation)
                task.resume()
                // The session's timeouts end the task; this bound guards against a stuck one.
                let watchdog = Task {
                    try? await Task.sleep(for: .seconds(timeout + 1))
                    if !Task.isCancelled { task.cancel() }
                }
                collector.onFinish(task) { watchdog.cancel() }
            }
        } onCancel: {
            task.cancel()
        }
        if outcome.overflowed {
            throw RPCClientError(.badResponse, "the node at \(url.absoluteString) sent a response over \(Self.describe(bytes: limit))")
        }
        if let error = outcome.error { throw unreachable(Self.reason(error, timeout: timeout)) }
        guard let status = outcome.status else { throw unreachable("no HTTP response") }
        return (status, outcome.body)
    }

    private func unreachable(_ reason: String) -> RPCClientError {
        RPCClientError(.unreachable, "cannot reach the node at \(url.absoluteString): \(reason)")
    }

    static func describe(bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : bytes >= 1 << 10 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }

    /// A URL loading error in words (Linux's `localizedDescription` only gives the code).
    static func reason(_ error: any Error, timeout: TimeInterval) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .cannotConnectToHost: return "connection refused (is the node running? start one with mote devnet)"
        case .timedOut, .cancelled: return "no answer within \(Int(timeout)) s"
        case .cannotFindHost, .dnsLookupFailed: return "unknown host"
        case .networkConnectionLost: return "the connection was closed"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
            .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "TLS failed: \(error.localizedDescription)"
        case .badServerResponse: return "a malformed HTTP response"
        case .badURL: return "the URL loader refused the URL (IPv6 literals such as [::1] do not work here; use a host name)"
        default:
            // On Linux the text is libcurl's (e.g. an OpenSSL message); the generic one only repeats the code.
            let text = error.localizedDescription
            return text.hasPrefix("The operation could not be completed") ? "URL error \(error.code.rawValue)" : text
        }
    }
}

/// One value handed from a task to a waiting thread.
private final class ResultBox<T: Sendable, E: Error>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, E>?
    func set(_ result: Result<T, E>) { lock.withLock { value = result } }
    func get() throws(E) -> T { try lock.withLock { value! }.get() }
}

/// Gathers the responses of a session's tasks, each up to its limit, cancelling a task once
/// its body passes the limit, and resumes each task's caller when it ends.
///
/// `@unchecked Sendable`: URLSession calls the delegate on its own queue while callers
/// register tasks; every mutable field is read and written under `lock`.
private final class ResponseCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome: Sendable {
        var status: Int?
        var body: [UInt8] = []
        var error: (any Error)?
        var overflowed = false
    }

    private struct Pending {
        var limit: Int
        var outcome = Outcome()
        var continuation: CheckedContinuation<Outcome, Never>
        var finished: [@Sendable () -> Void] = []
    }

    private let lock = NSLock()
    private var pending: [Int: Pending] = [:]

    func register(_ task: URLSessionTask, limit: Int, continuation: CheckedContinuation<Outcome, Never>) {
        lock.withLock { pending[task.taskIdentifier] = Pending(limit: limit, continuation: continuation) }
    }

    /// Runs `action` when `task` ends (at once if it already has).
    func onFinish(_ task: URLSessionTask, _ action: @escaping @Sendable () -> Void) {
        let ran = lock.withLock { () -> Bool in
            guard pending[task.taskIdentifier] != nil else { return true }
            pending[task.taskIdentifier]!.finished.append(action)
            return false
        }
        if ran { action() }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let tooLarge = lock.withLock { () -> Bool in
            guard var entry = pending[dataTask.taskIdentifier] else { return false }
            entry.outcome.status = (response as? HTTPURLResponse)?.statusCode
            let tooLarge = response.expectedContentLength > Int64(entry.limit)
            if tooLarge { entry.outcome.overflowed = true }
            pending[dataTask.taskIdentifier] = entry
            return tooLarge
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflowed = lock.withLock { () -> Bool in
            guard var entry = pending[dataTask.taskIdentifier] else { return false }
            defer { pending[dataTask.taskIdentifier] = entry }
            guard !entry.outcome.overflowed, entry.outcome.body.count + data.count <= entry.limit else {
                entry.outcome.overflowed = true
                entry.outcome.body = []
                return true
            }
            entry.outcome.body.append(contentsOf: data)
            return false
        }
        if overflowed { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let entry = lock.withLock { pending.removeValue(forKey: task.taskIdentifier) }
        guard var entry else { return }
        if entry.outcome.status == nil { entry.outcome.status = (task.response as? HTTPURLResponse)?.statusCode }
        if !entry.outcome.overflowed { entry.outcome.error = error }
        for action in entry.finished { action() }
        entry.continuation.resume(returning: entry.outcome)
    }
}
