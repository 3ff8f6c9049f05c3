/// The client's side of the MQTT 3.1.1 protocol as a state machine without I/O: packets
/// received and timer ticks go in, actions for the caller come out. It tracks the connection
/// phase, packet ids in flight, and the keepalive ping.
struct MQTTSession: Sendable {
    enum Phase: Equatable, Sendable {
        /// CONNECT sent, waiting for CONNACK.
        case connecting
        case connected
        case closed
    }

    /// What an id in flight waits for.
    enum Pending: Equatable, Sendable {
        case puback
        case suback
        case unsuback
    }

    /// What the caller does after a packet arrived.
    enum Action: Equatable, Sendable {
        case connected(sessionPresent: Bool)
        case published(packetID: UInt16)
        case subscribed(packetID: UInt16, returnCodes: [UInt8])
        case unsubscribed(packetID: UInt16)
        /// Hand the message to subscribers; QoS 1 messages are acknowledged with PUBACK.
        case deliver(MQTTMessage)
        case none
        /// Close the connection and fail everything waiting.
        case close(MQTTError)
    }

    /// What the caller does on a keepalive tick.
    enum TickAction: Equatable, Sendable {
        case sendPing
        case close(MQTTError)
        case none
    }

    private(set) var phase: Phase = .connecting
    private(set) var inFlight: [UInt16: Pending] = [:]
    private var lastID: UInt16 = 0
    private var awaitingPong = false

    /// The most ids in flight at once (the whole 16-bit space, less 0).
    static let maxInFlight = 65_535

    /// A free packet id for a request that waits for `pending`, or nil if all are in use.
    mutating func allocateID(for pending: Pending) -> UInt16? {
        guard inFlight.count < Self.maxInFlight else { return nil }
        repeat {
            lastID = lastID == UInt16.max ? 1 : lastID + 1
        } while inFlight[lastID] != nil
        inFlight[lastID] = pending
        return lastID
    }

    /// Forgets an id whose request could not be sent.
    mutating func release(_ id: UInt16) { inFlight[id] = nil }

    /// A packet from the broker.
    mutating func receive(_ packet: MQTTPacket) -> Action {
        switch (phase, packet) {
        case (.closed, _):
            return .none
        case (.connecting, .connack(let sessionPresent, let code)):
            guard code == 0 else {
                phase = .closed
                return .close(MQTTError(.connectionRefused(returnCode: code), Self.refusal(code)))
            }
            phase = .connected
            return .connected(sessionPresent: sessionPresent)
        case (.connecting, _):
            return violation("expected CONNACK first")
        case (.connected, .connack):
            return violation("a second CONNACK")
        case (.connected, .publish(let message)):
            return .deliver(message)
        case (.connected, .puback(let id)):
            guard inFlight[id] == .puback else { return violation("PUBACK for packet id \(id), which is not in flight") }
            inFlight[id] = nil
            return .published(packetID: id)
        case (.connected, .suback(let id, let codes)):
            guard inFlight[id] == .suback else { return violation("SUBACK for packet id \(id), which is not in flight") }
            inFlight[id] = nil
            return .subscribed(packetID: id, returnCodes: codes)
        case (.connected, .unsuback(let id)):
            guard inFlight[id] == .unsuback else { return violation("UNSUBACK for packet id \(id), which is not in flight") }
            inFlight[id] = nil
            return .unsubscribed(packetID: id)
        case (.connected, .pingresp):
            awaitingPong = false
            return .none
        case (.connected, let other):
            return violation("unexpected packet \(Self.name(other))")
        }
    }

    /// A keepalive period passed: ping, or give up if the last ping went unanswered.
    mutating func keepAliveTick() -> TickAction {
        guard phase == .connected else { return .none }
        if awaitingPong {
            phase = .closed
            return .close(MQTTError(.timeout, "no PINGRESP within the keepalive period"))
        }
        awaitingPong = true
        return .sendPing
    }

    /// The connection ended (by either side).
    mutating func closed() { phase = .closed }

    private mutating func violation(_ text: String) -> Action {
        phase = .closed
        return .close(MQTTError(.protocolViolation, text))
    }

    static func refusal(_ code: UInt8) -> String {
        switch code {
        case 1: "the broker refused the connection: unacceptable protocol version"
        case 2: "the broker refused the connection: identifier rejected"
        case 3: "the broker refused the connection: server unavailable"
        case 4: "the broker refused the connection: bad user name or password"
        case 5: "the broker refused the connection: not authorized"
        default: "the broker refused the connection (code \(code))"
        }
    }

    static func name(_ packet: MQTTPacket) -> String {
        switch packet {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsuback: "UNSUBACK"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        }
    }
}
