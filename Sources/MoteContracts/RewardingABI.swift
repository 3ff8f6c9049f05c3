import MoteCrypto
import MotePrimitives

/// The Rewarding system contract's interface: its reserved address, functions and events
/// (docs/abi/Rewarding.json is generated from these by `mote contracts abi Rewarding`).
public enum RewardingABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(3)
    public static let name = "Rewarding"

    public static let deposit = SystemFunction("deposit", mutating: true, payable: true)
    public static let claim = SystemFunction("claim", inputs: [("amount", "uint256")], outputs: [("claimed", "uint256")], mutating: true)
    public static let claimFor = SystemFunction(
        "claimFor", inputs: [("account", "address"), ("amount", "uint256")], outputs: [("claimed", "uint256")], mutating: true)
    public static let fund = SystemFunction("fund", outputs: [("amount", "uint256")], mutating: false)
    public static let unclaimed = SystemFunction("unclaimed", inputs: [("account", "address")], outputs: [("amount", "uint256")], mutating: false)
    public static let epochRewards = SystemFunction(
        "epochRewards", inputs: [("epoch", "uint64"), ("rewardAddress", "address")],
        outputs: [("blockRewards", "uint256"), ("epochReward", "uint256"), ("foundationBonus", "uint256")], mutating: false)
    public static let parametersFunction = SystemFunction(
        "rewardParameters",
        outputs: [("blockReward", "uint256"), ("epochReward", "uint256"), ("foundationBonus", "uint256"),
                  ("foundationBonusDelegates", "uint256"), ("productivityThresholdPercent", "uint256"), ("probationEpochs", "uint256")],
        mutating: false)
    public static let deposited = SystemEvent("Deposited", [("from", "address", true), ("amount", "uint256", false)])
    public static let claimed = SystemEvent(
        "Claimed", [("account", "address", true), ("by", "address", true), ("amount", "uint256", false)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.deposit, Self.claim, Self.claimFor, Self.fund, Self.unclaimed, Self.epochRewards, Self.parametersFunction]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.deposited, Self.claimed]
}
