import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// Encodings of votes, proposals, certificates and evidence; certificate verification.
@Suite struct ConsensusMessageTests {
    static let chainID: UInt64 = 4690
    static let keys = (0..<4).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "message test \($0)").bytes) }
    static let validators = try! ValidatorSet(keys.map(\.address))
    static let block = Keccak256.hash(utf8: "block")

    static func precommits(_ keys: ArraySlice<Secp256k1.PrivateKey>, block: Hash32 = block) -> [CommitCertificate.Signature] {
        keys.map {
            let vote = Vote(kind: .precommit, height: 7, round: 2, blockHash: block, chainID: chainID, signingWith: $0)
            return CommitCertificate.Signature(signer: vote.signer, signature: vote.signature)
        }
    }

    @Test func voteRoundTripsAndVerifies() throws {
        for hash in [Self.block, nil] as [Hash32?] {
            for kind in VoteKind.allCases {
                let vote = Vote(kind: kind, height: 9, round: 3, blockHash: hash, chainID: Self.chainID, signingWith: Self.keys[1])
                let decoded = try Vote(decoding: vote.encoded())
                #expect(decoded == vote)
                try decoded.verify(chainID: Self.chainID)
                #expect(throws: ConsensusError.self) { try decoded.verify(chainID: Self.chainID + 1) }
            }
        }
    }

    @Test func voteSignaturesAreDomainSeparated() {
        let prevote = Vote.signingHash(kind: .prevote, height: 1, round: 0, blockHash: Self.block, chainID: 1)
        let precommit = Vote.signingHash(kind: .precommit, height: 1, round: 0, blockHash: Self.block, chainID: 1)
        let proposal = Proposal.signingHash(height: 1, round: 0, blockHash: Self.block, polRound: nil, chainID: 1)
        #expect(Set([prevote, precommit, proposal]).count == 3)
    }

    @Test func voteDecodingIsStrict() throws {
        let vote = Vote(kind: .prevote, height: 9, round: 3, blockHash: Self.block, chainID: Self.chainID, signingWith: Self.keys[0])
        var bytes = vote.encoded()
        #expect(throws: ConsensusError.self) { try Vote(decoding: bytes + [0]) }
        #expect(throws: ConsensusError.self) { try Vote(decoding: Array(bytes.dropLast())) }
        #expect(throws: ConsensusError.self) { try Vote(decoding: [UInt8](repeating: 0xc0, count: 300)) }
        // Wrong kind, a 31-byte hash, a recovery id of 2, high s.
        guard case .list(var f) = try RLP.decode(bytes) else { Issue.record("not a list"); return }
        let good = f
        f[0] = .uint(UInt64(3))
        #expect(throws: ConsensusError.self) { try Vote(rlp: .list(f)) }
        f = good; f[3] = .bytes(Array(repeating: 1, count: 31))
        #expect(throws: ConsensusError.self) { try Vote(rlp: .list(f)) }
        f = good; f[7] = .uint(UInt64(2))
        #expect(throws: ConsensusError.self) { try Vote(rlp: .list(f)) }
        f = good; f[6] = .uint(Secp256k1.order - vote.signature.s)
        #expect(throws: ConsensusError.self) { try Vote(rlp: .list(f)) }
        f = good; f[1] = .bytes([0, 9])
        #expect(throws: ConsensusError.self) { try Vote(rlp: .list(f)) }
        // A signature by someone else than the named signer.
        bytes = Vote(kind: .prevote, height: 9, round: 3, blockHash: Self.block, signer: Self.keys[2].address, signature: vote.signature).encoded()
        #expect(throws: ConsensusError.self) { try Vote(decoding: bytes).verify(chainID: Self.chainID) }
    }

    @Test func proposalRoundTripsAndVerifies() throws {
        for pol in [nil, 0, 4] as [UInt32?] {
            let proposal = Proposal(height: 3, round: 5, blockHash: Self.block, polRound: pol, chainID: Self.chainID, signingWith: Self.keys[2])
            let decoded = try Proposal(decoding: proposal.encoded())
            #expect(decoded == proposal)
            try decoded.verify(chainID: Self.chainID)
        }
        let bad = Proposal(height: 3, round: 5, blockHash: Self.block, polRound: 5, chainID: Self.chainID, signingWith: Self.keys[2])
        #expect(throws: ConsensusError.self) { try bad.verify(chainID: Self.chainID) }
    }

    @Test func validatorSetRotatesProposers() throws {
        let set = Self.validators
        #expect(set.proposer(height: 0, round: 0) == set.producers[0])
        #expect(set.proposer(height: 5, round: 2) == set.producers[3])
        #expect(set.proposer(height: UInt64.max, round: UInt32.max) == set.producers[Int((UInt64.max % 4 + UInt64(UInt32.max) % 4) % 4)])
        #expect(set.quorum == 3)
        #expect(set.oneThirdPlus == 2)
        #expect(try ValidatorSet(Array(Self.keys.prefix(3).map(\.address))).quorum == 3)
        #expect(throws: ConsensusError.self) { try ValidatorSet([]) }
        #expect(throws: ConsensusError.self) { try ValidatorSet([Self.keys[0].address, Self.keys[0].address]) }
    }

    @Test func certificateVerifiesAndRoundTrips() throws {
        let certificate = CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: Self.precommits(Self.keys[0..<3]))
        try certificate.verify(validators: Self.validators, chainID: Self.chainID)
        let decoded = try CommitCertificate(decoding: certificate.encoded())
        #expect(decoded == certificate)
        try decoded.verify(validators: Self.validators, chainID: Self.chainID)
    }

    @Test func tamperedCertificatesFail() throws {
        let good = Self.precommits(Self.keys[0..<3])
        func fails(_ certificate: CommitCertificate, _ why: String) {
            #expect(throws: ConsensusError.self, "\(why)") { try certificate.verify(validators: Self.validators, chainID: Self.chainID) }
        }
        // Missing signatures: 2 of 4 is not more than 2/3.
        fails(CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: Array(good.prefix(2))), "missing")
        // A duplicate signer padding the count.
        fails(CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: Array(good.prefix(2)) + [good[0]]), "duplicate")
        // A non-delegate.
        let outsider = try Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "outsider").bytes)
        fails(CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: Array(good.prefix(2)) + Self.precommits([outsider][...])), "outsider")
        // Signatures for another block, height or round.
        fails(CommitCertificate(height: 7, round: 2, blockHash: Keccak256.hash(utf8: "other"), signatures: good), "hash")
        fails(CommitCertificate(height: 8, round: 2, blockHash: Self.block, signatures: good), "height")
        fails(CommitCertificate(height: 7, round: 1, blockHash: Self.block, signatures: good), "round")
        // A signature attributed to the wrong delegate.
        var swapped = good
        swapped[2] = CommitCertificate.Signature(signer: Self.keys[3].address, signature: good[2].signature)
        fails(CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: swapped), "wrong signer")
        // Prevotes are not precommits.
        let prevotes = Self.keys[0..<3].map {
            let v = Vote(kind: .prevote, height: 7, round: 2, blockHash: Self.block, chainID: Self.chainID, signingWith: $0)
            return CommitCertificate.Signature(signer: v.signer, signature: v.signature)
        }
        fails(CommitCertificate(height: 7, round: 2, blockHash: Self.block, signatures: prevotes), "prevotes")
        // Garbage and oversize encodings.
        #expect(throws: ConsensusError.self) { try CommitCertificate(decoding: [0xc1, 0x80]) }
        #expect(throws: ConsensusError.self) { try CommitCertificate(decoding: [UInt8](repeating: 0, count: CommitCertificate.maxEncodedSize + 1)) }
    }

    @Test func evidenceRoundTripsInCanonicalOrder() throws {
        let a = Vote(kind: .prevote, height: 4, round: 1, blockHash: Self.block, chainID: Self.chainID, signingWith: Self.keys[3])
        let b = Vote(kind: .prevote, height: 4, round: 1, blockHash: nil, chainID: Self.chainID, signingWith: Self.keys[3])
        let e1 = try DoubleSignEvidence(a, b), e2 = try DoubleSignEvidence(b, a)
        #expect(e1 == e2)
        #expect(e1.offender == Self.keys[3].address)
        try e1.verify(chainID: Self.chainID)
        #expect(try DoubleSignEvidence(decoding: e1.encoded()) == e1)
        let c = Vote(kind: .precommit, height: 4, round: 1, blockHash: nil, chainID: Self.chainID, signingWith: Self.keys[3])
        #expect(throws: ConsensusError.self) { try DoubleSignEvidence(a, c) }
        #expect(throws: ConsensusError.self) { try DoubleSignEvidence(a, a) }
    }
}
