import Foundation
import Hummingbird
import Logging
import MotePrimitives
import MoteStreamStore
import MoteTelemetry
import NIOConcurrencyHelpers
import NIOCore

/// The stream node's HTTP API (docs/STREAM.md): `POST /v1/telemetry`, `POST /v1/telemetry/batch`,
/// `GET /v1/devices/{id}/telemetry`, `GET /v1/devices/{id}/envelopes`, `GET /health`.
public final class StreamHTTPServer: Sendable {
    public let pipeline: IngestPipeline
    let host: String
    let port: Int
    /// What `/health` says about MQTT: "off", "connected" or "disconnected".
    private let mqttState: @Sendable () -> String
    /// What `/health` says about the result poster (nil: no poster).
    private let operatorState: @Sendable () -> JSON?
    /// The MQTT ack key's public half (hex), shown in `/health`; nil without MQTT.
    private let ackKey: String?
    private let task = NIOLockedValueBox<Task<Void, any Error>?>(nil)
    /// Open connections against the idle timeout and the caps of `StreamConnectionLimits`.
    public let connections: StreamConnectionCounter

    /// The most messages one `GET …/telemetry` returns.
    public static let maxPageSize = 1_000
    /// The most envelope bytes one `GET …/envelopes` returns (before hex).
    public static let maxEnvelopeBytes = 16 << 20

    /// Routes registered from outside (an explorer, a data market), after the stream node's own.
    public typealias Routes = @Sendable (Router<StreamRequestContext>) -> Void
    private let extraRoutes: [Routes]

    public init(
        pipeline: IngestPipeline, host: String, port: Int, mqttState: @escaping @Sendable () -> String = { "off" },
        operatorState: @escaping @Sendable () -> JSON? = { nil }, limits: StreamConnectionLimits = StreamConnectionLimits(),
        ackKey: String? = nil, routes: [Routes] = []
    ) {
        self.ackKey = ackKey
        extraRoutes = routes
        connections = StreamConnectionCounter(limits: limits)
        self.pipeline = pipeline
        self.host = host
        self.port = port
        self.mqttState = mqttState
        self.operatorState = operatorState
    }

    /// Starts listening; returns the bound port (useful with port 0).
    public func start() async throws -> Int {
        var logger = Logger(label: "mote.stream.http")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let counter = connections
        let app = Application(
            router: makeRouter(),
            // Every connection takes a slot (in all and for its IP address) or is closed at once;
            // one with no request in progress is closed after the idle timeout.
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [StreamConnectionLimiter(counter: counter)],
                    idleTimeout: .seconds(Int64(counter.limits.idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "mote-stream"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let running = Task {
            defer { continuation.finish() }
            try await app.run()
        }
        task.withLockedValue { $0 = running }
        for await port in ports { return port }
        try await running.value
        throw StreamError("the HTTP server stopped before it listened")
    }

    /// Stops the server.
    public func shutdown() async {
        guard let running = task.withLockedValue({ task in defer { task = nil }; return task }) else { return }
        running.cancel()
        _ = await running.result
    }

    func makeRouter() -> Router<StreamRequestContext> {
        let router = Router(context: StreamRequestContext.self)
        let pipeline = pipeline
        let limits = pipeline.limits
        let mqttState = mqttState
        let operatorState = operatorState
        let ackKey = ackKey

        router.post("/v1/telemetry") { request, _ -> Response in
            // One message: the payload limit plus room for the envelope's other fields (base64 in JSON).
            let maxBytes = (limits.maxPayloadBytes / 3 + 1) * 4 + 4_096
            guard let body = try? await request.body.collect(upTo: maxBytes) else {
                return Self.error(413, .payloadTooLarge, "message over \(maxBytes) bytes")
            }
            let bytes = Array(buffer: body)
            let input = Self.isBinary(request) ? TelemetryBatch.decode(binary: bytes) : TelemetryBatch.decode(json: bytes)
            let outcome = await pipeline.ingest([input])[0]
            return Self.json(outcome.json, status: outcome.httpStatus)
        }

        router.post("/v1/telemetry/batch") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: limits.maxBatchBytes) else {
                return Self.error(413, .batchTooLarge, "batch over \(limits.maxBatchBytes) bytes")
            }
            let bytes = Array(buffer: body)
            let inputs: [IngestInput]
            do throws(TelemetryError) {
                if Self.isBinary(request) {
                    inputs = try TelemetryBatch.decodeBinary(bytes, limits: limits)
                } else {
                    inputs = try TelemetryBatch.decodeJSON(bytes, limits: limits)
                }
            } catch {
                return Self.error(IngestOutcome.httpStatus(for: error.code), error.code, error.message)
            }
            let outcomes = await pipeline.ingest(inputs)
            let accepted = outcomes.count(where: \.isAccepted)
            let retry = outcomes.contains { $0.error.map { IngestOutcome.httpStatus(for: $0.code) == 503 } ?? false }
            return Self.json(
                .object(["accepted": .int(accepted), "rejected": .int(outcomes.count - accepted), "results": .array(outcomes.map(\.json))]),
                status: retry ? 503 : 200)
        }

        router.get("/v1/devices/:id/telemetry") { request, context -> Response in
            guard let text = context.parameters.get("id"), text.utf8.count == 42, let device = try? Address(hex: text) else {
                return Self.error(400, .malformed, "the device id must be 0x and 40 hex digits")
            }
            let query = request.uri.queryParameters
            func number(_ name: String) -> (UInt64?, Bool) {
                guard let value = query.get(name) else { return (nil, true) }
                guard let n = UInt64(value) else { return (nil, false) }
                return (n, true)
            }
            let (from, fromOK) = number("from")
            let (to, toOK) = number("to")
            let (after, afterOK) = number("after")
            let (limit, limitOK) = number("limit")
            guard fromOK, toOK, afterOK, limitOK else {
                return Self.error(400, .malformed, "from, to, after and limit must be non-negative integers")
            }
            let pageSize = Int(min(limit ?? 100, UInt64(Self.maxPageSize)))
            guard pageSize > 0 else { return Self.error(400, .malformed, "limit must be at least 1") }
            var registered = true
            do throws(DeviceDirectoryError) { registered = try await pipeline.directory.device(device) != nil } catch {}
            guard registered else { return Self.error(404, .unknownDevice, "device \(device.hex) is not registered") }
            let messages: [StoredMessage]
            do throws(TelemetryStoreError) {
                messages = try await pipeline.store.messages(of: device, from: from ?? 0, to: to ?? .max, afterSequence: after, limit: pageSize)
            } catch {
                return Self.error(503, .storage, error.description)
            }
            let items: [JSON] = messages.map { message in
                guard case .object(var members) = message.envelope.json else { return .null }
                members["receivedAt"] = .number(String(message.receivedAt))
                members["hash"] = .string(message.hash.hex)
                return .object(members)
            }
            let next: JSON = messages.count == pageSize ? .number(String(messages.last!.sequence)) : .null
            return Self.json(.object(["device": .string(device.hex), "messages": .array(items), "next": next]))
        }

        // A window's envelopes, binary, for challengers (docs/APPLETS.md): timestamps in
        // [from, to) Unix seconds, ascending sequence, at most WindowMessages.maxMessages.
        router.get("/v1/devices/:id/envelopes") { request, context -> Response in
            guard let text = context.parameters.get("id"), text.utf8.count == 42, let device = try? Address(hex: text) else {
                return Self.error(400, .malformed, "the device id must be 0x and 40 hex digits")
            }
            let query = request.uri.queryParameters
            guard let fromText = query.get("from"), let toText = query.get("to"), let from = UInt64(fromText), let to = UInt64(toText) else {
                return Self.error(400, .malformed, "from and to (Unix seconds) are required non-negative integers")
            }
            let (fromMs, fromOverflow) = from.multipliedReportingOverflow(by: 1000)
            let (toMs, toOverflow) = to.multipliedReportingOverflow(by: 1000)
            guard !fromOverflow, !toOverflow, from < to else {
                return Self.error(400, .malformed, "from must be below to, both Unix seconds")
            }
            var registered = true
            do throws(DeviceDirectoryError) { registered = try await pipeline.directory.device(device) != nil } catch {}
            guard registered else { return Self.error(404, .unknownDevice, "device \(device.hex) is not registered") }
            let messages: [StoredMessage]
            do throws(WindowMessages.Failure) {
                messages = try await WindowMessages.read(from: pipeline.store, device: device, range: fromMs..<toMs)
            } catch {
                switch error {
                case .tooMany(let limit):
                    return Self.error(413, .batchTooLarge, "more than \(limit) envelopes in [\(from), \(to)); ask for a shorter range")
                case .storage(let description):
                    return Self.error(503, .storage, description)
                }
            }
            let binaries = messages.map(\.envelope.binary)
            guard binaries.reduce(0, { $0 + $1.count }) <= Self.maxEnvelopeBytes else {
                return Self.error(413, .batchTooLarge, "the envelopes in [\(from), \(to)) exceed \(Self.maxEnvelopeBytes) bytes; ask for a shorter range")
            }
            let envelopes: [JSON] = binaries.map { .string(Hex.encode($0)) }
            return Self.json(.object(["deviceId": .string(device.hex), "envelopes": .array(envelopes)]))
        }

        router.get("/health") { _, _ -> Response in
            let storeOK: Bool
            do throws(TelemetryStoreError) {
                _ = try await pipeline.store.lastSequence(of: .zero)
                storeOK = true
            } catch {
                storeOK = false
            }
            var members: [String: JSON] = [
                "status": .string(storeOK ? "ok" : "unavailable"), "store": .string(storeOK ? "ok" : "unavailable"),
                "mqtt": .string(mqttState()), "chainId": .number(String(pipeline.chainID)),
            ]
            if let poster = operatorState() { members["operator"] = poster }
            if let ackKey { members["ackKey"] = .string(ackKey) }
            let object: JSON = .object(members)
            return Self.json(object, status: storeOK ? 200 : 503)
        }
        for register in extraRoutes { register(router) }
        return router
    }

    static func isBinary(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") ?? false
    }

    static func json(_ value: JSON, status: Int = 200) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.serialized)))
    }

    /// `{"error":{"code","message"}}` with an HTTP status.
    static func error(_ status: Int, _ code: TelemetryError.Code, _ message: String) -> Response {
        json(.object(["error": .object(["code": .string(code.rawValue), "message": .string(message)])]), status: status)
    }
}

/// The request context: bodies are bounded when collected, by the ingestion limits.
public struct StreamRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// A stream node part that could not start or run.
public struct StreamError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
