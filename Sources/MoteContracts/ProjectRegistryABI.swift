import MoteCrypto
import MotePrimitives

/// The ProjectRegistry system contract's interface: its reserved address, functions and events
/// (docs/abi/ProjectRegistry.json is generated from these by `mote contracts abi ProjectRegistry`).
public enum ProjectRegistryABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(5)
    public static let name = "ProjectRegistry"

    public static let createProject = SystemFunction(
        "createProject",
        inputs: [("applet", "bytes"), ("params", "bytes"), ("name", "string"), ("rewardPerResult", "uint256"), ("windowSeconds", "uint64"),
                 ("challengeSeconds", "uint64")],
        outputs: [("projectId", "uint64")], mutating: true, payable: true)
    public static let fundProject = SystemFunction("fundProject", inputs: [("projectId", "uint64")], mutating: true, payable: true)
    /// The sponsor's first call closes (no new devices; results only for windows that ended by
    /// then); the free pool is refunded at once if no device is left, else by a second call once
    /// none of those windows can be posted any more.
    public static let closeProject = SystemFunction("closeProject", inputs: [("projectId", "uint64")], mutating: true)
    public static let joinProject = SystemFunction(
        "joinProject", inputs: [("projectId", "uint64"), ("deviceId", "address")], mutating: true)
    public static let leaveProject = SystemFunction(
        "leaveProject", inputs: [("projectId", "uint64"), ("deviceId", "address")], mutating: true)
    /// The device's owner names the one account besides itself that may post its results in
    /// the project (the zero address: only the owner).
    public static let setPoster = SystemFunction(
        "setPoster", inputs: [("projectId", "uint64"), ("deviceId", "address"), ("poster", "address")], mutating: true)
    public static let depositBond = SystemFunction("depositBond", mutating: true, payable: true)
    public static let withdrawBond = SystemFunction("withdrawBond", inputs: [("amount", "uint256")], mutating: true)
    public static let bondOf = SystemFunction(
        "bondOf", inputs: [("operator", "address")], outputs: [("total", "uint256"), ("locked", "uint256")], mutating: false)
    public static let postResult = SystemFunction(
        "postResult",
        inputs: [("projectId", "uint64"), ("deviceId", "address"), ("window", "uint64"), ("result", "bytes"), ("messageCount", "uint32"),
                 ("messagesRoot", "bytes32")],
        outputs: [("resultId", "uint64")], mutating: true)
    public static let challengeResult = SystemFunction(
        "challengeResult", inputs: [("resultId", "uint64"), ("envelopes", "bytes[]")], mutating: true, payable: true)
    public static let settleResult = SystemFunction("settleResult", inputs: [("resultId", "uint64")], mutating: true)
    public static let projectOutputs: [(String, String)] = [
        ("sponsor", "address"), ("name", "string"), ("appletHash", "bytes32"), ("params", "bytes"), ("rewardPerResult", "uint256"),
        ("windowSeconds", "uint64"), ("challengeSeconds", "uint64"), ("pool", "uint256"), ("reserved", "uint256"), ("status", "uint8"),
        ("deviceCount", "uint32"),
    ]
    public static let project = SystemFunction("project", inputs: [("projectId", "uint64")], outputs: projectOutputs, mutating: false)
    public static let projectClosure = SystemFunction(
        "projectClosure", inputs: [("projectId", "uint64")], outputs: [("closedAt", "uint64"), ("refunded", "bool")], mutating: false)
    public static let projectCount = SystemFunction("projectCount", outputs: [("count", "uint64")], mutating: false)
    public static let appletOf = SystemFunction("appletOf", inputs: [("projectId", "uint64")], outputs: [("applet", "bytes")], mutating: false)
    public static let isJoined = SystemFunction(
        "isJoined", inputs: [("projectId", "uint64"), ("deviceId", "address")], outputs: [("joined", "bool")], mutating: false)
    public static let projectDevices = SystemFunction(
        "projectDevices", inputs: [("projectId", "uint64")], outputs: [("deviceIds", "address[]")], mutating: false)
    public static let membership = SystemFunction(
        "membership", inputs: [("projectId", "uint64"), ("deviceId", "address")], outputs: [("joined", "bool"), ("since", "uint64")],
        mutating: false)
    public static let posterOf = SystemFunction(
        "posterOf", inputs: [("projectId", "uint64"), ("deviceId", "address")], outputs: [("poster", "address")], mutating: false)
    public static let mayPost = SystemFunction(
        "mayPost", inputs: [("projectId", "uint64"), ("deviceId", "address"), ("poster", "address")], outputs: [("allowed", "bool")],
        mutating: false)
    public static let resultOutputs: [(String, String)] = [
        ("projectId", "uint64"), ("deviceId", "address"), ("window", "uint64"), ("result", "bytes"), ("messageCount", "uint32"),
        ("messagesRoot", "bytes32"), ("poster", "address"), ("postedAt", "uint64"), ("challengeEndsAt", "uint64"), ("status", "uint8"),
        ("paid", "uint256"),
    ]
    public static let result = SystemFunction("result", inputs: [("resultId", "uint64")], outputs: resultOutputs, mutating: false)
    public static let resultOf = SystemFunction(
        "resultOf", inputs: [("projectId", "uint64"), ("deviceId", "address"), ("window", "uint64")], outputs: [("resultId", "uint64")],
        mutating: false)
    public static let resultsOfDevice = SystemFunction(
        "resultsOfDevice", inputs: [("deviceId", "address")], outputs: [("resultIds", "uint64[]")], mutating: false)
    public static let resultsOfDevicePage = SystemFunction(
        "resultsOfDevicePage", inputs: [("deviceId", "address"), ("offset", "uint64"), ("limit", "uint64")],
        outputs: [("total", "uint64"), ("resultIds", "uint64[]")], mutating: false)
    public static let projectParameters = SystemFunction(
        "projectParameters",
        outputs: [("minimumOperatorBond", "uint256"), ("challengeDeposit", "uint256"), ("challengerShare", "uint8"),
                  ("minimumChallengeSeconds", "uint64")],
        mutating: false)
    public static let projectCreated = SystemEvent(
        "ProjectCreated", [("projectId", "uint64", true), ("sponsor", "address", true), ("appletHash", "bytes32", false), ("name", "string", false)])
    public static let projectFunded = SystemEvent(
        "ProjectFunded", [("projectId", "uint64", true), ("from", "address", true), ("amount", "uint256", false)])
    public static let projectClosed = SystemEvent(
        "ProjectClosed", [("projectId", "uint64", true), ("sponsor", "address", true), ("refund", "uint256", false)])
    public static let deviceJoined = SystemEvent(
        "DeviceJoined", [("projectId", "uint64", true), ("deviceId", "address", true), ("owner", "address", true)])
    public static let deviceLeft = SystemEvent(
        "DeviceLeft", [("projectId", "uint64", true), ("deviceId", "address", true), ("owner", "address", true)])
    public static let posterChosen = SystemEvent(
        "PosterChosen", [("projectId", "uint64", true), ("deviceId", "address", true), ("poster", "address", true)])
    public static let bondDeposited = SystemEvent("BondDeposited", [("operator", "address", true), ("amount", "uint256", false)])
    public static let bondWithdrawn = SystemEvent("BondWithdrawn", [("operator", "address", true), ("amount", "uint256", false)])
    public static let resultPosted = SystemEvent(
        "ResultPosted",
        [("resultId", "uint64", true), ("projectId", "uint64", true), ("deviceId", "address", true), ("window", "uint64", false),
         ("result", "bytes", false)])
    public static let resultChallenged = SystemEvent(
        "ResultChallenged", [("resultId", "uint64", true), ("challenger", "address", true), ("upheld", "bool", false)])
    public static let bondSlashed = SystemEvent(
        "BondSlashed", [("operator", "address", true), ("resultId", "uint64", true), ("amount", "uint256", false)])
    public static let resultSettled = SystemEvent(
        "ResultSettled", [("resultId", "uint64", true), ("owner", "address", true), ("status", "uint8", false), ("amount", "uint256", false)])

    /// Every function, in the order of the published ABI.
    public static let functions: [SystemFunction] = [Self.createProject, Self.fundProject, Self.closeProject, Self.joinProject, Self.leaveProject, Self.setPoster, Self.depositBond,
         Self.withdrawBond, Self.bondOf, Self.postResult, Self.challengeResult, Self.settleResult, Self.project, Self.projectClosure, Self.projectCount,
         Self.appletOf, Self.isJoined, Self.membership, Self.posterOf, Self.mayPost, Self.projectDevices, Self.result, Self.resultOf,
         Self.resultsOfDevice, Self.resultsOfDevicePage, Self.projectParameters]

    /// Every event, in the order of the published ABI.
    public static let events: [SystemEvent] = [Self.projectCreated, Self.projectFunded, Self.projectClosed, Self.deviceJoined, Self.deviceLeft, Self.posterChosen, Self.bondDeposited,
         Self.bondWithdrawn, Self.resultPosted, Self.resultChallenged, Self.bondSlashed, Self.resultSettled]
}
