import ArgumentParser
import Foundation
import MotePrimitives
import MoteRPC

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why a call to the node failed: it could not be reached, it answered something that is not
/// JSON-RPC, or it refused the request with a JSON-RPC error.
struct RPCClientError: Error, CustomStringConvertible {
    enum Kind: Equatable {
        /// No answer: connection refused, unknown host, timeout, TLS failure.
        case unreachable
        /// An answer that is not a JSON-RPC response (HTTP error page, too large, not JSON).
        case badResponse
        /// A JSON-RPC error object from the node.
        case refused(code: Int, message: String)
        /// The URL given is not an http or https URL.
        case invalidURL
    }

    let kind: Kind
    let description: String
}

/// A JSON-RPC 2.0 client over HTTP POST, one blocking call at a time (the CLI has nothing
/// else to do meanwhile). Responses are bounded in size and every call has a timeout.
struct RPCClient {
    /// The node's endpoint, already checked to be http or https.
    let url: URL
    /// Seconds one call may take, connecting included.
    var timeout: TimeInterval = 30
    /// The largest response body read; a larger one fails the call.
    var maxResponseBytes = 32 * 1024 * 1024

    /// Calls `method` with positional `params`; returns the `result` member.
    func call(_ method: String, _ params: [JSON] = [], timeout: TimeInterval? = nil) throws(RPCClientError) -> JSON {
        let request: JSON = .object([
            "jsonrpc": .string("2.0"), "id": .int(1), "method": .string(method), "params": .array(params),
        ])
        let seconds = timeout ?? self.timeout
        let (status, body) = try post(Data(request.serialized), timeout: seconds)
        let document: JSON
        do { document = try JSON.parse(body) } catch {
            let snippet = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let why = status == 200 ? "a response that is not JSON (\(error.description))" : "HTTP \(status)"
            throw RPCClientError(
                kind: .badResponse,
                description: "the node at \(url.absoluteString) answered \(why)\(snippet.isEmpty ? "" : ": \(snippet)")")
        }
        if let error = document["error"], error != .null {
            let code = error["code"]?.intValue ?? 0
            let message = error["message"]?.stringValue ?? error.text
            throw RPCClientError(kind: .refused(code: code, message: message), description: "node refused: \(message) (code \(code))")
        }
        guard let result = document["result"] else {
            throw RPCClientError(
                kind: .badResponse,
                description: "the node at \(url.absoluteString) answered HTTP \(status) without a JSON-RPC result: \(document.text.prefix(200))")
        }
        return result
    }

    /// POSTs `body`; returns the HTTP status and the response body.
    private func post(_ body: Data, timeout: TimeInterval) throws(RPCClientError) -> (Int, [UInt8]) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let collector = ResponseCollector(limit: maxResponseBytes)
        let session = URLSession(configuration: configuration, delegate: collector, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: request).resume()
        // The session's own timeouts end the task; this bound only guards against a stuck session.
        guard collector.finished.wait(timeout: .now() + timeout + 5) == .success else {
            throw unreachable("no answer within \(Int(timeout)) s")
        }
        let outcome = collector.outcome
        if outcome.overflowed {
            throw RPCClientError(
                kind: .badResponse,
                description: "the node at \(url.absoluteString) sent a response over \(maxResponseBytes / (1024 * 1024)) MiB")
        }
        if let error = outcome.error {
            throw unreachable(Self.reason(error, timeout: timeout))
        }
        guard let status = outcome.status else { throw unreachable("no HTTP response") }
        return (status, outcome.body)
    }

    private func unreachable(_ reason: String) -> RPCClientError {
        RPCClientError(kind: .unreachable, description: "cannot reach the node at \(url.absoluteString): \(reason)")
    }

    /// A URL loading error in words (Linux's `localizedDescription` only gives the code).
    private static func reason(_ error: any Error, timeout: TimeInterval) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .cannotConnectToHost: return "connection refused (is the node running? start one with mote devnet)"
        case .timedOut: return "no answer within \(Int(timeout)) s"
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

/// Gathers one response for `RPCClient`, cancelling the task once the body passes `limit`.
///
/// `@unchecked Sendable`: URLSession calls the delegate on its own queue while the caller waits
/// on `finished`; every mutable field is read and written under `lock`.
private final class ResponseCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome {
        var status: Int?
        var body: [UInt8] = []
        var error: (any Error)?
        var overflowed = false
    }

    let limit: Int
    /// Signalled once when the task ends, whichever way.
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var state = Outcome()

    init(limit: Int) { self.limit = limit }

    var outcome: Outcome { lock.withLock { state } }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let tooLarge = response.expectedContentLength > Int64(limit)
        lock.withLock {
            state.status = (response as? HTTPURLResponse)?.statusCode
            if tooLarge { state.overflowed = true }
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflowed = lock.withLock {
            guard !state.overflowed, state.body.count + data.count <= limit else {
                state.overflowed = true
                state.body = []
                return true
            }
            state.body.append(contentsOf: data)
            return false
        }
        if overflowed { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock {
            if state.status == nil { state.status = (task.response as? HTTPURLResponse)?.statusCode }
            if !state.overflowed { state.error = error }
        }
        finished.signal()
    }
}

/// `--rpc URL`: the node a wallet command talks to.
struct RPCOptions: ParsableArguments {
    @Option(
        name: .customLong("rpc"),
        help: ArgumentHelp("The node's JSON-RPC URL (default: $MOTE_RPC, else http://127.0.0.1:8545).", valueName: "url"))
    var url: String?

    /// The URL used when neither `--rpc` nor `MOTE_RPC` gives one.
    static let defaultURL = "http://127.0.0.1:8545"

    /// The client for the URL chosen: `--rpc`, then `MOTE_RPC`, then the default.
    func client() throws(RPCClientError) -> RPCClient {
        let environment = ProcessInfo.processInfo.environment
        let (text, source): (String, String)
        if let url {
            (text, source) = (url, "--rpc")
        } else if let value = environment["MOTE_RPC"], !value.isEmpty {
            (text, source) = (value, "MOTE_RPC")
        } else {
            (text, source) = (Self.defaultURL, "the default")
        }
        return RPCClient(url: try Self.validate(text, source: source))
    }

    /// `text` as an http or https URL with a host, or an error that names where it came from.
    static func validate(_ text: String, source: String) throws(RPCClientError) -> URL {
        let invalid = { (why: String) in
            RPCClientError(
                kind: .invalidURL,
                description: "invalid RPC URL \"\(text.prefix(200))\" (from \(source)): \(why); expected http://HOST:PORT or https://HOST[:PORT][/PATH]")
        }
        guard text.utf8.count <= 2048 else { throw invalid("longer than 2048 characters") }
        guard text.contains("://") else { throw invalid("no http:// or https:// in front") }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw invalid("not a URL") }
        guard scheme == "http" || scheme == "https" else { throw invalid("the scheme \(scheme) is not supported") }
        guard let host = url.host, !host.isEmpty else { throw invalid("no host") }
        return url
    }
}
