import MoteChain
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import MoteTransactions

/// Deterministic keys and values for seed inputs (never used for value).
enum FuzzFixtures {
    static let chainID: UInt64 = 4_689
    static let keys = (1...3).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "mote fuzz key \($0)").bytes) }
    static func hash(_ label: String) -> Hash32 { Keccak256.hash(utf8: label) }
    static func address(_ label: String) -> Address { Address(suffixOf: hash(label)) }

    /// One transaction of each kind and shape: legacy (protected and not), EIP-2930 with an
    /// access list, EIP-1559 transfer, call with data, contract creation.
    static let transactions: [SignedTransaction] = {
        let to = address("fuzz recipient")
        return [
            Transaction.legacy(chainID: chainID, nonce: 0, gasPrice: 1_000_000_000, gasLimit: 21_000, to: to, value: 1).signed(with: keys[0]),
            Transaction.legacy(chainID: nil, nonce: 7, gasPrice: 2_000_000_000, gasLimit: 60_000, to: to, value: 0, data: [0xA9, 0x05, 0x9C, 0xBB])
                .signed(with: keys[1]),
            Transaction.accessList(
                chainID: chainID, nonce: 1, gasPrice: 3_000_000_000, gasLimit: 50_000, to: to, value: 5,
                accessList: [AccessListEntry(address: to, storageKeys: [hash("slot 0"), hash("slot 1")])]
            ).signed(with: keys[2]),
            Transaction.dynamicFee(
                chainID: chainID, nonce: 2, maxPriorityFeePerGas: 2_000_000_000, maxFeePerGas: 10_000_000_000, gasLimit: 21_000, to: to,
                value: UInt256(decimal: "1000000000000000000")!
            ).signed(with: keys[0]),
            Transaction.dynamicFee(
                chainID: chainID, nonce: 3, maxPriorityFeePerGas: 1, maxFeePerGas: 1_000_000_000, gasLimit: 100_000, to: nil, value: 0,
                data: Array(repeating: 0x60, count: 40)
            ).signed(with: keys[1]),
        ]
    }()

    static func header(height: UInt64, parentCommit: [UInt8] = [], vrfProof: [UInt8] = []) -> BlockHeader {
        BlockHeader(
            parentHash: hash("parent \(height)"), height: height, timestamp: 1_700_000_000 + height, producer: address("producer"), epoch: 1,
            stateRoot: hash("state"), transactionsRoot: hash("txs"), receiptsRoot: hash("receipts"), logsBloom: Bloom(), gasUsed: 21_000,
            gasLimit: 30_000_000, baseFee: 1_000_000_000, parentCommit: parentCommit, vrfProof: vrfProof)
    }

    static let votes: [Vote] = [
        Vote(kind: .prevote, height: 5, round: 0, blockHash: hash("block 5"), chainID: chainID, signingWith: keys[0]),
        Vote(kind: .precommit, height: 5, round: 1, blockHash: hash("block 5"), chainID: chainID, signingWith: keys[1]),
        Vote(kind: .prevote, height: 9, round: 3, blockHash: nil, chainID: chainID, signingWith: keys[2]),
    ]

    static let proposals: [Proposal] = [
        Proposal(height: 5, round: 0, blockHash: hash("block 5"), polRound: nil, chainID: chainID, signingWith: keys[0]),
        Proposal(height: 6, round: 2, blockHash: hash("block 6"), polRound: 1, chainID: chainID, signingWith: keys[1]),
    ]

    static let certificate: CommitCertificate = {
        let block = hash("block 5")
        let signatures = keys.map { key in
            let vote = Vote(kind: .precommit, height: 5, round: 0, blockHash: block, chainID: chainID, signingWith: key)
            return CommitCertificate.Signature(signer: vote.signer, signature: vote.signature)
        }
        return CommitCertificate(height: 5, round: 0, blockHash: block, signatures: signatures)
    }()

    /// One device key per curve.
    static let deviceKeys: [DevicePrivateKey] = DeviceCurve.allCases.map { curve in
        try! DevicePrivateKey(curve: curve, secret: Keccak256.hash(utf8: "mote fuzz device \(curve)").bytes)
    }
}

/// RLP tokens for the dictionaries: headers at every length boundary.
let rlpTokens: [[UInt8]] = [
    [0x80], [0x81, 0x00], [0x81, 0x7F], [0xB7], [0xB8, 0x38], [0xB8, 0x37], [0xB9, 0x00, 0x38], [0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    [0xC0], [0xC1, 0x80], [0xF7], [0xF8, 0x38], [0xF8, 0x37], [0xF9, 0x01, 0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    [0xA0], [0x94], [0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
]

/// `.failure` unless `reencoded` is `input`: a canonical format decodes one way only.
func roundTrip(_ what: String, _ reencoded: [UInt8], _ input: [UInt8]) -> FuzzOutcome {
    guard reencoded == input else {
        return .failure("\(what) re-encodes to \(reencoded.count) bytes that differ from the \(input.count) decoded")
    }
    return .accepted
}

extension FuzzTarget {
    /// `RLP.decode` and `RLP.decodePrefix`: strict and canonical.
    public static let rlp = FuzzTarget(
        name: "rlp", summary: "RLP.decode / decodePrefix (strict): a decoded item re-encodes to the same bytes",
        seeds: [
            RLP.encode(.bytes([])), RLP.encode(.bytes([0x00])), RLP.encode(.bytes([0x7F])), RLP.encode(.bytes([0x80])),
            RLP.encode(.bytes(Array(repeating: 0xAB, count: 55))), RLP.encode(.bytes(Array(repeating: 0xCD, count: 56))),
            RLP.encode(.bytes(Array(repeating: 0xEF, count: 300))), RLP.encode(.list([])),
            RLP.encode(.list([.bytes([1]), .list([.bytes([]), .list([.list([])])]), .bytes(Array(repeating: 7, count: 60))])),
            RLP.encode(.list((0..<20).map { .uint(UInt64($0) * 1_000_003) })), RLP.encode(.uint(UInt256.max)),
        ] + FuzzFixtures.transactions.map(\.rawBytes).filter { $0[0] >= 0xC0 },
        dictionary: rlpTokens
    ) { input in
        // A prefix decode must agree with a full decode of the prefix it claims.
        if let (item, length) = try? RLP.decodePrefix(input) {
            guard length >= 1, length <= input.count else { return .failure("decodePrefix claims \(length) of \(input.count) bytes") }
            guard let whole = try? RLP.decode(Array(input[..<length])), whole == item else {
                return .failure("decodePrefix accepts a \(length)-byte prefix that decode refuses or reads differently")
            }
        }
        guard let item = try? RLP.decode(input) else { return .rejected }
        guard item.encodedLength == input.count else { return .failure("encodedLength \(item.encodedLength) for \(input.count) bytes") }
        return roundTrip("RLP item", RLP.encode(item), input)
    }

    /// Ethereum transactions: decode with the chain's rules (and without, as read back from
    /// storage), recover the sender, re-encode.
    public static let transaction = FuzzTarget(
        name: "transaction",
        summary: "UnverifiedTransaction(decoding:rules:) and sender recovery (legacy, EIP-2930, EIP-1559): re-encodes to the same bytes",
        seeds: FuzzFixtures.transactions.map(\.rawBytes),
        dictionary: rlpTokens + [[0x01], [0x02], [0x03], [0x7F], [0x1B], [0x1C], [0x82, 0x24, 0xC5]]
    ) { input in
        let strict = TransactionRules(chainID: FuzzFixtures.chainID)
        let stored = TransactionRules(chainID: nil, maxEncodedSize: .max)
        let checked = try? UnverifiedTransaction(decoding: input, rules: strict)
        guard let unverified = checked ?? (try? UnverifiedTransaction(decoding: input, rules: stored, checkRules: false)) else {
            return .rejected
        }
        let outcome = roundTrip("transaction", unverified.transaction.encoded(with: unverified.signature), input)
        guard outcome == .accepted else { return outcome }
        guard unverified.hash == Keccak256.hash(input) else { return .failure("transaction hash is not keccak256 of its bytes") }
        if checked != nil, let signed = try? SignedTransaction(decoding: input, rules: strict) {
            guard signed.rawBytes == input, signed.hash == unverified.hash else { return .failure("SignedTransaction disagrees with the decode") }
        }
        return .accepted
    }

    /// Blocks in wire and storage form, and headers alone.
    public static let block = FuzzTarget(
        name: "block",
        summary: "Block(encoded:rules:) with sender recovery, Block(storageEncoding:), BlockHeader(encoded:): re-encode to the same bytes",
        seeds: {
            let certificate = FuzzFixtures.certificate.encoded()
            let empty = Block(header: FuzzFixtures.header(height: 1), transactions: [])
            let full = Block(
                header: FuzzFixtures.header(height: 6, parentCommit: certificate, vrfProof: Array(repeating: 0x5A, count: 80)),
                transactions: Array(FuzzFixtures.transactions.prefix(3)))
            return [empty.encoded, full.encoded, full.storageEncoding, full.header.encoded, empty.header.encoded]
        }(),
        dictionary: rlpTokens, maxInputSize: 16_384
    ) { input in
        let rules = TransactionRules(chainID: FuzzFixtures.chainID)
        var accepted = false
        if let header = try? BlockHeader(encoded: input) {
            guard roundTrip("header", header.encoded, input) == .accepted else { return roundTrip("header", header.encoded, input) }
            accepted = true
        }
        if let header = try? Block.header(ofEncoded: input) {
            guard let block = try? Block(encoded: input, rules: rules) else { return accepted ? .accepted : .rejected }
            guard block.header == header else { return .failure("Block.header(ofEncoded:) disagrees with the block's header") }
            guard block.encoded == input else { return roundTrip("block", block.encoded, input) }
            accepted = true
        }
        if let block = try? Block(storageEncoding: input) {
            guard block.storageEncoding == input else { return roundTrip("stored block", block.storageEncoding, input) }
            accepted = true
        }
        return accepted ? .accepted : .rejected
    }

    /// Consensus messages: votes, proposals, commit certificates, double-sign evidence, WAL
    /// record payloads.
    public static let consensus = FuzzTarget(
        name: "consensus",
        summary: "Vote, Proposal, CommitCertificate, DoubleSignEvidence, WALRecord decoders: re-encode to the same bytes",
        seeds: FuzzFixtures.votes.map { $0.encoded() } + FuzzFixtures.proposals.map { $0.encoded() } + [
            FuzzFixtures.certificate.encoded(),
            (try! DoubleSignEvidence(
                FuzzFixtures.votes[0],
                Vote(kind: .prevote, height: 5, round: 0, blockHash: FuzzFixtures.hash("other block"), chainID: FuzzFixtures.chainID,
                    signingWith: FuzzFixtures.keys[0]))).encoded(),
            WALRecord(height: 5, round: 0, step: .prevote, message: .vote(FuzzFixtures.votes[0])).encoded(),
            WALRecord(height: 6, round: 2, step: .propose, message: .proposal(FuzzFixtures.proposals[1])).encoded(),
        ],
        dictionary: rlpTokens + [[0x01], [0x02], [0x03]], maxInputSize: 2_048
    ) { input in
        var accepted = false
        func check(_ outcome: FuzzOutcome) -> FuzzOutcome? {
            if outcome != .accepted { return outcome }
            accepted = true
            return nil
        }
        if let vote = try? Vote(decoding: input) {
            if let bad = check(roundTrip("vote", vote.encoded(), input)) { return bad }
            _ = try? vote.verify(chainID: FuzzFixtures.chainID)
        }
        if let proposal = try? Proposal(decoding: input), let bad = check(roundTrip("proposal", proposal.encoded(), input)) { return bad }
        if let certificate = try? CommitCertificate(decoding: input) {
            if let bad = check(roundTrip("certificate", certificate.encoded(), input)) { return bad }
            guard certificate.signatures.count <= CommitCertificate.maxSignatures else { return .failure("certificate over the signature limit") }
        }
        if let evidence = try? DoubleSignEvidence(decoding: input) {
            if let bad = check(roundTrip("evidence", evidence.encoded(), input)) { return bad }
            _ = try? evidence.verify(chainID: FuzzFixtures.chainID)
        }
        if let record = try? WALRecord(decoding: input), let bad = check(roundTrip("WAL record", record.encoded(), input)) { return bad }
        return accepted ? .accepted : .rejected
    }

    /// Signed telemetry envelopes, binary and JSON, with signature checks.
    public static let telemetryEnvelope = FuzzTarget(
        name: "telemetry-envelope",
        summary: "TelemetryEnvelope(binary:) (re-encodes to the same bytes) and TelemetryEnvelope(json:) (round trip), signature checks",
        seeds: {
            var seeds: [[UInt8]] = []
            for (i, key) in FuzzFixtures.deviceKeys.enumerated() {
                let envelope = TelemetryEnvelope.signed(
                    by: key, chainID: FuzzFixtures.chainID, sequence: UInt64(i + 1), timestamp: 1_700_000_000_000,
                    contentType: i == 0 ? "application/json" : "application/octet-stream",
                    payload: i == 0 ? Array(#"{"steps":42,"lat":52.52}"#.utf8) : Array(0..<UInt8(40)))
                seeds.append(envelope.binary)
                seeds.append(envelope.json.serialized)
            }
            return seeds
        }(),
        dictionary: [
            Array(#""v":1"#.utf8), Array(#""seq":"#.utf8), Array(#""ts":"#.utf8), Array(#""payload":""#.utf8), Array(#""sig":"0x"#.utf8),
            Array("18446744073709551615".utf8), Array("-1".utf8), Array("1e400".utf8), Array("==".utf8), [0x01], [0xFF, 0xFF, 0xFF, 0xFF],
        ],
        maxInputSize: 8_192
    ) { input in
        var accepted = false
        if let envelope = try? TelemetryEnvelope(binary: input) {
            guard envelope.binary == input else { return roundTrip("binary envelope", envelope.binary, input) }
            if let key = FuzzFixtures.deviceKeys.first(where: { $0.publicKey.deviceID == envelope.deviceID }) {
                _ = envelope.isValidSignature(by: key.publicKey, chainID: FuzzFixtures.chainID)
            }
            accepted = true
        }
        if let json = try? JSON.parse(input), let envelope = try? TelemetryEnvelope(json: json) {
            guard let again = try? TelemetryEnvelope(json: JSON.parse(envelope.json.serialized)), again == envelope else {
                return .failure("JSON envelope does not survive serialize → parse")
            }
            guard (try? TelemetryEnvelope(binary: envelope.binary)) == envelope else {
                return .failure("a JSON envelope's binary form decodes to another envelope")
            }
            accepted = true
        }
        return accepted ? .accepted : .rejected
    }
}
