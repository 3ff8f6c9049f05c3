/// The status enums of the system contracts, as their ABI `uint8`s.

/// Where a device stands in the registry (its `uint8` in the ABI).
public enum DeviceStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Pre-registered by a manufacturer; nobody owns it until it is claimed.
    case unclaimed = 0
    /// Owned, and its telemetry is accepted.
    case active = 1
    /// Owned, its telemetry refused until the owner resumes it.
    case suspended = 2
    /// Retired for good: its key can never be registered again.
    case revoked = 3

    public var description: String {
        switch self {
        case .unclaimed: "unclaimed"
        case .active: "active"
        case .suspended: "suspended"
        case .revoked: "revoked"
        }
    }
}

/// Whether a project takes new results (its `uint8` in the ABI).
public enum ProjectStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case active = 0
    /// Closed by its sponsor: no new devices, and results only for windows that ended by the
    /// close (until `maxResultDelaySeconds` after it, when the free pool is refunded); pending
    /// results still settle.
    case closed = 1

    public var description: String { self == .active ? "active" : "closed" }
}

/// Where a posted result stands (its `uint8` in the ABI).
public enum ResultStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Posted; challengeable until `challengeEndsAt`, then settled.
    case pending = 0
    /// Settled: the rule was met and the device's owner was paid.
    case paid = 1
    /// Settled: the rule was met but the pool was dry.
    case unpaid = 2
    /// Settled: the rule was not met.
    case noReward = 3
    /// Proven false by a challenge; the poster's bond for it was slashed.
    case reverted = 4

    public var description: String {
        switch self {
        case .pending: "pending"
        case .paid: "paid"
        case .unpaid: "unpaid"
        case .noReward: "noReward"
        case .reverted: "reverted"
        }
    }
}

/// What kind of witness (its `uint8` in the ABI).
public enum WitnessKind: UInt8, Sendable, CustomStringConvertible {
    /// A registered device; its rewards go to the device's owner.
    case device = 1
    /// A trusted node: registered in the NodeRegistry, and a genesis delegate's operator or the
    /// operator or owner of a candidate with at least `minSelfStake` self-stake; its rewards go to itself.
    case node = 2

    public var description: String { self == .device ? "device" : "node" }
}
