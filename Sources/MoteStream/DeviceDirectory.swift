import MoteContracts
import MotePrimitives
import MoteTelemetry

/// What the stream node needs to know about a device: its key, whether it may send, and how
/// long its messages are kept.
public struct DeviceRecord: Equatable, Sendable {
    public var key: DevicePublicKey
    public var status: DeviceStatus
    /// Days a message is kept after it was received; 0 keeps messages forever.
    public var retentionDays: UInt64

    public var id: Address { key.deviceID }

    public init(key: DevicePublicKey, status: DeviceStatus, retentionDays: UInt64) {
        self.key = key
        self.status = status
        self.retentionDays = retentionDays
    }
}

/// Looks devices up (on chain, through a node's `mote_device`, or a fixed table in tests).
public protocol DeviceDirectory: Sendable {
    /// The device's record, or nil if no such device is registered.
    func device(_ id: Address) async throws(DeviceDirectoryError) -> DeviceRecord?
}

/// The directory could not answer (node unreachable, bad answer).
public struct DeviceDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fixed set of devices, for tests and benchmarks; changeable while in use.
public actor StaticDeviceDirectory: DeviceDirectory {
    private var records: [Address: DeviceRecord]
    /// When set, every lookup fails with it (to test an unreachable directory).
    private var failure: DeviceDirectoryError?

    public init(_ records: [DeviceRecord] = []) {
        self.records = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func device(_ id: Address) throws(DeviceDirectoryError) -> DeviceRecord? {
        if let failure { throw failure }
        return records[id]
    }

    public func set(_ record: DeviceRecord) { records[record.id] = record }

    public func remove(_ id: Address) { records[id] = nil }

    public func fail(with error: DeviceDirectoryError?) { failure = error }
}
