import Foundation
import MotePrimitives
import MoteTelemetry

/// Looks devices up with a chain node's JSON-RPC `mote_device(id)`, caching answers briefly:
/// a device's key never changes, but its status may, so positives live `positiveTTL`,
/// "no such device" lives `negativeTTL`, and the cache holds at most `capacity` entries.
/// Concurrent lookups of one device share one call.
public actor RPCDeviceDirectory: DeviceDirectory {
    /// The JSON-RPC error code for an unknown device.
    public static let unknownDeviceCode = -32001

    public let url: URL
    public let positiveTTL: Duration
    public let negativeTTL: Duration
    public let capacity: Int
    /// Seconds one call may take.
    public let timeout: TimeInterval
    private let client: ChainRPCClient
    private let clock = ContinuousClock()
    private var cache: [Address: (record: DeviceRecord?, expires: ContinuousClock.Instant)] = [:]
    private var inFlight: [Address: Task<Result<DeviceRecord?, DeviceDirectoryError>, Never>] = [:]

    public init(url: URL, positiveTTL: Duration = .seconds(2), negativeTTL: Duration = .seconds(1), capacity: Int = 100_000, timeout: TimeInterval = 5) {
        self.url = url
        self.positiveTTL = positiveTTL
        self.negativeTTL = negativeTTL
        self.capacity = max(1, capacity)
        self.timeout = timeout
        client = ChainRPCClient(url: url, timeout: timeout, maxAnswerBytes: 64 * 1024)
    }

    public func device(_ id: Address) async throws(DeviceDirectoryError) -> DeviceRecord? {
        let now = clock.now
        if let entry = cache[id], entry.expires > now { return entry.record }
        let task: Task<Result<DeviceRecord?, DeviceDirectoryError>, Never>
        if let running = inFlight[id] {
            task = running
        } else {
            let client = client
            task = Task { await Self.fetch(id, client: client) }
            inFlight[id] = task
        }
        let result = await task.value
        inFlight[id] = nil
        if case .success(let record) = result {
            remember(id, record)
        }
        return try result.get()
    }

    /// Drops every cached answer.
    public func clearCache() { cache = [:] }

    private func remember(_ id: Address, _ record: DeviceRecord?) {
        let now = clock.now
        if cache.count >= capacity {
            cache = cache.filter { $0.value.expires > now }
            // Still full of live entries: forget an arbitrary half rather than grow.
            if cache.count >= capacity { cache = Dictionary(uniqueKeysWithValues: cache.prefix(capacity / 2).map { ($0.key, $0.value) }) }
        }
        cache[id] = (record, now + (record == nil ? negativeTTL : positiveTTL))
    }

    /// One `mote_device` call.
    static func fetch(_ id: Address, client: ChainRPCClient) async -> Result<DeviceRecord?, DeviceDirectoryError> {
        let result: JSON
        do throws(ChainRPCError) {
            result = try await client.call("mote_device", [.string(id.hex)])
        } catch {
            if error.kind == .refused(code: unknownDeviceCode) { return .success(nil) }
            return .failure(DeviceDirectoryError(error.message))
        }
        if result == .null { return .success(nil) }
        do throws(DeviceDirectoryError) {
            let record = try parse(result)
            guard record.id == id else { throw DeviceDirectoryError("mote_device answered for device \(record.id.hex), not \(id.hex)") }
            return .success(record)
        } catch {
            return .failure(error)
        }
    }

    /// Reads `mote_device`'s answer: `{"deviceId","curve","publicKey","status","retentionDays",…}`.
    static func parse(_ result: JSON) throws(DeviceDirectoryError) -> DeviceRecord {
        guard let curveName = result["curve"]?.stringValue, let curve = DeviceCurve(name: curveName) else {
            throw DeviceDirectoryError("mote_device: unknown curve")
        }
        guard let keyText = result["publicKey"]?.stringValue, let keyBytes = try? Hex.decode(keyText),
            let key = try? DevicePublicKey(curve: curve, bytes: keyBytes)
        else { throw DeviceDirectoryError("mote_device: publicKey is not a valid \(curve) key") }
        guard let statusText = result["status"]?.stringValue, let status = DeviceStatus(rawValue: statusText) else {
            throw DeviceDirectoryError("mote_device: unknown status")
        }
        guard let retentionText = result["retentionDays"]?.stringValue, retentionText.hasPrefix("0x"),
            let retention = UInt64(retentionText.dropFirst(2), radix: 16)
        else { throw DeviceDirectoryError("mote_device: retentionDays is not a 0x quantity") }
        if let idText = result["deviceId"]?.stringValue {
            guard (try? Address(hex: idText)) == key.deviceID else { throw DeviceDirectoryError("mote_device: deviceId does not match publicKey") }
        }
        return DeviceRecord(key: key, status: status, retentionDays: retention)
    }
}
