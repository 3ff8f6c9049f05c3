/// Where and how an `MQTTClient` connects.
public struct MQTTConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var clientID: String
    /// A clean session: the broker forgets earlier subscriptions and queued messages.
    public var cleanSession = true
    /// Seconds between PINGREQs (and the broker's limit for silence is 1.5× this); 0 turns it off.
    public var keepAlive: UInt16 = 30
    public var username: String?
    public var password: [UInt8]?
    /// The largest frame read from the broker; a larger one closes the connection.
    public var maxPacketSize = 1 << 20
    /// How long connecting (TCP and CONNACK) may take.
    public var connectTimeout: Duration = .seconds(10)
    /// true: received QoS 1 messages are acknowledged (PUBACK) as they are handed over;
    /// false: the receiver acknowledges each with `MQTTClient.acknowledge` when it is done
    /// with it (the broker's in-flight window then limits what is buffered).
    public var acknowledgesOnDelivery = true

    public init(host: String, port: Int, clientID: String) {
        self.host = host
        self.port = port
        self.clientID = clientID
    }
}
