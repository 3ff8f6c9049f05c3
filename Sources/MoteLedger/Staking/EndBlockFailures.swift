import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// The record of end-of-block stages that reverted (`EpochTransition.endBlock`), kept in the
/// Staking contract's storage: per height, which stages failed and why, plus a count and the
/// last height, so operators and the fuzzer can see that the chain went on without them.
/// Nothing should ever be recorded here; an entry is a bug to fix, not a normal state.
public struct EndBlockFailures {
    /// A stage of the end-of-block work, by name (a contract's hook names its own stages).
    public struct Stage: RawRepresentable, Equatable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ name: String) { rawValue = name }

        static let settlement = Stage("settlement")
        static let delegates = Stage("delegates")
        static let blockReward = Stage("blockReward")
        static let epochRewards = Stage("epochRewards")
        static let election = Stage("election")
        static let electionFallback = Stage("electionFallback")
        static let witnessSnapshot = Stage("witnessSnapshot")
    }

    struct Failure: Equatable, Sendable {
        var stage: Stage
        var reason: String
    }

    let storage: ContractStorage

    init(_ context: SystemCallContext) {
        storage = ContractStorage(context: context, contract: StakingABI.address)
    }

    static let countSlot = ContractStorage.slot("endBlockFailureCount")
    static let lastHeightSlot = ContractStorage.slot("endBlockFailureLast")
    static func heightSlot(_ height: UInt64) -> Hash32 { ContractStorage.slot("endBlockFailures", height.bigEndianBytes8) }

    /// The longest reason kept (a reason can quote user data).
    static let maxReasonBytes = 256

    func record(_ failures: [Failure], height: UInt64) throws(SystemContractRevert) {
        let items: [RLPItem] = failures.map {
            .list([.bytes(Array($0.stage.rawValue.utf8)), .bytes(Array($0.reason.utf8.prefix(Self.maxReasonBytes)))])
        }
        try storage.set(Self.heightSlot(height), .list(items))
        try storage.setUInt64(Self.countSlot, try storage.uint64(Self.countSlot) &+ 1)
        try storage.setUInt64(Self.lastHeightSlot, height)
    }

    /// How many blocks recorded failures, and the last such height (0: none).
    func summary() throws(SystemContractRevert) -> (count: UInt64, lastHeight: UInt64) {
        (try storage.uint64(Self.countSlot), try storage.uint64(Self.lastHeightSlot))
    }

    /// The failures recorded at `height` (stage names and reasons; a cut reason is marked by
    /// the UTF-8 repair of its last character).
    func failures(at height: UInt64) throws(SystemContractRevert) -> [(stage: String, reason: String)] {
        guard let item = try storage.item(Self.heightSlot(height)) else { return [] }
        do {
            return try item.listValue().map { entry throws(RLPError) in
                let f = try entry.listValue()
                guard f.count == 2 else { throw RLPError.wrongShape }
                return (String(decoding: try f[0].bytesValue(), as: UTF8.self), String(decoding: try f[1].bytesValue(), as: UTF8.self))
            }
        } catch { throw SystemContractRevert("corrupt end-of-block failure record") }
    }
}
