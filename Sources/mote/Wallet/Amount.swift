import MotePrimitives

/// A unit amounts are written in: 1 MOTE is 10^18 wei, 1 gwei is 10^9 wei.
enum Denomination: String, CaseIterable, Sendable {
    case mote
    case gwei
    case wei

    /// How many decimals of this unit make one wei.
    var decimals: Int {
        switch self {
        case .mote: return 18
        case .gwei: return 9
        case .wei: return 0
        }
    }

    /// The name shown after a number.
    var symbol: String { self == .mote ? "MOTE" : rawValue }
}

/// An amount that cannot be used, with the reason (shown as it is to the user).
struct AmountError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Amounts of MOTE as people write them, parsed and printed with exact integer math.
///
/// Text is a decimal number with an optional unit: `1.5`, `1.5mote`, `1.5 MOTE`, `3gwei`,
/// `21000wei`. Without a unit the `defaultUnit` applies (MOTE for values, wei for fees).
/// Negative numbers, exponents, hex, more decimals than the unit has and amounts over
/// 2^256 − 1 wei are refused with a message that says why.
enum Amount {
    /// The longest text accepted (a 2^256 amount in wei has 78 digits).
    static let maxLength = 100

    /// The amount `text` names, in wei.
    static func parse(_ text: String, defaultUnit: Denomination = .mote) throws(AmountError) -> UInt256 {
        guard text.utf8.count <= maxLength else { throw AmountError("amount is longer than \(maxLength) characters") }
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else { throw AmountError("empty amount: write a number such as 1.5, 3gwei or 21000wei") }
        if trimmed.hasPrefix("-") { throw AmountError("amount \"\(text)\" is negative; amounts cannot be negative") }

        var number = Substring(trimmed)
        var unit = defaultUnit
        let lowered = trimmed.lowercased()
        for candidate in Denomination.allCases where lowered.hasSuffix(candidate.rawValue) {
            // "gwei" also ends in "wei": the cases are listed longest first.
            unit = candidate
            number = number.dropLast(candidate.rawValue.count)
            while number.last == " " { number = number.dropLast() }
            break
        }
        guard !number.isEmpty else { throw AmountError("amount \"\(text)\" has a unit but no number") }

        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard parts.count <= 2, parts.allSatisfy(isDigits), !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw AmountError(
                "amount \"\(text)\" is not a decimal number with an optional unit (mote, gwei or wei), e.g. 1.5, 3gwei, 21000wei")
        }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.last == "0" { fraction = fraction.dropLast() }  // exact either way
        guard fraction.count <= unit.decimals else {
            throw AmountError(
                unit == .wei
                    ? "amount \"\(text)\" has decimals, but wei is the smallest unit"
                    : "amount \"\(text)\" has more than \(unit.decimals) decimals: the smallest amount is 1 wei "
                        + "(\(format(1, in: unit)) \(unit.symbol))")
        }
        let padded = String(fraction) + String(repeating: "0", count: unit.decimals - fraction.count)
        let digits = (parts[0] + padded).drop { $0 == "0" }
        guard digits.utf8.count <= 78, let wei = UInt256(decimal: digits.isEmpty ? "0" : digits) else {
            throw AmountError("amount \"\(text)\" is too large: the most is 2^256 − 1 wei")
        }
        return wei
    }

    /// `wei` as a decimal number of `unit` without trailing zeros: `1.5`, `0.000000001`, `0`.
    static func format(_ wei: UInt256, in unit: Denomination = .mote) -> String {
        guard unit.decimals > 0 else { return wei.description }
        var scale = UInt256.one
        for _ in 0..<unit.decimals { scale = scale * 10 }
        let (whole, remainder) = wei.quotientAndRemainder(dividingBy: scale)
        guard !remainder.isZero else { return whole.description }
        var fraction = remainder.description
        fraction = String(repeating: "0", count: unit.decimals - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }

    /// `1.5 MOTE (1500000000000000000 wei)`.
    static func describe(_ wei: UInt256) -> String {
        "\(format(wei)) MOTE (\(wei) wei)"
    }

    /// A fee per gas: `1.000000007 gwei (1000000007 wei)`.
    static func describePerGas(_ wei: UInt256) -> String {
        "\(format(wei, in: .gwei)) gwei (\(wei) wei)"
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line ends.
    fileprivate var trimmingWhitespace: String {
        let isSpace = { (c: Character) in c == " " || c == "\t" || c == "\n" || c == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
