import MotePrimitives

/// What one `append` does, decided from each device's last stored sequence: the replay rule
/// every store applies, in one place and without I/O.
struct AppendPlan {
    /// One per message, in order.
    var outcomes: [AppendOutcome] = []
    /// The messages to store, in order.
    var stored: [StoredMessage] = []
    /// The new last sequence of each device that stores something.
    var newLastSequences: [Address: UInt64] = [:]

    /// `lastSequences` holds the last stored sequence of each device that has one.
    init(messages: [StoredMessage], lastSequences: [Address: UInt64]) {
        var last = lastSequences
        outcomes.reserveCapacity(messages.count)
        for message in messages {
            if let previous = last[message.deviceID], message.sequence <= previous {
                outcomes.append(.replay(lastSequence: previous))
                continue
            }
            last[message.deviceID] = message.sequence
            newLastSequences[message.deviceID] = message.sequence
            stored.append(message)
            outcomes.append(.stored)
        }
    }

    /// The distinct devices of `messages`, in byte order (the order locks are taken in).
    static func devices(of messages: [StoredMessage]) -> [Address] {
        Set(messages.map(\.deviceID)).sorted()
    }
}
