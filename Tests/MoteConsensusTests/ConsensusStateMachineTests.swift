import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// The Tendermint rules one event at a time, from the point of view of node 0 of 4.
@Suite struct ConsensusStateMachineTests {
    static let keys = (0..<4).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "machine test \($0)").bytes) }
    static let validators = try! ValidatorSet(keys.map(\.address))
    static let config = ConsensusConfig(chainID: 7)
    static let blockB = Keccak256.hash(utf8: "B"), blockC = Keccak256.hash(utf8: "C")

    static func key(proposerOf round: UInt32, height: UInt64 = 1) -> Secp256k1.PrivateKey {
        keys[validators.index(of: validators.proposer(height: height, round: round))!]
    }

    static func proposal(_ block: Hash32, round: UInt32, pol: UInt32? = nil) -> Proposal {
        Proposal(height: 1, round: round, blockHash: block, polRound: pol, chainID: 7, signingWith: key(proposerOf: round))
    }

    static func vote(_ kind: VoteKind, _ block: Hash32?, round: UInt32, by i: Int) -> Vote {
        Vote(kind: kind, height: 1, round: round, blockHash: block, chainID: 7, signingWith: keys[i])
    }

    static func signed(_ actions: [ConsensusStateMachine.Action]) -> [Vote] {
        actions.compactMap { if case .broadcastVote(let v) = $0 { v } else { nil } }
    }

    static func logged(_ actions: [ConsensusStateMachine.Action]) -> [WALRecord] {
        actions.compactMap { if case .writeAheadLog(let r) = $0 { r } else { nil } }
    }

    /// Node 0 (not the round-0 proposer) after `start(1)`, with B proposed and judged valid.
    static func machineWithProposal(_ block: Hash32 = blockB) -> (ConsensusStateMachine, [ConsensusStateMachine.Action]) {
        var m = ConsensusStateMachine(config: config, validators: validators, key: keys[0])
        _ = m.handle(.start(height: 1))
        let asked = m.handle(.proposalReceived(proposal(block, round: 0)))
        #expect(asked.contains(.validateBlock(height: 1, blockHash: block)))
        let actions = m.handle(.blockValidated(height: 1, blockHash: block, isValid: true))
        return (m, actions)
    }

    @Test func prevotesAValidProposalAndLogsBeforeBroadcast() {
        let (m, actions) = Self.machineWithProposal()
        #expect(m.step == .prevote)
        let walIndex = actions.firstIndex { if case .writeAheadLog = $0 { true } else { false } }
        let sendIndex = actions.firstIndex { if case .broadcastVote = $0 { true } else { false } }
        #expect(walIndex != nil && sendIndex != nil && walIndex! < sendIndex!)
        #expect(Self.signed(actions).map(\.blockHash) == [Self.blockB])
    }

    @Test func invalidProposalGetsANilPrevote() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        _ = m.handle(.proposalReceived(Self.proposal(Self.blockB, round: 0)))
        let actions = m.handle(.blockValidated(height: 1, blockHash: Self.blockB, isValid: false))
        #expect(Self.signed(actions).map(\.blockHash) == [nil])
    }

    @Test func proposalFromTheWrongProposerIsIgnored() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        let forged = Proposal(height: 1, round: 0, blockHash: Self.blockB, polRound: nil, chainID: 7, signingWith: Self.key(proposerOf: 1))
        #expect(m.handle(.proposalReceived(forged)).isEmpty)
    }

    @Test func polkaLocksAndPrecommits_thenLockedNodeRejectsAnotherBlock() {
        var (m, _) = Self.machineWithProposal()
        var actions: [ConsensusStateMachine.Action] = []
        for i in 1...2 { actions += m.handle(.voteReceived(Self.vote(.prevote, Self.blockB, round: 0, by: i))) }
        #expect(m.step == .precommit)
        #expect(m.lockedValue == Self.blockB && m.lockedRound == 0)
        #expect(Self.signed(actions).map(\.kind) == [.precommit])
        // Precommits for nil from the others: timeout, next round, a fresh proposal for C.
        for i in 1...2 { _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 0, by: i))) }
        _ = m.handle(.timeout(.init(height: 1, round: 0, step: .precommit)))
        #expect(m.round == 1 && m.step == .propose)
        _ = m.handle(.proposalReceived(Self.proposal(Self.blockC, round: 1)))
        actions = m.handle(.blockValidated(height: 1, blockHash: Self.blockC, isValid: true))
        #expect(Self.signed(actions).map(\.blockHash) == [nil], "locked on B, so no prevote for C without a later polka")
        #expect(m.lockedValue == Self.blockB)
    }

    @Test func proofOfLockFromALaterRoundUnlocks() {
        var (m, _) = Self.machineWithProposal()
        for i in 1...2 { _ = m.handle(.voteReceived(Self.vote(.prevote, Self.blockB, round: 0, by: i))) }
        #expect(m.lockedRound == 0)
        for i in 1...2 { _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 0, by: i))) }
        _ = m.handle(.timeout(.init(height: 1, round: 0, step: .precommit)))
        // Round 1: C got 2/3 prevotes (we missed its proposal); round 2 re-proposes C with POL 1.
        for i in 1...3 { _ = m.handle(.voteReceived(Self.vote(.prevote, Self.blockC, round: 1, by: i))) }
        _ = m.handle(.timeout(.init(height: 1, round: 1, step: .propose)))
        for i in 1...3 { _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 1, by: i))) }
        _ = m.handle(.timeout(.init(height: 1, round: 1, step: .prevote)))
        _ = m.handle(.timeout(.init(height: 1, round: 1, step: .precommit)))
        #expect(m.round == 2)
        _ = m.handle(.proposalReceived(Self.proposal(Self.blockC, round: 2, pol: 1)))
        let actions = m.handle(.blockValidated(height: 1, blockHash: Self.blockC, isValid: true))
        #expect(Self.signed(actions).map(\.blockHash) == [Self.blockC])
    }

    @Test func decidesOnTwoThirdsPrecommitsInAnyRound() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        var actions: [ConsensusStateMachine.Action] = []
        for i in 1...3 { actions += m.handle(.voteReceived(Self.vote(.precommit, Self.blockB, round: 3, by: i))) }
        let decisions = actions.compactMap { if case .decide(let h, let b, let c) = $0 { (h, b, c) } else { nil } }
        #expect(decisions.count == 1)
        #expect(decisions.first?.0 == 1 && decisions.first?.1 == Self.blockB)
        #expect(throws: Never.self) { try decisions.first?.2.verify(validators: Self.validators, chainID: 7) }
        #expect(m.step == .decided)
        // Committed: on to height 2 after the commit pause.
        actions = m.handle(.committed(height: 1, nextValidators: nil))
        #expect(m.height == 2 && m.step == .newHeight)
        #expect(actions.contains(.scheduleTimeout(.init(height: 2, round: 0, step: .commit), after: Self.config.commit)))
        // A late vote for height 1 points at a lagging peer.
        actions = m.handle(.voteReceived(Self.vote(.prevote, nil, round: 5, by: 2)))
        #expect(actions == [.peerLagging(peer: Self.keys[2].address, height: 1)])
    }

    @Test func certificateFromAPeerDecides() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        let votes = (1...3).map { Self.vote(.precommit, Self.blockC, round: 0, by: $0) }
        let certificate = CommitCertificate(
            height: 1, round: 0, blockHash: Self.blockC,
            signatures: votes.map { .init(signer: $0.signer, signature: $0.signature) })
        let actions = m.handle(.certificateReceived(certificate))
        #expect(actions.contains { if case .decide(1, Self.blockC, _) = $0 { true } else { false } })
    }

    @Test func skipsToAHigherRoundOnOneThirdPlus() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        _ = m.handle(.voteReceived(Self.vote(.prevote, nil, round: 5, by: 1)))
        #expect(m.round == 0)
        _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 5, by: 2)))
        #expect(m.round == 5)
    }

    @Test func doubleSigningIsReportedOnce() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        var actions = m.handle(.voteReceived(Self.vote(.prevote, Self.blockB, round: 0, by: 3)))
        actions += m.handle(.voteReceived(Self.vote(.prevote, Self.blockC, round: 0, by: 3)))
        actions += m.handle(.voteReceived(Self.vote(.prevote, nil, round: 0, by: 3)))
        actions += m.handle(.voteReceived(Self.vote(.prevote, Self.blockC, round: 0, by: 3)))
        let evidence = actions.compactMap { if case .recordEvidence(let e) = $0 { e } else { nil } }
        #expect(evidence.count == 1)
        #expect(evidence.first?.offender == Self.keys[3].address)
        // A forged conflicting vote (bad signature) is not evidence.
        let forged = Vote(kind: .precommit, height: 1, round: 0, blockHash: Self.blockB, signer: Self.keys[2].address, signature: Self.vote(.precommit, Self.blockC, round: 0, by: 2).signature)
        actions = m.handle(.voteReceived(Self.vote(.precommit, Self.blockC, round: 0, by: 2)))
        actions += m.handle(.voteReceived(forged))
        #expect(!actions.contains { if case .recordEvidence = $0 { true } else { false } })
    }

    /// After a restart from its WAL, the node re-sends the vote it signed and never signs a
    /// different one for that slot, even when what it now sees would call for one.
    @Test func restoredMachineResendsInsteadOfResigning() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        let timedOut = m.handle(.timeout(.init(height: 1, round: 0, step: .propose)))
        let records = Self.logged(timedOut)
        #expect(records.count == 1)
        let nilPrevote = Self.signed(timedOut)
        #expect(nilPrevote.map(\.blockHash) == [nil])

        var restored = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0], signedHistory: records)
        var actions = restored.handle(.start(height: 1))
        #expect(restored.step == .prevote && restored.round == 0)
        #expect(Self.signed(actions) == nilPrevote)
        #expect(Self.logged(actions).isEmpty)
        actions = restored.handle(.proposalReceived(Self.proposal(Self.blockB, round: 0)))
        actions += restored.handle(.blockValidated(height: 1, blockHash: Self.blockB, isValid: true))
        #expect(Self.logged(actions).isEmpty)
        #expect(Self.signed(actions).allSatisfy { $0 == nilPrevote[0] })
    }

    @Test func restoredMachineKeepsItsLock() {
        var (m, first) = Self.machineWithProposal()
        var records = Self.logged(first)
        for i in 1...2 { records += Self.logged(m.handle(.voteReceived(Self.vote(.prevote, Self.blockB, round: 0, by: i)))) }
        // Our prevote, the two other prevotes of the polka (the proof of lock, logged before
        // the precommit), our precommit.
        #expect(records.count == 4)
        let proofOfLock = records.compactMap { record -> Vote? in
            if case .vote(let vote) = record.message, vote.signer != Self.keys[0].address { return vote } else { return nil }
        }
        #expect(proofOfLock.count == 2 && proofOfLock.allSatisfy { $0.kind == .prevote && $0.blockHash == Self.blockB })
        #expect(records.last.map { if case .vote(let v) = $0.message { v.kind == .precommit } else { false } } == true)
        var restored = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0], signedHistory: records)
        let actions = restored.handle(.start(height: 1))
        #expect(restored.lockedValue == Self.blockB && restored.lockedRound == 0 && restored.step == .precommit)
        #expect(Self.signed(actions).count == 2)
        // Rounds fail (nil precommits from the others) until the restored node proposes: it
        // re-proposes its locked block with POL round 0 and relays the logged polka with it,
        // which peers that lost their own copy need to accept the proposal.
        var proposalActions: [ConsensusStateMachine.Action] = []
        for round in UInt32(0)..<8 where proposalActions.isEmpty {
            var actions: [ConsensusStateMachine.Action] = []
            for i in 1...2 { actions += restored.handle(.voteReceived(Self.vote(.precommit, nil, round: round, by: i))) }
            actions += restored.handle(.timeout(.init(height: 1, round: round, step: .precommit)))
            if actions.contains(where: { if case .broadcastProposal = $0 { true } else { false } }) { proposalActions = actions }
        }
        let reproposal = proposalActions.compactMap { if case .broadcastProposal(let p) = $0 { p } else { nil } }.first
        #expect(reproposal?.blockHash == Self.blockB && reproposal?.polRound == 0)
        let relayedPolka = proposalActions.compactMap { if case .relayVote(let v) = $0 { v } else { nil } }
        #expect(Set(proofOfLock).isSubset(of: Set(relayedPolka)))
        #expect(restored.validValue == Self.blockB)
    }

    @Test func proposerAsksForABlockAndSignsIt() {
        let proposerIndex = Self.validators.index(of: Self.validators.proposer(height: 1, round: 0))!
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[proposerIndex])
        let started = m.handle(.start(height: 1))
        #expect(started.contains(.requestBlock(height: 1, round: 0)))
        let actions = m.handle(.blockBuilt(height: 1, round: 0, blockHash: Self.blockB))
        let logged = Self.logged(actions)
        #expect(logged.count == 2, "the proposal, then our own prevote for it")
        #expect(actions.contains { if case .broadcastProposal(let p) = $0 { p.blockHash == Self.blockB } else { false } })
        #expect(Self.signed(actions).map(\.blockHash) == [Self.blockB])
    }

    @Test func followerNeverSigns() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: nil)
        var actions = m.handle(.start(height: 1))
        actions += m.handle(.timeout(.init(height: 1, round: 0, step: .propose)))
        #expect(Self.logged(actions).isEmpty && Self.signed(actions).isEmpty)
        for i in 1...3 { actions += m.handle(.voteReceived(Self.vote(.precommit, Self.blockB, round: 0, by: i))) }
        #expect(actions.contains { if case .decide(1, Self.blockB, _) = $0 { true } else { false } })
    }

    /// Regression: a double signer's second precommit, for a block whose proposal never
    /// arrived, still counts when it comes inside a verified certificate.
    @Test func certificateCountsADoubleSignersSecondVote() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 0, by: 3)))
        let votes = (1...3).map { Self.vote(.precommit, Self.blockC, round: 0, by: $0) }
        let certificate = CommitCertificate(
            height: 1, round: 0, blockHash: Self.blockC,
            signatures: votes.map { .init(signer: $0.signer, signature: $0.signature) })
        let actions = m.handle(.certificateReceived(certificate))
        #expect(actions.contains { if case .decide(1, Self.blockC, _) = $0 { true } else { false } })
        #expect(actions.contains { if case .recordEvidence = $0 { true } else { false } })
    }

    @Test func newVotesAreRelayedOnceAndCopiesAreNot() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        let vote = Self.vote(.prevote, nil, round: 0, by: 2)
        #expect(m.handle(.voteReceived(vote)).contains(.relayVote(vote)))
        #expect(m.handle(.voteReceived(vote)).isEmpty)
    }

    /// A node that moved to round 1 keeps re-sending its round-0 votes too: peers still in
    /// round 0 may need them to leave it.
    @Test func rebroadcastCoversThisAndThePreviousRound() {
        var m = ConsensusStateMachine(config: Self.config, validators: Self.validators, key: Self.keys[0])
        _ = m.handle(.start(height: 1))
        _ = m.handle(.timeout(.init(height: 1, round: 0, step: .propose)))
        for i in 1...2 { _ = m.handle(.voteReceived(Self.vote(.prevote, nil, round: 0, by: i))) }
        #expect(m.step == .precommit)
        for i in 1...2 { _ = m.handle(.voteReceived(Self.vote(.precommit, nil, round: 0, by: i))) }
        _ = m.handle(.timeout(.init(height: 1, round: 0, step: .precommit)))
        #expect(m.round == 1)
        let actions = m.handle(.timeout(.init(height: 1, round: 1, step: .rebroadcast)))
        #expect(Set(Self.signed(actions).map(\.round)) == [0])
        #expect(Self.signed(actions).count == 2)
        #expect(actions.contains(.scheduleTimeout(.init(height: 1, round: 1, step: .rebroadcast), after: Self.config.rebroadcast)))
        // A stale rebroadcast timer (round 0) does nothing.
        #expect(m.handle(.timeout(.init(height: 1, round: 0, step: .rebroadcast))).isEmpty)
    }
}
