import MoteCrypto
import MotePrimitives

/// The WitnessPool system contract's interface: its reserved address, functions and events
/// (docs/abi/WitnessPool.json is generated from these by `mote contracts abi WitnessPool`).
public enum WitnessPoolABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(6)
    public static let name = "WitnessPool"

    public static let joinAsDevice = SystemFunction(
        "joinAsDevice", inputs: [("deviceId", "address"), ("witnessKey", "bytes32"), ("possession", "bytes")], mutating: true)
    public static let joinAsNode = SystemFunction(
        "joinAsNode", inputs: [("witnessKey", "bytes32"), ("possession", "bytes")], mutating: true)
    public static let leavePool = SystemFunction("leavePool", inputs: [("witnessId", "address")], mutating: true)
    public static let submitAttestations = SystemFunction(
        "submitAttestations", inputs: [("attestations", "bytes[]")], mutating: true)
    public static let fundPool = SystemFunction("fundPool", mutating: true, payable: true)
    public static let witnessOutputs: [(String, String)] = [
        ("kind", "uint8"), ("witnessKey", "bytes32"), ("owner", "address"), ("reputation", "uint64"), ("blacklistedUntil", "uint64"),
        ("joinedAt", "uint64"), ("accepted", "uint64"), ("incoherent", "uint64"), ("earned", "uint256"), ("active", "bool"),
    ]
    public static let witness = SystemFunction("witness", inputs: [("id", "address")], outputs: witnessOutputs, mutating: false)
    public static let witnessByKey = SystemFunction(
        "witnessByKey", inputs: [("witnessKey", "bytes32")], outputs: [("id", "address")], mutating: false)
    public static let witnessCount = SystemFunction("witnessCount", outputs: [("count", "uint256")], mutating: false)
    public static let witnessAt = SystemFunction("witnessAt", inputs: [("index", "uint256")], outputs: [("id", "address")], mutating: false)
    public static let epochWeights = SystemFunction(
        "epochWeights", inputs: [("epoch", "uint64"), ("id", "address")], outputs: [("weight", "uint64"), ("totalWeight", "uint64")],
        mutating: false)
    public static let heightStatus = SystemFunction(
        "heightStatus", inputs: [("height", "uint64")],
        outputs: [("accepted", "uint32"), ("witnessed", "bool"), ("blockHash", "bytes32")], mutating: false)
    public static let witnessParameters = SystemFunction(
        "witnessParameters",
        outputs: [("expectedWitnesses", "uint64"), ("threshold", "uint64"), ("attestationReward", "uint256"),
                  ("blacklistBlocks", "uint64"), ("attestationWindow", "uint64")],
        mutating: false)
    public static let witnessJoined = SystemEvent(
        "WitnessJoined", [("witnessId", "address", true), ("owner", "address", true), ("kind", "uint8", false), ("witnessKey", "bytes32", false)])
    public static let witnessLeft = SystemEvent("WitnessLeft", [("witnessId", "address", true), ("owner", "address", true)])
    public static let poolFunded = SystemEvent("PoolFunded", [("from", "address", true), ("amount", "uint256", false)])
    public static let attestationAccepted = SystemEvent(
        "AttestationAccepted",
        [("witnessId", "address", true), ("height", "uint64", true), ("blockHash", "bytes32", false), ("reward", "uint256", false)])
    public static let attestationRejected = SystemEvent(
        "AttestationRejected", [("witnessKey", "bytes32", true), ("height", "uint64", false), ("reason", "string", false)])
    public static let witnessBlacklisted = SystemEvent(
        "WitnessBlacklisted", [("witnessId", "address", true), ("untilHeight", "uint64", false), ("reputation", "uint64", false)])
    public static let blockWitnessed = SystemEvent(
        "BlockWitnessed", [("height", "uint64", true), ("blockHash", "bytes32", false), ("attestations", "uint32", false)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.joinAsDevice, Self.joinAsNode, Self.leavePool, Self.submitAttestations, Self.fundPool, Self.witness, Self.witnessByKey,
         Self.witnessCount, Self.witnessAt, Self.epochWeights, Self.heightStatus, Self.witnessParameters]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.witnessJoined, Self.witnessLeft, Self.poolFunded, Self.attestationAccepted, Self.attestationRejected,
         Self.witnessBlacklisted, Self.blockWitnessed]
}
