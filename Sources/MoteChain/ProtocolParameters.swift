import MotePrimitives

/// The protocol's tunable numbers, by area. Genesis fixes the defaults; a chain reads them
/// through a parameter source backed by its state (`StateParameterSource` in MoteLedger), the
/// seam governance writes to. Each area lists each of its fields once (`ParameterField`):
/// name, default, bounds, and from that list come its JSON codec, its RLP form (the genesis
/// configuration hash, the stored overrides) and its checks.
///
/// Fields read and write as if flat (`parameters.epochLength`), through the areas.
@dynamicMemberLookup
public struct ProtocolParameters: Hashable, Sendable, Codable {
    public var epochs = EpochParameters()
    public var fees = FeeParameters()
    public var staking = StakingParameters()
    public var devices = DeviceParameters()
    public var witnesses = WitnessingParameters()
    public var projects = ProjectParameters()

    public init() {}

    public subscript<T>(dynamicMember path: WritableKeyPath<EpochParameters, T>) -> T {
        get { epochs[keyPath: path] }
        set { epochs[keyPath: path] = newValue }
    }
    public subscript<T>(dynamicMember path: WritableKeyPath<FeeParameters, T>) -> T {
        get { fees[keyPath: path] }
        set { fees[keyPath: path] = newValue }
    }
    public subscript<T>(dynamicMember path: WritableKeyPath<StakingParameters, T>) -> T {
        get { staking[keyPath: path] }
        set { staking[keyPath: path] = newValue }
    }
    public subscript<T>(dynamicMember path: WritableKeyPath<DeviceParameters, T>) -> T {
        get { devices[keyPath: path] }
        set { devices[keyPath: path] = newValue }
    }
    public subscript<T>(dynamicMember path: WritableKeyPath<WitnessingParameters, T>) -> T {
        get { witnesses[keyPath: path] }
        set { witnesses[keyPath: path] = newValue }
    }
    public subscript<T>(dynamicMember path: WritableKeyPath<ProjectParameters, T>) -> T {
        get { projects[keyPath: path] }
        set { projects[keyPath: path] = newValue }
    }

    /// The genesis file's `parameters` object: one flat object, each area reading its own keys.
    public init(from decoder: Decoder) throws {
        epochs = try EpochParameters(from: decoder)
        fees = try FeeParameters(from: decoder)
        staking = try StakingParameters(from: decoder)
        devices = try DeviceParameters(from: decoder)
        witnesses = try WitnessingParameters(from: decoder)
        projects = try ProjectParameters(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try epochs.encode(to: encoder)
        try fees.encode(to: encoder)
        try staking.encode(to: encoder)
        try devices.encode(to: encoder)
        try witnesses.encode(to: encoder)
        try projects.encode(to: encoder)
    }

    /// What is out of range, by field name (empty when all is well).
    public var problems: [String] {
        epochs.problems + fees.problems + staking.problems + devices.problems + witnesses.problems + projects.problems
    }

    /// 10^18 wei.
    public static let mote = UInt256(1_000_000_000_000_000_000)
    /// The longest retention a device owner may set.
    public static let maxRetentionDays: UInt32 = 3_650
    /// The longest challenge period a project may choose (30 days).
    public static let maxChallengeSeconds: UInt64 = 30 * 86_400
}

// MARK: Fields

/// One parameter of an area: its name in the genesis file, where it lives, and its bounds.
public struct ParameterField<Area>: Sendable {
    public let name: String
    let decode: @Sendable (inout Area, KeyedDecodingContainer<ParameterKey>) throws -> Void
    let encode: @Sendable (Area, inout KeyedEncodingContainer<ParameterKey>) throws -> Void
    let rlp: @Sendable (Area) -> RLPItem
    let fromRLP: @Sendable (inout Area, RLPItem) -> Bool
    let isValid: @Sendable (Area) -> Bool

    /// An integer field, valid within `range`.
    public static func integer<T: FixedWidthInteger & Codable & Sendable>(
        _ name: String, _ path: WritableKeyPath<Area, T> & Sendable, in range: ClosedRange<T> = T.min...T.max
    ) -> Self {
        let key = ParameterKey(name)
        return Self(
            name: name,
            decode: { area, c in if let value = try c.decodeIfPresent(T.self, forKey: key) { area[keyPath: path] = value } },
            encode: { area, c in try c.encode(area[keyPath: path], forKey: key) },
            rlp: { area in .uint(UInt64(clamping: area[keyPath: path])) },
            fromRLP: { area, item in
                guard let value = (try? item.uint256Value())?.uint64, let typed = T(exactly: value) else { return false }
                area[keyPath: path] = typed
                return true
            },
            isValid: { area in range.contains(area[keyPath: path]) })
    }

    /// An amount in wei (a decimal or 0x-hex string in the file).
    public static func amount(_ name: String, _ path: WritableKeyPath<Area, UInt256Text> & Sendable, nonZero: Bool = false) -> Self {
        let key = ParameterKey(name)
        return Self(
            name: name,
            decode: { area, c in if let value = try c.decodeIfPresent(UInt256Text.self, forKey: key) { area[keyPath: path] = value } },
            encode: { area, c in try c.encode(area[keyPath: path], forKey: key) },
            rlp: { area in .uint(area[keyPath: path].value) },
            fromRLP: { area, item in
                guard let value = try? item.uint256Value() else { return false }
                area[keyPath: path] = UInt256Text(value)
                return true
            },
            isValid: { area in !nonZero || !area[keyPath: path].value.isZero })
    }
}

/// A parameter's key in the genesis file.
public struct ParameterKey: CodingKey, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// An area of the parameters: its fields, listed once, give its codec, RLP form and checks.
public protocol ParameterArea: Hashable, Sendable, Codable {
    /// The area's name (the key of its stored overrides).
    static var name: String { get }
    static var fields: [ParameterField<Self>] { get }
    init()
    /// Checks across fields, beyond each field's own bounds.
    var crossProblems: [String] { get }
}

extension ParameterArea {
    public var crossProblems: [String] { [] }

    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: ParameterKey.self)
        for field in Self.fields { try field.decode(&self, container) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: ParameterKey.self)
        for field in Self.fields { try field.encode(self, &container) }
    }

    /// The fields in order as RLP integers.
    public var rlpFields: [RLPItem] { Self.fields.map { $0.rlp(self) } }

    /// The area as one RLP list (its stored form).
    public var rlp: RLPItem { .list(rlpFields) }

    /// Reads the stored form; nil if it is not a list of the area's fields in range.
    public init?(rlp item: RLPItem) {
        guard let items = try? item.listValue(), items.count == Self.fields.count else { return nil }
        var area = Self()
        for (field, item) in zip(Self.fields, items) where !field.fromRLP(&area, item) { return nil }
        guard area.problems.isEmpty else { return nil }
        self = area
    }

    /// The fields out of bounds and the cross-field checks that fail.
    public var problems: [String] { Self.fields.filter { !$0.isValid(self) }.map(\.name) + crossProblems }
}
