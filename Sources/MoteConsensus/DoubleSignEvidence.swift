import MotePrimitives

/// Proof that a delegate signed two different votes for the same height, round and kind.
///
/// The two votes are kept in a canonical order (by encoding), so every node that sees the
/// same pair records the same evidence.
public struct DoubleSignEvidence: Hashable, Sendable {
    /// The vote whose encoding sorts first.
    public let first: Vote
    /// The conflicting vote.
    public let second: Vote

    /// Pairs two conflicting votes; throws unless they conflict.
    public init(_ a: Vote, _ b: Vote) throws(ConsensusError) {
        guard a.conflicts(with: b) else {
            throw ConsensusError(.inconsistent("evidence: votes are not by one signer for one slot and different blocks"))
        }
        if a.encoded().lexicographicallyPrecedes(b.encoded()) { (first, second) = (a, b) } else { (first, second) = (b, a) }
    }

    /// The delegate that double-signed.
    public var offender: Address { first.signer }
    /// The height at which it did.
    public var height: UInt64 { first.height }

    /// Throws unless both signatures are valid on `chainID` (the offender really signed both).
    public func verify(chainID: UInt64) throws(ConsensusError) {
        try first.verify(chainID: chainID)
        try second.verify(chainID: chainID)
    }

    /// `rlp([firstVote, secondVote])`.
    public func encoded() -> [UInt8] { RLP.encode(.list([first.rlp, second.rlp])) }

    /// Decodes evidence strictly (both votes, and that they conflict); does not verify signatures.
    public init(decoding bytes: [UInt8]) throws(ConsensusError) {
        let f = try decodeConsensusRLP(bytes, what: "evidence", limit: 2 * Vote.maxEncodedSize + 8)
            .consensusList("evidence", count: 2)
        let a = try Vote(rlp: f[0]), b = try Vote(rlp: f[1])
        try self.init(a, b)
        guard first == a else { throw ConsensusError(.malformed("evidence: votes not in canonical order")) }
    }
}
