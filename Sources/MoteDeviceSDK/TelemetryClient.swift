import Foundation
import MotePrimitives
import MoteTelemetry
import NIOConcurrencyHelpers

/// What became of one message: accepted (stored by the stream node) or refused for a reason
/// retrying cannot fix.
public struct DeliveryReport: Sendable {
    public let sequence: UInt64
    /// The message id (Keccak-256 of its binary form).
    public let hash: Hash32
    /// nil: accepted.
    public let error: TelemetryError?
    /// How many times it was handed to the transport.
    public let attempts: Int
    /// From `send` (or from when the client found it in its buffer at start) to the node's answer.
    public let timeToAck: Duration

    public var isAccepted: Bool { error == nil }
}

/// A device's telemetry sender (docs/SDK.md): `send` signs a message with the device key
/// under the next persistent sequence number and appends it to a bounded on-disk buffer;
/// `run` delivers the buffer through a transport, oldest first, in batches, retrying with
/// exponential backoff while the node or broker is unreachable. A message leaves the buffer
/// only when the node accepted it or refused it for good; each such outcome is yielded on
/// `reports`.
///
/// State lives in one folder: `sequence` (the last sequence number handed out) and `buffer`
/// (the undelivered messages), so a restarted device resumes where it stopped.
public final class TelemetryClient: Sendable {
    /// Limits and timings.
    public struct Options: Sendable {
        /// The most messages the buffer holds; `send` throws `bufferFull` beyond.
        public var maxBufferedMessages = 10_000
        /// The most bytes the buffer file holds.
        public var maxBufferedBytes = 16 << 20
        /// The most messages in one delivery.
        public var batchSize = 100
        /// The first wait after a failed delivery; it doubles after each failure, up to `maxBackoff`.
        public var initialBackoff: Duration = .milliseconds(250)
        public var maxBackoff: Duration = .seconds(30)
        /// Refusals that keep a message in the buffer to be sent again (the node could not check
        /// or store it just now). Add `.unknownDevice`/`.inactiveDevice` for a device that may
        /// send before it is registered or resumed.
        public var retriedCodes: Set<TelemetryError.Code> = [.unavailable, .storage]
        /// fsync the sequence file and the buffer on every message (survives power loss).
        public var durableWrites = true

        public init() {}
    }

    public let identity: DeviceIdentity
    public let chainID: UInt64
    public let options: Options
    /// One report per settled message, in the order they settle.
    public let reports: AsyncStream<DeliveryReport>

    private let transport: any TelemetryTransport
    private let counter: SequenceCounter
    private let state: NIOLockedValueBox<State>
    private let reportContinuation: AsyncStream<DeliveryReport>.Continuation
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private struct State: Sendable {
        var buffer: TelemetryBuffer
        /// When each buffered message was handed over, and how often it was tried.
        var handedOver: [UInt64: ContinuousClock.Instant] = [:]
        var attempts: [UInt64: Int] = [:]
        /// The last delivery failure, until a delivery succeeds.
        var lastFailure: String?
    }

    /// A client keeping its state in `directory` (created if missing), sending through `transport`.
    public init(
        identity: DeviceIdentity, chainID: UInt64, directory: String, transport: any TelemetryTransport, options: Options = Options()
    ) throws(DeviceSDKError) {
        guard options.batchSize > 0, options.maxBufferedMessages > 0, options.initialBackoff > .zero else {
            throw DeviceSDKError(.invalidArgument, "batch size, buffer size and backoff must be positive")
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw DeviceSDKError(.io, "cannot create \(directory): \(error.localizedDescription)")
        }
        let folder = URL(fileURLWithPath: directory)
        counter = try SequenceCounter(path: folder.appendingPathComponent("sequence").path, sync: options.durableWrites)
        let buffer = try TelemetryBuffer(
            path: folder.appendingPathComponent("buffer").path, maxMessages: options.maxBufferedMessages,
            maxBytes: options.maxBufferedBytes, sync: options.durableWrites)
        guard buffer.envelopes.allSatisfy({ $0.deviceID == identity.deviceID }) else {
            throw DeviceSDKError(.invalidArgument, "\(directory) holds another device's messages")
        }
        let now = ContinuousClock.now
        state = NIOLockedValueBox(State(buffer: buffer, handedOver: Dictionary(uniqueKeysWithValues: buffer.envelopes.map { ($0.sequence, now) })))
        (self.identity, self.chainID, self.transport, self.options) = (identity, chainID, transport, options)
        (reports, reportContinuation) = AsyncStream.makeStream(of: DeliveryReport.self, bufferingPolicy: .bufferingNewest(100_000))
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    deinit {
        state.withLockedValue { $0.buffer.close() }
        reportContinuation.finish()
    }

    /// The device's messages waiting for the node's outcome.
    public var pendingCount: Int { state.withLockedValue { $0.buffer.count } }

    /// Why the last delivery failed, while deliveries fail (nil once one succeeds).
    public var lastFailure: String? { state.withLockedValue { $0.lastFailure } }

    /// Signs `payload` as the next message and buffers it (on disk) for delivery; returns the
    /// signed envelope. Throws `bufferFull` when the buffer is at its limit (nothing is queued
    /// then), `invalidArgument` for a content type over 64 bytes or a payload over 1 MiB.
    @discardableResult
    public func send(payload: [UInt8], contentType: String = "application/json", timestamp: Date = Date()) throws(DeviceSDKError) -> TelemetryEnvelope {
        guard contentType.utf8.count <= TelemetryEnvelope.maxContentTypeBytes else {
            throw DeviceSDKError(.invalidArgument, "content type over \(TelemetryEnvelope.maxContentTypeBytes) bytes")
        }
        guard payload.count <= TelemetryEnvelope.maxPayloadBytes else {
            throw DeviceSDKError(.invalidArgument, "payload of \(payload.count) bytes; the limit is \(TelemetryEnvelope.maxPayloadBytes)")
        }
        let milliseconds = UInt64(max(0, timestamp.timeIntervalSince1970 * 1_000))
        // (`withLockedValue` rethrows untyped errors, so the typed one travels in a Result.)
        let queued = state.withLockedValue { state -> Result<TelemetryEnvelope, DeviceSDKError> in
            // Check for room first, so a full buffer does not use up a sequence number.
            let recordSize = 4 + 110 + contentType.utf8.count + payload.count
            if let refusal = state.buffer.refusal(for: recordSize) { return .failure(refusal) }
            do throws(DeviceSDKError) {
                let envelope = TelemetryEnvelope.signed(
                    by: identity.privateKey, chainID: chainID, sequence: try counter.next(), timestamp: milliseconds,
                    contentType: contentType, payload: payload)
                try state.buffer.append(envelope)
                state.handedOver[envelope.sequence] = .now
                return .success(envelope)
            } catch {
                return .failure(error)
            }
        }
        let envelope = try queued.get()
        wake.yield()
        return envelope
    }

    /// Delivers the buffer until the task is cancelled: batches of up to `batchSize` oldest
    /// messages; after a failure (or a retried refusal), waits with exponential backoff; a
    /// batch the node refuses as a whole (e.g. too large) is halved, down to single messages. Call once per client.
    public func run() async {
        var backoff = options.initialBackoff
        var batchLimit = options.batchSize
        var wakeups = self.wakeups.makeAsyncIterator()
        while !Task.isCancelled {
            let batch = state.withLockedValue { state in
                let batch = Array(state.buffer.envelopes.prefix(batchLimit))
                for envelope in batch { state.attempts[envelope.sequence, default: 0] += 1 }
                return batch
            }
            guard !batch.isEmpty else {
                guard await wakeups.next() != nil else { return }
                continue
            }
            let outcomes: [TelemetryError?]
            do throws(TransportError) {
                outcomes = try await transport.deliver(batch)
            } catch {
                if error.refusal != nil, batch.count > 1 {
                    batchLimit = max(1, batch.count / 2)
                    continue
                }
                if let refusal = error.refusal, batch.count == 1 {
                    settle(batch, [refusal])
                    continue
                }
                state.withLockedValue { $0.lastFailure = error.message }
                guard await pause(&backoff) else { return }
                continue
            }
            if settle(batch, outcomes) {
                backoff = options.initialBackoff
            } else {
                guard await pause(&backoff) else { return }
            }
        }
    }

    /// Closes the transport's connections (the buffer stays on disk).
    public func close() async { await transport.close() }

    /// Waits until the buffer is empty (true) or `timeout` passes (false).
    public func waitUntilDelivered(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while pendingCount > 0 {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(20))) != nil else { return false }
        }
        return true
    }

    /// Sleeps `backoff` and doubles it (up to the maximum); false if cancelled.
    private func pause(_ backoff: inout Duration) async -> Bool {
        let wait = backoff
        backoff = min(backoff * 2, options.maxBackoff)
        return (try? await Task.sleep(for: wait)) != nil
    }

    /// Removes the settled messages of `batch` from the buffer and reports them; true if none
    /// is to be retried.
    @discardableResult
    private func settle(_ batch: [TelemetryEnvelope], _ outcomes: [TelemetryError?]) -> Bool {
        let now = ContinuousClock.now
        var reports: [DeliveryReport] = []
        var retry = false
        let failure: DeviceSDKError? = state.withLockedValue { state in
            var settled = Set<UInt64>()
            for (envelope, error) in zip(batch, outcomes) {
                if let error, options.retriedCodes.contains(error.code) {
                    retry = true
                    state.lastFailure = error.description
                    continue
                }
                settled.insert(envelope.sequence)
                let handedOver = state.handedOver.removeValue(forKey: envelope.sequence) ?? now
                reports.append(
                    DeliveryReport(
                        sequence: envelope.sequence, hash: envelope.hash, error: error,
                        attempts: state.attempts.removeValue(forKey: envelope.sequence) ?? 1, timeToAck: now - handedOver))
            }
            if !retry { state.lastFailure = nil }
            do throws(DeviceSDKError) { try state.buffer.remove(sequences: settled) } catch { return error }
            return nil
        }
        if let failure { state.withLockedValue { $0.lastFailure = failure.message } }
        for report in reports { reportContinuation.yield(report) }
        return !retry && failure == nil
    }
}
