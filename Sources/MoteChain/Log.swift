import MoteCrypto
import MotePrimitives

/// An event emitted by a transaction: the emitting address, up to four topics and data.
public struct Log: Hashable, Sendable {
    public var address: Address
    public var topics: [Hash32]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash32], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }

    /// `[address, [topics…], data]`, as in Ethereum receipts.
    var rlpItem: RLPItem { .list([.address(address), .list(topics.map { .hash($0) }), .bytes(data)]) }

    init(item: RLPItem) throws(ChainDecodingError) {
        let fields = try item.fields(3, "log")
        let address = try fields[0].address("log address")
        var topics: [Hash32] = []
        for topic in try fields[1].list("log topics") { topics.append(try topic.hash32("log topic")) }
        self.init(address: address, topics: topics, data: try fields[2].bytes("log data"))
    }
}

/// The 2048-bit logs bloom filter of Ethereum headers and receipts.
public struct Bloom: Hashable, Sendable {
    /// 256 bytes.
    public private(set) var bytes: [UInt8]

    public static let empty = Bloom()

    public init() { bytes = [UInt8](repeating: 0, count: 256) }

    /// 256 bytes, or nil.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 256 else { return nil }
        self.bytes = bytes
    }

    /// The bloom of `logs`: each address and topic sets three bits.
    public init(logs: [Log]) {
        self.init()
        for log in logs {
            add(log.address.bytes)
            for topic in log.topics { add(topic.bytes) }
        }
    }

    /// Sets the three bits Ethereum derives from keccak(`value`).
    public mutating func add(_ value: [UInt8]) {
        let hash = Keccak256.hash(value).bytes
        for i in stride(from: 0, to: 6, by: 2) {
            let bit = (Int(hash[i]) << 8 | Int(hash[i + 1])) & 2047
            bytes[255 - bit / 8] |= 1 << UInt8(bit % 8)
        }
    }

    /// Whether the three bits of `value` are all set (a maybe; never a false no).
    public func mightContain(_ value: [UInt8]) -> Bool {
        var probe = Bloom()
        probe.add(value)
        return zip(bytes, probe.bytes).allSatisfy { $0 & $1 == $1 }
    }

    /// The union of two blooms.
    public mutating func formUnion(_ other: Bloom) {
        for i in 0..<256 { bytes[i] |= other.bytes[i] }
    }
}
