import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MotePrimitives

/// Staking at 0x…4d4f54450002: candidates for delegate, stake buckets that vote for them, the
/// elected delegates of each epoch, productivity and double-sign slashing (docs/STAKING.md).
public struct StakingContract: SystemContract {
    public typealias ABI = StakingABI
    let genesis: Genesis

    public init(genesis: Genesis) { self.genesis = genesis }

    // MARK: End of block

    public var endBlockPhase: EndBlockPhase? { .rewards }

    public func endBlock(_ block: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages) throws(LedgerError) {
        try EpochTransition.endBlock(block, context: context, stages: stages, genesis: genesis)
    }

    // MARK: Calls

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<StakingContract>(StakingABI.self, [
        (StakingABI.registerCandidate, StakingContract.registerCandidate),
        (StakingABI.updateCandidate, StakingContract.updateCandidate),
        (StakingABI.createStake, StakingContract.createStake),
        (StakingABI.depositToStake, StakingContract.depositToStake),
        (StakingABI.restake, StakingContract.restake),
        (StakingABI.changeCandidate, StakingContract.changeCandidate),
        (StakingABI.transferStake, StakingContract.transferStake),
        (StakingABI.unstake, StakingContract.unstake),
        (StakingABI.withdrawStake, StakingContract.withdrawStake),
        (StakingABI.reportDoubleSign, StakingContract.reportDoubleSign),
        (StakingABI.candidateCount, StakingContract.candidateCount),
        (StakingABI.candidateAt, StakingContract.candidateAt),
        (StakingABI.candidateByName, StakingContract.candidateByName),
        (StakingABI.bucket, StakingContract.bucket),
        (StakingABI.bucketsOf, StakingContract.bucketsOf),
        (StakingABI.votersOf, StakingContract.votersOf),
        (StakingABI.delegatesOf, StakingContract.delegatesOf),
        (StakingABI.stakingParameters, StakingContract.stakingParameters),
        (StakingABI.endBlockFailureCount, StakingContract.endBlockFailureCount),
        (StakingABI.endBlockFailuresAt, StakingContract.endBlockFailuresAt),
        (StakingABI.produced, StakingContract.produced),
    ])

    func registerCandidate(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let now = context.timestamp
        let (name, op, reward) = (try a.string("name"), try a.address("operatorAddress"), try a.address("rewardAddress"))
        let days = try a.uint32("duration"), auto = try a.bool("autoStake"), share = try a.uint16("voterShareBps")
        guard try book.candidate(context.caller) == nil else { throw SystemContractRevert("the sender already has a candidate") }
        try checkCandidateFields(name: name, operator: op, reward: reward, voterShareBps: share, owner: context.caller, book: book, context: context)
        try checkOperatorProof(try a.bytes("operatorProof"), operator: op, context: context)
        try checkDuration(days, context.parameters)
        let fee = context.parameters.registrationFee.value
        guard context.value >= fee else { throw SystemContractRevert("the registration fee is \(fee) wei; sent \(context.value)") }
        let selfStake = context.value - fee
        guard selfStake >= context.parameters.minSelfStake.value else {
            throw SystemContractRevert("self-stake \(selfStake) wei is below the minimum \(context.parameters.minSelfStake.value)")
        }
        if !fee.isZero { try context.transfer(to: RewardingABI.address, amount: fee) }
        let bucket = try book.createBucket(
            owner: context.caller, candidate: context.caller, amount: selfStake, days: days, autoStake: auto, now: now, selfStake: true)
        let candidate = Candidate(
            owner: context.caller, name: name, operatorAddress: op, rewardAddress: reward, selfStakeBucket: bucket.id, voterShareBps: share)
        try book.put(candidate, replacing: nil)
        try recheckWitnesses(of: context.caller, book: book, context: context)
        try context.emit(StakingABI.candidateRegistered, [.address(context.caller), .string(name), .address(op), .address(reward), .uint(UInt256(bucket.id))])
        try emitCreated(bucket, context)
        return [.uint(UInt256(bucket.id))]
    }

    func updateCandidate(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        guard let old = try book.candidate(context.caller) else { throw SystemContractRevert("the sender has no candidate") }
        let (name, op, reward, share) = (try a.string("name"), try a.address("operatorAddress"), try a.address("rewardAddress"), try a.uint16("voterShareBps"))
        try checkCandidateFields(name: name, operator: op, reward: reward, voterShareBps: share, owner: context.caller, book: book, context: context)
        // The operator this candidate already has proved itself (or is the owner): only a new one must.
        if op != old.operatorAddress { try checkOperatorProof(try a.bytes("operatorProof"), operator: op, context: context) }
        var new = old
        (new.name, new.operatorAddress, new.rewardAddress, new.voterShareBps) = (name, op, reward, share)
        try book.put(new, replacing: old)
        if op != old.operatorAddress { try recheckWitnesses(of: context.caller, also: old.operatorAddress, book: book, context: context) }
        try context.emit(StakingABI.candidateUpdated, [.address(context.caller), .string(name), .address(op), .address(reward), .uint(UInt256(UInt64(share)))])
        return []
    }

    func createStake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let now = context.timestamp
        guard let candidate = try book.candidate(named: try a.string("candidate")) else { throw SystemContractRevert("no candidate named \(try a.string("candidate"))") }
        let days = try a.uint32("duration"), auto = try a.bool("autoStake")
        try checkDuration(days, context.parameters)
        guard context.value >= context.parameters.minStakeAmount.value else {
            throw SystemContractRevert("a stake is at least \(context.parameters.minStakeAmount.value) wei; sent \(context.value)")
        }
        let bucket = try book.createBucket(
            owner: context.caller, candidate: candidate.owner, amount: context.value, days: days, autoStake: auto, now: now, selfStake: false)
        try emitCreated(bucket, context)
        return [.uint(UInt256(bucket.id))]
    }

    func depositToStake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let old = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        guard !old.isUnstaked else { throw SystemContractRevert("bucket \(old.id) is unstaked") }
        guard old.autoStake else { throw SystemContractRevert("deposits go only to auto-stake buckets") }
        guard !context.value.isZero else { throw SystemContractRevert("send the amount to deposit") }
        var new = old
        new.amount += context.value
        try book.update(old, to: new)
        if new.isSelfStake { try recheckWitnesses(of: new.candidate, book: book, context: context) }
        try emitChanged(new, context)
        return []
    }

    func restake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let now = context.timestamp
        let old = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        let days = try a.uint32("duration"), auto = try a.bool("autoStake")
        guard !old.isUnstaked else { throw SystemContractRevert("bucket \(old.id) is unstaked") }
        try checkDuration(days, context.parameters)
        // The lock may not end sooner than it would have.
        let remaining = old.maturity(context.parameters).map { $0 > now ? ($0 - now) : 0 } ?? UInt64(old.durationDays) * context.parameters.secondsPerDay
        guard UInt64(days) * context.parameters.secondsPerDay >= remaining else {
            throw SystemContractRevert("the new duration ends before the current one")
        }
        var new = old
        (new.durationDays, new.autoStake, new.stakeStart) = (days, auto, now)
        try book.update(old, to: new)
        try emitChanged(new, context)
        return []
    }

    func changeCandidate(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let old = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        guard !old.isSelfStake else { throw SystemContractRevert("a self-stake bucket stays with its candidate") }
        guard !old.isUnstaked else { throw SystemContractRevert("bucket \(old.id) is unstaked") }
        guard let candidate = try book.candidate(named: try a.string("candidate")) else { throw SystemContractRevert("no candidate named \(try a.string("candidate"))") }
        var new = old
        new.candidate = candidate.owner
        try book.update(old, to: new)
        try emitChanged(new, context)
        return []
    }

    func transferStake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let old = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        guard !old.isSelfStake else { throw SystemContractRevert("a self-stake bucket stays with its candidate") }
        let to = try a.address("newOwner")
        guard to != .zero else { throw SystemContractRevert("cannot transfer to the zero address") }
        // A system contract could never unstake or withdraw it: the stake would be locked for good.
        guard !SystemAddresses.isReserved(to) else {
            throw SystemContractRevert("cannot transfer to \(to.checksummed): it is a system contract's address")
        }
        var new = old
        new.owner = to
        try book.update(old, to: new)
        try emitChanged(new, context)
        return []
    }

    func unstake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let now = context.timestamp
        let old = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        guard !old.isUnstaked else { throw SystemContractRevert("bucket \(old.id) is already unstaked") }
        guard let maturity = old.maturity(context.parameters) else {
            throw SystemContractRevert("an auto-stake bucket never matures: restake it without auto-stake first")
        }
        guard now >= maturity else { throw SystemContractRevert("bucket \(old.id) matures at block time \(maturity); now \(now)") }
        var new = old
        new.unstakeTime = max(now, 1)
        try book.update(old, to: new)
        if new.isSelfStake { try recheckWitnesses(of: new.candidate, book: book, context: context) }
        try context.emit(StakingABI.unstaked, [.uint(UInt256(old.id)), .address(old.owner)])
        return []
    }

    func withdrawStake(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let now = context.timestamp
        let bucket = try book.ownedBucket(try a.uint64("bucket"), by: context.caller)
        guard bucket.isUnstaked else { throw SystemContractRevert("unstake bucket \(bucket.id) first") }
        let ready = bucket.unstakeTime + UInt64(context.parameters.withdrawWaitingDays) * context.parameters.secondsPerDay
        guard now >= ready else { throw SystemContractRevert("bucket \(bucket.id) can be withdrawn at block time \(ready); now \(now)") }
        try book.delete(bucket)
        try context.transfer(to: bucket.owner, amount: bucket.amount)
        try context.emit(StakingABI.withdrawn, [.uint(UInt256(bucket.id)), .address(bucket.owner), .uint(bucket.amount)])
        return []
    }

    func reportDoubleSign(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        return [.uint(try slash(evidence: try a.bytes("evidence"), book: book, context: context))]
    }

    func candidateCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        return [.uint(UInt256(try book.candidateCount()))]
    }

    func candidateAt(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let index = try a.uint256("index")
        guard index < UInt256(try book.candidateCount()), let owner = try book.candidateOwner(at: index.l0),
            let candidate = try book.candidate(owner)
        else { throw SystemContractRevert("no candidate at index \(index)") }
        return try describe(candidate, book)
    }

    func candidateByName(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        guard let candidate = try book.candidate(named: try a.string("name")) else { throw SystemContractRevert("no candidate named \(try a.string("name"))") }
        return try describe(candidate, book)
    }

    func bucket(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        guard let bucket = try book.bucket(try a.uint64("id")) else { throw SystemContractRevert("no bucket \(try a.uint64("id"))") }
        let candidateName = try book.candidate(bucket.candidate)?.name ?? ""
        return [.address(bucket.owner), .string(candidateName), .uint(bucket.amount), .uint(UInt256(UInt64(bucket.durationDays))),
                .bool(bucket.autoStake), .uint(UInt256(bucket.stakeStart)), .uint(UInt256(bucket.unstakeTime)),
                .bool(bucket.isSelfStake), .uint(bucket.votes(context.parameters))]
    }

    func bucketsOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        return [.array(try book.bucketsOf(try a.address("owner")).all().map { .uint(UInt256($0)) })]
    }

    func votersOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        guard let candidate = try book.candidate(named: try a.string("candidate")) else { throw SystemContractRevert("no candidate named \(try a.string("candidate"))") }
        return [.array(try book.votersOf(candidate.owner).all().map { .uint(UInt256($0)) })]
    }

    func delegatesOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        let delegates = try EpochTransition.delegates(ofEpoch: try a.uint64("epoch"), book: book, genesis: genesis)
        return [.array(delegates.map { .address($0.operatorAddress) }), .array(delegates.map { .address($0.rewardAddress) }),
                .array(delegates.map { .address($0.owner) }), .array(delegates.map { .uint($0.votes) })]
    }

    func stakingParameters(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let p = context.parameters
        return [.uint(p.registrationFee.value), .uint(p.minSelfStake.value), .uint(p.minStakeAmount.value),
                .uint(UInt256(UInt64(p.maxStakeDays))), .uint(UInt256(p.secondsPerDay)), .uint(UInt256(UInt64(p.withdrawWaitingDays))),
                .uint(UInt256(p.selfStakeBonusPercent))]
    }

    func endBlockFailureCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let summary = try EndBlockFailures(context).summary()
        return [.uint(UInt256(summary.count)), .uint(UInt256(summary.lastHeight))]
    }

    func endBlockFailuresAt(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let failures = try EndBlockFailures(context).failures(at: try a.uint64("height"))
        return [.array(failures.map { .string($0.stage) }), .array(failures.map { .string($0.reason) })]
    }

    func produced(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = StakingBook(context, parameters: context.parameters)
        return [.uint(UInt256(try book.produced(epoch: try a.uint64("epoch"), by: try a.address("operatorAddress"))))]
    }

    /// The one check of a candidate's fields, for registering and for every update: a valid
    /// name nobody else has; a voter share of at most 100 %; a reward address; an operator
    /// address that is not zero, not a system contract, not another candidate's, not a genesis
    /// delegate's (unless `owner` is that genesis operator) and not signing for a seat of this
    /// epoch or the next under another owner (a seat follows the operator that signs for it).
    func checkCandidateFields(
        name: String, operator op: Address, reward: Address, voterShareBps: UInt16, owner: Address, book: StakingBook,
        context: SystemCallContext
    ) throws(SystemContractRevert) {
        guard StakingBook.isValidName(name) else { throw SystemContractRevert("candidate names are 1 to 20 of a-z, 0-9, - and _") }
        if let holder = try book.candidate(named: name), holder.owner != owner { throw SystemContractRevert("the name \(name) is taken") }
        guard voterShareBps <= 10_000 else { throw SystemContractRevert("voterShareBps is at most 10000") }
        guard reward != .zero else { throw SystemContractRevert("the reward address may not be zero") }
        // A system contract could never spend rewards claimed for it: they would be locked for good.
        guard !SystemAddresses.isReserved(reward) else {
            throw SystemContractRevert("the reward address \(reward.checksummed) is a system contract's")
        }
        guard op != .zero else { throw SystemContractRevert("the operator address may not be zero") }
        guard !SystemAddresses.isReserved(op) else {
            throw SystemContractRevert("the operator address \(op.checksummed) is a system contract's")
        }
        if let holder = try book.candidate(operator: op), holder.owner != owner {
            throw SystemContractRevert("the operator address \(op.checksummed) is taken by candidate \(holder.name)")
        }
        if op != owner, genesis.delegates.contains(where: { $0.operatorAddress == op }) {
            throw SystemContractRevert("the operator address \(op.checksummed) is a genesis delegate's")
        }
        let epoch = EpochTransition.epoch(ofHeight: context.height, context.parameters)
        if try book.isSeated(op, otherThan: owner, aroundEpoch: epoch) {
            throw SystemContractRevert("the operator address \(op.checksummed) holds another owner's seat in epoch \(epoch) or \(epoch + 1)")
        }
    }

    /// An operator other than the caller must consent with its key (`OperatorProof` for the
    /// caller on this chain); otherwise anyone could claim the address of a node they saw, and
    /// that node would sign blocks for their seat.
    func checkOperatorProof(_ proof: [UInt8], operator op: Address, context: SystemCallContext) throws(SystemContractRevert) {
        guard op != context.caller else { return }
        guard !proof.isEmpty else {
            throw SystemContractRevert("the operator \(op.checksummed) is not the sender: its key's operatorProof is needed")
        }
        try context.charge(OperatorProof.checkGas)
        guard OperatorProof.signer(of: proof, chainID: genesis.chainID, owner: context.caller) == op else {
            throw SystemContractRevert(
                "operatorProof is not the signature of \(op.checksummed) for owner \(context.caller.checksummed) on chain \(genesis.chainID)")
        }
    }

    /// Weighs again the node witnesses that `owner`'s candidacy vouches for (its owner and
    /// operator, and `also`, an operator it just left): their standing rests on its self-stake
    /// (`WitnessBook.nodeProblem`).
    func recheckWitnesses(of owner: Address, also: Address? = nil, book: StakingBook, context: SystemCallContext) throws(SystemContractRevert) {
        guard let candidate = try book.candidate(owner) else { return }
        var ids = [candidate.owner]
        for id in [candidate.operatorAddress, also].compactMap({ $0 }) where !ids.contains(id) { ids.append(id) }
        for id in ids { try WitnessEpochs.recheck(id, context: context, genesis: genesis) }
    }

    func checkDuration(_ days: UInt32, _ parameters: ProtocolParameters) throws(SystemContractRevert) {
        guard days <= parameters.maxStakeDays else { throw SystemContractRevert("duration is at most \(parameters.maxStakeDays) days") }
    }

    func emitCreated(_ bucket: StakeBucket, _ context: SystemCallContext) throws(SystemContractRevert) {
        try context.emit(StakingABI.stakeCreated, [
            .uint(UInt256(bucket.id)), .address(bucket.owner), .address(bucket.candidate), .uint(bucket.amount),
            .uint(UInt256(UInt64(bucket.durationDays))), .bool(bucket.autoStake),
        ])
    }

    func emitChanged(_ bucket: StakeBucket, _ context: SystemCallContext) throws(SystemContractRevert) {
        try context.emit(StakingABI.stakeChanged, [
            .uint(UInt256(bucket.id)), .address(bucket.owner), .address(bucket.candidate), .uint(bucket.amount),
            .uint(UInt256(UInt64(bucket.durationDays))), .bool(bucket.autoStake), .uint(UInt256(bucket.stakeStart)),
        ])
    }

    func describe(_ c: Candidate, _ book: StakingBook) throws(SystemContractRevert) -> [ABIValue] {
        [.string(c.name), .address(c.owner), .address(c.operatorAddress), .address(c.rewardAddress), .uint(UInt256(c.selfStakeBucket)),
         .uint(try book.selfStake(of: c)), .uint(try book.votes(of: c.owner)), .uint(UInt256(UInt64(c.voterShareBps))),
         .uint(UInt256(try book.probationUntil(c.owner)))]
    }

    /// Checks double-sign evidence against the chain id and the delegates of its epoch, then
    /// takes `slashPercent` % of the offender's self-stake: `reporterSharePercent` % of that to
    /// the reporter, the rest to the reward fund. An offender is slashed at most once per height.
    func slash(evidence bytes: [UInt8], book: StakingBook, context: SystemCallContext) throws(SystemContractRevert) -> UInt256 {
        guard bytes.count <= 1_024 else { throw SystemContractRevert("evidence over 1024 bytes") }
        let evidence: DoubleSignEvidence
        do {
            evidence = try DoubleSignEvidence(decoding: bytes)
            try evidence.verify(chainID: genesis.chainID)
        } catch { throw SystemContractRevert("invalid evidence: \(error)") }
        // One equivocation is one offence: other vote pairs, rounds or kinds at the same height count no more.
        let key = StakingBook.slashedSlot(evidence.offender, height: evidence.height)
        guard try book.storage.uint64(key) == 0 else {
            throw SystemContractRevert("\(evidence.offender.checksummed) was already slashed for height \(evidence.height)")
        }
        guard evidence.height >= 1 else { throw SystemContractRevert("evidence at height 0: the genesis block has no signers") }
        guard evidence.height <= context.height else {
            throw SystemContractRevert("evidence at height \(evidence.height) is ahead of the chain (block \(context.height))")
        }
        let epoch = EpochTransition.epoch(ofHeight: evidence.height, context.parameters)
        let delegates: [ElectedDelegate]
        if let stored = try book.delegates(ofEpoch: epoch) {
            delegates = stored
        } else if epoch == 1 {
            delegates = EpochTransition.genesisDelegates(genesis)
        } else {
            throw SystemContractRevert("no delegates are recorded for epoch \(epoch)")
        }
        // Whoever held the seat then answers for it, not whoever holds the operator address now.
        guard let seat = delegates.first(where: { $0.operatorAddress == evidence.offender }) else {
            throw SystemContractRevert("the signer was not a delegate at height \(evidence.height)")
        }
        try book.storage.setUInt64(key, 1)
        guard let candidate = try book.candidate(seat.owner), let old = try book.bucket(candidate.selfStakeBucket) else {
            return .zero  // a genesis delegate without a candidacy, or a self-stake already withdrawn: nothing to slash
        }
        let amount = old.amount * UInt256(context.parameters.slashPercent) / 100
        guard !amount.isZero else { return .zero }
        var new = old
        new.amount -= amount
        try book.update(old, to: new)
        try recheckWitnesses(of: candidate.owner, book: book, context: context)
        let reporterReward = amount * UInt256(context.parameters.reporterSharePercent) / 100
        if !reporterReward.isZero { try context.transfer(to: context.caller, amount: reporterReward) }
        let toFund = amount - reporterReward
        if !toFund.isZero {
            try context.transfer(to: RewardingABI.address, amount: toFund)
        }
        try context.emit(StakingABI.slashed, [.address(candidate.owner), .address(context.caller), .uint(amount), .uint(reporterReward), .uint(UInt256(evidence.height))])
        return amount
    }
}

extension ABIValue {
    func string() throws(SystemContractRevert) -> String {
        guard case .string(let s) = self else { throw SystemContractRevert("expected a string") }
        return s
    }

    func address() throws(SystemContractRevert) -> Address {
        guard case .address(let a) = self else { throw SystemContractRevert("expected an address") }
        return a
    }

    func bool() throws(SystemContractRevert) -> Bool {
        guard case .bool(let b) = self else { throw SystemContractRevert("expected a bool") }
        return b
    }

    func bytes() throws(SystemContractRevert) -> [UInt8] {
        guard case .bytes(let b) = self else { throw SystemContractRevert("expected bytes") }
        return b
    }

    func uint256() throws(SystemContractRevert) -> UInt256 {
        guard case .uint(let v) = self else { throw SystemContractRevert("expected an unsigned integer") }
        return v
    }

    func uint64() throws(SystemContractRevert) -> UInt64 {
        let v = try uint256()
        guard v <= UInt256(UInt64.max) else { throw SystemContractRevert("number over 64 bits") }
        return v.l0
    }

    func uint32() throws(SystemContractRevert) -> UInt32 {
        let v = try uint64()
        guard v <= UInt64(UInt32.max) else { throw SystemContractRevert("number over 32 bits") }
        return UInt32(v)
    }

    func uint16() throws(SystemContractRevert) -> UInt16 {
        let v = try uint64()
        guard v <= UInt64(UInt16.max) else { throw SystemContractRevert("number over 16 bits") }
        return UInt16(v)
    }
}
