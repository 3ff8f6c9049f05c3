import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// Where the chain's system contracts read the protocol's parameters (`SystemCallContext.parameters`).
public protocol ParameterSource: Sendable {
    /// The parameters in force in `state`.
    func parameters(_ state: WorldState) throws(LedgerError) -> ProtocolParameters
}

/// The parameters in the chain's state: the genesis values, area by area, unless the state
/// holds an override for the area. An override is the area's RLP form
/// (`ParameterArea.rlp`) at `StorageLayout.slot("parameters", areaName)` in the storage of the
/// reserved address 0x…4d4f54450000. Nothing writes overrides yet: this is the seam that
/// on-chain governance will write to (`write(_:to:)`), and a change takes effect for the
/// next call that reads it. An override that does not decode, or is out of bounds, is
/// ignored (the genesis value stays in force), so a bad write cannot stop the chain.
public struct StateParameterSource: ParameterSource {
    public let defaults: ProtocolParameters

    public init(defaults: ProtocolParameters) { self.defaults = defaults }

    /// The reserved address whose storage holds the overrides.
    public static let address = SystemAddresses.parameterStore

    /// The slot of `area`'s override.
    public static func slot<Area: ParameterArea>(_ area: Area.Type) -> Hash32 { StorageLayout.slot("parameters", Array(Area.name.utf8)) }

    public func parameters(_ state: WorldState) throws(LedgerError) -> ProtocolParameters {
        var p = defaults
        p.epochs = try Self.read(state, default: p.epochs)
        p.fees = try Self.read(state, default: p.fees)
        p.staking = try Self.read(state, default: p.staking)
        p.devices = try Self.read(state, default: p.devices)
        p.witnesses = try Self.read(state, default: p.witnesses)
        p.projects = try Self.read(state, default: p.projects)
        return p
    }

    private static func read<Area: ParameterArea>(_ state: WorldState, default value: Area) throws(LedgerError) -> Area {
        guard let bytes = try state.storageValue(address, slot(Area.self)), let item = try? RLP.decode(bytes), let area = Area(rlp: item) else {
            return value
        }
        return area
    }

    /// Sets `area` as the override in `state` (the governance seam; takes effect for the next read).
    public static func write<Area: ParameterArea>(_ area: Area, to state: WorldState) throws(LedgerError) {
        try state.setStorageValue(address, slot(Area.self), RLP.encode(area.rlp))
    }
}
