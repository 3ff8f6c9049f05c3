import MoteChain
import MoteConsensus
import MoteCrypto
import MoteDeviceSDK
import MotePrimitives
import Testing

/// A tiny finalized chain for light-client tests: headers signed off by real precommits.
struct CertifiedChain {
    static let chainID: UInt64 = 4_689
    static let epochLength: UInt64 = 10
    let keys = (1...4).map { try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: UInt8($0), count: 32)) }
    var producers: [Address] { keys.map(\.address) }
    /// Raw headers by height (1…count), each certified by the next one's `parentCommit`.
    var raw: [UInt64: [UInt8]] = [:]

    init(count: UInt64, signers: Int = 3) {
        var parent = Keccak256.hash(utf8: "genesis")
        var commit: [UInt8] = []
        for height in 1...count {
            let header = Self.header(height: height, parent: parent, producer: keys[Int(height) % 4].address, commit: commit)
            raw[height] = header.encoded
            parent = header.hash
            commit = Self.certificate(height: height, hash: parent, keys: Array(keys.prefix(signers))).encoded()
        }
    }

    static func header(height: UInt64, parent: Hash32, producer: Address, commit: [UInt8], stateRoot: Hash32 = .zero) -> BlockHeader {
        BlockHeader(
            parentHash: parent, height: height, timestamp: 1_700_000_000 + height, producer: producer,
            epoch: (height - 1) / epochLength + 1, stateRoot: stateRoot, transactionsRoot: .zero, receiptsRoot: .zero, logsBloom: Bloom(),
            gasUsed: 0, gasLimit: 30_000_000, baseFee: UInt256(1_000_000_000), parentCommit: commit)
    }

    static func certificate(height: UInt64, hash: Hash32, keys: [Secp256k1.PrivateKey], chainID: UInt64 = chainID) -> CommitCertificate {
        CommitCertificate(height: height, round: 0, blockHash: hash, signatures: keys.map { key in
            let vote = Vote(kind: .precommit, height: height, round: 0, blockHash: hash, chainID: chainID, signingWith: key)
            return .init(signer: key.address, signature: vote.signature)
        })
    }

    func verify(_ height: UInt64, raw: [UInt8]? = nil, next: [UInt8]? = nil, previous: FinalizedHeader? = nil, producers: [Address]? = nil,
                chainID: UInt64 = chainID) throws(LightClientError) -> FinalizedHeader {
        try FinalizedHeaderCheck.verify(
            raw: raw ?? self.raw[height]!, rawNext: next ?? self.raw[height + 1]!, height: height, previous: previous,
            producers: producers ?? self.producers, chainID: chainID, epochLength: Self.epochLength)
    }
}

@Suite struct FinalizedHeaderCheckTests {
    let chain = CertifiedChain(count: 6)

    @Test func acceptsACertifiedChainLinkByLink() throws {
        var previous: FinalizedHeader? = nil
        for height in UInt64(1)...5 {
            let final = try chain.verify(height, previous: previous)
            #expect(final.height == height)
            #expect(final.hash == Keccak256.hash(chain.raw[height]!))
            previous = final
        }
    }

    @Test func rejectsAForgedHeader() throws {
        // A header the node made up (another state root): its hash is not what h + 1 links to.
        let real = try BlockHeader(encoded: chain.raw[3]!)
        let forged = CertifiedChain.header(height: 3, parent: real.parentHash, producer: real.producer, commit: real.parentCommit,
                                           stateRoot: Keccak256.hash(utf8: "forged"))
        #expect(throws: LightClientError.self) { try chain.verify(3, raw: forged.encoded) }
        // Garbage bytes, and the right header answered for the wrong height.
        #expect(throws: LightClientError.self) { try chain.verify(3, raw: [0xc0]) }
        #expect(throws: LightClientError.self) { try chain.verify(3, raw: chain.raw[2]!, next: chain.raw[3]!) }
    }

    @Test func rejectsAForgedCertificate() throws {
        let header = try BlockHeader(encoded: chain.raw[3]!)
        let hash = header.hash
        let next = try BlockHeader(encoded: chain.raw[4]!)
        func with(_ certificate: CommitCertificate?) -> [UInt8] {
            CertifiedChain.header(height: 4, parent: hash, producer: next.producer, commit: certificate?.encoded() ?? []).encoded
        }
        let outsiders = (10...12).map { try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: UInt8($0), count: 32)) }
        let cases: [(String, [UInt8])] = [
            ("only 2 of 4 producers: not more than 2/3", with(CertifiedChain.certificate(height: 3, hash: hash, keys: Array(chain.keys.prefix(2))))),
            ("signed by keys that are not producers", with(CertifiedChain.certificate(height: 3, hash: hash, keys: outsiders))),
            ("for another block", with(CertifiedChain.certificate(height: 3, hash: Keccak256.hash(utf8: "other"), keys: chain.keys))),
            ("for another height", with(CertifiedChain.certificate(height: 2, hash: hash, keys: chain.keys))),
            ("for another chain", with(CertifiedChain.certificate(height: 3, hash: hash, keys: chain.keys, chainID: 1))),
            ("missing", with(nil)),
        ]
        #expect(throws: Never.self) { try chain.verify(3, next: with(CertifiedChain.certificate(height: 3, hash: hash, keys: chain.keys))) }
        for (name, bytes) in cases {
            #expect(throws: LightClientError.self, "\(name)") { try chain.verify(3, next: bytes) }
        }
        // A signature copied under another producer's name does not recover to it.
        let good = CertifiedChain.certificate(height: 3, hash: hash, keys: Array(chain.keys.prefix(3)))
        let relabelled = CommitCertificate(height: 3, round: 0, blockHash: hash, signatures: [
            good.signatures[0], good.signatures[1], .init(signer: chain.keys[3].address, signature: good.signatures[0].signature),
        ])
        #expect(throws: LightClientError.self) { try chain.verify(3, next: with(relabelled)) }
    }

    @Test func rejectsTheWrongProducerSetAndBrokenLinks() throws {
        let outsiders = (20...23).map { try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: UInt8($0), count: 32)).address }
        #expect(throws: LightClientError.self) { try chain.verify(3, producers: outsiders) }
        #expect(throws: LightClientError.self) { try chain.verify(3, chainID: 7) }
        // Header 3 must extend the final header 2 the client already holds.
        let other = CertifiedChain(count: 4, signers: 4)
        let previous = try other.verify(2)
        #expect(throws: LightClientError.self) { try chain.verify(3, previous: previous) }
        #expect(throws: LightClientError.self) { try chain.verify(0, raw: chain.raw[1]!, next: chain.raw[2]!) }
    }
}
