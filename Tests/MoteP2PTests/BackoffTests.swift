@testable import MoteP2P
import MotePrimitives
import MoteTestSupport
import NIOCore
import Testing

@Suite("Back-off, seen cache, ban list")
struct BackoffTests {
    @Test func delaysDoubleUpToTheCapWithJitterInTheUpperHalf() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(3))
        #expect(backoff.ceiling(attempt: 0) == .milliseconds(100))
        #expect(backoff.ceiling(attempt: 3) == .milliseconds(800))
        #expect(backoff.ceiling(attempt: 5) == .seconds(3))
        #expect(backoff.ceiling(attempt: 1000) == .seconds(3))
        var rng = SplitMix64(seed: 1)
        for attempt in 0..<20 {
            let ceiling = backoff.ceiling(attempt: attempt)
            let delay = backoff.delay(attempt: attempt, using: &rng)
            #expect(delay <= ceiling && delay.nanoseconds >= ceiling.nanoseconds / 2)
        }
        var r1 = SplitMix64(seed: 9), r2 = SplitMix64(seed: 9)
        var first: [TimeAmount] = [], second: [TimeAmount] = []
        for attempt in 0..<10 {
            first.append(backoff.delay(attempt: attempt, using: &r1))
            second.append(backoff.delay(attempt: attempt, using: &r2))
        }
        #expect(first == second)
    }

    @Test func seenCacheForgetsTheOldest() {
        var cache = SeenCache(capacity: 3)
        let digests = (0..<5).map { Hash32(bytes: [UInt8](repeating: UInt8($0), count: 32))! }
        let firstInsert = cache.insert(digests[0])
        let secondInsert = cache.insert(digests[0])
        #expect(firstInsert && !secondInsert)
        for digest in digests[1...] { cache.insert(digest) }
        #expect(cache.count == 3)
        #expect(!cache.contains(digests[0]) && !cache.contains(digests[1]))
        #expect(cache.contains(digests[4]))
    }

    @Test func bansExpire() {
        var bans = BanList()
        let now = NIODeadline.now()
        bans.ban(.host("10.0.0.1"), until: now + .seconds(10))
        let banned = bans.isBanned(.host("10.0.0.1"), now: now)
        let other = bans.isBanned(.host("10.0.0.2"), now: now)
        let expired = bans.isBanned(.host("10.0.0.1"), now: now + .seconds(11))
        #expect(banned && !other && !expired)
    }
}
