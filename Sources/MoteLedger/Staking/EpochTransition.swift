import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// Staking's share of what the protocol does after the transactions of every block (no
/// transaction asks for it; every node does it the same way; see `EndBlockRunner` for the
/// whole, with MachineFi settlement before and the witness snapshot after):
///
/// - the block reward goes to the producer's reward address, and the producer's block count
///   for the epoch goes up;
/// - after the last block of an epoch: every producer below the productivity threshold goes
///   on probation and gets no epoch reward; the epoch reward is split by votes among the
///   other consensus delegates, the top `foundationBonusDelegates` get the foundation bonus;
///   then the next epoch's delegates are elected and stored.
///
/// Rewards are paid from the fund (the Rewarding contract's balance) while it lasts.
enum EpochTransition {
    /// The epoch of a height (epoch 1 is heights 1…epochLength; height 0 is epoch 0).
    static func epoch(ofHeight height: UInt64, _ p: ProtocolParameters) -> UInt64 {
        height == 0 ? 0 : (height - 1) / p.epochLength + 1
    }

    /// The genesis delegates, standing in while fewer candidates qualify than there are seats.
    static func genesisDelegates(_ genesis: Genesis) -> [ElectedDelegate] {
        genesis.delegates.map {
            ElectedDelegate(operatorAddress: $0.operatorAddress, rewardAddress: $0.rewardAddress, owner: $0.operatorAddress, votes: .zero)
        }
    }

    /// The consensus delegates of `epoch`: as elected at the end of the previous epoch, or the
    /// genesis delegates before any election.
    static func delegates(ofEpoch epoch: UInt64, book: StakingBook, genesis: Genesis) throws(SystemContractRevert) -> [ElectedDelegate] {
        try book.delegates(ofEpoch: epoch) ?? genesisDelegates(genesis)
    }

    /// Staking's end-of-block hook: the producer's block reward and block count; after the
    /// last block of an epoch the epoch rewards and the next epoch's election. A failed
    /// election keeps the current delegates for the next epoch.
    static func endBlock(_ info: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages, genesis: Genesis) throws(LedgerError) {
        let p = context.parameters
        let epoch = info.epoch
        let book = StakingBook(context, parameters: p)
        var delegates: [ElectedDelegate] = []
        try stages.run(.delegates) { () throws(SystemContractRevert) in delegates = try Self.delegates(ofEpoch: epoch, book: book, genesis: genesis) }
        try stages.run(.blockReward) { () throws(SystemContractRevert) in
            if let me = delegates.first(where: { $0.operatorAddress == info.producer }) {
                try RewardingBook(context).credit(me.rewardAddress, p.blockReward.value, kind: .block, epoch: epoch)
            }
            let producedSlot = StakingBook.producedSlot(epoch, info.producer)
            try book.storage.setUInt64(producedSlot, try book.storage.uint64(producedSlot) + 1)
        }
        guard info.isLastOfEpoch else { return }
        try stages.run(.epochRewards) { () throws(SystemContractRevert) in
            try payEpoch(epoch, delegates: delegates, producers: info.producers, book: book, context: context, parameters: p)
        }
        let elected = try stages.run(.election) { () throws(SystemContractRevert) in
            try book.setDelegates(try elect(book: book, genesis: genesis, epoch: epoch + 1), epoch: epoch + 1)
        }
        // Else keep the seats as they are: the next epoch must have delegates.
        if !elected, try !stages.run(.electionFallback, { () throws(SystemContractRevert) in
            try book.setDelegates(delegates.isEmpty ? genesisDelegates(genesis) : delegates, epoch: epoch + 1)
        }) {
            throw LedgerError(.storage("end of block \(info.height): no delegates could be stored for epoch \(epoch + 1)"))
        }
    }

    /// The end of `epoch`: producers below the productivity threshold go on probation and get
    /// no epoch reward; the epoch reward is split by votes (equally while nobody has votes)
    /// among the other delegates; the top `foundationBonusDelegates` get the foundation bonus.
    static func payEpoch(
        _ epoch: UInt64, delegates: [ElectedDelegate], producers: [Address], book: StakingBook, context: SystemCallContext,
        parameters p: ProtocolParameters
    ) throws(SystemContractRevert) {
        let rewards = RewardingBook(context)
        // Productivity: each producer was expected to propose epochLength / producers blocks.
        let expected = max(1, p.epochLength / UInt64(max(producers.count, 1)))
        var unproductive = Set<Address>()
        for op in producers {
            let made = try book.produced(epoch: epoch, by: op)
            guard made * 100 < expected * p.productivityThresholdPercent else { continue }
            unproductive.insert(op)
            let owner = delegates.first { $0.operatorAddress == op }?.owner ?? op
            try book.storage.setUInt64(StakingBook.probationSlot(owner), epoch + p.probationEpochs)
        }
        let paid = delegates.filter { !unproductive.contains($0.operatorAddress) }
        let totalVotes = delegates.reduce(UInt256.zero) { $0 + $1.votes }
        for delegate in paid {
            let share = totalVotes.isZero
                ? p.epochReward.value / UInt256(UInt64(max(delegates.count, 1)))
                : p.epochReward.value * delegate.votes / totalVotes
            try rewards.credit(delegate.rewardAddress, share, kind: .epoch, epoch: epoch)
        }
        for delegate in delegates.prefix(max(p.foundationBonusDelegates, 0)) where !unproductive.contains(delegate.operatorAddress) {
            try rewards.credit(delegate.rewardAddress, p.foundationBonus.value, kind: .bonus, epoch: epoch)
        }
    }

    /// The consensus delegates of `epoch`: qualified candidates (self-stake at least the
    /// minimum) ranked by votes — discounted while on probation — ties by operator address;
    /// empty seats go to genesis delegates, those not on probation first.
    static func elect(book: StakingBook, genesis: Genesis, epoch: UInt64) throws(SystemContractRevert) -> [ElectedDelegate] {
        let p = book.parameters
        let seats = max(p.numCandidateDelegates, 0)
        // The ranking holds the qualified candidates by undiscounted votes, in election order.
        // A probation discount only lowers a candidate, so no entry after the next one can
        // rank before that entry's undiscounted key: once `seats` candidates are held and the
        // next entry cannot beat the last of them, nothing after it can either. The walk goes
        // on past `seats` entries only while the last one held is on probation, and every entry
        // read then is on probation or pushes one out for good, so it reads at most `seats` +
        // 2 × (candidates on probation, at most numDelegates per epoch of probation) entries,
        // plus one path down the tree.
        var elected: [ElectedDelegate] = []
        var walk = try CandidateRanking(storage: book.storage).walk()
        while seats > 0, let entry = try walk.next() {
            if elected.count == seats, let last = elected.last,
                !CandidateRanking.ranksBefore((entry.votes, entry.operatorAddress), (last.votes, last.operatorAddress))
            {
                break
            }
            guard let candidate = try book.candidate(entry.owner) else { throw SystemContractRevert("corrupt candidate ranking") }
            var votes = entry.votes
            if try book.probationUntil(entry.owner) >= epoch {
                votes = votes * UInt256(100 - min(p.probationVoteDiscountPercent, 100)) / 100
            }
            let delegate = ElectedDelegate(
                operatorAddress: entry.operatorAddress, rewardAddress: candidate.rewardAddress, owner: entry.owner, votes: votes)
            let place = elected.firstIndex {
                !CandidateRanking.ranksBefore(($0.votes, $0.operatorAddress), (delegate.votes, delegate.operatorAddress))
            } ?? elected.count
            elected.insert(delegate, at: place)
            if elected.count > seats { elected.removeLast() }
        }
        if elected.count < p.numCandidateDelegates {
            var taken = Set(elected.map(\.operatorAddress))
            var fallbacks: [(onProbation: Bool, delegate: ElectedDelegate)] = []
            for delegate in genesisDelegates(genesis) where !taken.contains(delegate.operatorAddress) {
                fallbacks.append((try book.probationUntil(delegate.owner) >= epoch, delegate))
            }
            for (_, delegate) in fallbacks.filter({ !$0.onProbation }) + fallbacks.filter(\.onProbation)
            where elected.count < p.numCandidateDelegates && taken.insert(delegate.operatorAddress).inserted {
                elected.append(delegate)
            }
        }
        return elected
    }
}
