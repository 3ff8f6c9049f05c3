import MotePrimitives
import MoteStreamStore
import MoteTelemetry

/// Reads one device's stored envelopes with device timestamps in a half-open millisecond range,
/// in ascending sequence order, page by page, refusing more than a bound (docs/APPLETS.md: a
/// window's messages). Both the envelopes endpoint and the result poster read windows this way,
/// so the challenger fetches exactly the messages the poster committed to.
public enum WindowMessages {
    /// The most envelopes one window may hold to be served or posted.
    public static let maxMessages = 10_000
    static let pageSize = 1_000

    /// Too many messages, or the store failed.
    public enum Failure: Error, Equatable, Sendable {
        case tooMany(limit: Int)
        case storage(String)
    }

    /// `device`'s messages with timestamps in `range` (milliseconds), at most `limit`.
    public static func read(
        from store: any TelemetryStore, device: Address, range: Range<UInt64>, limit: Int = maxMessages
    ) async throws(Failure) -> [StoredMessage] {
        guard !range.isEmpty else { return [] }
        var messages: [StoredMessage] = []
        var after: UInt64?
        while true {
            let page: [StoredMessage]
            do {
                page = try await store.messages(of: device, from: range.lowerBound, to: range.upperBound - 1, afterSequence: after, limit: pageSize)
            } catch {
                throw .storage(error.description)
            }
            messages += page
            guard messages.count <= limit else { throw .tooMany(limit: limit) }
            guard page.count == pageSize, let last = page.last else { return messages }
            after = last.sequence
        }
    }
}
