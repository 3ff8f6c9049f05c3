import Foundation
import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestSupport
import MoteTransactions
import Testing

@testable import MoteLedger

/// Vote weights in fixed point.
@Suite struct VoteWeightTests {
    @Test func logarithmsMatchFloatingPointTo15Digits() {
        for n: UInt64 in [1, 2, 3, 7, 10, 91, 365, 1_000, 2_100, 1 << 40, UInt64.max] {
            let fixed = Double(VoteWeight.ln(n).description)! / 1e18
            #expect(abs(fixed - Foundation.log(Double(n))) <= 1e-14 * max(1, Foundation.log(Double(n))), "ln \(n)")
        }
        #expect(abs(Double(VoteWeight.ln12.description)! / 1e18 - Foundation.log(1.2)) < 1e-15)
    }

    @Test func multiplierFollowsTheIoTeXFormula() {
        #expect(VoteWeight.multiplier(days: 0, autoStake: false) == VoteWeight.one)
        #expect(VoteWeight.multiplier(days: 0, autoStake: true) == VoteWeight.one)
        #expect(VoteWeight.multiplier(days: 1, autoStake: false) == VoteWeight.one)  // ln 1 = 0
        for (days, auto) in [(1, true), (7, false), (91, true), (365, false), (1_050, true)] as [(UInt32, Bool)] {
            let expected = 1 + Foundation.log(Double(days) * (auto ? 2 : 1)) / Foundation.log(1.2) / 100
            let fixed = Double(VoteWeight.multiplier(days: days, autoStake: auto).description)! / 1e18
            #expect(abs(fixed - expected) < 1e-14, "\(days) days auto=\(auto)")
        }
        // 91 days with auto-stake: 1 + ln 182 / ln 1.2 / 100 ≈ 1.2854.
        let mote = ProtocolParameters.mote
        let votes = VoteWeight.votes(amount: mote * 100, days: 91, autoStake: true, selfStake: false, selfStakeBonusPercent: 6)
        #expect(votes > mote * 128 && votes < mote * 129)
        let selfVotes = VoteWeight.votes(amount: mote * 100, days: 91, autoStake: true, selfStake: true, selfStakeBonusPercent: 6)
        #expect(selfVotes == votes * 106 / 100)
    }
}

/// Candidates, buckets, elections, rewards, probation and slashing on a real ledger.
@Suite struct StakingTests {
    static let mote = ProtocolParameters.mote
    static let keys = (1...6).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "staking test key \($0)").bytes) }
    static let genesisOperators = (1...2).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "genesis operator \($0)").bytes) }

    /// `owner`'s `OperatorProof` for `op`, signed with op's key when a test knows it (else empty).
    static func operatorProof(_ op: Address, for owner: Secp256k1.PrivateKey) -> ABIValue {
        guard op != owner.address, let key = (keys + genesisOperators).first(where: { $0.address == op }) else { return .bytes([]) }
        return .bytes(OperatorProof.proof(by: key, chainID: 4_689, owner: owner.address))
    }
    static let genesisRewards = (1...2).map { Address(suffixOf: Keccak256.hash(utf8: "genesis reward \($0)")) }
    static let fund = mote * 1_000_000

    static func parameters() -> ProtocolParameters {
        var p = ProtocolParameters()
        p.epochLength = 4
        p.numDelegates = 2
        p.numCandidateDelegates = 2
        p.secondsPerDay = 10
        p.withdrawWaitingDays = 2
        p.minSelfStake = UInt256Text(mote * 1_000)
        p.minStakeAmount = UInt256Text(mote * 10)
        p.registrationFee = UInt256Text(mote * 100)
        p.blockReward = UInt256Text(mote * 16)
        p.epochReward = UInt256Text(mote * 1_000)
        p.foundationBonus = UInt256Text(mote * 80)
        p.foundationBonusDelegates = 1
        p.probationEpochs = 2
        return p
    }

    static func genesis(_ p: ProtocolParameters = parameters()) -> Genesis {
        Genesis(
            chainID: 4_689, timestamp: 1_000, gasLimit: 30_000_000, baseFee: 1_000_000_000,
            allocations: keys.map { ($0.address, mote * 100_000) } + [(RewardingABI.address, fund)],
            delegates: (0..<2).map {
                Genesis.Delegate(name: "genesis-\($0)", operatorAddress: genesisOperators[$0].address, rewardAddress: genesisRewards[$0])
            },
            parameters: p)
    }

    /// A ledger and a clock: each block is 10 s (one staking "day") after the last.
    final class Chain {
        let ledger: Ledger
        var nonces: [Address: UInt64] = [:]
        var time: UInt64 = 1_000

        init(_ genesis: Genesis = StakingTests.genesis()) throws { ledger = try Ledger(store: InMemoryChainStore(), genesis: genesis) }

        /// Builds and commits one block with `txs` (all must succeed unless `allowFailure`), produced by `producer`
        /// (default: the first producer of the epoch in proposer order).
        @discardableResult
        func block(_ txs: [SignedTransaction] = [], producer: Address? = nil, allowFailure: Bool = false) throws -> [Receipt] {
            time += 10
            let height = ledger.head.height + 1
            let epoch = EpochTransition.epoch(ofHeight: height, ledger.genesis.parameters)
            let who = try producer ?? ledger.producers(ofEpoch: epoch)[0]
            let built = try ledger.buildBlock(candidates: txs, producer: who, timestamp: time, epoch: epoch)
            #expect(built.excluded.isEmpty, "\(built.excluded.map(\.reason))")
            try ledger.commit(built.commit)
            if !allowFailure {
                for receipt in built.commit.receipts { #expect(receipt.succeeded, "\(receipt.failureReason ?? "")") }
            }
            return built.commit.receipts
        }

        func call(_ key: Secp256k1.PrivateKey, _ contract: Address, _ function: SystemFunction, _ args: [ABIValue], value: UInt256 = .zero) throws -> SignedTransaction {
            let nonce = nonces[key.address, default: 0]
            nonces[key.address] = nonce + 1
            return Transaction.dynamicFee(
                chainID: 4_689, nonce: nonce, maxPriorityFeePerGas: 0, maxFeePerGas: 10_000_000_000, gasLimit: 2_000_000,
                to: contract, value: value, data: try function.abi.encodeCall(args)
            ).signed(with: key)
        }

        func staking(_ key: Secp256k1.PrivateKey, _ function: SystemFunction, _ args: [ABIValue], value: UInt256 = .zero) throws -> SignedTransaction {
            try call(key, StakingABI.address, function, args, value: value)
        }

        func read(_ contract: Address, _ function: SystemFunction, _ args: [ABIValue]) throws -> [ABIValue] {
            try function.abi.decodeOutput(try ledger.call(from: .zero, to: contract, data: try function.abi.encodeCall(args)).get())
        }

        func balance(_ address: Address) throws -> UInt256 { try ledger.account(address).balance }

        /// Blocks until the head is the last block of its epoch.
        func finishEpoch(producer: Address? = nil) throws {
            repeat { try block(producer: producer) } while ledger.head.height % ledger.genesis.parameters.epochLength != 0
        }
    }

    static func uint(_ value: ABIValue) -> UInt256 {
        if case .uint(let v) = value { return v }
        return .zero
    }

    @Test func bucketsLifecycleFollowsMaturityAndWaitingPeriod() throws {
        let chain = try Chain()
        let (owner, voter) = (Self.keys[0], Self.keys[1])
        let operatorKey = Self.keys[2]
        let fee = Self.mote * 100
        try chain.block([
            try chain.staking(owner, StakingABI.registerCandidate, [
                .string("alpha"), .address(operatorKey.address), .address(owner.address), .uint(7), .bool(false), .uint(5_000),
                Self.operatorProof(operatorKey.address, for: owner),
            ], value: fee + Self.mote * 2_000),
        ])
        // The fee went into the fund; one block reward came out of it.
        #expect(try chain.read(RewardingABI.address, RewardingABI.fund, []) == [.uint(Self.fund + fee - Self.mote * 16)])
        try chain.block([try chain.staking(voter, StakingABI.createStake, [.string("alpha"), .uint(3), .bool(false)], value: Self.mote * 500)])
        let candidate = try chain.read(StakingABI.address, StakingABI.candidateByName, [.string("alpha")])
        let expectedVotes = VoteWeight.votes(amount: Self.mote * 2_000, days: 7, autoStake: false, selfStake: true, selfStakeBonusPercent: 6)
            + VoteWeight.votes(amount: Self.mote * 500, days: 3, autoStake: false, selfStake: false, selfStakeBonusPercent: 6)
        #expect(Self.uint(candidate[6]) == expectedVotes)
        #expect(try chain.read(StakingABI.address, StakingABI.bucketsOf, [.address(voter.address)]) == [.array([.uint(1)])])

        // Too early: 3 days are 30 s of block time; one block has passed.
        var receipts = try chain.block([try chain.staking(voter, StakingABI.unstake, [.uint(1)])], allowFailure: true)
        #expect(receipts[0].failureReason?.contains("matures at block time") == true)
        try chain.block()
        try chain.block()
        try chain.block([try chain.staking(voter, StakingABI.unstake, [.uint(1)])])
        #expect(Self.uint(try chain.read(StakingABI.address, StakingABI.bucket, [.uint(1)])[8]) == .zero)
        receipts = try chain.block([try chain.staking(voter, StakingABI.withdrawStake, [.uint(1)])], allowFailure: true)
        #expect(receipts[0].failureReason?.contains("can be withdrawn at") == true)
        let before = try chain.balance(voter.address)
        try chain.block([try chain.staking(voter, StakingABI.withdrawStake, [.uint(1)])])
        #expect(try chain.balance(voter.address) > before + Self.mote * 499)
        #expect(try chain.read(StakingABI.address, StakingABI.bucketsOf, [.address(voter.address)]) == [.array([])])
        // The candidate keeps its own votes only.
        let after = try chain.read(StakingABI.address, StakingABI.candidateByName, [.string("alpha")])
        #expect(Self.uint(after[6]) == VoteWeight.votes(amount: Self.mote * 2_000, days: 7, autoStake: false, selfStake: true, selfStakeBonusPercent: 6))
    }

    @Test func badStakingCallsRevertWithReasons() throws {
        let chain = try Chain()
        let (a, b) = (Self.keys[0], Self.keys[1])
        let fee = Self.mote * 100
        let reasons = try chain.block([
            try chain.staking(a, StakingABI.registerCandidate, [.string("Bad Name"), .address(a.address), .address(a.address), .uint(0), .bool(false), .uint(0), Self.operatorProof(a.address, for: a)], value: fee + Self.mote * 2_000),
            try chain.staking(a, StakingABI.registerCandidate, [.string("ok"), .address(a.address), .address(a.address), .uint(0), .bool(false), .uint(0), Self.operatorProof(a.address, for: a)], value: fee + Self.mote),
            try chain.staking(a, StakingABI.registerCandidate, [.string("ok"), .address(a.address), .address(a.address), .uint(5_000), .bool(false), .uint(0), Self.operatorProof(a.address, for: a)], value: fee + Self.mote * 2_000),
            try chain.staking(b, StakingABI.createStake, [.string("nobody"), .uint(1), .bool(false)], value: Self.mote * 100),
            try chain.staking(b, StakingABI.unstake, [.uint(99)]),
            try chain.staking(b, StakingABI.createStake, [.string("ok"), .uint(1), .bool(false)], value: Self.mote * 100),
            try chain.staking(a, StakingABI.candidateCount, []),
        ], allowFailure: true).map { $0.failureReason ?? "ok" }
        #expect(reasons[0].contains("candidate names are 1 to 20"))
        #expect(reasons[1].contains("below the minimum"))
        #expect(reasons[2].contains("duration is at most 1050 days"))
        #expect(reasons[3] == "no candidate named nobody")
        #expect(reasons[4] == "no bucket 99")
        #expect(reasons[5] == "no candidate named ok")
        #expect(reasons[6].contains("is not payable") == false)
    }

    @Test func electionRanksCandidatesAndFillsSeatsWithGenesisDelegates() throws {
        let chain = try Chain()
        let ledger = chain.ledger
        let genesisOps = Self.genesisOperators.map(\.address)
        #expect(try Set(ledger.delegates(ofEpoch: 1).map(\.operatorAddress)) == Set(genesisOps))
        let fee = Self.mote * 100
        let (a, b) = (Self.keys[0], Self.keys[1])
        try chain.block([
            try chain.staking(a, StakingABI.registerCandidate, [.string("alpha"), .address(Self.keys[3].address), .address(a.address), .uint(0), .bool(false), .uint(1_000), Self.operatorProof(Self.keys[3].address, for: a)], value: fee + Self.mote * 1_000),
        ])
        try chain.finishEpoch()
        // One candidate qualifies: it takes the first seat, a genesis delegate the other.
        let second = try ledger.delegates(ofEpoch: 2)
        #expect(second.count == 2)
        #expect(second[0].operatorAddress == Self.keys[3].address)
        #expect(second[0].votes == Self.mote * 1_060)
        #expect(genesisOps.contains(second[1].operatorAddress))
        #expect(Set(try ledger.producers(ofEpoch: 2)) == Set(second.map(\.operatorAddress)))

        // A second candidate with more votes ranks first; the genesis delegates are out.
        try chain.block([
            try chain.staking(b, StakingABI.registerCandidate, [.string("beta"), .address(Self.keys[4].address), .address(b.address), .uint(0), .bool(false), .uint(0), Self.operatorProof(Self.keys[4].address, for: b)], value: fee + Self.mote * 3_000),
        ], producer: try ledger.producers(ofEpoch: 2)[0])
        try chain.finishEpoch(producer: try ledger.producers(ofEpoch: 2)[0])
        let third = try ledger.delegates(ofEpoch: 3)
        #expect(third.map(\.operatorAddress) == [Self.keys[4].address, Self.keys[3].address])
        #expect(try chain.read(StakingABI.address, StakingABI.delegatesOf, [.uint(3)])[0]
            == .array([.address(Self.keys[4].address), .address(Self.keys[3].address)]))
    }

    @Test func rewardsAccrueAreClaimedAndConserveSupply() throws {
        let chain = try Chain()
        let ledger = chain.ledger
        let supply = ledger.head.totalSupply
        let producer = Self.genesisOperators[0].address
        try chain.finishEpoch(producer: producer)  // 4 blocks by one producer: the other is unproductive
        let p = ledger.genesis.parameters
        let rewards = try chain.read(RewardingABI.address, RewardingABI.epochRewards, [.uint(1), .address(Self.genesisRewards[0])])
        #expect(rewards == [.uint(p.blockReward.value * 4), .uint(p.epochReward.value / 2), .uint(p.foundationBonus.value)])
        // The other delegate made no block: no epoch reward, on probation until epoch 1 + 2.
        let idle = try chain.read(RewardingABI.address, RewardingABI.epochRewards, [.uint(1), .address(Self.genesisRewards[1])])
        #expect(idle == [.uint(0), .uint(0), .uint(0)])
        let owed = p.blockReward.value * 4 + p.epochReward.value / 2 + p.foundationBonus.value
        #expect(try chain.read(RewardingABI.address, RewardingABI.unclaimed, [.address(Self.genesisRewards[0])]) == [.uint(owed)])
        #expect(try chain.read(RewardingABI.address, RewardingABI.fund, []) == [.uint(Self.fund - owed)])
        _ = chain

        // Anyone may claim for a reward address; the MOTE goes to the reward address.
        let claimer = Self.keys[5]
        let receipts = try chain.block([try chain.call(claimer, RewardingABI.address, RewardingABI.claimFor, [.address(Self.genesisRewards[0]), .uint(0)])])
        #expect(receipts[0].logs.count == 1)
        #expect(try chain.balance(Self.genesisRewards[0]) == owed)
        // Supply: only base fees were burned; rewards moved, nothing was minted.
        #expect(ledger.head.totalSupply == supply - ledger.head.burned)
        #expect(ledger.head.minted == .zero)
        var sum = UInt256.zero
        try ledger.store.forEachAccount { _, account in sum += account.balance }
        #expect(sum == ledger.head.totalSupply)
    }

    @Test func probationDiscountsVotesAndSlashingTakesSelfStake() throws {
        let chain = try Chain()
        let ledger = chain.ledger
        let fee = Self.mote * 100
        let (a, b) = (Self.keys[0], Self.keys[1])
        let (opA, opB) = (Self.keys[2], Self.keys[3])
        try chain.block([
            try chain.staking(a, StakingABI.registerCandidate, [.string("alpha"), .address(opA.address), .address(a.address), .uint(0), .bool(false), .uint(0), Self.operatorProof(opA.address, for: a)], value: fee + Self.mote * 5_000),
            try chain.staking(b, StakingABI.registerCandidate, [.string("beta"), .address(opB.address), .address(b.address), .uint(0), .bool(false), .uint(0), Self.operatorProof(opB.address, for: b)], value: fee + Self.mote * 2_000),
        ])
        try chain.finishEpoch()
        #expect(try ledger.delegates(ofEpoch: 2).map(\.operatorAddress) == [opA.address, opB.address])
        // In epoch 2 only beta produces: alpha goes on probation and loses 90 % of its votes.
        try chain.finishEpoch(producer: opB.address)
        let third = try ledger.delegates(ofEpoch: 3)
        #expect(third.map(\.operatorAddress) == [opB.address, opA.address])
        #expect(third[1].votes == Self.mote * 5_300 / 10)
        let alpha = try chain.read(StakingABI.address, StakingABI.candidateByName, [.string("alpha")])
        #expect(alpha[8] == .uint(4))

        // Double signing by alpha's operator at a height of epoch 3: 10 % of its self-stake,
        // half of that to the reporter, half to the fund.
        let height = ledger.head.height + 1
        let v1 = Vote(kind: .precommit, height: height, round: 0, blockHash: Keccak256.hash(utf8: "x"), chainID: 4_689, signingWith: opA)
        let v2 = Vote(kind: .precommit, height: height, round: 0, blockHash: Keccak256.hash(utf8: "y"), chainID: 4_689, signingWith: opA)
        let evidence = try DoubleSignEvidence(v1, v2).encoded()
        let reporter = Self.keys[5]
        let before = try chain.balance(reporter.address)
        let receipts = try chain.block([try chain.staking(reporter, StakingABI.reportDoubleSign, [.bytes(evidence)])], producer: opB.address)
        #expect(receipts[0].logs.count == 1)
        let slashed = Self.mote * 500
        #expect(try chain.balance(reporter.address) + UInt256(receipts[0].gasUsed) * receipts[0].effectiveGasPrice == before + slashed / 2)
        #expect(Self.uint(try chain.read(StakingABI.address, StakingABI.candidateByName, [.string("alpha")])[5]) == Self.mote * 4_500)
        // The same offence counts once.
        let again = try chain.block([try chain.staking(reporter, StakingABI.reportDoubleSign, [.bytes(evidence)])], producer: opB.address, allowFailure: true)
        #expect(again[0].failureReason == "\(opA.address.checksummed) was already slashed for height \(height)")
    }

    @Test func payoutsReportAddsUpToTheDeclaredShare() throws {
        let chain = try Chain()
        let ledger = chain.ledger
        let fee = Self.mote * 100
        let (owner, v1, v2) = (Self.keys[0], Self.keys[1], Self.keys[2])
        let op = Self.keys[3]
        try chain.block([
            try chain.staking(owner, StakingABI.registerCandidate, [.string("alpha"), .address(op.address), .address(owner.address), .uint(0), .bool(false), .uint(4_000), Self.operatorProof(op.address, for: owner)], value: fee + Self.mote * 1_000),
        ])
        try chain.block([
            try chain.staking(v1, StakingABI.createStake, [.string("alpha"), .uint(0), .bool(false)], value: Self.mote * 300),
            try chain.staking(v2, StakingABI.createStake, [.string("alpha"), .uint(30), .bool(true)], value: Self.mote * 100),
        ])
        try chain.finishEpoch()
        try chain.finishEpoch(producer: op.address)
        var entries: [VoterPayouts.Entry] = []
        for height in 1...ledger.head.height {
            for receipt in try #require(try ledger.store.receipts(atHeight: height)) {
                entries += receipt.logs.map { VoterPayouts.Entry(height: height, log: $0) }
            }
        }
        let report = try VoterPayouts.report(
            entries: entries, candidate: owner.address, selfStakeBucket: 0, voterShareBps: 4_000, epochs: 2...2,
            rewards: { epoch in
                let r = try chain.read(RewardingABI.address, RewardingABI.epochRewards, [.uint(UInt256(epoch)), .address(owner.address)])
                return Self.uint(r[0]) + Self.uint(r[1]) + Self.uint(r[2])
            }, parameters: ledger.genesis.parameters)
        let epoch = try #require(report.first)
        #expect(epoch.rewards > .zero)
        #expect(epoch.voterShare == epoch.rewards * 4_000 / 10_000)
        #expect(epoch.payouts.count == 2)
        #expect(epoch.payouts.reduce(UInt256.zero) { $0 + $1.amount } == epoch.voterShare)
        let votes1 = Self.mote * 300
        let votes2 = VoteWeight.votes(amount: Self.mote * 100, days: 30, autoStake: true, selfStake: false, selfStakeBonusPercent: 6)
        #expect(epoch.payouts[0].owner == v1.address)
        #expect(epoch.payouts[0].votes == votes1)
        #expect(epoch.payouts[1].amount == epoch.voterShare * votes2 / (votes1 + votes2))
    }
}
