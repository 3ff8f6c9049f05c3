import MoteChain
import MoteContracts
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// The Staking contract's bucket logs read back from a node with `eth_getLogs`.
enum StakingLogs {
    /// Blocks asked for at once: the node's default `max_log_range`.
    static let chunk: UInt64 = 10_000

    /// The events that change buckets, which `VoterPayouts` replays.
    static let topics: [Hash32] = [
        StakingABI.stakeCreated.abi.topic0, StakingABI.stakeChanged.abi.topic0, StakingABI.unstaked.abi.topic0,
        StakingABI.withdrawn.abi.topic0,
    ]

    /// Every bucket log in blocks 0…`last`, in chain order. Ranges go in chunks of at most
    /// 10,000 blocks, halved whenever the node answers that a limit was passed (-32005).
    static func read(_ client: RPCClient, upTo last: UInt64) throws(TransactionSender.Failure) -> [VoterPayouts.Entry] {
        var entries: [(height: UInt64, index: UInt64, log: Log)] = []
        var from: UInt64 = 0
        var span = chunk
        while from <= last {
            let to = min(last, from + span - 1)
            let filter: JSON = .object([
                "fromBlock": .string("0x" + String(from, radix: 16)), "toBlock": .string("0x" + String(to, radix: 16)),
                "address": .string(StakingABI.address.hex), "topics": .array([.array(topics.map { .string($0.hex) })]),
            ])
            let answer: JSON
            do { answer = try client.call("eth_getLogs", [filter]) } catch {
                if case .refused(code: -32005, _) = error.kind, span > 1 {
                    span /= 2
                    continue
                }
                throw TransactionSender.Failure(description: error.description)
            }
            guard let logs = answer.arrayValue else {
                throw TransactionSender.Failure(description: "the node answered eth_getLogs with \(answer.text.prefix(200))")
            }
            for item in logs {
                guard let height = item["blockNumber"]?.quantity64, let index = item["logIndex"]?.quantity64,
                    let address = item["address"]?.stringValue.flatMap({ try? Address(hex: $0) }),
                    let topics = item["topics"]?.arrayValue?.compactMap({ $0.stringValue.flatMap { try? Hash32(hex: $0) } }),
                    let data = item["data"]?.stringValue.flatMap({ try? Hex.decode($0) })
                else { throw TransactionSender.Failure(description: "the node answered eth_getLogs with a log it cannot read: \(item.text.prefix(200))") }
                entries.append((height, index, Log(address: address, topics: topics, data: data)))
            }
            if to == last { break }
            from = to + 1
        }
        entries.sort { a, b in a.height != b.height ? a.height < b.height : a.index < b.index }
        return entries.map { VoterPayouts.Entry(height: $0.height, log: $0.log) }
    }
}
