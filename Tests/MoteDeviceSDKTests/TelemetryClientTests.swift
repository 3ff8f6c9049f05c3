import Foundation
import MoteDeviceSDK
import MotePrimitives
import MoteStream
import MoteTelemetry
import Testing

/// The SDK against an in-process stream node over HTTP: order, sequence persistence across a
/// restart, buffering while the node is down, refusals that leave the buffer, the bound.
@Suite struct TelemetryClientTests {
    @Test func deliversMessagesInOrderOverHTTP() async throws {
        let f = try SDKFixture()
        let (server, port) = try await f.startHTTP()
        defer { Task { await server.shutdown() } }
        var options = SDKFixture.options
        options.batchSize = 7
        let client = try f.client(HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!), options: options)
        let log = ReportLog()
        let following = log.follow(client)
        let running = Task { await client.run() }
        defer { running.cancel(); following.cancel() }

        let sent = try (1...25).map { n in try client.send(payload: SDKFixture.reading(n)) }
        #expect(sent.map(\.sequence) == Array(1...25))
        #expect(sent.allSatisfy { $0.isValidSignature(by: f.identity.publicKey, chainID: SDKFixture.chainID) })
        #expect(await client.waitUntilDelivered(timeout: .seconds(10)))
        #expect(await f.storedSequences() == Array(1...25))
        let reports = await log.wait(for: 25)
        #expect(reports.map(\.sequence) == Array(1...25))
        #expect(reports.allSatisfy { $0.isAccepted })
        #expect(reports.map(\.hash) == sent.map(\.hash))
    }

    @Test func sequenceNumbersAndBufferSurviveARestart() async throws {
        let f = try SDKFixture()
        let (server, port) = try await f.startHTTP()
        defer { Task { await server.shutdown() } }
        let transport = HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!)
        do {
            // Sent while no sender runs: they wait in the buffer on disk.
            let first = try f.client(transport)
            for n in 1...3 { try first.send(payload: SDKFixture.reading(n)) }
            #expect(first.pendingCount == 3)
        }
        let second = try f.client(transport)
        #expect(second.pendingCount == 3)
        #expect(try second.send(payload: SDKFixture.reading(4)).sequence == 4)
        let running = Task { await second.run() }
        defer { running.cancel() }
        #expect(await second.waitUntilDelivered(timeout: .seconds(10)))
        #expect(await f.storedSequences() == [1, 2, 3, 4])
        // After delivery, a third start finds an empty buffer and goes on counting.
        let third = try f.client(transport)
        #expect(third.pendingCount == 0)
        #expect(try third.send(payload: SDKFixture.reading(5)).sequence == 5)
    }

    @Test func buffersWhileTheNodeIsDownAndDeliversWhenItIsBack() async throws {
        let f = try SDKFixture()
        // A port that was free a moment ago: the node starts there later.
        let (probe, port) = try await f.startHTTP()
        await probe.shutdown()
        let client = try f.client(HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!, timeout: 2))
        let running = Task { await client.run() }
        defer { running.cancel() }
        for n in 1...5 { try client.send(payload: SDKFixture.reading(n)) }
        let deadline = ContinuousClock.now + .seconds(20)
        while client.lastFailure?.contains("cannot reach") != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(client.pendingCount == 5)
        #expect(client.lastFailure?.contains("cannot reach") == true, "\(client.lastFailure ?? "nil")")
        for n in 6...8 { try client.send(payload: SDKFixture.reading(n)) }

        let (server, _) = try await f.startHTTP(port: port)
        defer { Task { await server.shutdown() } }
        #expect(await client.waitUntilDelivered(timeout: .seconds(10)))
        #expect(await f.storedSequences() == Array(1...8))
        #expect(client.lastFailure == nil)
    }

    @Test func refusalsThatRetryingCannotFixLeaveTheBufferWithTheirReason() async throws {
        let f = try SDKFixture()
        let (server, port) = try await f.startHTTP()
        defer { Task { await server.shutdown() } }
        let client = try f.client(HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!))
        let log = ReportLog()
        let following = log.follow(client)
        defer { following.cancel() }

        // A clock an hour off: the node refuses that one message (stale_timestamp) and stores the others.
        try client.send(payload: SDKFixture.reading(1))
        try client.send(payload: SDKFixture.reading(2), timestamp: Date().addingTimeInterval(-3_600))
        try client.send(payload: SDKFixture.reading(3))
        let running = Task { await client.run() }
        defer { running.cancel() }
        #expect(await client.waitUntilDelivered(timeout: .seconds(10)))
        let reports = await log.wait(for: 3)
        #expect(reports.map(\.sequence) == [1, 2, 3])
        #expect(reports.map { $0.error?.code } == [nil, .staleTimestamp, nil])
        #expect(await f.storedSequences() == [1, 3])

        // The node cannot look devices up (unavailable): the message stays and is retried.
        await f.directory.fail(with: DeviceDirectoryError("chain node down"))
        try client.send(payload: SDKFixture.reading(4))
        // Waits (up to 20 s on a loaded machine) until the client has tried and been refused.
        let deadline = ContinuousClock.now + .seconds(20)
        while client.lastFailure?.contains("unavailable") != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(client.pendingCount == 1)
        #expect(client.lastFailure?.contains("unavailable") == true, "\(client.lastFailure ?? "nil")")
        await f.directory.fail(with: nil)
        #expect(await client.waitUntilDelivered(timeout: .seconds(10)))
        let all = await log.wait(for: 4)
        #expect(all.last?.sequence == 4 && all.last?.isAccepted == true)
        #expect((all.last?.attempts ?? 0) > 1)
        #expect(await f.storedSequences() == [1, 3, 4])
    }

    @Test func aFullBufferRefusesWithoutUsingASequenceNumber() throws {
        let f = try SDKFixture()
        var options = SDKFixture.options
        options.maxBufferedMessages = 3
        let client = try f.client(HTTPTelemetryTransport(baseURL: URL(string: "http://127.0.0.1:1")!), options: options)
        for n in 1...3 { try client.send(payload: SDKFixture.reading(n)) }
        #expect(throws: DeviceSDKError.self) { try client.send(payload: SDKFixture.reading(4)) }
        do throws(DeviceSDKError) {
            try client.send(payload: SDKFixture.reading(4))
        } catch {
            #expect(error.code == .bufferFull)
            #expect(error.message.contains("buffer full"))
        }
        let counter = try SequenceCounter(path: f.folder + "/state/sequence")
        #expect(counter.lastIssued == 3)
    }
}
