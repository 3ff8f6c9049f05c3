import MotePrimitives
import Testing

@testable import mote

/// The wallet's amount syntax: exact decimal MOTE, gwei and wei, and the messages for the rest.
@Suite struct AmountTests {
    static let oneMote = UInt256(1_000_000_000_000_000_000)

    @Test(arguments: [
        ("1", "1000000000000000000"),
        ("1.5", "1500000000000000000"),
        ("1.5mote", "1500000000000000000"),
        ("1.5 MOTE", "1500000000000000000"),
        ("  2Mote ", "2000000000000000000"),
        ("0", "0"),
        ("0.0", "0"),
        ("007.50", "7500000000000000000"),
        ("0.000000000000000001", "1"),
        ("1.000000000000000000000", "1000000000000000000"),  // trailing zeros past 18 decimals are exact
        ("3gwei", "3000000000"),
        ("3GWEI", "3000000000"),
        ("1.5gwei", "1500000000"),
        ("0.000000001gwei", "1"),
        ("21000wei", "21000"),
        ("21000 wei", "21000"),
        ("115792089237316195423570985008687907853269984665640564039457584007913129639935wei",
         "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
        ("115792089237316195423570985008687907853269984665640564039457.584007913129639935",
         "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
    ])
    func parses(text: String, wei: String) throws {
        #expect(try Amount.parse(text) == UInt256(decimal: wei)!)
    }

    @Test func defaultUnitForFees() throws {
        #expect(try Amount.parse("1000", defaultUnit: .wei) == UInt256(1_000))
        #expect(try Amount.parse("2gwei", defaultUnit: .wei) == UInt256(2_000_000_000))
        #expect(try Amount.parse("1mote", defaultUnit: .wei) == Self.oneMote)
        #expect(throws: AmountError.self) { try Amount.parse("1.5", defaultUnit: .wei) }
    }

    @Test(arguments: [
        ("", "empty amount"),
        ("   ", "empty amount"),
        ("-1", "cannot be negative"),
        ("-0.5mote", "cannot be negative"),
        ("+1", "not a decimal number"),
        ("1.2.3", "not a decimal number"),
        (".5", "not a decimal number"),
        ("5.", "not a decimal number"),
        ("1e18", "not a decimal number"),
        ("0x10", "not a decimal number"),
        ("1,5", "not a decimal number"),
        ("1 5", "not a decimal number"),
        ("one", "not a decimal number"),
        ("1.5eth", "not a decimal number"),
        ("mote", "no number"),
        ("gwei", "no number"),
        ("1.0000000000000000001", "more than 18 decimals"),
        ("0.0000000001gwei", "more than 9 decimals"),
        ("1.5wei", "wei is the smallest unit"),
        ("115792089237316195423570985008687907853269984665640564039457584007913129639936wei", "too large"),
        ("115792089237316195423570985008687907853269984665640564039458", "too large"),
        (String(repeating: "9", count: 101), "longer than 100"),
    ])
    func refuses(text: String, reason: String) {
        do {
            let wei = try Amount.parse(text)
            Issue.record("\"\(text)\" parsed as \(wei) wei; expected an error with \"\(reason)\"")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func formats() {
        #expect(Amount.format(.zero) == "0")
        #expect(Amount.format(UInt256(1)) == "0.000000000000000001")
        #expect(Amount.format(UInt256(1_500_000_000_000_000_000)) == "1.5")
        #expect(Amount.format(UInt256(1_000_000_007), in: .gwei) == "1.000000007")
        #expect(Amount.format(UInt256(21_000), in: .wei) == "21000")
        #expect(Amount.format(.max) == "115792089237316195423570985008687907853269984665640564039457.584007913129639935")
        #expect(Amount.describe(UInt256(1_500_000_000_000_000_000)) == "1.5 MOTE (1500000000000000000 wei)")
        #expect(Amount.describePerGas(UInt256(3_000_000_000)) == "3 gwei (3000000000 wei)")
    }

    /// Every amount prints as text that parses back to itself.
    @Test func roundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let wei = UInt256(limbs: rng.next(), rng.next(), rng.next(), rng.next()) >> Int.random(in: 0..<256)
            #expect(try Amount.parse(Amount.format(wei)) == wei)
            #expect(try Amount.parse(Amount.format(wei, in: .gwei) + "gwei") == wei)
            #expect(try Amount.parse(wei.description + "wei") == wei)
        }
    }
}
