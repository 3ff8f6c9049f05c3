import MoteCrypto
import MotePrimitives

/// A proposer's signed proposal of a block for one height and round.
///
/// `polRound` is Tendermint's valid round: the round in which the proposer saw more than 2/3
/// prevotes for this block (a proof of lock), or nil (−1) for a fresh block. Signed:
/// `keccak256(rlp(["mote/proposal/v1", chainId, height, round, blockHash, polRound + 1]))`;
/// wire form `rlp([height, round, blockHash, polRound + 1, proposer, r, s, v])` (0 = none).
public struct Proposal: Hashable, Sendable, CustomStringConvertible {
    /// The height proposed for.
    public let height: UInt64
    /// The round proposed in.
    public let round: UInt32
    /// The proposed block.
    public let blockHash: Hash32
    /// The proof-of-lock round, below `round`, or nil.
    public let polRound: UInt32?
    /// The delegate that signed (must be the round's proposer).
    public let proposer: Address
    /// The signature over `signingHash(chainID:)`.
    public let signature: Secp256k1.RecoverableSignature

    /// The largest encoded proposal accepted.
    public static let maxEncodedSize = 256

    /// A proposal from its parts; `verify(chainID:)` checks the signature.
    public init(
        height: UInt64, round: UInt32, blockHash: Hash32, polRound: UInt32?, proposer: Address,
        signature: Secp256k1.RecoverableSignature
    ) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.polRound = polRound
        self.proposer = proposer
        self.signature = signature
    }

    /// Signs a new proposal with `key`.
    public init(
        height: UInt64, round: UInt32, blockHash: Hash32, polRound: UInt32?, chainID: UInt64,
        signingWith key: Secp256k1.PrivateKey
    ) {
        let digest = Proposal.signingHash(
            height: height, round: round, blockHash: blockHash, polRound: polRound, chainID: chainID)
        self.init(
            height: height, round: round, blockHash: blockHash, polRound: polRound, proposer: key.address,
            signature: key.sign(hash: digest))
    }

    /// The digest a proposer signs: domain-separated, chain-bound.
    public static func signingHash(
        height: UInt64, round: UInt32, blockHash: Hash32, polRound: UInt32?, chainID: UInt64
    ) -> Hash32 {
        Keccak256.hash(RLP.encode(.list([
            .bytes(Array("mote/proposal/v1".utf8)), .uint(chainID), .uint(height), .uint(UInt64(round)),
            .hash(blockHash), .uint(polRound.map { UInt64($0) + 1 } ?? 0),
        ])))
    }

    /// The digest this proposal's signature covers.
    public func signingHash(chainID: UInt64) -> Hash32 {
        Proposal.signingHash(height: height, round: round, blockHash: blockHash, polRound: polRound, chainID: chainID)
    }

    /// Throws unless `proposer` signed this proposal on `chainID` and `polRound < round`.
    public func verify(chainID: UInt64) throws(ConsensusError) {
        if let polRound, polRound >= round {
            throw ConsensusError(.inconsistent("proposal POL round \(polRound) is not below its round \(round)"))
        }
        try checkSignature(signature, over: signingHash(chainID: chainID), by: proposer, what: "\(self)")
    }

    /// The proposal as an RLP item.
    public var rlp: RLPItem {
        .list([
            .uint(height), .uint(UInt64(round)), .hash(blockHash), .uint(polRound.map { UInt64($0) + 1 } ?? 0),
            .address(proposer),
        ] + signature.consensusItems)
    }

    /// The wire encoding.
    public func encoded() -> [UInt8] { RLP.encode(rlp) }

    /// Decodes a proposal strictly; does not verify it.
    public init(decoding bytes: [UInt8]) throws(ConsensusError) {
        try self.init(rlp: decodeConsensusRLP(bytes, what: "proposal", limit: Proposal.maxEncodedSize))
    }

    /// Reads a proposal from an RLP item.
    public init(rlp: RLPItem) throws(ConsensusError) {
        let f = try rlp.consensusList("proposal", count: 8)
        let pol = try f[3].consensusUInt64("proposal POL round")
        guard pol <= UInt64(UInt32.max) + 1 else { throw ConsensusError(.malformed("proposal POL round: above 2^32")) }
        self.init(
            height: try f[0].consensusUInt64("proposal height"), round: try f[1].consensusUInt32("proposal round"),
            blockHash: try f[2].consensusHash("proposal block hash"), polRound: pol == 0 ? nil : UInt32(pol - 1),
            proposer: try f[4].consensusAddress("proposal proposer"),
            signature: try Secp256k1.RecoverableSignature(consensusItems: f[5...7], what: "proposal signature"))
    }

    public var description: String {
        "proposal(h\(height) r\(round) \(String(blockHash.hex.prefix(10))) pol \(polRound.map(String.init) ?? "-1") by \(String(proposer.hex.prefix(10))))"
    }
}
