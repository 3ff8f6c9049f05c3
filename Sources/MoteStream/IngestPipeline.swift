import Foundation
import MoteCrypto
import MotePrimitives
import MoteStreamStore
import MoteTelemetry

/// The stream node's ingestion pipeline (docs/STREAM.md): decoded messages in, one outcome per
/// message out. Each message is checked on its own — payload size, timestamp against this
/// node's clock, device known and active, signature (verified on all cores) — and the
/// survivors go to `store.append` in one call, which refuses replays atomically. Outcomes are
/// returned only after `append` returned, so nothing is acknowledged before it is stored; a bad
/// message never affects the others of its batch.
public final class IngestPipeline: Sendable {
    public let chainID: UInt64
    public let directory: any DeviceDirectory
    public let store: any TelemetryStore
    public let limits: IngestLimits
    let verifier: SignatureBatchVerifier
    /// This node's clock, milliseconds since 1970.
    private let now: @Sendable () -> UInt64

    /// How many device lookups run at once for one batch.
    static let lookupConcurrency = 32

    public init(
        chainID: UInt64, directory: any DeviceDirectory, store: any TelemetryStore, limits: IngestLimits = IngestLimits(),
        verifier: SignatureBatchVerifier = SignatureBatchVerifier(), now: @escaping @Sendable () -> UInt64 = IngestPipeline.systemMilliseconds
    ) {
        self.chainID = chainID
        self.directory = directory
        self.store = store
        self.limits = limits
        self.verifier = verifier
        self.now = now
    }

    /// The system clock in milliseconds since 1970.
    public static let systemMilliseconds: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1_000) }

    /// Checks and stores `inputs`; one outcome per input, in order.
    public func ingest(_ inputs: [IngestInput]) async -> [IngestOutcome] {
        let receivedAt = now()
        var outcomes: [IngestOutcome] = []
        outcomes.reserveCapacity(inputs.count)
        /// Indexes of the messages still in the running.
        var survivors: [Int] = []
        var envelopes: [TelemetryEnvelope?] = []
        envelopes.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            switch input {
            case .failure(let error):
                outcomes.append(IngestOutcome(index: index, error: error))
                envelopes.append(nil)
            case .success(let envelope):
                var outcome = IngestOutcome(index: index, device: envelope.deviceID, sequence: envelope.sequence)
                outcome.error = check(envelope, receivedAt: receivedAt)
                if outcome.error == nil { survivors.append(index) }
                outcomes.append(outcome)
                envelopes.append(envelope)
            }
        }

        // Devices: one lookup per distinct device.
        let devices = Array(Set(survivors.map { envelopes[$0]!.deviceID }))
        let records = await lookUp(devices)
        survivors = survivors.filter { index in
            let envelope = envelopes[index]!
            guard let lookup = records[envelope.deviceID] else { return false }
            switch lookup {
            case .failure(let error):
                outcomes[index].error = TelemetryError(.unavailable, "cannot look the device up now: \(error.description)")
            case .success(.none):
                outcomes[index].error = TelemetryError(.unknownDevice, "device \(envelope.deviceID.hex) is not registered")
            case .success(.some(let record)) where record.status != .active:
                outcomes[index].error = TelemetryError(.inactiveDevice, "device \(envelope.deviceID.hex) is \(record.status)")
            case .success(.some):
                return true
            }
            return false
        }

        // Signatures and hashes, on all cores; each distinct key is parsed once.
        var keys: [Address: VerifyingKey] = [:]
        for case .success(let record?) in records.values { keys[record.id] = VerifyingKey(record.key) }
        let chainID = chainID
        let work = survivors.map { (envelopes[$0]!, keys[envelopes[$0]!.deviceID]!) }
        let checked = verifier.concurrentMap(work) { envelope, key -> StoredMessage? in
            key.isValidSignature(envelope.signature, digest: envelope.signingDigest(chainID: chainID))
                ? StoredMessage(envelope: envelope, receivedAt: receivedAt) : nil
        }
        var toStore: [StoredMessage] = []
        var storedIndexes: [Int] = []
        for (index, message) in zip(survivors, checked) {
            guard let message else {
                outcomes[index].error = TelemetryError(.badSignature, "the signature is not the device's")
                continue
            }
            outcomes[index].hash = message.hash
            toStore.append(message)
            storedIndexes.append(index)
        }
        guard !toStore.isEmpty else { return outcomes }

        // The store: atomic, replay-refusing, durable before it returns.
        do throws(TelemetryStoreError) {
            let appended = try await store.append(toStore)
            for (index, result) in zip(storedIndexes, appended) {
                if case .replay(let last) = result {
                    outcomes[index].error = TelemetryError(.replay, "sequence \(outcomes[index].sequence ?? 0) is not above the last stored \(last)")
                }
            }
        } catch {
            for index in storedIndexes { outcomes[index].error = TelemetryError(.storage, "the store failed: \(error.description)") }
        }
        return outcomes
    }

    /// The checks that need nothing but the message and the clock.
    private func check(_ envelope: TelemetryEnvelope, receivedAt: UInt64) -> TelemetryError? {
        if envelope.payload.count > limits.maxPayloadBytes {
            return TelemetryError(.payloadTooLarge, "payload of \(envelope.payload.count) bytes; the limit is \(limits.maxPayloadBytes)")
        }
        let skew = envelope.timestamp > receivedAt ? envelope.timestamp - receivedAt : receivedAt - envelope.timestamp
        if skew > limits.timestampToleranceMs {
            return TelemetryError(
                .staleTimestamp,
                "timestamp \(envelope.timestamp) is \(skew) ms \(envelope.timestamp > receivedAt ? "ahead of" : "behind") this node's clock; the tolerance is \(limits.timestampToleranceMs) ms")
        }
        return nil
    }

    /// Looks devices up, `lookupConcurrency` at a time.
    private func lookUp(_ devices: [Address]) async -> [Address: Result<DeviceRecord?, DeviceDirectoryError>] {
        let directory = directory
        var results: [Address: Result<DeviceRecord?, DeviceDirectoryError>] = [:]
        var start = 0
        while start < devices.count {
            let slice = devices[start..<min(start + Self.lookupConcurrency, devices.count)]
            start += slice.count
            if slice.count == 1 {
                let id = slice.first!
                results[id] = await Self.lookUp(id, in: directory)
                continue
            }
            await withTaskGroup(of: (Address, Result<DeviceRecord?, DeviceDirectoryError>).self) { group in
                for id in slice { group.addTask { (id, await Self.lookUp(id, in: directory)) } }
                for await (id, result) in group { results[id] = result }
            }
        }
        return results
    }

    private static func lookUp(_ id: Address, in directory: any DeviceDirectory) async -> Result<DeviceRecord?, DeviceDirectoryError> {
        do throws(DeviceDirectoryError) { return .success(try await directory.device(id)) } catch { return .failure(error) }
    }
}

/// A device key parsed once for many verifications.
enum VerifyingKey: Sendable {
    case p256(P256Signing.PublicKey)
    case ed25519(Ed25519.PublicKey)
    case other(DevicePublicKey)

    init(_ key: DevicePublicKey) {
        switch key.curve {
        case .p256: self = (try? P256Signing.PublicKey(bytes: key.bytes)).map { .p256($0) } ?? .other(key)
        case .ed25519: self = (try? Ed25519.PublicKey(bytes: key.bytes)).map { .ed25519($0) } ?? .other(key)
        case .secp256k1: self = .other(key)
        }
    }

    /// `DevicePublicKey.isValidSignature`, without parsing the key again.
    func isValidSignature(_ signature: [UInt8], digest: Hash32) -> Bool {
        guard signature.count == 64 else { return false }
        switch self {
        case .p256(let key):
            guard let sig = try? P256Signing.Signature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(sig, forDigest: digest)
        case .ed25519(let key):
            guard let sig = try? Ed25519.Signature(bytes: signature) else { return false }
            return key.isValidSignature(sig, for: digest.bytes)
        case .other(let key):
            return key.isValidSignature(signature, digest: digest)
        }
    }
}
