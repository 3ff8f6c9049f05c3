import MotePrimitives

/// The delegates that produce and sign blocks at one height, in producer order.
///
/// Every delegate weighs 1. The order is taken as given: choosing and shuffling the epoch's
/// producers happens elsewhere (the epoch schedule); this type only rotates through them.
public struct ValidatorSet: Hashable, Sendable {
    /// The delegates in producer order.
    public let producers: [Address]
    private let indexByAddress: [Address: Int]

    /// A set of distinct delegates; throws for an empty list or a repeated address.
    public init(_ producers: [Address]) throws(ConsensusError) {
        guard !producers.isEmpty else { throw ConsensusError(.malformed("validator set: no delegates")) }
        var index: [Address: Int] = [:]
        for (i, address) in producers.enumerated() {
            guard index.updateValue(i, forKey: address) == nil else {
                throw ConsensusError(.duplicateSigner("delegate \(address) listed twice"))
            }
        }
        self.producers = producers
        self.indexByAddress = index
    }

    /// The number of delegates.
    public var count: Int { producers.count }

    /// The smallest number of delegates that is more than 2/3 of the set (2f+1 for n = 3f+1).
    public var quorum: Int { count * 2 / 3 + 1 }

    /// The smallest number of delegates that is more than 1/3 of the set (f+1): at least one
    /// of them is honest.
    public var oneThirdPlus: Int { count / 3 + 1 }

    /// True when `address` is one of the delegates.
    public func contains(_ address: Address) -> Bool { indexByAddress[address] != nil }

    /// The position of `address` in producer order.
    public func index(of address: Address) -> Int? { indexByAddress[address] }

    /// The proposer of `(height, round)`: `producers[(height + round) % count]`.
    public func proposer(height: UInt64, round: UInt32) -> Address {
        let n = UInt64(count)
        return producers[Int((height % n + UInt64(round) % n) % n)]
    }

    public static func == (a: ValidatorSet, b: ValidatorSet) -> Bool { a.producers == b.producers }
    public func hash(into hasher: inout Hasher) { hasher.combine(producers) }
}
