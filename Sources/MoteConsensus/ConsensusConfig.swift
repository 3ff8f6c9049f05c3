/// Timeouts and limits of the consensus state machine. Every timeout grows linearly with the
/// round, so that after enough rounds they exceed the (unknown) network delay.
public struct ConsensusConfig: Hashable, Sendable {
    /// The chain the votes are bound to.
    public var chainID: UInt64
    /// How long to wait for a proposal in round 0.
    public var propose: Duration
    /// How much `propose` grows per round.
    public var proposeDelta: Duration
    /// How long to wait, after any 2/3 of prevotes, for 2/3 on one value in round 0.
    public var prevote: Duration
    /// How much `prevote` grows per round.
    public var prevoteDelta: Duration
    /// How long to wait, after any 2/3 of precommits, before the next round (round 0).
    public var precommit: Duration
    /// How much `precommit` grows per round.
    public var precommitDelta: Duration
    /// The pause after committing a block before round 0 of the next height (the block interval
    /// floor). Zero starts the next height at once.
    public var commit: Duration
    /// How often a node stuck in a round re-sends what it signed in it (lost messages,
    /// healed partitions, a lagging peer).
    public var rebroadcast: Duration
    /// How far ahead of the current round votes are kept (a bound on memory per signer).
    public var maxRoundsAhead: UInt32
    /// How many messages for the next height are buffered until it starts.
    public var maxBufferedMessages: Int

    /// A configuration; the defaults suit a 1-second devnet.
    public init(
        chainID: UInt64, propose: Duration = .milliseconds(1000), proposeDelta: Duration = .milliseconds(500),
        prevote: Duration = .milliseconds(500), prevoteDelta: Duration = .milliseconds(250),
        precommit: Duration = .milliseconds(500), precommitDelta: Duration = .milliseconds(250),
        commit: Duration = .milliseconds(1000), rebroadcast: Duration = .milliseconds(2000),
        maxRoundsAhead: UInt32 = 64, maxBufferedMessages: Int = 4096
    ) {
        self.chainID = chainID
        self.propose = propose
        self.proposeDelta = proposeDelta
        self.prevote = prevote
        self.prevoteDelta = prevoteDelta
        self.precommit = precommit
        self.precommitDelta = precommitDelta
        self.commit = commit
        self.rebroadcast = rebroadcast
        self.maxRoundsAhead = maxRoundsAhead
        self.maxBufferedMessages = maxBufferedMessages
    }

    /// The duration of `step`'s timeout in `round`.
    public func duration(of step: ConsensusStateMachine.TimeoutStep, round: UInt32) -> Duration {
        let r = Int(min(round, 10_000))
        switch step {
        case .propose: return propose + proposeDelta * r
        case .prevote: return prevote + prevoteDelta * r
        case .precommit: return precommit + precommitDelta * r
        case .commit: return commit
        case .rebroadcast: return rebroadcast
        }
    }
}
