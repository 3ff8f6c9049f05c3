import NIOCore

/// Delivery guarantee of a message (QoS 2 is not supported).
public enum MQTTQoS: UInt8, Sendable, Comparable {
    /// Fire and forget.
    case atMostOnce = 0
    /// Acknowledged with PUBACK; may arrive more than once.
    case atLeastOnce = 1

    public static func < (a: MQTTQoS, b: MQTTQoS) -> Bool { a.rawValue < b.rawValue }
}

/// An application message, received or to send.
public struct MQTTMessage: Equatable, Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    /// Set on received QoS 1 messages: the id to acknowledge (see `MQTTClient.acknowledge`).
    public var packetID: UInt16?
    /// The broker says it may have sent this message before.
    public var duplicate: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false, packetID: UInt16? = nil, duplicate: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.packetID = packetID
        self.duplicate = duplicate
    }
}

/// What CONNECT carries.
public struct MQTTConnect: Equatable, Sendable {
    public var clientID: String
    public var cleanSession: Bool
    /// Seconds; 0 turns keepalive off.
    public var keepAlive: UInt16
    public var username: String?
    public var password: [UInt8]?

    public init(clientID: String, cleanSession: Bool = true, keepAlive: UInt16 = 60, username: String? = nil, password: [UInt8]? = nil) {
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.username = username
        self.password = password
    }
}

/// The MQTT 3.1.1 control packets a client sends or receives (QoS 2 flow packets are decoded
/// only to be refused).
public enum MQTTPacket: Equatable, Sendable {
    case connect(MQTTConnect)
    case connack(sessionPresent: Bool, returnCode: UInt8)
    case publish(MQTTMessage)
    case puback(packetID: UInt16)
    case pubrec(packetID: UInt16)
    case pubrel(packetID: UInt16)
    case pubcomp(packetID: UInt16)
    case subscribe(packetID: UInt16, filters: [(String, MQTTQoS)])
    case suback(packetID: UInt16, returnCodes: [UInt8])
    case unsubscribe(packetID: UInt16, filters: [String])
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    public static func == (a: MQTTPacket, b: MQTTPacket) -> Bool {
        switch (a, b) {
        case (.subscribe(let i, let f), .subscribe(let j, let g)):
            i == j && f.map(\.0) == g.map(\.0) && f.map(\.1) == g.map(\.1)
        case (.connect(let x), .connect(let y)): x == y
        case (.connack(let s, let c), .connack(let t, let d)): s == t && c == d
        case (.publish(let x), .publish(let y)): x == y
        case (.puback(let i), .puback(let j)), (.pubrec(let i), .pubrec(let j)), (.pubrel(let i), .pubrel(let j)),
            (.pubcomp(let i), .pubcomp(let j)), (.unsuback(let i), .unsuback(let j)):
            i == j
        case (.suback(let i, let c), .suback(let j, let d)): i == j && c == d
        case (.unsubscribe(let i, let f), .unsubscribe(let j, let g)): i == j && f == g
        case (.pingreq, .pingreq), (.pingresp, .pingresp), (.disconnect, .disconnect): true
        default: false
        }
    }
}

// MARK: Encoding

extension MQTTPacket {
    /// Appends the packet's frame to `buffer`. Callers check topics and sizes first
    /// (`MQTTClient` does); lengths over the protocol's limits are a programming error.
    public func write(to buffer: inout ByteBuffer) {
        var body = ByteBuffer()
        let header: UInt8
        switch self {
        case .connect(let connect):
            header = 0x10
            body.writeMQTTString("MQTT")
            body.writeInteger(UInt8(4))
            var flags: UInt8 = connect.cleanSession ? 0x02 : 0
            if connect.username != nil { flags |= 0x80 }
            if connect.password != nil { flags |= 0x40 }
            body.writeInteger(flags)
            body.writeInteger(connect.keepAlive)
            body.writeMQTTString(connect.clientID)
            if let username = connect.username { body.writeMQTTString(username) }
            if let password = connect.password {
                body.writeInteger(UInt16(password.count))
                body.writeBytes(password)
            }
        case .connack(let sessionPresent, let returnCode):
            header = 0x20
            body.writeInteger(UInt8(sessionPresent ? 1 : 0))
            body.writeInteger(returnCode)
        case .publish(let message):
            header = 0x30 | (message.duplicate ? 0x08 : 0) | (message.qos.rawValue << 1) | (message.retain ? 0x01 : 0)
            body.writeMQTTString(message.topic)
            if message.qos != .atMostOnce { body.writeInteger(message.packetID ?? 0) }
            body.writeBytes(message.payload)
        case .puback(let id): header = 0x40; body.writeInteger(id)
        case .pubrec(let id): header = 0x50; body.writeInteger(id)
        case .pubrel(let id): header = 0x62; body.writeInteger(id)
        case .pubcomp(let id): header = 0x70; body.writeInteger(id)
        case .subscribe(let id, let filters):
            header = 0x82
            body.writeInteger(id)
            for (filter, qos) in filters {
                body.writeMQTTString(filter)
                body.writeInteger(qos.rawValue)
            }
        case .suback(let id, let codes):
            header = 0x90
            body.writeInteger(id)
            body.writeBytes(codes)
        case .unsubscribe(let id, let filters):
            header = 0xA2
            body.writeInteger(id)
            for filter in filters { body.writeMQTTString(filter) }
        case .unsuback(let id): header = 0xB0; body.writeInteger(id)
        case .pingreq: header = 0xC0
        case .pingresp: header = 0xD0
        case .disconnect: header = 0xE0
        }
        buffer.writeInteger(header)
        buffer.writeMQTTRemainingLength(body.readableBytes)
        buffer.writeBuffer(&body)
    }

    /// The packet's frame.
    public var frame: [UInt8] {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// The largest remaining length a 4-byte varint can say.
    public static let maxRemainingLength = 268_435_455
}

extension ByteBuffer {
    mutating func writeMQTTString(_ text: String) {
        writeInteger(UInt16(text.utf8.count))
        writeString(text)
    }

    mutating func writeMQTTRemainingLength(_ length: Int) {
        var value = length
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while value > 0
    }
}
