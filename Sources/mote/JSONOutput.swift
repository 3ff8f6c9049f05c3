import Foundation

/// Prints JSON for scripts: sorted keys, one document per call.
enum JSONOutput {
    /// Prints `object` (dictionaries, arrays, strings, numbers, bools, NSNull) as pretty JSON.
    static func print(_ object: Any) {
        let data = try! JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        Swift.print(String(decoding: data, as: UTF8.self))
    }

    /// Prints `{"error": message}` to standard output and exits with `code`.
    static func fail(_ message: String, code: Int32 = 1, extra: [String: Any] = [:]) -> Never {
        var object = extra
        object["error"] = message
        print(object)
        exit(code)
    }
}

/// Runs `body`; on error, prints `{"error": ...}` and exits 1.
func failOnError<T, E: Error>(_ body: () throws(E) -> T) -> T {
    do { return try body() } catch { JSONOutput.fail("\(error)") }
}
