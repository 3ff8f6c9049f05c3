import MoteCrypto
import MotePrimitives

/// A MachineFi project as the ProjectRegistry's `project(uint64)` view answers it, with its
/// closure (`projectClosure`) once closed.
public struct ChainProject: Equatable, Sendable {
    public var id: UInt64
    public var sponsor: Address
    public var name: String
    public var appletHash: Hash32
    public var params: [UInt8]
    public var rewardPerResult: UInt256
    public var windowSeconds: UInt64
    public var challengeSeconds: UInt64
    public var pool: UInt256
    public var reserved: UInt256
    /// `ProjectStatus`: 0 active; anything else (closed) takes no new results.
    public var status: UInt8
    public var deviceCount: UInt32
    /// When a closed project was closed (`projectClosure`): it still takes results for windows
    /// that ended by then until its free pool is `refunded`.
    public var closedAt: UInt64
    public var refunded: Bool

    public init(
        id: UInt64, sponsor: Address = .zero, name: String = "", appletHash: Hash32, params: [UInt8], rewardPerResult: UInt256 = .zero,
        windowSeconds: UInt64, challengeSeconds: UInt64 = 0, pool: UInt256 = .zero, reserved: UInt256 = .zero, status: UInt8 = 0,
        deviceCount: UInt32 = 0, closedAt: UInt64 = 0, refunded: Bool = false
    ) {
        self.id = id
        self.sponsor = sponsor
        self.name = name
        self.appletHash = appletHash
        self.params = params
        self.rewardPerResult = rewardPerResult
        self.windowSeconds = windowSeconds
        self.challengeSeconds = challengeSeconds
        self.pool = pool
        self.reserved = reserved
        self.status = status
        self.deviceCount = deviceCount
        self.closedAt = closedAt
        self.refunded = refunded
    }

    /// The `project(id)` view's outputs (closure fields unset).
    public init(id: UInt64, _ values: [ABIValue]) throws(ContractViewError) {
        let v = try ABIOutputs(values, "project(\(id))", count: ProjectRegistryABI.projectOutputs.count)
        self.init(
            id: id, sponsor: try v.address(0), name: try v.string(1), appletHash: try v.hash(2), params: try v.bytes(3),
            rewardPerResult: try v.uint(4), windowSeconds: try v.uint64(5), challengeSeconds: try v.uint64(6), pool: try v.uint(7),
            reserved: try v.uint(8), status: UInt8(truncatingIfNeeded: try v.uint64(9)), deviceCount: UInt32(truncatingIfNeeded: try v.uint64(10)))
    }

    public var isActive: Bool { status == ProjectStatus.active.rawValue }

    /// Whether the chain takes a result for `window` (of `windowSeconds`): any window while the
    /// project is active; once closed, windows that ended by the close until the refund.
    public func takesResults(window: UInt64) -> Bool {
        if isActive { return true }
        let (start, overflow) = window.multipliedReportingOverflow(by: windowSeconds)
        let (end, overflow2) = start.addingReportingOverflow(windowSeconds)
        return !refunded && !overflow && !overflow2 && end <= closedAt
    }
}

/// A `postResult` call: what the poster claims for one device's window.
public struct ResultClaim: Equatable, Sendable {
    public var projectID: UInt64
    public var deviceID: Address
    public var window: UInt64
    public var result: [UInt8]
    public var messageCount: UInt32
    public var messagesRoot: Hash32

    public init(projectID: UInt64, deviceID: Address, window: UInt64, result: [UInt8], messageCount: UInt32, messagesRoot: Hash32) {
        self.projectID = projectID
        self.deviceID = deviceID
        self.window = window
        self.result = result
        self.messageCount = messageCount
        self.messagesRoot = messagesRoot
    }

    /// `postResult`'s arguments.
    public var arguments: [ABIValue] {
        [
            .uint(UInt256(projectID)), .address(deviceID), .uint(UInt256(window)), .bytes(result),
            .uint(UInt256(UInt64(messageCount))), .fixedBytes(messagesRoot.bytes),
        ]
    }

    /// `postResult`'s calldata.
    public var calldata: [UInt8] { try! ProjectRegistryABI.postResult.abi.encodeCall(arguments) }
}
