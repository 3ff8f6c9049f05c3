import MotePrimitives

/// The votes of one kind in one round of the current height, counted per block as the paper
/// counts them: "2f+1 ⟨PREVOTE, h, r, id(v)⟩" means 2f+1 distinct signers that voted for
/// `v`. A double signer's conflicting votes each count for their own block (the machine only
/// admits a second vote for nil or a block proposed at this height, which bounds them);
/// quorum intersection still leaves f+1 honest signers in any two quorums, so this cannot
/// break safety, and it keeps correct nodes' views alike whichever vote they heard first.
struct VoteTally: Sendable {
    private(set) var bySigner: [Address: [Vote]] = [:]
    private(set) var counts: [Hash32?: Int] = [:]

    /// Distinct signers that voted, whatever for.
    var total: Int { bySigner.count }

    /// The number of distinct signers that voted for `blockHash` (nil: for no block).
    func count(for blockHash: Hash32?) -> Int { counts[blockHash] ?? 0 }

    /// The signer's votes, first one first.
    func votes(by signer: Address) -> [Vote] { bySigner[signer] ?? [] }

    /// True when the signer's vote for this block is already here.
    func contains(_ vote: Vote) -> Bool { votes(by: vote.signer).contains { $0.blockHash == vote.blockHash } }

    /// Adds the vote unless `contains` it.
    mutating func add(_ vote: Vote) {
        guard !contains(vote) else { return }
        bySigner[vote.signer, default: []].append(vote)
        counts[vote.blockHash, default: 0] += 1
    }

    /// One vote per signer that voted for `blockHash`, by signer address (a fixed order, so
    /// that the machine's actions do not depend on hashing seeds).
    func votes(for blockHash: Hash32?) -> [Vote] {
        bySigner.values.compactMap { $0.first { $0.blockHash == blockHash } }.sorted { $0.signer < $1.signer }
    }
}
