import Foundation
import MotePrimitives
import MoteStream
import MoteTelemetry
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API on a real socket (port 0), driven with URLSession.
@Suite struct StreamHTTPServerTests {
    func fetch(_ url: URL, body: [UInt8]? = nil, binary: Bool = false) async throws -> (status: Int, json: JSON) {
        var request = URLRequest(url: url)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue(binary ? "application/octet-stream" : "application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = try #require(response as? HTTPURLResponse).statusCode
        return (status, try JSON.parse([UInt8](data)))
    }

    @Test func ingestsSingleMessagesAndBatchesAndServesThemBack() async throws {
        let f = StreamFixture()
        let server = StreamHTTPServer(pipeline: f.pipeline, host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let single = base.appendingPathComponent("v1/telemetry")
        let batch = base.appendingPathComponent("v1/telemetry/batch")

        // One message, JSON and binary.
        let firstMessage = f.message(f.p256, 1)
        let first = try await fetch(single, body: firstMessage.json.serialized)
        #expect(first.status == 200)
        #expect(first.json["status"] == .string("accepted"))
        #expect(first.json["hash"] == .string(firstMessage.hash.hex))
        let second = try await fetch(single, body: f.message(f.p256, 2).binary, binary: true)
        #expect(second.status == 200)
        // Refusals: replay (422), unknown (422), malformed (400), stale (422).
        let replay = try await fetch(single, body: f.message(f.p256, 2).binary, binary: true)
        #expect(replay.status == 422 && replay.json["code"] == .string("replay"))
        #expect(try await fetch(single, body: f.message(f.stranger, 1).json.serialized).json["code"] == .string("unknown_device"))
        let garbage = try await fetch(single, body: Array("{\"v\":1}".utf8))
        #expect(garbage.status == 400 && garbage.json["code"] == .string("malformed"))
        let stale = try await fetch(single, body: f.message(f.p256, 3, timestamp: 1).json.serialized)
        #expect(stale.status == 422 && stale.json["code"] == .string("stale_timestamp"))
        let huge = try await fetch(single, body: f.message(f.p256, 3, payload: [UInt8](repeating: 0, count: 70_000)).binary, binary: true)
        #expect(huge.status == 413 || huge.json["code"] == .string("payload_too_large"))

        // A JSON batch with a bad message in the middle, then a binary batch.
        var forged = f.message(f.ed25519, 2)
        forged.signature[0] ^= 0xFF
        let jsonBatch = JSON.array([f.message(f.ed25519, 1).json, forged.json, f.message(f.ed25519, 3).json]).serialized
        let answer = try await fetch(batch, body: jsonBatch)
        #expect(answer.status == 200)
        #expect(answer.json["accepted"] == .int(2) && answer.json["rejected"] == .int(1))
        #expect(answer.json["results"]?.arrayValue?.map { $0["code"] } == [.null, .string("bad_signature"), .null])
        let binaryBatch = TelemetryBatch.binary((4...8).map { f.message(f.ed25519, UInt64($0)) })
        #expect(try await fetch(batch, body: binaryBatch, binary: true).json["accepted"] == .int(5))
        let broken = try await fetch(batch, body: Array(binaryBatch.dropLast()), binary: true)
        #expect(broken.status == 400)
        let notArray = try await fetch(batch, body: Array("{}".utf8))
        #expect(notArray.status == 400 && notArray.json["error"]?["code"] == .string("malformed"))

        // Reading back, paginated.
        let device = f.ed25519.publicKey.deviceID.hex
        let page = try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/\(device)/telemetry?limit=4")!)
        #expect(page.status == 200)
        #expect(page.json["messages"]?.arrayValue?.map { $0["seq"] } == [1, 3, 4, 5].map { JSON.int($0) })
        #expect(page.json["messages"]?.arrayValue?.first?["receivedAt"] == .number(String(StreamFixture.now)))
        #expect(page.json["next"] == .int(5))
        let rest = try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/\(device)/telemetry?limit=4&after=5")!)
        #expect(rest.json["messages"]?.arrayValue?.map { $0["seq"] } == [6, 7, 8].map { JSON.int($0) })
        #expect(rest.json["next"] == .null)
        let stored = try TelemetryEnvelope(json: try #require(rest.json["messages"]?.arrayValue?.first?.objectValue.map { object in
            JSON.object(object.filter { $0.key != "receivedAt" && $0.key != "hash" })
        }))
        #expect(stored == f.message(f.ed25519, 6))
        let unknown = try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/\(f.stranger.publicKey.deviceID.hex)/telemetry")!)
        #expect(unknown.status == 404)
        #expect(try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/0x12/telemetry")!).status == 400)
        #expect(try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/\(device)/telemetry?from=x")!).status == 400)

        let health = try await fetch(base.appendingPathComponent("health"))
        #expect(health.status == 200 && health.json["status"] == .string("ok") && health.json["mqtt"] == .string("off"))
    }

    @Test func refusesOversizedBatchesAndReportsAFailingStore() async throws {
        let f = StreamFixture()
        var limits = IngestLimits()
        limits.maxBatchMessages = 2
        limits.maxBatchBytes = 2_048
        let pipeline = IngestPipeline(chainID: StreamFixture.chainID, directory: f.directory, store: f.store, limits: limits, now: { StreamFixture.now })
        let server = StreamHTTPServer(pipeline: pipeline, host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let batch = URL(string: "http://127.0.0.1:\(port)/v1/telemetry/batch")!
        let three = TelemetryBatch.binary((1...3).map { f.message(f.p256, UInt64($0)) })
        let tooMany = try await fetch(batch, body: three, binary: true)
        #expect(tooMany.status == 413 && tooMany.json["error"]?["code"] == .string("batch_too_large"))
        let tooBig = try await fetch(batch, body: [UInt8](repeating: 0x20, count: 3_000))
        #expect(tooBig.status == 413)

        let broken = IngestPipeline(chainID: StreamFixture.chainID, directory: f.directory, store: FailingStore(), now: { StreamFixture.now })
        let failing = StreamHTTPServer(pipeline: broken, host: "127.0.0.1", port: 0)
        let failingPort = try await failing.start()
        defer { Task { await failing.shutdown() } }
        let refused = try await fetch(URL(string: "http://127.0.0.1:\(failingPort)/v1/telemetry")!, body: f.message(f.p256, 1).json.serialized)
        #expect(refused.status == 503 && refused.json["code"] == .string("storage"))
        #expect(try await fetch(URL(string: "http://127.0.0.1:\(failingPort)/health")!).status == 503)
    }
}
