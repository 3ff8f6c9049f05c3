import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// The reward fund at 0x…4d4f54450003. Its balance pays the protocol's rewards; anyone can
/// add to it with `deposit()`. Rewards accrue to reward addresses (block rewards each block,
/// epoch rewards and foundation bonuses each epoch) and stay in the contract until claimed,
/// by the reward address itself or by anyone on its behalf (`claimFor` pays the reward
/// address, never the caller). Nothing is minted: the fund is what was put in.
public struct RewardingContract: SystemContract {
    public typealias ABI = RewardingABI
    let genesis: Genesis

    public init(genesis: Genesis) { self.genesis = genesis }

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<RewardingContract>(RewardingABI.self, [
        (RewardingABI.claim, RewardingContract.claim), (RewardingABI.claimFor, RewardingContract.claimFor),
        (RewardingABI.deposit, RewardingContract.deposit),
        (RewardingABI.fund, RewardingContract.fundCall),
        (RewardingABI.unclaimed, RewardingContract.unclaimedCall),
        (RewardingABI.epochRewards, RewardingContract.epochRewards),
        (RewardingABI.parametersFunction, RewardingContract.rewardParameters),
    ])

    func deposit(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        guard !context.value.isZero else { throw SystemContractRevert("send the amount to deposit") }
        try context.emit(RewardingABI.deposited, [.address(context.caller), .uint(context.value)])
        return []
    }

    func claim(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try pay(context.caller, requested: try a.uint256("amount"), context: context)
    }

    func claimFor(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try pay(try a.address("account"), requested: try a.uint256("amount"), context: context)
    }

    /// Pays `account` what it is owed (all of it when `requested` is zero), from the fund.
    private func pay(_ account: Address, requested: UInt256, context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = RewardingBook(context)
        let owed = try book.unclaimed(account)
        let amount = requested.isZero ? owed : requested
        guard !amount.isZero else { throw SystemContractRevert("nothing to claim for \(account.checksummed)") }
        guard amount <= owed else { throw SystemContractRevert("claim of \(amount) wei exceeds the \(owed) wei owed to \(account.checksummed)") }
        try book.setUnclaimed(account, owed - amount)
        try book.storage.setUInt256(RewardingBook.totalUnclaimedSlot, try book.totalUnclaimed() - amount)
        try context.transfer(to: account, amount: amount)
        try context.emit(RewardingABI.claimed, [.address(account), .address(context.caller), .uint(amount)])
        return [.uint(amount)]
    }

    func fundCall(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = RewardingBook(context)
        return [.uint(try book.fund())]
    }

    func unclaimedCall(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = RewardingBook(context)
        return [.uint(try book.unclaimed(try a.address("account")))]
    }

    func epochRewards(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = RewardingBook(context)
        let record = try book.epochRecord(epoch: try a.uint64("epoch"), rewardAddress: try a.address("rewardAddress"))
        return [.uint(record.block), .uint(record.epoch), .uint(record.bonus)]
    }

    func rewardParameters(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let p = context.parameters
        return [.uint(p.blockReward.value), .uint(p.epochReward.value), .uint(p.foundationBonus.value),
                .uint(UInt256(UInt64(max(p.foundationBonusDelegates, 0)))), .uint(UInt256(p.productivityThresholdPercent)),
                .uint(UInt256(p.probationEpochs))]
    }
}

/// The reward fund's books in the Rewarding contract's storage.
struct RewardingBook {
    let storage: ContractStorage
    let context: SystemCallContext

    init(_ context: SystemCallContext) {
        self.context = context
        storage = ContractStorage(context: context, contract: RewardingABI.address)
    }

    static let totalUnclaimedSlot = ContractStorage.slot("totalUnclaimed")
    static func unclaimedSlot(_ account: Address) -> Hash32 { ContractStorage.slot("unclaimed", account.bytes) }
    static func epochSlot(_ epoch: UInt64, _ account: Address) -> Hash32 { ContractStorage.slot("epochRewards", epoch.bigEndianBytes8, account.bytes) }

    func unclaimed(_ account: Address) throws(SystemContractRevert) -> UInt256 { try storage.uint256(Self.unclaimedSlot(account)) }
    func setUnclaimed(_ account: Address, _ amount: UInt256) throws(SystemContractRevert) {
        try storage.setUInt256(Self.unclaimedSlot(account), amount)
    }
    func totalUnclaimed() throws(SystemContractRevert) -> UInt256 { try storage.uint256(Self.totalUnclaimedSlot) }

    /// What the fund can still pay: the contract's balance less what is owed.
    func fund() throws(SystemContractRevert) -> UInt256 {
        let balance = try context.balance(of: RewardingABI.address)
        let owed = try totalUnclaimed()
        return balance > owed ? balance - owed : .zero
    }

    enum Kind { case block, epoch, bonus }

    /// Owes `amount` (or what the fund has left, if less) to `account`; returns what was owed.
    @discardableResult
    func credit(_ account: Address, _ amount: UInt256, kind: Kind, epoch: UInt64) throws(SystemContractRevert) -> UInt256 {
        let paid = min(amount, try fund())
        guard !paid.isZero else { return .zero }
        try setUnclaimed(account, try unclaimed(account) + paid)
        try storage.setUInt256(Self.totalUnclaimedSlot, try totalUnclaimed() + paid)
        var record = try epochRecord(epoch: epoch, rewardAddress: account)
        switch kind {
        case .block: record.block += paid
        case .epoch: record.epoch += paid
        case .bonus: record.bonus += paid
        }
        try storage.set(Self.epochSlot(epoch, account), .list([.uint(record.block), .uint(record.epoch), .uint(record.bonus)]))
        return paid
    }

    /// The rewards owed to `rewardAddress` for `epoch`, by kind.
    func epochRecord(epoch: UInt64, rewardAddress: Address) throws(SystemContractRevert) -> (block: UInt256, epoch: UInt256, bonus: UInt256) {
        guard let item = try storage.item(Self.epochSlot(epoch, rewardAddress)) else { return (.zero, .zero, .zero) }
        do {
            let f = try item.listValue()
            guard f.count == 3 else { throw RLPError.wrongShape }
            return (try f[0].uint256Value(), try f[1].uint256Value(), try f[2].uint256Value())
        } catch { throw SystemContractRevert("corrupt reward record") }
    }
}
