import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import Testing

@testable import MoteLedger

/// Exploit 8 of issue 15: a revert inside the end-of-block work must not stop the chain. Each
/// stage runs on its own; one that fails is undone, recorded and skipped.
@Suite struct EndBlockFailureTests {
    typealias Chain = StakingTests.Chain

    /// Builds the next block, corrupting `slot` of `contract` after its transactions and before
    /// the end-of-block work (no transaction can write such bytes: this stands in for a bug).
    func blockWithCorruptSlot(_ chain: Chain, contract: Address, slot: Hash32) throws -> BlockCommit {
        chain.time += 10
        let ledger = chain.ledger
        let height = ledger.head.height + 1
        let epoch = EpochTransition.epoch(ofHeight: height, ledger.genesis.parameters)
        let executed = try ledger.executeCandidates([], producer: try ledger.producers(ofEpoch: epoch)[0], timestamp: chain.time, epoch: epoch)
        try executed.state.setStorageValue(contract, slot, [0xff, 0x00, 0x01])  // not RLP
        let built = try ledger.seal(executed)
        try ledger.commit(built.commit)
        return built.commit
    }

    @Test func aFailedStageIsRecordedAndTheChainGoesOn() throws {
        let chain = try Chain()
        try chain.block()
        let fundBefore = StakingTests.uint(try chain.read(RewardingABI.address, RewardingABI.fund, [])[0])
        // The delegates of epoch 1 become unreadable in the block that ends the epoch.
        while (chain.ledger.head.height + 1) % chain.ledger.genesis.parameters.epochLength != 0 { try chain.block() }
        let commit = try blockWithCorruptSlot(chain, contract: StakingABI.address, slot: StakingBook.delegatesSlot(1))
        let height = commit.head.height
        #expect(chain.ledger.head.height == height)

        let failures = try chain.ledger.endBlockFailures(at: height)
        #expect(failures.map(\.stage) == ["delegates"])
        #expect(failures.first?.reason.contains("corrupt") == true)
        #expect(try chain.ledger.endBlockFailureSummary() == (1, height))
        // The same record through the contract's view functions, as a client reads it.
        let summary = try chain.read(StakingABI.address, StakingABI.endBlockFailureCount, [])
        #expect(summary == [.uint(1), .uint(UInt256(height))])
        let record = try chain.read(StakingABI.address, StakingABI.endBlockFailuresAt, [.uint(UInt256(height))])
        #expect(record.first == .array([.string("delegates")]))

        // Without delegates nobody was paid for the epoch, but the election still ran.
        let fundAfter = StakingTests.uint(try chain.read(RewardingABI.address, RewardingABI.fund, [])[0])
        #expect(fundBefore - fundAfter == ProtocolParameters.mote * 16 * UInt256(height - 2))
        #expect(try chain.ledger.delegates(ofEpoch: 2).count == 2)

        // The next epoch runs normally and records nothing more.
        try chain.finishEpoch()
        #expect(try chain.ledger.endBlockFailureSummary() == (1, height))
        #expect(try chain.ledger.endBlockFailures(at: chain.ledger.head.height).isEmpty)
    }

    @Test func aFailedElectionKeepsTheSeats() throws {
        let chain = try Chain()
        while (chain.ledger.head.height + 1) % chain.ledger.genesis.parameters.epochLength != 0 { try chain.block() }
        let seated = try chain.ledger.delegates(ofEpoch: 1)
        // The election reads the ranking of candidates from its root.
        let commit = try blockWithCorruptSlot(chain, contract: StakingABI.address, slot: CandidateRanking.rootSlot)
        let failures = try chain.ledger.endBlockFailures(at: commit.head.height)
        #expect(failures.map(\.stage).contains("election"))
        #expect(try chain.ledger.delegates(ofEpoch: 2).map(\.operatorAddress) == seated.map(\.operatorAddress))
        try chain.finishEpoch()
        #expect(chain.ledger.head.height == 8)
    }
}
