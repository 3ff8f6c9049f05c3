import MotePrimitives
import MoteStream
import MoteStreamStore
import MoteTelemetry
import Testing

/// Every bad input is refused with its code, and the good messages beside it are stored.
@Suite struct IngestPipelineTests {
    @Test func refusesEachBadMessageAndStoresTheGoodOnes() async throws {
        let f = StreamFixture()
        var badSignature = f.message(f.p256, 3)
        badSignature.signature[10] ^= 1
        var oversized = IngestLimits()
        oversized.maxPayloadBytes = 64 * 1024
        let inputs: [IngestInput] = [
            .success(f.message(f.p256, 1)),  // 0 ok
            .success(f.message(f.stranger, 1)),  // 1 unknown
            .success(f.message(f.suspended, 1)),  // 2 inactive
            .success(f.message(f.revoked, 1)),  // 3 inactive
            .success(badSignature),  // 4 bad signature
            .success(f.message(f.ed25519, 1)),  // 5 ok
            .success(f.message(f.ed25519, 1)),  // 6 replay (same batch)
            .success(f.message(f.ed25519, 2, timestamp: StreamFixture.now - 6 * 60_000)),  // 7 stale
            .success(f.message(f.ed25519, 3, timestamp: StreamFixture.now + 6 * 60_000)),  // 8 in the future
            .success(f.message(f.secp256k1, 5, payload: [UInt8](repeating: 1, count: 64 * 1024 + 1))),  // 9 too large
            TelemetryBatch.decode(binary: [1, 2, 3]),  // 10 malformed binary
            TelemetryBatch.decode(json: Array(#"{"v":1,"device":"0x00"}"#.utf8)),  // 11 malformed JSON
            TelemetryBatch.decode(json: Array("not json".utf8)),  // 12 not JSON
            .success(f.message(f.secp256k1, 7)),  // 13 ok
            .success(f.message(f.p256, 2, timestamp: StreamFixture.now + 4 * 60_000)),  // 14 ok, within tolerance
        ]
        let outcomes = await f.pipeline.ingest(inputs)
        let codes = outcomes.map { $0.error?.code }
        #expect(codes == [
            nil, .unknownDevice, .inactiveDevice, .inactiveDevice, .badSignature, nil, .replay, .staleTimestamp, .staleTimestamp,
            .payloadTooLarge, .malformed, .malformed, .malformed, nil, nil,
        ])
        #expect(outcomes.map(\.index) == Array(0..<inputs.count))
        #expect(outcomes[0].hash == f.message(f.p256, 1).hash || outcomes[0].hash != nil)
        #expect(outcomes[2].error?.message.contains("suspended") == true)
        #expect(outcomes[3].error?.message.contains("revoked") == true)
        #expect(await f.store.count(of: f.p256.publicKey.deviceID) == 2)
        #expect(await f.store.count(of: f.ed25519.publicKey.deviceID) == 1)
        #expect(await f.store.count(of: f.secp256k1.publicKey.deviceID) == 1)
        #expect(await f.store.count(of: f.stranger.publicKey.deviceID) == 0)
        #expect(await f.store.count(of: f.suspended.publicKey.deviceID) == 0)

        // A replay in a later batch is refused; the next sequence is stored.
        let again = await f.pipeline.ingest([.success(f.message(f.p256, 2)), .success(f.message(f.p256, 9))])
        #expect(again.map { $0.error?.code } == [.replay, nil])
        #expect(outcomes[0].json["status"] == .string("accepted"))
        #expect(again[0].json["code"] == .string("replay"))
    }

    @Test func anUnreachableDirectoryRefusesForNowAndAFailingStoreReportsStorage() async throws {
        let f = StreamFixture()
        await f.directory.fail(with: DeviceDirectoryError("node down"))
        let outcome = await f.pipeline.ingest([.success(f.message(f.p256, 1))])[0]
        #expect(outcome.error?.code == .unavailable)
        #expect(outcome.httpStatus == 503)
        await f.directory.fail(with: nil)

        let broken = IngestPipeline(chainID: StreamFixture.chainID, directory: f.directory, store: FailingStore(), now: { StreamFixture.now })
        let stored = await broken.ingest([.success(f.message(f.p256, 1)), .success(f.message(f.stranger, 1))])
        #expect(stored.map { $0.error?.code } == [.storage, .unknownDevice])
    }

    @Test func batchesDecodeAndAreBounded() throws {
        let f = StreamFixture()
        var limits = IngestLimits()
        limits.maxBatchMessages = 3
        let messages = (1...3).map { f.message(f.p256, UInt64($0)) }
        let binary = TelemetryBatch.binary(messages)
        #expect(try TelemetryBatch.decodeBinary(binary, limits: limits).map { try $0.get() } == messages)
        #expect(throws: TelemetryError.self) { try TelemetryBatch.decodeBinary(binary + TelemetryBatch.binary([messages[0]]), limits: limits) }
        #expect(throws: TelemetryError.self) { try TelemetryBatch.decodeBinary(Array(binary.dropLast()), limits: limits) }
        let json = JSON.array(messages.map(\.json)).serialized
        #expect(try TelemetryBatch.decodeJSON(json, limits: limits).map { try $0.get() } == messages)
        #expect(throws: TelemetryError.self) { try TelemetryBatch.decodeJSON(Array("{}".utf8), limits: limits) }
        limits.maxBatchBytes = 1_024
        do {
            _ = try TelemetryBatch.decodeBinary([UInt8](repeating: 0, count: 2_000), limits: limits)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == .batchTooLarge)
        }
    }

    @Test func retentionDeletesWhatIsOlderThanEachDevicesPeriod() async throws {
        let f = StreamFixture()
        let day = RetentionJob.millisecondsPerDay
        let old = StreamFixture.now - 2 * day
        _ = try await f.store.append([
            StoredMessage(envelope: f.message(f.ed25519, 1), receivedAt: old),  // 1 day retention: goes
            StoredMessage(envelope: f.message(f.ed25519, 2), receivedAt: StreamFixture.now),  // stays
            StoredMessage(envelope: f.message(f.p256, 1), receivedAt: old),  // 30 days: stays
            StoredMessage(envelope: f.message(f.secp256k1, 1), receivedAt: 0),  // 0 = forever: stays
        ])
        let job = RetentionJob(store: f.store, directory: f.directory, now: { StreamFixture.now })
        #expect(try await job.runOnce() == 1)
        #expect(await f.store.count(of: f.ed25519.publicKey.deviceID) == 1)
        #expect(await f.store.count(of: f.p256.publicKey.deviceID) == 1)
        #expect(await f.store.count(of: f.secp256k1.publicKey.deviceID) == 1)
    }
}

/// A store that fails every call.
struct FailingStore: TelemetryStore {
    let error = TelemetryStoreError("disk on fire")
    func append(_ messages: [StoredMessage]) async throws(TelemetryStoreError) -> [AppendOutcome] { throw error }
    func lastSequence(of device: Address) async throws(TelemetryStoreError) -> UInt64? { throw error }
    func messages(of device: Address, from: UInt64, to: UInt64, afterSequence: UInt64?, limit: Int) async throws(TelemetryStoreError) -> [StoredMessage] {
        throw error
    }
    func deleteMessages(of device: Address, receivedBefore: UInt64) async throws(TelemetryStoreError) -> Int { throw error }
    func devices() async throws(TelemetryStoreError) -> [Address] { throw error }
    func count(of device: Address) async throws(TelemetryStoreError) -> Int { throw error }
}
