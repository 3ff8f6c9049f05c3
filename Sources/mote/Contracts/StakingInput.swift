import MotePrimitives

/// Parsing what people type for the staking and rewards commands: candidate names, bucket
/// ids, durations, voter shares and epoch ranges. Each refusal says what is expected, before
/// any node is asked.
enum StakingInput {
    /// A candidate name: 1 to 20 of `a-z 0-9 - _` (the Staking contract's rule).
    static func candidateName(_ text: String, _ what: String) throws(WalletInputError) -> String {
        let valid = (1...20).contains(text.utf8.count)
            && text.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f }
        guard valid else {
            throw WalletInputError("invalid \(what) \"\(text.prefix(40))\": a candidate name is 1 to 20 of a-z, 0-9, - and _ (lower case)")
        }
        return text
    }

    /// A bucket id: a decimal number.
    static func bucket(_ text: String) throws(WalletInputError) -> UInt64 {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let id = UInt64(text) else {
            throw WalletInputError("invalid --bucket \"\(text.prefix(40))\": a bucket id is a decimal number (see mote stake list)")
        }
        return id
    }

    /// The most days any genesis allows (`maxStakeDays` ≤ 36,500); the chain's own limit is
    /// checked by the contract.
    static let maxDays = 36_500

    /// A stake duration in days: 0 to 36,500.
    static func days(_ value: Int) throws(WalletInputError) -> UInt32 {
        guard (0...maxDays).contains(value) else {
            throw WalletInputError("invalid --duration \(value): a duration is 0 to \(maxDays) days (the chain's maxStakeDays may be lower)")
        }
        return UInt32(value)
    }

    /// A voter share in percent with up to two decimals (`50`, `12.5`, `7.25%`), in basis points.
    static func voterShare(_ text: String) throws(WalletInputError) -> UInt16 {
        let invalid = WalletInputError(
            "invalid --voter-share \"\(text.prefix(40))\": a percentage from 0 to 100 with at most two decimals, e.g. 50 or 12.5")
        var number = Substring(text)
        if number.hasSuffix("%") { number = number.dropLast() }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in part.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard (1...2).contains(parts.count), parts.allSatisfy(isDigits), !parts[0].isEmpty, parts[0].count <= 3 else { throw invalid }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.last == "0" { fraction = fraction.dropLast() }
        guard (parts.count == 1 || !parts[1].isEmpty), fraction.count <= 2, let whole = Int(parts[0]) else { throw invalid }
        let hundredths = Int(fraction + String(repeating: "0", count: 2 - fraction.count)) ?? 0
        let bps = whole * 100 + hundredths
        guard bps <= 10_000 else { throw invalid }
        return UInt16(bps)
    }

    /// Basis points as a percentage: `50`, `12.5`, `7.25`.
    static func percent(_ bps: UInt64) -> String {
        let (whole, rest) = bps.quotientAndRemainder(dividingBy: 100)
        guard rest != 0 else { return String(whole) }
        return rest % 10 == 0 ? "\(whole).\(rest / 10)" : "\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }

    /// An epoch range `A..B` (or one epoch `A`), epochs counted from 1.
    static func epochs(_ text: String) throws(WalletInputError) -> ClosedRange<UInt64> {
        let shown = text.prefix(60)
        let parts = text.components(separatedBy: "..")
        let numbers = parts.map { part in part.utf8.allSatisfy { (0x30...0x39).contains($0) } && part.utf8.count <= 19 ? UInt64(part) : nil }
        guard (1...2).contains(parts.count), numbers.allSatisfy({ $0 != nil }), let first = numbers.first ?? nil,
            let last = numbers.last ?? nil
        else {
            throw WalletInputError("invalid --epochs \"\(shown)\": expected A..B (e.g. 3..10) or one epoch A")
        }
        guard first >= 1 else { throw WalletInputError("invalid --epochs \"\(shown)\": epochs start at 1") }
        guard first <= last else { throw WalletInputError("invalid --epochs \"\(shown)\": the range ends before it starts (\(first) > \(last))") }
        guard last - first < 100_000 else { throw WalletInputError("invalid --epochs \"\(shown)\": at most 100000 epochs at a time") }
        return first...last
    }
}
