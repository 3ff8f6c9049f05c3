import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives

/// One event of a system contract read back from a node's receipt or `eth_getLogs`.
struct DecodedLog {
    /// The indexed values, as topics (the event's signature hash not included).
    let topics: [Hash32]
    /// The values that are not indexed, decoded.
    let values: [ABIValue]

    /// An indexed value that is an integer of 64 bits (a bucket id).
    func uint64Topic(_ index: Int) -> UInt64? {
        guard index < topics.count, let value = UInt256(bigEndian: topics[index].bytes) else { return nil }
        return value.uint64
    }

    /// A value that is not indexed, as an unsigned integer.
    func uint(_ index: Int) -> UInt256? { index < values.count ? values[index].uintValue : nil }
}

extension JSON {
    /// The logs of `event` emitted by `contract` in this receipt, decoded; logs that do not
    /// decode are left out.
    func logs(of event: SystemEvent, from contract: Address) -> [DecodedLog] {
        let dataTypes = event.abi.parameters.filter { !$0.indexed }.map(\.type)
        var out: [DecodedLog] = []
        for log in self["logs"]?.arrayValue ?? [] {
            guard let address = log["address"]?.stringValue, (try? Address(hex: address)) == contract,
                let topics = log["topics"]?.arrayValue?.compactMap({ $0.stringValue.flatMap { try? Hash32(hex: $0) } }),
                topics.first == event.abi.topic0, let dataText = log["data"]?.stringValue, let data = try? Hex.decode(dataText),
                let values = try? ABI.decode(dataTypes, from: data)
            else { continue }
            out.append(DecodedLog(topics: Array(topics.dropFirst()), values: values))
        }
        return out
    }
}
