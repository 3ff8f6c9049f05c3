import MoteTestSupport
import Testing

@testable import MotePrimitives

@Suite struct UInt256Tests {
    let big = UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639935")!

    @Test func textRoundTrips() {
        #expect(big == .max)
        #expect(UInt256.max.description == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936") == nil)
        #expect(UInt256(decimal: "") == nil)
        #expect(UInt256(decimal: "12a") == nil)
        #expect(UInt256(0).hexQuantity == "0x0")
        #expect(UInt256(255).hexQuantity == "0xff")
        #expect(UInt256(hexQuantity: "0x0001") == 1)
        #expect(UInt256(hexQuantity: "0x1" + String(repeating: "0", count: 64)) == nil)
        #expect(UInt256("0x10") == 16)
        #expect(UInt256("10") == 10)
    }

    @Test func arithmeticMatchesUInt64WhereItFits() {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<10_000 {
            let a = rng.next() >> 1, b = rng.next() >> 33 | 1
            #expect(UInt256(a) + UInt256(b) == UInt256(a + b))
            let (high, low) = a.multipliedFullWidth(by: b)
            #expect(UInt256(a) * UInt256(b) == UInt256(limbs: low, high, 0, 0))
            #expect(UInt256(a) / UInt256(b) == UInt256(a / b))
            #expect(UInt256(a) % UInt256(b) == UInt256(a % b))
            #expect((UInt256(a) < UInt256(b)) == (a < b))
        }
    }

    @Test func divisionIdentityOnWideValues() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<2_000 {
            let a = UInt256(limbs: rng.next(), rng.next(), rng.next(), rng.next() >> (rng.next() % 64))
            let b = UInt256(limbs: rng.next(), rng.next() >> (rng.next() % 64), rng.next() % 3 == 0 ? rng.next() : 0, 0)
            guard !b.isZero else { continue }
            let (q, r) = a.quotientAndRemainder(dividingBy: b)
            #expect(r < b)
            let (high, low) = q.multipliedFullWidth(by: b)
            #expect(high.isZero)
            #expect(low + r == a)
        }
    }

    @Test func overflowIsReported() {
        #expect(UInt256.max.addingReportingOverflow(1).overflow)
        #expect(UInt256.max.addingReportingOverflow(1).partialValue == 0)
        #expect(UInt256.zero.subtractingReportingOverflow(1).partialValue == .max)
        #expect((UInt256(1) << 255).multipliedReportingOverflow(by: 2).overflow)
        #expect(!(UInt256(1) << 254).multipliedReportingOverflow(by: 2).overflow)
    }

    @Test func shiftsAndBytes() {
        let one = UInt256(1)
        for n in 0..<256 {
            let shifted = one << n
            #expect(shifted.bitLength == n + 1)
            #expect(shifted >> n == one)
            #expect(UInt256(bigEndian: shifted.bigEndianBytes) == shifted)
            #expect(UInt256(bigEndian: shifted.minimalBigEndianBytes) == shifted)
        }
        #expect(one << 256 == 0)
        #expect(UInt256(0).minimalBigEndianBytes.isEmpty)
        #expect(UInt256(bigEndian: [UInt8](repeating: 1, count: 33)) == nil)
    }
}
