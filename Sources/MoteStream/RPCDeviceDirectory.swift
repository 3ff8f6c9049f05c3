import Foundation
import MoteContracts
import MotePrimitives
import MoteRPCClient
import MoteTelemetry

/// Looks devices up with a chain node's JSON-RPC `mote_device(id)`, caching answers briefly:
/// a device's key never changes, but its status may, so positives live `positiveTTL`,
/// "no such device" lives `negativeTTL`, and the cache holds at most `capacity` entries.
/// Concurrent lookups of one device share one call.
public actor RPCDeviceDirectory: DeviceDirectory {
    /// The JSON-RPC error code for an unknown device.
    public static let unknownDeviceCode = RPCClientError.notFoundCode

    public let url: URL
    public let positiveTTL: Duration
    public let negativeTTL: Duration
    public let capacity: Int
    /// Seconds one call may take.
    public let timeout: TimeInterval
    private let client: JSONRPCClient
    private let clock = ContinuousClock()
    private var cache: [Address: (record: DeviceRecord?, expires: ContinuousClock.Instant)] = [:]
    private var inFlight: [Address: Task<Result<DeviceRecord?, DeviceDirectoryError>, Never>] = [:]

    public init(url: URL, positiveTTL: Duration = .seconds(2), negativeTTL: Duration = .seconds(1), capacity: Int = 100_000, timeout: TimeInterval = 5) {
        self.url = url
        self.positiveTTL = positiveTTL
        self.negativeTTL = negativeTTL
        self.capacity = max(1, capacity)
        self.timeout = timeout
        client = JSONRPCClient(url: url, timeout: timeout, maxResponseBytes: 64 * 1024)
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
    static func fetch(_ id: Address, client: JSONRPCClient) async -> Result<DeviceRecord?, DeviceDirectoryError> {
        let answer = await answer(id, client: client)
        guard case .success(let result) = answer else {
            if case .failure(let error) = answer, error.code != unknownDeviceCode { return .failure(DeviceDirectoryError(error.message)) }
            return .success(nil)
        }
        return check(result, id: id)
    }

    /// The node's answer to `mote_device(id)`.
    @inline(never)
    private static func answer(_ id: Address, client: JSONRPCClient) async -> Result<JSON, RPCClientError> {
        do { return .success(try await client.call("mote_device", [.address(id)])) } catch { return .failure(error) }
    }

    /// The record in `result`, if it is one and is `id`'s.
    private static func check(_ result: JSON, id: Address) -> Result<DeviceRecord?, DeviceDirectoryError> {
        if result == .null { return .success(nil) }
        do throws(DeviceDirectoryError) {
            let record = try parse(result)
            guard record.id == id else { throw DeviceDirectoryError("mote_device answered for device \(record.id.hex), not \(id.hex)") }
            return .success(record)
        } catch {
            return .failure(error)
        }
    }

    /// Reads `mote_device`'s answer (`DeviceInfo`): the key must be valid for its curve and
    /// hash to the device id.
    static func parse(_ result: JSON) throws(DeviceDirectoryError) -> DeviceRecord {
        let info: DeviceInfo
        do { info = try DeviceInfo(json: result) } catch { throw DeviceDirectoryError(error.description) }
        guard let key = try? DevicePublicKey(curve: info.curve, bytes: info.publicKey) else {
            throw DeviceDirectoryError("mote_device: publicKey is not a valid \(info.curve) key")
        }
        guard key.deviceID == info.deviceID else { throw DeviceDirectoryError("mote_device: deviceId does not match publicKey") }
        return DeviceRecord(key: key, status: info.status, retentionDays: info.retentionDays)
    }
}
