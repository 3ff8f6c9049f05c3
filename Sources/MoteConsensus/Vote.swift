import MoteCrypto
import MotePrimitives

/// The two votes of a round: endorse the proposal (prevote), then commit it (precommit).
public enum VoteKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// "Endorse": a delegate's first vote in a round, for the proposal or nil.
    case prevote = 1
    /// "Commit": a delegate's second vote; more than 2/3 of them for a block make it final.
    case precommit = 2

    public var description: String { self == .prevote ? "prevote" : "precommit" }
}

/// A delegate's signed vote for a block (or for nil) at one height and round.
///
/// Signed: `keccak256(rlp(["mote/vote/v1", chainId, kind, height, round, blockHash or ""]))`
/// with secp256k1 (low s, recoverable). Wire form:
/// `rlp([kind, height, round, blockHash or "", signer, r, s, v])`, at most `maxEncodedSize` bytes.
public struct Vote: Hashable, Sendable, CustomStringConvertible {
    /// Prevote or precommit.
    public let kind: VoteKind
    /// The height voted on.
    public let height: UInt64
    /// The round voted in.
    public let round: UInt32
    /// The block voted for, or nil for a vote for no block.
    public let blockHash: Hash32?
    /// The delegate that signed.
    public let signer: Address
    /// The signature over `signingHash(chainID:)`.
    public let signature: Secp256k1.RecoverableSignature

    /// The largest encoded vote accepted.
    public static let maxEncodedSize = 256

    /// A vote from its parts; `verify(chainID:)` checks that the signature fits.
    public init(
        kind: VoteKind, height: UInt64, round: UInt32, blockHash: Hash32?, signer: Address,
        signature: Secp256k1.RecoverableSignature
    ) {
        self.kind = kind
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signer = signer
        self.signature = signature
    }

    /// Signs a new vote with `key`.
    public init(
        kind: VoteKind, height: UInt64, round: UInt32, blockHash: Hash32?, chainID: UInt64,
        signingWith key: Secp256k1.PrivateKey
    ) {
        let digest = Vote.signingHash(kind: kind, height: height, round: round, blockHash: blockHash, chainID: chainID)
        self.init(
            kind: kind, height: height, round: round, blockHash: blockHash, signer: key.address,
            signature: key.sign(hash: digest))
    }

    /// The digest a delegate signs: domain-separated, chain-bound.
    public static func signingHash(
        kind: VoteKind, height: UInt64, round: UInt32, blockHash: Hash32?, chainID: UInt64
    ) -> Hash32 {
        Keccak256.hash(RLP.encode(.list([
            .bytes(Array("mote/vote/v1".utf8)), .uint(chainID), .uint(UInt64(kind.rawValue)), .uint(height),
            .uint(UInt64(round)), .optionalHash(blockHash),
        ])))
    }

    /// The digest this vote's signature covers.
    public func signingHash(chainID: UInt64) -> Hash32 {
        Vote.signingHash(kind: kind, height: height, round: round, blockHash: blockHash, chainID: chainID)
    }

    /// Throws unless `signer` made `signature` over this vote on `chainID`.
    public func verify(chainID: UInt64) throws(ConsensusError) {
        try checkSignature(signature, over: signingHash(chainID: chainID), by: signer, what: "\(self)")
    }

    /// The vote as an RLP item.
    public var rlp: RLPItem {
        .list([
            .uint(UInt64(kind.rawValue)), .uint(height), .uint(UInt64(round)), .optionalHash(blockHash),
            .address(signer),
        ] + signature.consensusItems)
    }

    /// The wire encoding.
    public func encoded() -> [UInt8] { RLP.encode(rlp) }

    /// Decodes a vote strictly (canonical RLP, exact field sizes, low s); does not verify it.
    public init(decoding bytes: [UInt8]) throws(ConsensusError) {
        try self.init(rlp: decodeConsensusRLP(bytes, what: "vote", limit: Vote.maxEncodedSize))
    }

    /// Reads a vote from an RLP item.
    public init(rlp: RLPItem) throws(ConsensusError) {
        let f = try rlp.consensusList("vote", count: 8)
        let rawKind = try f[0].consensusUInt64("vote kind")
        guard rawKind <= 255, let kind = VoteKind(rawValue: UInt8(rawKind)) else {
            throw ConsensusError(.malformed("vote kind: \(rawKind) is neither prevote (1) nor precommit (2)"))
        }
        self.init(
            kind: kind, height: try f[1].consensusUInt64("vote height"), round: try f[2].consensusUInt32("vote round"),
            blockHash: try f[3].consensusOptionalHash("vote block hash"), signer: try f[4].consensusAddress("vote signer"),
            signature: try Secp256k1.RecoverableSignature(consensusItems: f[5...7], what: "vote signature"))
    }

    /// True when both votes are by the same signer for the same slot but for different blocks.
    public func conflicts(with other: Vote) -> Bool {
        signer == other.signer && height == other.height && round == other.round && kind == other.kind
            && blockHash != other.blockHash
    }

    public var description: String {
        "\(kind)(h\(height) r\(round) \(blockHash.map { String($0.hex.prefix(10)) } ?? "nil") by \(String(signer.hex.prefix(10))))"
    }
}
