import MotePrimitives

extension ConsensusStateMachine {
    /// Which timer fired.
    public enum TimeoutStep: UInt8, Hashable, Sendable {
        /// No proposal arrived in time: prevote nil.
        case propose
        /// 2/3 prevotes arrived but not 2/3 for one value: precommit nil.
        case prevote
        /// 2/3 precommits arrived but not 2/3 for one block: next round.
        case precommit
        /// The pause after a commit ended: start round 0 of the new height.
        case commit
        /// Time to re-send what this node signed in the current round.
        case rebroadcast
    }

    /// A timer the driver runs and reports back as `Event.timeout`.
    public struct Timeout: Hashable, Sendable {
        /// The height it belongs to.
        public let height: UInt64
        /// The round it belongs to.
        public let round: UInt32
        /// What it is for.
        public let step: TimeoutStep

        /// A timeout.
        public init(height: UInt64, round: UInt32, step: TimeoutStep) {
            self.height = height
            self.round = round
            self.step = step
        }
    }

    /// Something that happened, fed to `handle(_:)` by the single routine that owns the machine.
    public enum Event: Sendable {
        /// Begin (or resume after a restart) consensus at `height`, the height after the last
        /// block the application committed.
        case start(height: UInt64)
        /// A proposal arrived from the network (not yet verified).
        case proposalReceived(Proposal)
        /// A vote arrived from the network (not yet verified).
        case voteReceived(Vote)
        /// A peer sent a commit certificate (catching up after lost messages).
        case certificateReceived(CommitCertificate)
        /// The application built the block asked for by `Action.requestBlock`.
        case blockBuilt(height: UInt64, round: UInt32, blockHash: Hash32)
        /// The application checked a proposed block asked for by `Action.validateBlock`.
        case blockValidated(height: UInt64, blockHash: Hash32, isValid: Bool)
        /// A timer scheduled by `Action.scheduleTimeout` fired.
        case timeout(Timeout)
        /// The application durably committed the block decided at `height`; `nextValidators`
        /// replaces the delegate set from `height + 1` on (an epoch change), nil keeps it.
        case committed(height: UInt64, nextValidators: ValidatorSet?)
    }

    /// What the driver must do, in order. A `writeAheadLog` must be durable (fsynced) before
    /// any later action runs; if it fails, the driver must stop and run none of them.
    public enum Action: Hashable, Sendable {
        /// Append to the vote WAL and fsync. Precedes the broadcast of what it records.
        case writeAheadLog(WALRecord)
        /// Send a proposal to every delegate.
        case broadcastProposal(Proposal)
        /// Send a vote to every delegate.
        case broadcastVote(Vote)
        /// Pass on a vote signed by another delegate to every delegate (gossip: what one
        /// correct node accepted, all correct nodes get, which Tendermint's liveness needs).
        case relayVote(Vote)
        /// Pass on a proposal signed by another delegate to every delegate.
        case relayProposal(Proposal)
        /// Build a block for `height` and answer with `Event.blockBuilt`.
        case requestBlock(height: UInt64, round: UInt32)
        /// Check the proposed block `blockHash` (fetching it if needed) and answer with
        /// `Event.blockValidated`.
        case validateBlock(height: UInt64, blockHash: Hash32)
        /// Start a timer and report `Event.timeout(timeout)` when it expires.
        case scheduleTimeout(Timeout, after: Duration)
        /// `blockHash` is final at `height`: commit it, then send `Event.committed`.
        case decide(height: UInt64, blockHash: Hash32, certificate: CommitCertificate)
        /// A delegate double-signed: keep the evidence (for the chain to slash).
        case recordEvidence(DoubleSignEvidence)
        /// `peer` is still voting at `height`, already decided here: send it that height's
        /// commit certificate (from the block store). Emitted for every such vote, relays and
        /// late arrivals included, so the driver should rate-limit it per peer.
        case peerLagging(peer: Address, height: UInt64)
    }
}
