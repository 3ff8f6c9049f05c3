import Foundation
import MoteCrypto
import MotePrimitives

/// How a wallet command reports: aligned text for people, or JSON for scripts (`--json`).
///
/// Failures go to standard error as `error: …` in text mode, and to standard output as
/// `{"error": …}` in JSON mode (as the other commands print them); either way the process
/// exits non-zero.
struct WalletOutput {
    /// Exit status for a failure before or instead of a result.
    static let failure: Int32 = 1
    /// Exit status for a transaction that was included but failed (receipt status 0).
    static let transactionFailed: Int32 = 2
    /// Exit status when the receipt did not come before `--timeout`.
    static let timedOut: Int32 = 3

    /// `--json` was given.
    let json: Bool

    /// Reports `message` and exits with `status`; `extra` members go into the JSON object.
    func fail(_ message: String, status: Int32 = failure, extra: [String: Any] = [:]) -> Never {
        if json { JSONOutput.fail(message, code: status, extra: extra) }
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(status)
    }

    /// A line of progress on standard error (text mode only), so standard output stays the result.
    func progress(_ message: String) {
        guard !json else { return }
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Runs `body`, failing with the error's description.
    func orFail<T, E: Error>(_ body: () throws(E) -> T) -> T {
        do { return try body() } catch { fail("\(error)") }
    }

    /// Prints `rows` as `label  value` lines with the values aligned; a nil value skips its row.
    static func printFields(_ rows: [(String, String?)], indent: String = "") {
        let shown = rows.compactMap { label, value in value.map { (label, $0) } }
        let width = shown.map(\.0.count).max() ?? 0
        for (label, value) in shown {
            print(indent + label + String(repeating: " ", count: width - label.count + 2) + value)
        }
    }
}

// MARK: Reading the node's JSON

extension JSON {
    /// An address, EIP-55 checksummed; nil for anything else (`null` for a contract creation).
    var checksummedAddress: String? {
        guard let text = stringValue, let address = try? Address(hex: text) else { return nil }
        return address.checksummed
    }

    /// The value as Foundation objects, for `JSONOutput.print` (numbers keep their value).
    var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .number(let text):
            if let integer = Int(text) { return integer }
            return Double(text).map { $0 as Any } ?? text
        case .string(let value): return value
        case .array(let items): return items.map(\.foundationObject)
        case .object(let members): return members.mapValues(\.foundationObject)
        }
    }
}

extension UInt256 {
    /// The value as a JSON-RPC quantity.
    var json: JSON { .string(hexQuantity) }
}

/// Seconds since 1970 as UTC ISO 8601: `2024-05-01T09:30:00Z`.
func iso8601(_ seconds: UInt64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(min(seconds, 253_402_300_799))))
}

extension WalletOutput {
    /// Prints `rows` under `headers` in columns two spaces apart; the columns in
    /// `rightAligned` (numbers) are aligned to the right.
    static func printTable(_ headers: [String], _ rows: [[String]], rightAligned: Set<Int> = []) {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        for row in [headers] + rows {
            var line = ""
            for (i, cell) in row.enumerated() where i < widths.count {
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                let isLast = i == row.count - 1
                line += rightAligned.contains(i) ? padding + cell : cell + (isLast ? "" : padding)
                if !isLast { line += "  " }
            }
            print(line)
        }
    }
}

extension Amount {
    /// `wei` in MOTE with at most `decimals` decimals, rounded down, for tables: `2120`, `103.8017`.
    static func formatShort(_ wei: UInt256, decimals: Int = 4) -> String {
        let parts = format(wei).split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return String(parts.first ?? "0") }
        var fraction = parts[1].prefix(decimals)
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return fraction.isEmpty ? String(parts[0]) : "\(parts[0]).\(fraction)"
    }
}
