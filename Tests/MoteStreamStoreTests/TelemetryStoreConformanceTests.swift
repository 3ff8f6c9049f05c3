import Foundation
import MotePrimitives
import MoteStreamStore
import MoteTestSupport
import Testing

/// The one suite every `TelemetryStore` passes: in memory, SQLite and PostgreSQL (a throwaway
/// cluster started around the suite; without PostgreSQL installed its cases fail).
@Suite(.postgresCluster) struct TelemetryStoreConformanceTests {
    typealias M = Fixtures

    @Test(arguments: StoreKind.allCases)
    func appendStoresNewMessages(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let device = M.device(1)
            #expect(try await store.lastSequence(of: device) == nil)
            #expect(try await store.append([]) == [])
            let batch = M.messages(device, 1...5)
            #expect(try await store.append(batch) == Array(repeating: .stored, count: 5))
            #expect(try await store.lastSequence(of: device) == 5)
            #expect(try await store.count(of: device) == 5)
            #expect(try await store.messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 100) == batch)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func replaysAndDuplicatesWithinOneBatch(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let (a, b) = (M.device(1), M.device(2))
            let batch = [
                M.message(a, 1), M.message(a, 2), M.message(b, 7), M.message(a, 2), M.message(a, 1),
                M.message(b, 7), M.message(a, 3), M.message(b, 6), M.message(b, 9),
            ]
            let outcomes = try await store.append(batch)
            #expect(
                outcomes == [
                    .stored, .stored, .stored, .replay(lastSequence: 2), .replay(lastSequence: 2),
                    .replay(lastSequence: 7), .stored, .replay(lastSequence: 7), .stored,
                ])
            #expect(try await store.messages(of: a, from: 0, to: .max, afterSequence: nil, limit: 10).map(\.sequence) == [1, 2, 3])
            #expect(try await store.messages(of: b, from: 0, to: .max, afterSequence: nil, limit: 10).map(\.sequence) == [7, 9])
            #expect(try await store.lastSequence(of: a) == 3)
            #expect(try await store.lastSequence(of: b) == 9)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func replaysAcrossBatches(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let device = M.device(3)
            _ = try await store.append(M.messages(device, 1...5))
            // Same sequence, different content: still a replay, and the stored one is kept.
            let changed = M.message(device, 5, payload: [0xFF])
            #expect(
                try await store.append([M.message(device, 3), changed, M.message(device, 6)]) == [
                    .replay(lastSequence: 5), .replay(lastSequence: 5), .stored,
                ])
            let stored = try await store.messages(of: device, from: 0, to: .max, afterSequence: 4, limit: 10)
            #expect(stored == [M.message(device, 5), M.message(device, 6)])
            // Gaps are allowed; going back below the last one is not.
            #expect(try await store.append([M.message(device, 100), M.message(device, 50)]) == [.stored, .replay(lastSequence: 100)])
            #expect(try await store.count(of: device) == 7)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func replayProtectionSurvivesRetentionAndReopening(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let device = M.device(4)
            do {
                let store = try await fixture.open()
                _ = try await store.append(M.messages(device, 1...10, receivedAt: 500))
                #expect(try await store.deleteMessages(of: device, receivedBefore: 501) == 10)
                #expect(try await store.count(of: device) == 0)
                #expect(try await store.devices() == [])
                #expect(try await store.lastSequence(of: device) == 10)
                #expect(try await store.append([M.message(device, 10), M.message(device, 4)]) == [
                    .replay(lastSequence: 10), .replay(lastSequence: 10),
                ])
            }
            let reopened = try await fixture.open()
            #expect(try await reopened.lastSequence(of: device) == 10)
            #expect(try await reopened.append([M.message(device, 1)]) == [.replay(lastSequence: 10)])
            #expect(try await reopened.append([M.message(device, 11)]) == [.stored])
            #expect(try await reopened.count(of: device) == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func queriesByTimeRangeWithPagination(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let (device, other) = (M.device(5), M.device(6))
            // Device clocks need not increase with the sequence.
            let timestamps: [UInt64] = [50, 10, 30, 20, 40, 60, 35, 25, 15, 45, 55, 5]
            let messages = timestamps.enumerated().map { M.message(device, UInt64($0.offset + 1), timestamp: $0.element) }
            _ = try await store.append(messages)
            _ = try await store.append(timestamps.enumerated().map { M.message(other, UInt64($0.offset + 1), timestamp: $0.element) })

            let wanted = messages.filter { (20...50).contains($0.timestamp) }
            var pages: [[StoredMessage]] = []
            var after: UInt64?
            while true {
                let page = try await store.messages(of: device, from: 20, to: 50, afterSequence: after, limit: 3)
                if page.isEmpty { break }
                pages.append(page)
                after = page.last!.sequence
            }
            #expect(pages.map(\.count) == [3, 3, 1])
            #expect(pages.flatMap { $0 } == wanted)
            // Bounds are inclusive; empty and inverted ranges and non-positive limits find nothing.
            #expect(try await store.messages(of: device, from: 60, to: 60, afterSequence: nil, limit: 5).map(\.sequence) == [6])
            #expect(try await store.messages(of: device, from: 61, to: 1_000, afterSequence: nil, limit: 5) == [])
            #expect(try await store.messages(of: device, from: 50, to: 20, afterSequence: nil, limit: 5) == [])
            #expect(try await store.messages(of: device, from: 0, to: 100, afterSequence: nil, limit: 0) == [])
            #expect(try await store.messages(of: device, from: 0, to: 100, afterSequence: 12, limit: 5) == [])
            #expect(try await store.messages(of: M.device(99), from: 0, to: .max, afterSequence: nil, limit: 5) == [])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func retentionDeletesExactlyTheExpiredRows(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let (device, other) = (M.device(7), M.device(8))
            let messages = (1...20).map { M.message(device, UInt64($0), receivedAt: 1_000 + UInt64($0)) }
            _ = try await store.append(messages)
            _ = try await store.append((1...5).map { M.message(other, UInt64($0), receivedAt: 1) })
            #expect(try await store.deleteMessages(of: device, receivedBefore: 1_011) == 10)
            let left = try await store.messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 100)
            #expect(left == Array(messages[10...]))
            #expect(try await store.deleteMessages(of: device, receivedBefore: 1_011) == 0)
            #expect(try await store.deleteMessages(of: device, receivedBefore: 0) == 0)
            #expect(try await store.count(of: other) == 5)
            #expect(try await store.deleteMessages(of: M.device(99), receivedBefore: .max) == 0)
            #expect(try await store.deleteMessages(of: device, receivedBefore: .max) == 10)
            #expect(try await store.devices() == [other])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func devicesAndCounts(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            #expect(try await store.devices() == [])
            for n: UInt8 in [9, 3, 200, 1] {
                _ = try await store.append(M.messages(M.device(n), 1...UInt64(n % 7 + 1)))
            }
            #expect(try await store.devices() == [M.device(1), M.device(3), M.device(9), M.device(200)])
            #expect(try await store.count(of: M.device(9)) == 3)
            #expect(try await store.count(of: M.device(200)) == 5)
            #expect(try await store.count(of: M.device(2)) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func largePayloadsRoundTrip(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let device = M.device(10)
            var rng = SplitMix64(seed: 77)
            let big = rng.bytes(1 << 20)
            let messages = [
                M.message(device, 1, payload: big, contentType: "application/octet-stream"),
                M.message(device, 2, payload: []),
                M.message(device, 3, payload: Array(big.reversed()), contentType: String(repeating: "x", count: 64)),
            ]
            #expect(try await store.append(messages) == [.stored, .stored, .stored])
            let stored = try await fixture.open().messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 10)
            #expect(stored == messages)
            #expect(stored.allSatisfy { $0.hash == $0.envelope.hash })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func uint64ExtremesRoundTrip(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let device = M.device(11)
            let half: UInt64 = 1 << 63
            let messages = [
                M.message(device, 0, timestamp: 0, receivedAt: 0),
                M.message(device, half - 1, timestamp: half - 1, receivedAt: half - 1),
                M.message(device, half, timestamp: half, receivedAt: half),
                M.message(device, .max - 1, timestamp: .max, receivedAt: .max - 1),
                M.message(device, .max, timestamp: .max, receivedAt: .max),
            ]
            #expect(try await store.append(messages) == Array(repeating: .stored, count: 5))
            #expect(try await store.lastSequence(of: device) == .max)
            #expect(try await store.append([M.message(device, .max)]) == [.replay(lastSequence: .max)])
            let reopened = try await fixture.open()
            #expect(try await reopened.messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 10) == messages)
            // Ranges and pagination compare as UInt64, across the sign bit.
            #expect(try await reopened.messages(of: device, from: half, to: .max, afterSequence: nil, limit: 10) == Array(messages[2...]))
            #expect(try await reopened.messages(of: device, from: 0, to: half - 1, afterSequence: nil, limit: 10) == Array(messages[..<2]))
            #expect(try await reopened.messages(of: device, from: 0, to: .max, afterSequence: half - 1, limit: 1) == [messages[2]])
            #expect(try await reopened.messages(of: device, from: 0, to: .max, afterSequence: .max - 1, limit: 10) == [messages[4]])
            #expect(try await reopened.messages(of: device, from: 0, to: .max, afterSequence: .max, limit: 10) == [])
            #expect(try await reopened.deleteMessages(of: device, receivedBefore: half) == 2)
            #expect(try await reopened.deleteMessages(of: device, receivedBefore: .max) == 2)
            #expect(try await reopened.count(of: device) == 1)
            #expect(try await reopened.lastSequence(of: device) == .max)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentAppendsForOneDeviceNeverStoreAReplay(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            let device = M.device(12)
            // 24 writers race over the same 60 sequence numbers, each in its own order of batches.
            let storedCounts = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for writer in 0..<24 {
                    group.addTask {
                        var stored: [UInt64] = []
                        for start in stride(from: UInt64(writer % 3) * 20 + 1, through: 60, by: 20) {
                            let batch = Fixtures.messages(device, start..<(start + 20))
                            let outcomes = try await store.append(batch)
                            stored += zip(batch, outcomes).filter { $0.1 == .stored }.map(\.0.sequence)
                        }
                        return stored
                    }
                }
                var all: [UInt64] = []
                for try await stored in group { all += stored }
                return all
            }
            #expect(storedCounts.count == Set(storedCounts).count, "a sequence was stored twice")
            let stored = try await store.messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 1_000)
            #expect(stored.map(\.sequence) == storedCounts.sorted())
            #expect(try await store.count(of: device) == storedCounts.count)
            #expect(try await store.lastSequence(of: device) == storedCounts.max())
            #expect(storedCounts.max() == 60)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentAppendsForManyDevices(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            // 16 writers, each appending 10 batches that mix 4 devices (shared between writers in pairs).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        let devices = (0..<4).map { Fixtures.device(UInt8(100 + (writer / 2) * 4 + $0)) }
                        for round in 0..<10 {
                            let sequence = UInt64(round * 2 + writer % 2 + 1)
                            _ = try await store.append(devices.map { Fixtures.message($0, sequence) })
                        }
                    }
                }
                try await group.waitForAll()
            }
            let devices = try await store.devices()
            #expect(devices.count == 32)
            for device in devices {
                let sequences = try await store.messages(of: device, from: 0, to: .max, afterSequence: nil, limit: 100).map(\.sequence)
                #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
                #expect(try await store.lastSequence(of: device) == sequences.last)
                #expect(sequences.last == 20 || sequences.last == 19)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func appendsAreDurableWhenTheyReturn(kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = try await fixture.open()
            switch store {
            case let sqlite as SQLiteTelemetryStore:
                #expect(try sqlite.synchronousSetting() == 2, "PRAGMA synchronous should be FULL")
                #expect(try sqlite.journalMode() == "wal")
            case let postgres as PostgresTelemetryStore:
                #expect(try await postgres.synchronousCommitSetting() == "on")
            default:
                #expect(kind == .inMemory)
            }
        }
    }
}
