import Foundation
import MotePrimitives
import MoteStreamStore

/// Deletes each device's messages older than its retention period (`retentionDays` from the
/// directory; 0 keeps them forever), every `interval`. Devices the directory does not know,
/// or cannot answer for now, are left alone until the next run.
public struct RetentionJob: Sendable {
    public let store: any TelemetryStore
    public let directory: any DeviceDirectory
    public let interval: Duration
    private let now: @Sendable () -> UInt64

    public static let millisecondsPerDay: UInt64 = 86_400_000

    public init(
        store: any TelemetryStore, directory: any DeviceDirectory, interval: Duration = .seconds(3_600),
        now: @escaping @Sendable () -> UInt64 = IngestPipeline.systemMilliseconds
    ) {
        self.store = store
        self.directory = directory
        self.interval = interval
        self.now = now
    }

    /// One pass over every device with stored messages; returns how many messages were deleted.
    @discardableResult
    public func runOnce() async throws(TelemetryStoreError) -> Int {
        let now = now()
        var deleted = 0
        for device in try await store.devices() {
            guard let record = try? await directory.device(device), record.retentionDays > 0 else { continue }
            let (age, overflow) = record.retentionDays.multipliedReportingOverflow(by: Self.millisecondsPerDay)
            guard !overflow, age < now else { continue }
            deleted += try await store.deleteMessages(of: device, receivedBefore: now - age)
        }
        return deleted
    }

    /// Runs a pass every `interval` until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            _ = try? await runOnce()
            try? await Task.sleep(for: interval)
        }
    }
}
