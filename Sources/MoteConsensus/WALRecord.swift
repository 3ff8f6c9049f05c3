import MotePrimitives

/// One entry of the vote WAL: something this node signed, and where it was when it signed it.
///
/// Encoded as `rlp([height, round, step, tag, message])` with tag 1 for a vote and 2 for a
/// proposal.
public struct WALRecord: Hashable, Sendable {
    /// A signed message.
    public enum Message: Hashable, Sendable {
        /// A vote this node signed.
        case vote(Vote)
        /// A proposal this node signed.
        case proposal(Proposal)
    }

    /// The height the node was at.
    public let height: UInt64
    /// The round the node was in.
    public let round: UInt32
    /// The step the node entered by signing.
    public let step: ConsensusStateMachine.Step
    /// What it signed.
    public let message: Message

    /// A record.
    public init(height: UInt64, round: UInt32, step: ConsensusStateMachine.Step, message: Message) {
        self.height = height
        self.round = round
        self.step = step
        self.message = message
    }

    /// The record's payload bytes (the WAL adds length and checksum around them).
    public func encoded() -> [UInt8] {
        let (tag, body): (UInt64, RLPItem)
        switch message {
        case .vote(let vote): (tag, body) = (1, vote.rlp)
        case .proposal(let proposal): (tag, body) = (2, proposal.rlp)
        }
        return RLP.encode(.list([.uint(height), .uint(UInt64(round)), .uint(UInt64(step.rawValue)), .uint(tag), body]))
    }

    /// Decodes a payload strictly.
    public init(decoding bytes: [UInt8]) throws(ConsensusError) {
        let f = try decodeConsensusRLP(bytes, what: "WAL record", limit: VoteWAL.maxRecordSize)
            .consensusList("WAL record", count: 5)
        let rawStep = try f[2].consensusUInt64("WAL record step")
        guard rawStep <= 255, let step = ConsensusStateMachine.Step(rawValue: UInt8(rawStep)) else {
            throw ConsensusError(.malformed("WAL record step: unknown step \(rawStep)"))
        }
        let message: Message
        switch try f[3].consensusUInt64("WAL record tag") {
        case 1: message = .vote(try Vote(rlp: f[4]))
        case 2: message = .proposal(try Proposal(rlp: f[4]))
        case let other: throw ConsensusError(.malformed("WAL record tag: unknown tag \(other)"))
        }
        self.init(
            height: try f[0].consensusUInt64("WAL record height"), round: try f[1].consensusUInt32("WAL record round"),
            step: step, message: message)
    }
}
