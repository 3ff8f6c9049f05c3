import MoteCrypto
import MotePrimitives

/// Proof that a block is final: more than 2/3 of the delegates' precommits for it in one round.
///
/// Its encoding goes into the next block header's `parentCommit`:
/// `rlp([height, round, blockHash, [[signer, r, s, v], …]])`, signers in validator-set order.
public struct CommitCertificate: Hashable, Sendable {
    /// One delegate's precommit signature.
    public struct Signature: Hashable, Sendable {
        /// The delegate.
        public let signer: Address
        /// Its precommit signature for the certificate's (height, round, block).
        public let signature: Secp256k1.RecoverableSignature

        /// A signature entry.
        public init(signer: Address, signature: Secp256k1.RecoverableSignature) {
            self.signer = signer
            self.signature = signature
        }
    }

    /// The height of the committed block.
    public let height: UInt64
    /// The round whose precommits committed it.
    public let round: UInt32
    /// The committed block.
    public let blockHash: Hash32
    /// The precommit signatures.
    public let signatures: [Signature]

    /// The largest encoded certificate accepted (the header's `parentCommit` limit).
    public static let maxEncodedSize = 64 * 1024
    /// The most signatures a certificate may carry.
    public static let maxSignatures = 512

    /// A certificate from its parts; `verify(validators:chainID:)` checks it.
    public init(height: UInt64, round: UInt32, blockHash: Hash32, signatures: [Signature]) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures
    }

    /// The precommit votes the certificate is made of.
    public var votes: [Vote] {
        signatures.map {
            Vote(kind: .precommit, height: height, round: round, blockHash: blockHash, signer: $0.signer, signature: $0.signature)
        }
    }

    /// Throws unless every signer is a distinct delegate of `validators` whose signature is a
    /// precommit for this block, and they are more than 2/3 of the set.
    public func verify(validators: ValidatorSet, chainID: UInt64) throws(ConsensusError) {
        guard signatures.count <= Self.maxSignatures else {
            throw ConsensusError(.malformed("certificate: more than \(Self.maxSignatures) signatures"))
        }
        var seen = Set<Address>()
        for entry in signatures {
            guard validators.contains(entry.signer) else { throw ConsensusError(.notADelegate("\(entry.signer)")) }
            guard seen.insert(entry.signer).inserted else { throw ConsensusError(.duplicateSigner("\(entry.signer)")) }
        }
        guard seen.count >= validators.quorum else {
            throw ConsensusError(.insufficientQuorum(have: seen.count, need: validators.quorum))
        }
        for vote in votes { try vote.verify(chainID: chainID) }
    }

    /// The certificate as an RLP item.
    public var rlp: RLPItem {
        .list([
            .uint(height), .uint(UInt64(round)), .hash(blockHash),
            .list(signatures.map { .list([.address($0.signer)] + $0.signature.consensusItems) }),
        ])
    }

    /// The encoding stored in the next header's `parentCommit`.
    public func encoded() -> [UInt8] { RLP.encode(rlp) }

    /// Decodes a certificate strictly; does not verify it.
    public init(decoding bytes: [UInt8]) throws(ConsensusError) {
        let f = try decodeConsensusRLP(bytes, what: "certificate", limit: Self.maxEncodedSize)
            .consensusList("certificate", count: 4)
        guard case .list(let entries) = f[3] else { throw ConsensusError(.malformed("certificate signatures: expected a list")) }
        guard entries.count <= Self.maxSignatures else {
            throw ConsensusError(.malformed("certificate: more than \(Self.maxSignatures) signatures"))
        }
        var signatures: [Signature] = []
        signatures.reserveCapacity(entries.count)
        for entry in entries {
            let e = try entry.consensusList("certificate signature", count: 4)
            signatures.append(Signature(
                signer: try e[0].consensusAddress("certificate signer"),
                signature: try Secp256k1.RecoverableSignature(consensusItems: e[1...3], what: "certificate signature")))
        }
        self.init(
            height: try f[0].consensusUInt64("certificate height"), round: try f[1].consensusUInt32("certificate round"),
            blockHash: try f[2].consensusHash("certificate block hash"), signatures: signatures)
    }
}
