/// Topic names and filters (MQTT 3.1.1 §4.7).
public enum MQTTTopic {
    /// The longest topic or filter (UTF-8 bytes) the protocol can carry.
    public static let maxLength = 65_535

    /// Whether `name` may be published to: 1…65535 bytes, no wildcards, no U+0000.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && !name.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") })
    }

    /// Whether `filter` may be subscribed to: `+` fills a whole level, `#` only as the whole last level.
    public static func isValidFilter(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= maxLength, !filter.utf8.contains(0) else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || index != levels.count - 1) { return false }
            if level.contains("+") && level != "+" { return false }
        }
        return true
    }

    /// Whether the topic `name` matches `filter` (topics starting with `$` match no leading wildcard).
    public static func matches(_ name: String, filter: String) -> Bool {
        let nameLevels = name.split(separator: "/", omittingEmptySubsequences: false)
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasPrefix("$"), let first = filterLevels.first, first == "+" || first == "#" { return false }
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level == "#" { return true }
            guard index < nameLevels.count else { return false }
            if level != "+" && level != nameLevels[index] { return false }
            index += 1
        }
        return index == nameLevels.count
    }
}
