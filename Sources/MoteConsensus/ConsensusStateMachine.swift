import MoteCrypto
import MotePrimitives

/// Mote's BFT consensus: Tendermint ("The latest gossip on BFT consensus", Buchman, Kwon,
/// Milosevic, arXiv:1807.04938) as a pure state machine.
///
/// ## Design
/// - **Events in, actions out.** `handle(_:)` takes one `Event` (a message, a timer, an
///   answer from the application) and returns the `Action`s the driver must perform, in
///   order. The machine does no I/O, reads no clock and draws no randomness, so tests drive
///   it with a manual clock and a simulated network. Only one routine may own it.
/// - **Blocks are opaque.** The machine sees a block as its hash. The application builds
///   blocks (`requestBlock` → `blockBuilt`), judges them (`validateBlock` →
///   `blockValidated`) and commits decided ones (`decide` → `committed`).
/// - **Rules as in the paper.** Each height runs rounds of propose → prevote ("endorse") →
///   precommit ("commit"), with `lockedValue/lockedRound` (a delegate precommits a block only
///   after 2/3 prevotes for it, and then prevotes only for it unless a later proof of lock
///   shows up) and `validValue/validRound` (a proposer re-proposes the last block that got
///   2/3 prevotes). A block is final once more than 2/3 of the delegates precommit it in any
///   round; the decision carries those precommits as a `CommitCertificate`. f+1 messages of a
///   higher round make a lagging node skip ahead. Every delegate weighs 1; safety holds
///   while fewer than 1/3 are Byzantine, liveness once messages get through in time.
/// - **Never sign twice.** Everything the node signs goes out first as a
///   `writeAheadLog` action (the driver fsyncs it to the `VoteWAL`), then as a broadcast.
///   After a crash the machine is built from the WAL's records: at a height it had signed
///   in, it resumes in the last round it signed in, with the lock its precommits imply, and
///   for a (height, round, kind) it already signed it only ever re-sends that same vote.
/// - **Gossip.** Tendermint's liveness assumes that what one correct node receives, all
///   eventually receive. The machine asks for that explicitly: it relays every proposal and
///   vote that is new to it (`relayVote`, `relayProposal`), a re-proposal goes out with its
///   proof of lock (the 2/3 prevotes of its POL round), a node stuck in a round re-sends what
///   it signed in it and the round before every `rebroadcast` interval, and a node that
///   receives a vote for a height it already decided asks its driver to send that peer the
///   height's certificate (`peerLagging`). Together these stand in for CometBFT's gossip
///   routines and bring progress back after drops and healed partitions.
/// - **Evidence.** Two validly signed votes by one delegate for the same height, round and
///   kind but different blocks become a `DoubleSignEvidence`, reported (and relayed) once.
///   As in the paper, each of a double signer's votes counts for its own block (see
///   `VoteTally`), so correct nodes' views do not depend on which one they heard first.
public struct ConsensusStateMachine: Sendable {
    /// Where the machine is within a height.
    public enum Step: UInt8, Hashable, Sendable, Comparable {
        /// Waiting for the commit pause to end (or for `start`).
        case newHeight = 0
        /// Waiting for the round's proposal.
        case propose = 1
        /// Prevoted; waiting for 2/3 prevotes.
        case prevote = 2
        /// Precommitted; waiting for 2/3 precommits.
        case precommit = 3
        /// Decided; waiting for the application to commit.
        case decided = 4

        public static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }
    }

    /// Timeouts, chain id and limits.
    public let config: ConsensusConfig
    /// The delegates of the current height.
    public private(set) var validators: ValidatorSet
    /// This node's delegate address, or nil for a node that only follows.
    public let address: Address?
    private let key: Secp256k1.PrivateKey?

    /// The height being decided.
    public private(set) var height: UInt64 = 0
    /// The current round.
    public private(set) var round: UInt32 = 0
    /// The current step.
    public private(set) var step: Step = .newHeight
    /// The block this node is locked on, if any.
    public private(set) var lockedValue: Hash32?
    /// The round it locked in, −1 when unlocked.
    public private(set) var lockedRound: Int = -1
    /// The last block seen with 2/3 prevotes (what this node re-proposes).
    public private(set) var validValue: Hash32?
    /// The round of `validValue`, −1 when none.
    public private(set) var validRound: Int = -1
    /// The certificate of the last decision.
    public private(set) var lastCertificate: CommitCertificate?

    private var proposals: [UInt32: Proposal] = [:]
    private var proposedBlocks: Set<Hash32> = []
    private var tallies: [TallySlot: VoteTally] = [:]
    private var roundSigners: [UInt32: Set<Address>] = [:]
    private var validity: [Hash32: Bool] = [:]
    private var validationRequested: Set<Hash32> = []
    private var blockRequested: Set<UInt32> = []
    private var fired: Set<Rule> = []
    private var commitCandidate: (round: UInt32, blockHash: Hash32)?
    private var evidenceReported: Set<SignedSlot> = []
    private var signedVotes: [SignedSlot: Vote] = [:]
    private var signedProposals: [RoundSlot: Proposal] = [:]
    private var buffered: [Buffered] = []
    /// Messages for the next height already buffered, and how many per signer (a bound, so
    /// that no one peer can fill the buffer).
    private var bufferedSet: Set<Buffered> = []
    private var bufferedBySigner: [Address: Int] = [:]
    /// Votes of other delegates that this node wrote to its WAL (the proof of its lock),
    /// replayed when it resumes that height.
    private var receivedHistory: [Vote] = []

    private struct TallySlot: Hashable { let round: UInt32; let kind: VoteKind }
    private struct RoundSlot: Hashable { let height: UInt64; let round: UInt32 }
    private struct SignedSlot: Hashable { let signer: Address; let height: UInt64; let round: UInt32; let kind: VoteKind }
    private enum Rule: Hashable { case prevoteTimeout(UInt32), precommitTimeout(UInt32), polka(UInt32) }
    private enum Buffered: Hashable, Sendable { case proposal(Proposal), vote(Vote) }
    /// The most messages buffered for the next height per signer: its votes of a few rounds
    /// and a proposal.
    static let maxBufferedPerSigner = 16

    /// A machine for the delegate holding `key` (nil: a follower that never signs), restored
    /// from the records of its vote WAL (empty on first boot). Send `.start(height:)` next.
    public init(
        config: ConsensusConfig, validators: ValidatorSet, key: Secp256k1.PrivateKey?, signedHistory: [WALRecord] = []
    ) {
        self.config = config
        self.validators = validators
        self.key = key
        self.address = key?.address
        for record in signedHistory {
            switch record.message {
            case .vote(let vote) where vote.signer == address:
                let slot = SignedSlot(signer: vote.signer, height: vote.height, round: vote.round, kind: vote.kind)
                if signedVotes[slot] == nil { signedVotes[slot] = vote }
            case .vote(let vote):
                receivedHistory.append(vote)
            case .proposal(let proposal) where proposal.proposer == address:
                let slot = RoundSlot(height: proposal.height, round: proposal.round)
                if signedProposals[slot] == nil { signedProposals[slot] = proposal }
            default: break
            }
        }
    }

    /// Feeds one event to the machine; returns what the driver must do, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .start(let height):
            start(height: height, actions: &actions)
        case .proposalReceived(let proposal):
            receive(proposal, actions: &actions)
        case .voteReceived(let vote):
            receive(vote, actions: &actions)
        case .certificateReceived(let certificate):
            // A verified certificate proves its block real, so its votes all count, even a
            // double signer's second vote (whose proposal may never have reached us).
            guard certificate.height == height, step != .decided,
                (try? certificate.verify(validators: validators, chainID: config.chainID)) != nil
            else { break }
            proposedBlocks.insert(certificate.blockHash)
            for vote in certificate.votes {
                addVote(vote, actions: &actions)
            }
        case .blockBuilt(let height, let round, let blockHash):
            guard height == self.height, round == self.round, step == .propose, isProposer(round: round),
                signedProposals[RoundSlot(height: height, round: round)] == nil
            else { break }
            validity[blockHash] = true
            propose(blockHash, polRound: nil, actions: &actions)
        case .blockValidated(let height, let blockHash, let isValid):
            guard height == self.height else { break }
            validity[blockHash] = isValid
        case .timeout(let timeout):
            onTimeout(timeout, actions: &actions)
        case .committed(let height, let nextValidators):
            guard height == self.height, step == .decided else { break }
            if let nextValidators { validators = nextValidators }
            enterNewHeight(height + 1, actions: &actions)
        }
        applyRules(actions: &actions)
        return actions
    }

    // MARK: - Heights and rounds

    /// Triggered by `Event.start`: begin at `height`, or resume it from the signed history.
    private mutating func start(height: UInt64, actions: inout [Action]) {
        resetHeight(height)
        signedVotes = signedVotes.filter { $0.key.height >= height }
        signedProposals = signedProposals.filter { $0.key.height >= height }
        receivedHistory = receivedHistory.filter { $0.height >= height }
        // Votes of others that this node logged before locking: its proof of lock, which a
        // re-proposal of the locked block must carry. They were verified when received.
        for vote in receivedHistory where vote.height == height && validators.contains(vote.signer) {
            addVote(vote, actions: &actions)
        }
        let mine = signedVotes.values.filter { $0.height == height }.sorted { ($0.round, $0.kind.rawValue) < ($1.round, $1.kind.rawValue) }
        let myProposals = signedProposals.values.filter { $0.height == height }
        guard let lastRound = (mine.map(\.round) + myProposals.map(\.round)).max() else {
            startRound(0, actions: &actions)
            return
        }
        // Resume: count our own votes, take the lock our last block precommit implies,
        // and stand in the last round we signed in, at the step our signatures put us.
        for vote in mine { addVote(vote, actions: &actions) }
        for proposal in myProposals {
            proposals[proposal.round] = proposal
            proposedBlocks.insert(proposal.blockHash)
            validity[proposal.blockHash] = true
        }
        if let lock = mine.filter({ $0.kind == .precommit && $0.blockHash != nil }).max(by: { $0.round < $1.round }) {
            lockedValue = lock.blockHash
            lockedRound = Int(lock.round)
            validValue = lock.blockHash
            validRound = Int(lock.round)
        }
        round = lastRound
        let signedHere = mine.filter { $0.round == lastRound }
        step = signedHere.contains { $0.kind == .precommit } ? .precommit
            : signedHere.contains { $0.kind == .prevote } ? .prevote : .propose
        if step == .propose { schedule(.propose, actions: &actions) }
        schedule(.rebroadcast, actions: &actions)
        rebroadcastSigned(actions: &actions)
    }

    /// Triggered by `Event.committed`: the application stored the decided block, so move to
    /// the next height, pause `config.commit`, and take in what was buffered for it.
    private mutating func enterNewHeight(_ height: UInt64, actions: inout [Action]) {
        let pending = buffered
        resetHeight(height)
        signedVotes = signedVotes.filter { $0.key.height >= height }
        signedProposals = signedProposals.filter { $0.key.height >= height }
        receivedHistory = receivedHistory.filter { $0.height >= height }
        if config.commit == .zero {
            startRound(0, actions: &actions)
        } else {
            schedule(.commit, actions: &actions)
        }
        for message in pending {
            switch message {
            case .proposal(let proposal): receive(proposal, actions: &actions)
            case .vote(let vote): receive(vote, actions: &actions)
            }
        }
    }

    private mutating func resetHeight(_ height: UInt64) {
        self.height = height
        round = 0
        step = .newHeight
        lockedValue = nil
        lockedRound = -1
        validValue = nil
        validRound = -1
        proposals = [:]
        proposedBlocks = []
        tallies = [:]
        roundSigners = [:]
        validity = [:]
        validationRequested = []
        blockRequested = []
        fired = []
        commitCandidate = nil
        evidenceReported = []
        buffered = []
        bufferedSet = []
        bufferedBySigner = [:]
    }

    /// StartRound(r) (paper line 11). Triggered by the commit pause ending (round 0), a
    /// precommit timeout (next round), or f+1 messages of a higher round (skip). The proposer
    /// re-proposes `validValue` or asks the application for a block; everyone else waits
    /// `propose` for the proposal.
    private mutating func startRound(_ round: UInt32, actions: inout [Action]) {
        self.round = round
        step = .propose
        if isProposer(round: round) {
            if let proposal = signedProposals[RoundSlot(height: height, round: round)] {
                actions.append(.broadcastProposal(proposal))
                relayProofOfLock(of: proposal, actions: &actions)
            } else if let validValue {
                propose(validValue, polRound: UInt32(validRound), actions: &actions)
            } else if blockRequested.insert(round).inserted {
                actions.append(.requestBlock(height: height, round: round))
            }
        }
        schedule(.propose, actions: &actions)
        schedule(.rebroadcast, actions: &actions)
    }

    private func isProposer(round: UInt32) -> Bool {
        guard let address, key != nil else { return false }
        return validators.proposer(height: height, round: round) == address
    }

    private func schedule(_ step: TimeoutStep, actions: inout [Action]) {
        actions.append(.scheduleTimeout(
            Timeout(height: height, round: round, step: step), after: config.duration(of: step, round: round)))
    }

    /// Timers (paper lines 57–65). Each acts only if the machine is still where it was when
    /// the timer was set.
    private mutating func onTimeout(_ timeout: Timeout, actions: inout [Action]) {
        guard timeout.height == height, step != .decided else { return }
        switch timeout.step {
        case .commit:
            // The pause after the last commit is over: round 0 of this height.
            if step == .newHeight { startRound(0, actions: &actions) }
        case .propose:
            // OnTimeoutPropose: no acceptable proposal in time, prevote nil.
            if timeout.round == round, step == .propose { castVote(.prevote, nil, actions: &actions) }
        case .prevote:
            // OnTimeoutPrevote: 2/3 prevotes but none of them 2/3 for one value, precommit nil.
            if timeout.round == round, step == .prevote { castVote(.precommit, nil, actions: &actions) }
        case .precommit:
            // OnTimeoutPrecommit: 2/3 precommits but no decision, go to the next round.
            if timeout.round == round, step >= .propose { startRound(round + 1, actions: &actions) }
        case .rebroadcast:
            // Still in the same round: re-send what we signed in it, and keep doing so.
            guard timeout.round == round, step >= .propose else { return }
            rebroadcastSigned(actions: &actions)
            schedule(.rebroadcast, actions: &actions)
        }
    }

    /// Re-sends (without signing anything new) what this node signed in the current round,
    /// and its votes of the round before: peers still in that round may need them to move on
    /// (the 2/3 precommits that let this node leave it).
    private func rebroadcastSigned(actions: inout [Action]) {
        guard let address else { return }
        if let proposal = signedProposals[RoundSlot(height: height, round: round)] {
            actions.append(.broadcastProposal(proposal))
            relayProofOfLock(of: proposal, actions: &actions)
        }
        for r in (round == 0 ? [round] : [round - 1, round]) {
            for kind in VoteKind.allCases {
                if let vote = signedVotes[SignedSlot(signer: address, height: height, round: r, kind: kind)] {
                    actions.append(.broadcastVote(vote))
                }
            }
        }
    }

    // MARK: - Messages

    /// Triggered by a proposal from the network (or our own): keep the first valid one per
    /// round from that round's proposer, and ask the application to judge its block.
    private mutating func receive(_ proposal: Proposal, actions: inout [Action]) {
        if proposal.height == height + 1 {
            let message = Buffered.proposal(proposal)
            if canBuffer(message, signer: proposal.proposer), (try? proposal.verify(chainID: config.chainID)) != nil {
                buffer(message, signer: proposal.proposer)
            }
            return
        }
        guard proposal.height == height, step != .decided, proposal.round <= round &+ config.maxRoundsAhead,
            proposals[proposal.round] == nil,
            proposal.proposer == validators.proposer(height: height, round: proposal.round),
            (try? proposal.verify(chainID: config.chainID)) != nil
        else { return }
        proposals[proposal.round] = proposal
        proposedBlocks.insert(proposal.blockHash)
        if proposal.proposer != address { actions.append(.relayProposal(proposal)) }
        requestValidation(proposal.blockHash, actions: &actions)
    }

    /// Whether a message for the next height may be kept: once, from a current delegate, at
    /// most `maxBufferedPerSigner` per signer and `config.maxBufferedMessages` in all. The
    /// caller then checks its signature (the costly part) before `buffer`.
    private func canBuffer(_ message: Buffered, signer: Address) -> Bool {
        buffered.count < config.maxBufferedMessages && validators.contains(signer)
            && bufferedBySigner[signer, default: 0] < Self.maxBufferedPerSigner && !bufferedSet.contains(message)
    }

    private mutating func buffer(_ message: Buffered, signer: Address) {
        buffered.append(message)
        bufferedSet.insert(message)
        bufferedBySigner[signer, default: 0] += 1
    }

    private mutating func requestValidation(_ blockHash: Hash32, actions: inout [Action]) {
        guard validity[blockHash] == nil, validationRequested.insert(blockHash).inserted else { return }
        actions.append(.validateBlock(height: height, blockHash: blockHash))
    }

    /// Triggered by a vote from the network: verify and count it, report double signing, and
    /// point out peers still voting at a height this node has decided.
    private mutating func receive(_ vote: Vote, actions: inout [Action]) {
        if vote.height < height {
            // Only a delegate's genuine vote earns it the old height's block: a forged one
            // must not make this node send blocks around.
            if validators.contains(vote.signer), vote.signer != address, (try? vote.verify(chainID: config.chainID)) != nil {
                actions.append(.peerLagging(peer: vote.signer, height: vote.height))
            }
            return
        }
        if vote.height == height + 1 {
            let message = Buffered.vote(vote)
            if canBuffer(message, signer: vote.signer), (try? vote.verify(chainID: config.chainID)) != nil {
                buffer(message, signer: vote.signer)
            }
            return
        }
        guard vote.height == height, validators.contains(vote.signer), vote.round <= round &+ config.maxRoundsAhead
        else { return }
        // A copy of what we have (rebroadcasts, relays), or a further conflicting vote that
        // would neither count nor be new evidence: skip before paying for signature recovery.
        let known = tally(vote.round, vote.kind)
        if known.contains(vote) { return }
        let earlier = known.votes(by: vote.signer)
        if !earlier.isEmpty, !isCountable(vote, after: earlier),
            evidenceReported.contains(SignedSlot(signer: vote.signer, height: vote.height, round: vote.round, kind: vote.kind))
        {
            return
        }
        guard (try? vote.verify(chainID: config.chainID)) != nil else { return }
        // Pass on what is new: a first vote, or the first conflicting one (so that every
        // correct node sees the double signing).
        if addVote(vote, actions: &actions), vote.signer != address { actions.append(.relayVote(vote)) }
    }

    /// Counts a verified vote; a second, different vote by the same signer is evidence (and
    /// counts for its own block, see `VoteTally`). Returns true for a vote that was new here.
    @discardableResult
    private mutating func addVote(_ vote: Vote, actions: inout [Action]) -> Bool {
        let slot = TallySlot(round: vote.round, kind: vote.kind)
        let earlier = tally(vote.round, vote.kind).votes(by: vote.signer)
        if earlier.contains(where: { $0.blockHash == vote.blockHash }) { return false }
        var isNew = false
        if let first = earlier.first,
            evidenceReported.insert(SignedSlot(signer: vote.signer, height: vote.height, round: vote.round, kind: vote.kind)).inserted,
            let evidence = try? DoubleSignEvidence(first, vote)
        {
            actions.append(.recordEvidence(evidence))
            isNew = true
        }
        guard isCountable(vote, after: earlier) else { return isNew }
        tallies[slot, default: VoteTally()].add(vote)
        roundSigners[vote.round, default: []].insert(vote.signer)
        if vote.kind == .precommit, let blockHash = vote.blockHash, commitCandidate == nil,
            tallies[slot]!.count(for: blockHash) >= validators.quorum
        {
            commitCandidate = (vote.round, blockHash)
        }
        return true
    }

    /// Whether a signer's vote counts after its `earlier` ones for the same slot: its first
    /// always does; a conflicting one only for nil or a block proposed at this height (so a
    /// double signer cannot fill memory with votes for made-up blocks, which no correct node
    /// would vote for anyway).
    private func isCountable(_ vote: Vote, after earlier: [Vote]) -> Bool {
        guard !earlier.isEmpty, let blockHash = vote.blockHash else { return true }
        return proposedBlocks.contains(blockHash)
    }

    private func tally(_ round: UInt32, _ kind: VoteKind) -> VoteTally {
        tallies[TallySlot(round: round, kind: kind)] ?? VoteTally()
    }

    // MARK: - Signing

    /// Signs (or, if already signed, re-sends) a proposal for the current round.
    private mutating func propose(_ blockHash: Hash32, polRound: UInt32?, actions: inout [Action]) {
        guard let key else { return }
        let slot = RoundSlot(height: height, round: round)
        let proposal: Proposal
        if let existing = signedProposals[slot] {
            proposal = existing
        } else {
            proposal = Proposal(
                height: height, round: round, blockHash: blockHash, polRound: polRound, chainID: config.chainID,
                signingWith: key)
            signedProposals[slot] = proposal
            actions.append(.writeAheadLog(WALRecord(height: height, round: round, step: .propose, message: .proposal(proposal))))
        }
        actions.append(.broadcastProposal(proposal))
        relayProofOfLock(of: proposal, actions: &actions)
        if proposals[round] == nil { proposals[round] = proposal }
        proposedBlocks.insert(proposal.blockHash)
        validity[proposal.blockHash] = true
    }

    /// A re-proposal's proof of lock: the 2/3 prevotes of its POL round, so that peers that
    /// missed them (dropped, or behind a partition) can accept it.
    private func relayProofOfLock(of proposal: Proposal, actions: inout [Action]) {
        guard let polRound = proposal.polRound else { return }
        for vote in tally(polRound, .prevote).votes(for: proposal.blockHash) { actions.append(.relayVote(vote)) }
    }

    /// Casts this node's vote of `kind` in the current round and moves to that step. A vote
    /// already signed for this (height, round, kind), say before a crash, is re-sent as it
    /// was, whatever `blockHash` now says: the node never signs two different ones.
    private mutating func castVote(_ kind: VoteKind, _ blockHash: Hash32?, actions: inout [Action]) {
        step = kind == .prevote ? .prevote : .precommit
        guard let key, let address, validators.contains(address) else { return }
        let slot = SignedSlot(signer: address, height: height, round: round, kind: kind)
        let vote: Vote
        if let existing = signedVotes[slot] {
            vote = existing
        } else {
            vote = Vote(kind: kind, height: height, round: round, blockHash: blockHash, chainID: config.chainID, signingWith: key)
            signedVotes[slot] = vote
            actions.append(.writeAheadLog(WALRecord(height: height, round: round, step: step, message: .vote(vote))))
        }
        actions.append(.broadcastVote(vote))
        addVote(vote, actions: &actions)
    }

    // MARK: - The rules

    /// Applies the paper's upon-rules until none fires. Called after every event.
    private mutating func applyRules(actions: inout [Action]) {
        var progressed = true
        while progressed, step != .decided {
            progressed = false
            // Line 49: 2/3 precommits for one block, in any round, decide it.
            if let (commitRound, blockHash) = commitCandidate {
                decide(blockHash, round: commitRound, actions: &actions)
                return
            }
            guard step >= .propose else { return }
            // Line 55: f+1 delegates already in a higher round, skip to it.
            if let higher = roundSigners.filter({ $0.key > round && $0.value.count >= validators.oneThirdPlus }).keys.max() {
                startRound(higher, actions: &actions)
                progressed = true
                continue
            }
            let proposal = proposals[round]
            if step == .propose, let proposal {
                let blockHash = proposal.blockHash
                if let polRound = proposal.polRound {
                    // Line 28: a proposal with a proof of lock from round vr < r: prevote it if
                    // valid and we are locked no later than vr (or on it), else nil.
                    if polRound < round, tally(polRound, .prevote).count(for: blockHash) >= validators.quorum,
                        let isValid = validity[blockHash]
                    {
                        let acceptable = isValid && (lockedRound <= Int(polRound) || lockedValue == blockHash)
                        castVote(.prevote, acceptable ? blockHash : nil, actions: &actions)
                        progressed = true
                        continue
                    }
                } else if let isValid = validity[blockHash] {
                    // Line 22: a fresh proposal: prevote it if valid and we are unlocked or
                    // locked on it, else nil.
                    let acceptable = isValid && (lockedRound == -1 || lockedValue == blockHash)
                    castVote(.prevote, acceptable ? blockHash : nil, actions: &actions)
                    progressed = true
                    continue
                }
            }
            let prevotes = tally(round, .prevote)
            // Line 34: any 2/3 prevotes, start the prevote timer (once per round).
            if step == .prevote, prevotes.total >= validators.quorum, fired.insert(.prevoteTimeout(round)).inserted {
                schedule(.prevote, actions: &actions)
            }
            // Line 36: the proposal got 2/3 prevotes (a polka): lock on it and precommit it if
            // still prevoting; either way remember it as the valid value (once per round).
            if step >= .prevote, let proposal, validity[proposal.blockHash] == true,
                prevotes.count(for: proposal.blockHash) >= validators.quorum, fired.insert(.polka(round)).inserted
            {
                if step == .prevote {
                    // Log the polka (others' prevotes) before the precommit that locks on
                    // it: after a crash this node can still re-propose its locked block
                    // with a proof of lock that peers accept.
                    for vote in prevotes.votes(for: proposal.blockHash) where vote.signer != address {
                        actions.append(.writeAheadLog(WALRecord(height: height, round: round, step: .prevote, message: .vote(vote))))
                    }
                    lockedValue = proposal.blockHash
                    lockedRound = Int(round)
                    castVote(.precommit, proposal.blockHash, actions: &actions)
                }
                validValue = proposal.blockHash
                validRound = Int(round)
                progressed = true
                continue
            }
            // Line 44: 2/3 prevotes for nil, precommit nil.
            if step == .prevote, prevotes.count(for: nil) >= validators.quorum {
                castVote(.precommit, nil, actions: &actions)
                progressed = true
                continue
            }
            // Line 47: any 2/3 precommits, start the precommit timer (once per round).
            if tally(round, .precommit).total >= validators.quorum, fired.insert(.precommitTimeout(round)).inserted {
                schedule(.precommit, actions: &actions)
            }
        }
    }

    /// Line 49: decide `blockHash` with the precommits of `round` as its certificate.
    private mutating func decide(_ blockHash: Hash32, round: UInt32, actions: inout [Action]) {
        let signatures = tally(round, .precommit).votes(for: blockHash)
            .sorted { validators.index(of: $0.signer)! < validators.index(of: $1.signer)! }
            .map { CommitCertificate.Signature(signer: $0.signer, signature: $0.signature) }
        let certificate = CommitCertificate(height: height, round: round, blockHash: blockHash, signatures: signatures)
        step = .decided
        lastCertificate = certificate
        actions.append(.decide(height: height, blockHash: blockHash, certificate: certificate))
    }
}
