import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteWitness

/// The witness pool at 0x…4d4f54450006: Proof of Assignment's devices and trusted nodes that
/// witness blocks (docs/WITNESSING.md).
///
/// A witness joins with an Ed25519 witness key (also its ECVRF key) and a possession proof;
/// its weight in the sortition is its reputation, fixed per epoch at the epoch's start.
/// `submitAttestations` checks each attestation on its own: a valid one pays the witness's
/// owner `attestationReward` from this contract's balance and builds reputation; an
/// incoherent one (a hash that is not the canonical block, or a second hash for one height)
/// blacklists the witness for `blacklistBlocks` and cuts its reputation; anything else is
/// skipped with `AttestationRejected`. Nothing makes the transaction revert but gas.
public struct WitnessPoolContract: SystemContract {
    public typealias ABI = WitnessPoolABI
    let genesis: Genesis

    /// Gas per attestation for the ECVRF verification.
    public static let vrfVerifyGas: UInt64 = 25_000
    /// Gas per signature check (the attestation's, or a possession proof).
    public static let signatureCheckGas: UInt64 = 3_000
    /// The most attestations one call takes.
    public static let maxAttestationsPerCall = 256
    /// The domain tag of a possession proof.
    public static let possessionTag = Array("MOTE-WITNESS-KEY-V1".utf8)

    public init(genesis: Genesis) { self.genesis = genesis }

    // MARK: End of block

    /// After the last block of an epoch, once the election ran: the next epoch's weights are fixed (`WitnessEpochs`).
    public var endBlockPhase: EndBlockPhase? { .snapshots }

    public func endBlock(_ block: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages) throws(LedgerError) {
        guard block.isLastOfEpoch else { return }
        try stages.run(.witnessSnapshot) { () throws(SystemContractRevert) in
            try WitnessEpochs.snapshot(context: context, epoch: block.epoch + 1, genesis: genesis)
        }
    }

    // MARK: Calls

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<WitnessPoolContract>(WitnessPoolABI.self, [
        (WitnessPoolABI.joinAsDevice, WitnessPoolContract.joinAsDevice),
        (WitnessPoolABI.joinAsNode, WitnessPoolContract.joinAsNode),
        (WitnessPoolABI.leavePool, WitnessPoolContract.leavePool),
        (WitnessPoolABI.fundPool, WitnessPoolContract.fundPool),
        (WitnessPoolABI.submitAttestations, WitnessPoolContract.submitAttestations),
        (WitnessPoolABI.witness, WitnessPoolContract.witness),
        (WitnessPoolABI.witnessByKey, WitnessPoolContract.witnessByKey),
        (WitnessPoolABI.witnessCount, WitnessPoolContract.witnessCount),
        (WitnessPoolABI.witnessAt, WitnessPoolContract.witnessAt),
        (WitnessPoolABI.epochWeights, WitnessPoolContract.epochWeights),
        (WitnessPoolABI.heightStatus, WitnessPoolContract.heightStatus),
        (WitnessPoolABI.witnessParameters, WitnessPoolContract.witnessParameters),
    ])

    func joinAsDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let id = try a.address("deviceId")
        let device = try DeviceBook(context).owned(id, by: context.caller)
        guard device.status == .active else { throw SystemContractRevert("device \(id.checksummed) is \(device.status)") }
        try join(id: id, kind: .device, key: try a.fixedBytes("witnessKey"), possession: try a.bytes("possession"), context: context, book: book)
        return []
    }

    func joinAsNode(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        if let problem = try book.nodeProblem(context.caller) { throw SystemContractRevert(problem) }
        try join(id: context.caller, kind: .node, key: try a.fixedBytes("witnessKey"), possession: try a.bytes("possession"), context: context, book: book)
        return []
    }

    func leavePool(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let id = try a.address("witnessId")
        var witness = try book.existing(id)
        guard witness.active else { throw SystemContractRevert("witness \(id.checksummed) is not in the pool") }
        let owner = try currentOwner(of: witness, context: context)
        guard owner == context.caller else { throw SystemContractRevert("witness \(id.checksummed) belongs to \(owner.checksummed)") }
        witness.active = false
        try book.save(witness)
        try context.emit(WitnessPoolABI.witnessLeft, [.address(id), .address(context.caller)])
        return []
    }

    func fundPool(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        guard !context.value.isZero else { throw SystemContractRevert("send MOTE to fund the pool") }
        try context.emit(WitnessPoolABI.poolFunded, [.address(context.caller), .uint(context.value)])
        return []
    }

    func submitAttestations(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let items = try a.array("attestations")
        guard !items.isEmpty else { throw SystemContractRevert("no attestations") }
        guard items.count <= Self.maxAttestationsPerCall else {
            throw SystemContractRevert("at most \(Self.maxAttestationsPerCall) attestations per call; got \(items.count)")
        }
        for item in items {
            let bytes = try item.bytes()
            let verdict = try process(bytes, context: context, book: book)
            if case .rejected(let reason) = verdict {
                let key = bytes.count == WitnessAttestation.binaryLength ? Array(bytes[40..<72]) : [UInt8](repeating: 0, count: 32)
                let height = bytes.count >= 8 ? bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
                try context.emit(WitnessPoolABI.attestationRejected, [.fixedBytes(key), .uint(UInt256(height)), .string(reason)])
            }
        }
        return []
    }

    func witness(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let w = try book.existing(try a.address("id"))
        return [
            .uint(UInt256(UInt64(w.kind.rawValue))), .fixedBytes(w.key), .address(try currentOwner(of: w, context: context)),
            .uint(UInt256(w.reputation)), .uint(UInt256(w.blacklistedUntil)), .uint(UInt256(w.joinedAt)), .uint(UInt256(w.accepted)),
            .uint(UInt256(w.incoherent)), .uint(w.earned), .bool(w.active),
        ]
    }

    func witnessByKey(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        return [.address(try book.witness(byKey: try a.fixedBytes("witnessKey")) ?? .zero)]
    }

    func witnessCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        return [.uint(UInt256(try book.count()))]
    }

    func witnessAt(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let index = try a.uint256("index")
        guard index <= UInt256(UInt64.max), let id = try book.witness(at: index.l0) else {
            throw SystemContractRevert("no witness at index \(index)")
        }
        return [.address(id)]
    }

    func epochWeights(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let epoch = try a.uint64("epoch"), id = try a.address("id")
        return [.uint(UInt256(try book.weight(epoch: epoch, id))), .uint(UInt256(try book.totalWeight(epoch: epoch)))]
    }

    func heightStatus(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = WitnessBook(context, genesis: genesis)
        let status = try book.heightStatus(try a.uint64("height"))
        return [.uint(UInt256(UInt64(status.accepted))), .bool(status.witnessed), .fixedBytes(status.blockHash.bytes)]
    }

    func witnessParameters(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let p = context.parameters
        return [.uint(UInt256(p.expectedWitnesses)), .uint(UInt256(p.witnessThreshold)), .uint(p.attestationReward.value),
                .uint(UInt256(p.blacklistBlocks)), .uint(UInt256(p.attestationWindow))]
    }

    /// The bytes a possession proof signs: tag ‖ chainId (8 BE) ‖ witness id ‖ owner.
    public static func possessionMessage(chainID: UInt64, witnessID: Address, owner: Address) -> [UInt8] {
        possessionTag + chainID.bigEndianBytes8 + witnessID.bytes + owner.bytes
    }

    /// A possession proof: the witness key's signature of ``possessionMessage(chainID:witnessID:owner:)``.
    public static func possessionProof(key: ECVRF.SecretKey, chainID: UInt64, witnessID: Address, owner: Address) -> [UInt8] {
        let signer = try! Ed25519.PrivateKey(seed: key.seed)
        return signer.signature(for: possessionMessage(chainID: chainID, witnessID: witnessID, owner: owner)).bytes
    }

    /// Adds `id` to the pool (or back into it) with a fresh key proven by `possession`.
    private func join(
        id: Address, kind: WitnessKind, key: [UInt8], possession: [UInt8], context: SystemCallContext, book: WitnessBook
    ) throws(SystemContractRevert) {
        guard (try? ECVRF.PublicKey(bytes: key)) != nil, let edKey = try? Ed25519.PublicKey(bytes: key) else {
            throw SystemContractRevert("witnessKey is not a valid Ed25519 public key")
        }
        guard possession.count == 64, let signature = try? Ed25519.Signature(bytes: possession) else {
            throw SystemContractRevert("possession is a 64-byte Ed25519 signature; got \(possession.count) bytes")
        }
        try context.charge(Self.signatureCheckGas)
        let message = Self.possessionMessage(chainID: genesis.chainID, witnessID: id, owner: context.caller)
        guard edKey.isValidSignature(signature, for: message) else {
            throw SystemContractRevert("possession is not the witness key's signature for \(id.checksummed) joined by \(context.caller.checksummed)")
        }
        // A key is bound for good: never reused, even after its witness leaves.
        guard try book.witness(byKey: key) == nil else { throw SystemContractRevert("witness key \(Hex.encode(key)) is already used") }
        if var old = try book.witness(id) {
            guard !old.active else { throw SystemContractRevert("witness \(id.checksummed) is already in the pool") }
            // Rejoining keeps reputation, counters and any blacklisting.
            (old.key, old.owner, old.active, old.joinedAt) = (key, context.caller, true, context.height)
            try book.save(old)
        } else {
            try book.add(WitnessRecord(
                id: id, kind: kind, key: key, owner: context.caller, reputation: context.parameters.reputationStart, blacklistedUntil: 0,
                joinedAt: context.height, accepted: 0, incoherent: 0, earned: .zero, active: true))
        }
        try book.bind(key: key, to: id)
        try context.emit(WitnessPoolABI.witnessJoined, [.address(id), .address(context.caller), .uint(UInt256(UInt64(kind.rawValue))), .fixedBytes(key)])
    }

    /// Where a witness's rewards go: a device's current owner, or the node itself.
    func currentOwner(of witness: WitnessRecord, context: SystemCallContext) throws(SystemContractRevert) -> Address {
        guard witness.kind == .device else { return witness.owner }
        return try DeviceBook(context).device(witness.id)?.owner ?? witness.owner
    }

    /// What became of one attestation.
    public enum Verdict: Equatable, Sendable {
        /// Valid: the witness's owner is paid `reward` (0 when the pool is dry).
        case accepted(reward: UInt256)
        /// A valid assignment and signature on a hash that is not the finalized block (or a second hash): blacklisted.
        case incoherent
        /// Skipped, with the reason.
        case rejected(String)

        public var isRejected: Bool {
            if case .rejected = self { return true }
            return false
        }
    }

    /// Checks one attestation and applies its effect (see the type's comment).
    func process(_ bytes: [UInt8], context: SystemCallContext, book: WitnessBook) throws(SystemContractRevert) -> Verdict {
        let p = context.parameters
        let attestation: WitnessAttestation
        do { attestation = try WitnessAttestation(binary: bytes) } catch { return .rejected("malformed: \(error.message)") }
        let h = attestation.height, now = context.height
        guard h >= 1, h < now, now - h <= p.attestationWindow else {
            return .rejected("height \(h) is outside the attestation window [\(now > p.attestationWindow ? now - p.attestationWindow : 1), \(now == 0 ? 0 : now - 1)]")
        }
        guard let id = try book.witness(byKey: attestation.witnessKey), var witness = try book.witness(id) else {
            return .rejected("unknown witness key")
        }
        guard witness.key == attestation.witnessKey else { return .rejected("the witness has left this key") }
        guard witness.active else { return .rejected("the witness has left the pool") }
        guard !witness.isBlacklisted(at: now) else { return .rejected("witness blacklisted until height \(witness.blacklistedUntil)") }
        if let problem = try book.standingProblem(witness) { return .rejected(problem) }
        let epoch = EpochTransition.epoch(ofHeight: h, p)
        let weight = try book.weight(epoch: epoch, id), total = try book.totalWeight(epoch: epoch)
        guard weight > 0 else { return .rejected("the witness has no weight in epoch \(epoch)") }
        // The epoch's weight belongs to the key the witness had when the weights were fixed (after
        // block (epoch − 1) × epochLength): a key joined later (a rejoin) could otherwise redraw
        // its assignments with that weight.
        guard witness.joinedAt <= (epoch - 1) * p.epochLength else {
            return .rejected("the witness key joined at height \(witness.joinedAt), after epoch \(epoch)'s weights were fixed")
        }
        guard let seed = context.chain.epochSeed(ofEpoch: epoch) else { return .rejected("the seed of epoch \(epoch) is not known") }
        guard let canonical = context.chain.blockHash(atHeight: h) else { return .rejected("block \(h) is not known") }

        try context.charge(Self.vrfVerifyGas)
        guard let publicKey = attestation.vrfPublicKey,
            let beta = try? ECVRF.verify(
                publicKey: publicKey, alpha: WitnessSortition.vrfInput(seed: seed, height: h), proof: attestation.vrfProof, suite: .tai)
        else { return .rejected("invalid VRF proof") }
        guard WitnessSortition.isAssigned(beta: beta, weight: weight, totalWeight: total, expected: p.expectedWitnesses) else {
            return .rejected("not assigned to height \(h)")
        }
        try context.charge(Self.signatureCheckGas)
        guard attestation.signatureIsValid(chainID: genesis.chainID) else { return .rejected("bad signature") }

        let previous = try book.attested(id, height: h)
        if previous == attestation.blockHash { return .rejected("duplicate") }
        if previous != nil || attestation.blockHash != canonical {
            // Incoherent: a hash that is not the finalized block, or a second hash for one height.
            witness.blacklistedUntil = now + p.blacklistBlocks
            witness.reputation = max(1, witness.reputation > p.reputationPenalty ? witness.reputation - p.reputationPenalty : 1)
            witness.incoherent += 1
            try book.save(witness)
            if previous == nil { try book.setAttested(id, height: h, attestation.blockHash) }
            try context.emit(WitnessPoolABI.witnessBlacklisted, [.address(id), .uint(UInt256(witness.blacklistedUntil)), .uint(UInt256(witness.reputation))])
            return .incoherent
        }

        let owner = try currentOwner(of: witness, context: context)
        let reward = try context.balance(of: WitnessPoolABI.address) >= p.attestationReward.value ? p.attestationReward.value : .zero
        if !reward.isZero { try context.transfer(to: owner, amount: reward) }
        witness.accepted += 1
        witness.earned += reward
        witness.reputation = min(p.maxReputation, witness.reputation + p.reputationGain)
        try book.save(witness)
        try book.setAttested(id, height: h, attestation.blockHash)
        let status = try book.heightStatus(h)
        let accepted = status.accepted + 1
        let reached = !status.witnessed && UInt64(accepted) >= p.witnessThreshold
        try book.setHeightStatus(h, accepted: accepted, witnessed: status.witnessed || reached, blockHash: canonical)
        try context.emit(WitnessPoolABI.attestationAccepted, [.address(id), .uint(UInt256(h)), .fixedBytes(canonical.bytes), .uint(reward)])
        if reached { try context.emit(WitnessPoolABI.blockWitnessed, [.uint(UInt256(h)), .fixedBytes(canonical.bytes), .uint(UInt256(UInt64(accepted)))]) }
        return .accepted(reward: reward)
    }
}

extension ABIValue {
    func fixedBytes() throws(SystemContractRevert) -> [UInt8] {
        guard case .fixedBytes(let b) = self else { throw SystemContractRevert("expected fixed bytes") }
        return b
    }

    func arrayValue() throws(SystemContractRevert) -> [ABIValue] {
        guard case .array(let items) = self else { throw SystemContractRevert("expected an array") }
        return items
    }
}
