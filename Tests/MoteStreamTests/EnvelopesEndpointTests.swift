import Foundation
import MotePrimitives
import MoteStream
import MoteStreamStore
import MoteTelemetry
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /v1/devices/{id}/envelopes`: a window's envelopes in binary, for challengers.
@Suite struct EnvelopesEndpointTests {
    func fetch(_ url: URL) async throws -> (status: Int, json: JSON) {
        let (data, response) = try await URLSession.shared.data(from: url)
        return (try #require(response as? HTTPURLResponse).statusCode, try JSON.parse([UInt8](data)))
    }

    @Test func servesTheWindowsEnvelopesInSequenceOrderAndBoundsTheAnswer() async throws {
        let f = StreamFixture()
        let device = f.p256.publicKey.deviceID
        // Window [6000 s, 6060 s): sequences 2 and 3 inside; 1 just before, 4 at the end (excluded).
        let stored = [(1, 5_999_999), (2, 6_000_000), (3, 6_059_999), (4, 6_060_000)].map { sequence, timestamp in
            f.message(f.p256, UInt64(sequence), timestamp: UInt64(timestamp))
        }
        _ = try await f.store.append(stored.map { StoredMessage(envelope: $0, receivedAt: StreamFixture.now) })
        let server = StreamHTTPServer(pipeline: f.pipeline, host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let base = "http://127.0.0.1:\(port)/v1/devices"

        let answer = try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=6000&to=6060")!)
        #expect(answer.status == 200)
        #expect(answer.json["deviceId"] == .string(device.hex))
        let envelopes = try #require(answer.json["envelopes"]?.arrayValue).map { item in
            try TelemetryEnvelope(binary: try Hex.decode(item.stringValue ?? ""))
        }
        #expect(envelopes == [stored[1], stored[2]])
        // The commitment a challenger rebuilds from them.
        #expect(WindowCommitment.root(envelopes.map(WindowCommitment.leaf)) == WindowCommitment.root([stored[1].hash, stored[2].hash]))

        // An empty window, bad parameters, an unknown device.
        #expect(try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=0&to=60")!).json["envelopes"] == .array([]))
        #expect(try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=60&to=60")!).status == 400)
        #expect(try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=60")!).status == 400)
        #expect(try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=-1&to=60")!).status == 400)
        #expect(try await fetch(URL(string: "\(base)/\(device.hex)/envelopes?from=0&to=18446744073709551615")!).status == 400)
        #expect(try await fetch(URL(string: "\(base)/0x1234/envelopes?from=0&to=60")!).status == 400)
        let stranger = f.stranger.publicKey.deviceID
        #expect(try await fetch(URL(string: "\(base)/\(stranger.hex)/envelopes?from=0&to=60")!).status == 404)
    }

    @Test func moreThanTheBoundIsA413() async throws {
        let f = StreamFixture()
        let device = f.ed25519.publicKey.deviceID
        let count = WindowMessages.maxMessages + 1
        let messages = (1...count).map { StoredMessage(envelope: f.message(f.ed25519, UInt64($0), timestamp: 1_000 + UInt64($0)), receivedAt: 0) }
        _ = try await f.store.append(messages)
        let server = StreamHTTPServer(pipeline: f.pipeline, host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let tooMany = try await fetch(URL(string: "http://127.0.0.1:\(port)/v1/devices/\(device.hex)/envelopes?from=0&to=100")!)
        #expect(tooMany.status == 413)
        #expect(tooMany.json["error"]?["code"] == .string("batch_too_large"))
        // The reader itself: exactly the bound is fine, pages are stitched in order.
        let bounded = try await WindowMessages.read(from: f.store, device: device, range: 0..<(1_000 + UInt64(count)))
        #expect(bounded.count == WindowMessages.maxMessages)
        #expect(bounded.map(\.sequence) == Array(1...UInt64(WindowMessages.maxMessages)))
    }
}
