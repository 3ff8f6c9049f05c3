import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// The staking records in the Staking contract's storage, and the bookkeeping that keeps them
/// consistent: every bucket is listed under its owner and its candidate, and every
/// candidate's vote total is the sum of its buckets' votes.
struct StakingBook {
    let storage: ContractStorage
    let parameters: ProtocolParameters

    init(_ context: SystemCallContext, parameters: ProtocolParameters) {
        storage = ContractStorage(context: context, contract: StakingABI.address)
        self.parameters = parameters
    }

    // MARK: Keys

    static func bucketSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("bucket", id.bigEndianBytes8) }
    static let nextBucketSlot = ContractStorage.slot("nextBucket")
    static func candidateSlot(_ owner: Address) -> Hash32 { ContractStorage.slot("candidate", owner.bytes) }
    static func nameSlot(_ name: String) -> Hash32 { ContractStorage.slot("candidateName", Array(name.utf8)) }
    static func operatorSlot(_ op: Address) -> Hash32 { ContractStorage.slot("candidateOperator", op.bytes) }
    static let candidateCountSlot = ContractStorage.slot("candidateCount")
    static func candidateAtSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot("candidateAt", index.bigEndianBytes8) }
    static func votesSlot(_ owner: Address) -> Hash32 { ContractStorage.slot("votes", owner.bytes) }
    /// The buckets an address owns.
    func bucketsOf(_ owner: Address) -> StoredIDSet { StoredIDSet(storage: storage, kind: "bucketsOf", key: owner.bytes) }
    /// The buckets that vote for a candidate (by its owner).
    func votersOf(_ candidate: Address) -> StoredIDSet { StoredIDSet(storage: storage, kind: "votersOf", key: candidate.bytes) }
    static func delegatesSlot(_ epoch: UInt64) -> Hash32 { ContractStorage.slot("delegates", epoch.bigEndianBytes8) }
    static func producedSlot(_ epoch: UInt64, _ op: Address) -> Hash32 { ContractStorage.slot("produced", epoch.bigEndianBytes8, op.bytes) }
    static func probationSlot(_ owner: Address) -> Hash32 { ContractStorage.slot("probation", owner.bytes) }
    /// Set once `offender` has been slashed for double-signing at `height`: one slash per (offender, height).
    static func slashedSlot(_ offender: Address, height: UInt64) -> Hash32 {
        ContractStorage.slot("slashed", offender.bytes, height.bigEndianBytes8)
    }

    // MARK: Buckets

    func bucket(_ id: UInt64) throws(SystemContractRevert) -> StakeBucket? {
        guard let item = try storage.item(Self.bucketSlot(id)) else { return nil }
        do { return try StakeBucket(rlp: item) } catch { throw SystemContractRevert("corrupt bucket \(id)") }
    }

    /// The bucket `id`, which `caller` must own.
    func ownedBucket(_ id: UInt64, by caller: Address) throws(SystemContractRevert) -> StakeBucket {
        guard let bucket = try bucket(id) else { throw SystemContractRevert("no bucket \(id)") }
        guard bucket.owner == caller else { throw SystemContractRevert("bucket \(id) belongs to \(bucket.owner.checksummed)") }
        return bucket
    }

    /// Creates a bucket and counts its votes.
    func createBucket(
        owner: Address, candidate: Address, amount: UInt256, days: UInt32, autoStake: Bool, now: UInt64, selfStake: Bool
    ) throws(SystemContractRevert) -> StakeBucket {
        let id = try storage.uint64(Self.nextBucketSlot)
        try storage.setUInt64(Self.nextBucketSlot, id + 1)
        let bucket = StakeBucket(
            id: id, owner: owner, candidate: candidate, amount: amount, durationDays: days, autoStake: autoStake,
            stakeStart: now, isSelfStake: selfStake)
        try storage.set(Self.bucketSlot(id), bucket.rlp)
        try bucketsOf(owner).insert(id)
        try votersOf(candidate).insert(id)
        try addVotes(candidate, bucket.votes(parameters))
        try rerank(candidate)
        return bucket
    }

    /// Replaces a bucket, moving its votes (and its listing, if its owner or candidate changed).
    func update(_ old: StakeBucket, to new: StakeBucket) throws(SystemContractRevert) {
        try subtractVotes(old.candidate, old.votes(parameters))
        if old.owner != new.owner {
            try bucketsOf(old.owner).remove(old.id)
            try bucketsOf(new.owner).insert(new.id)
        }
        if old.candidate != new.candidate {
            try votersOf(old.candidate).remove(old.id)
            try votersOf(new.candidate).insert(new.id)
        }
        try storage.set(Self.bucketSlot(new.id), new.rlp)
        try addVotes(new.candidate, new.votes(parameters))
        try rerank(old.candidate)
        if new.candidate != old.candidate { try rerank(new.candidate) }
    }

    /// Removes a (withdrawn) bucket.
    func delete(_ bucket: StakeBucket) throws(SystemContractRevert) {
        try subtractVotes(bucket.candidate, bucket.votes(parameters))
        try bucketsOf(bucket.owner).remove(bucket.id)
        try votersOf(bucket.candidate).remove(bucket.id)
        try storage.set(Self.bucketSlot(bucket.id), nil)
        try rerank(bucket.candidate)
    }

    func addVotes(_ candidate: Address, _ votes: UInt256) throws(SystemContractRevert) {
        guard !votes.isZero else { return }
        try storage.setUInt256(Self.votesSlot(candidate), try storage.uint256(Self.votesSlot(candidate)) + votes)
    }

    func subtractVotes(_ candidate: Address, _ votes: UInt256) throws(SystemContractRevert) {
        guard !votes.isZero else { return }
        let total = try storage.uint256(Self.votesSlot(candidate))
        try storage.setUInt256(Self.votesSlot(candidate), total >= votes ? total - votes : .zero)
    }

    func votes(of candidate: Address) throws(SystemContractRevert) -> UInt256 { try storage.uint256(Self.votesSlot(candidate)) }

    // MARK: Candidates

    func candidate(_ owner: Address) throws(SystemContractRevert) -> Candidate? {
        guard let item = try storage.item(Self.candidateSlot(owner)) else { return nil }
        do { return try Candidate(rlp: item) } catch { throw SystemContractRevert("corrupt candidate") }
    }

    func candidate(named name: String) throws(SystemContractRevert) -> Candidate? {
        guard let owner = try storage.address(Self.nameSlot(name)) else { return nil }
        return try candidate(owner)
    }

    func candidate(operator op: Address) throws(SystemContractRevert) -> Candidate? {
        guard let owner = try storage.address(Self.operatorSlot(op)) else { return nil }
        return try candidate(owner)
    }

    /// How many candidates were ever registered.
    func candidateCount() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.candidateCountSlot) }

    /// The owner of the `index`th candidate registered (from 0).
    func candidateOwner(at index: UInt64) throws(SystemContractRevert) -> Address? { try storage.address(Self.candidateAtSlot(index)) }

    func put(_ candidate: Candidate, replacing old: Candidate?) throws(SystemContractRevert) {
        if let old {
            if old.name != candidate.name { try storage.setAddress(Self.nameSlot(old.name), nil) }
            if old.operatorAddress != candidate.operatorAddress { try storage.setAddress(Self.operatorSlot(old.operatorAddress), nil) }
        } else {
            let count = try candidateCount()
            try storage.setAddress(Self.candidateAtSlot(count), candidate.owner)
            try storage.setUInt64(Self.candidateCountSlot, count + 1)
        }
        try storage.setAddress(Self.nameSlot(candidate.name), candidate.owner)
        try storage.setAddress(Self.operatorSlot(candidate.operatorAddress), candidate.owner)
        try storage.set(Self.candidateSlot(candidate.owner), candidate.rlp)
        try rerank(candidate.owner)
    }

    /// Puts `owner`'s candidate where its votes, self-stake and operator now place it in the
    /// ranking (`CandidateRanking`): in it while it qualifies, out of it otherwise. Every
    /// change of those goes through here.
    func rerank(_ owner: Address) throws(SystemContractRevert) {
        var wanted: CandidateRanking.Entry?
        if let candidate = try candidate(owner), try selfStake(of: candidate) >= parameters.minSelfStake.value {
            wanted = CandidateRanking.Entry(owner: owner, operatorAddress: candidate.operatorAddress, votes: try votes(of: owner))
        }
        let ranking = CandidateRanking(storage: storage)
        let ranked = try ranking.entry(owner)
        guard ranked != wanted else { return }
        if ranked != nil { try ranking.remove(owner) }
        if let wanted { try ranking.insert(wanted) }
    }

    /// Whether `op` signs for a seat of `epoch` or the next, as stored at their elections,
    /// under an owner other than `owner`.
    func isSeated(_ op: Address, otherThan owner: Address, aroundEpoch epoch: UInt64) throws(SystemContractRevert) -> Bool {
        for e in [epoch, epoch + 1] {
            if try delegates(ofEpoch: e)?.contains(where: { $0.operatorAddress == op && $0.owner != owner }) == true { return true }
        }
        return false
    }


    /// The amount of the candidate's self-stake bucket that still counts (0 once unstaked).
    func selfStake(of candidate: Candidate) throws(SystemContractRevert) -> UInt256 {
        guard let bucket = try bucket(candidate.selfStakeBucket), !bucket.isUnstaked else { return .zero }
        return bucket.amount
    }

    /// The last epoch of a candidate's probation (0: none).
    func probationUntil(_ owner: Address) throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.probationSlot(owner)) }

    // MARK: Epochs

    func delegates(ofEpoch epoch: UInt64) throws(SystemContractRevert) -> [ElectedDelegate]? {
        guard let item = try storage.item(Self.delegatesSlot(epoch)) else { return nil }
        do { return try item.listValue().map { item throws(RLPError) in try ElectedDelegate(rlp: item) } } catch {
            throw SystemContractRevert("corrupt delegates of epoch \(epoch)")
        }
    }

    func setDelegates(_ delegates: [ElectedDelegate], epoch: UInt64) throws(SystemContractRevert) {
        try storage.set(Self.delegatesSlot(epoch), .list(delegates.map(\.rlp)))
    }

    func produced(epoch: UInt64, by op: Address) throws(SystemContractRevert) -> UInt64 {
        try storage.uint64(Self.producedSlot(epoch, op))
    }

    /// Valid candidate names: 1 to 20 of a–z, 0–9, '-' and '_' (unambiguous in logs and CLIs).
    static func isValidName(_ name: String) -> Bool {
        (1...20).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f }
    }
}

/// A set of bucket ids in contract storage, one slot per member (a count, the member at each
/// index, each member's index + 1), so that adding or removing one costs the same however many
/// there are: nobody can make another account's withdrawal or a candidate's voters' calls
/// expensive by piling buckets onto it. Removing moves the last member into the gap.
struct StoredIDSet {
    let storage: ContractStorage
    let kind: String
    let key: [UInt8]

    private var countSlot: Hash32 { ContractStorage.slot(kind + "Count", key) }
    private func atSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot(kind + "At", key, index.bigEndianBytes8) }
    private func positionSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot(kind + "Position", key, id.bigEndianBytes8) }

    func count() throws(SystemContractRevert) -> UInt64 { try storage.uint64(countSlot) }

    /// Every member, in storage order (a view's work: one read each).
    func all() throws(SystemContractRevert) -> [UInt64] {
        var ids: [UInt64] = []
        for index in 0..<(try count()) { ids.append(try storage.uint64(atSlot(index))) }
        return ids
    }

    func insert(_ id: UInt64) throws(SystemContractRevert) {
        guard try storage.uint64(positionSlot(id)) == 0 else { return }
        let count = try count()
        try storage.set(atSlot(count), .uint(id))
        try storage.setUInt64(positionSlot(id), count + 1)
        try storage.setUInt64(countSlot, count + 1)
    }

    func remove(_ id: UInt64) throws(SystemContractRevert) {
        let position = try storage.uint64(positionSlot(id))
        guard position > 0 else { return }
        let count = try count(), last = count - 1
        if position - 1 != last {
            let moved = try storage.uint64(atSlot(last))
            try storage.set(atSlot(position - 1), .uint(moved))
            try storage.setUInt64(positionSlot(moved), position)
        }
        try storage.set(atSlot(last), nil)
        try storage.setUInt64(positionSlot(id), 0)
        try storage.setUInt64(countSlot, last)
    }
}
