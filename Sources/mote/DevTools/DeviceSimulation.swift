import Foundation
import MoteDeviceSDK
import MotePrimitives
import MoteTelemetry

/// A person walking with a GPS step tracker: position (a random walk with a slowly turning
/// heading), steps (about 1.8 a second while walking, none while standing), battery (about
/// 10 % an hour, plus a little per message sent).
struct WalkingTracker {
    var latitude: Double
    var longitude: Double
    /// Radians from north.
    var heading: Double
    var totalSteps = 0
    /// Percent.
    var battery: Double

    /// Cities the walkers start in (with a few hundred metres of jitter).
    static let cities: [(Double, Double)] = [(47.3769, 8.5417), (52.5200, 13.4050), (37.7749, -122.4194), (35.6762, 139.6503), (-33.8688, 151.2093)]
    static let metresPerDegree = 111_320.0

    init<R: RandomNumberGenerator>(using random: inout R) {
        let city = Self.cities.randomElement(using: &random)!
        latitude = city.0 + Double.random(in: -0.005...0.005, using: &random)
        longitude = city.1 + Double.random(in: -0.005...0.005, using: &random)
        heading = Double.random(in: 0..<(2 * .pi), using: &random)
        battery = Double.random(in: 60...100, using: &random)
    }

    /// The reading after `interval` seconds, as a JSON payload.
    mutating func reading<R: RandomNumberGenerator>(after interval: Double, using random: inout R) -> [UInt8] {
        let walking = Double.random(in: 0..<1, using: &random) < 0.85
        let steps = walking ? Int((interval * Double.random(in: 1.5...2.1, using: &random)).rounded()) : 0
        let metres = Double(steps) * Double.random(in: 0.65...0.8, using: &random)
        heading += Double.random(in: -0.35...0.35, using: &random)
        latitude += metres * cos(heading) / Self.metresPerDegree
        longitude += metres * sin(heading) / (Self.metresPerDegree * max(0.01, cos(latitude * .pi / 180)))
        totalSteps += steps
        battery = max(0, battery - interval * 10 / 3_600 - 0.001)
        let hdop = Double.random(in: 0.7...2.5, using: &random)
        let text = String(
            format: #"{"kind":"gps-step-tracker","lat":%.6f,"lon":%.6f,"hdop":%.1f,"steps":%d,"totalSteps":%d,"battery":%.2f}"#,
            latitude, longitude, hdop, steps, totalSteps, battery)
        return Array(text.utf8)
    }
}

/// What a simulation did.
struct SimulationSummary: Sendable {
    var sent = 0
    var accepted = 0
    /// Refusals by code.
    var rejected: [String: Int] = [:]
    /// Messages still buffered (not settled) at the end.
    var pending = 0
    /// `send` calls refused because a device's buffer was full.
    var bufferFull = 0
    /// Seconds from the first message to the last outcome.
    var elapsed = 0.0
    /// Times to ack in milliseconds, sorted at the end.
    var latencies: [Double] = []

    var rate: Double { elapsed > 0 ? Double(accepted) / elapsed : 0 }
    var p50Milliseconds: Double? { percentile(0.50) }
    var p99Milliseconds: Double? { percentile(0.99) }

    func percentile(_ fraction: Double) -> Double? {
        guard !latencies.isEmpty else { return nil }
        return latencies[min(latencies.count - 1, Int((Double(latencies.count) * fraction).rounded(.up)) - 1)]
    }
}

/// Counts the devices' outcomes as they come.
actor SimulationStats {
    private(set) var summary = SimulationSummary()

    func sent() { summary.sent += 1 }
    func bufferFull() { summary.bufferFull += 1 }

    func record(_ report: DeliveryReport) {
        if let error = report.error {
            summary.rejected[error.code.rawValue, default: 0] += 1
        } else {
            summary.accepted += 1
        }
        let (seconds, attoseconds) = report.timeToAck.components
        summary.latencies.append(Double(seconds) * 1_000 + Double(attoseconds) / 1e15)
    }
}

/// One run of `mote simulate devices` after registration: a `TelemetryClient` per device,
/// readings at the total rate, round-robin over the devices, then waiting for the buffers to drain.
struct SimulationPlan: Sendable {
    let identities: [DeviceIdentity]
    let chainID: UInt64
    let folder: URL
    let streamURL: URL
    let broker: SimulationBroker?
    let rate: Double
    let seconds: Int
    /// Print a line a second on standard error.
    let printsLive: Bool
    /// How long to wait, after sending stops, for the last outcomes.
    static let drainTimeout: Duration = .seconds(20)

    /// Runs the plan on the concurrency pool and blocks this (synchronous) command until it ends.
    static func runBlocking(_ plan: SimulationPlan) -> SimulationSummary {
        let done = DispatchSemaphore(value: 0)
        let result = SummaryBox()
        Task {
            result.summary = await plan.run()
            done.signal()
        }
        done.wait()
        return result.summary
    }

    /// `@unchecked Sendable`: written once by the task before `done` is signalled, read after the wait.
    private final class SummaryBox: @unchecked Sendable { var summary = SimulationSummary() }

    func run() async -> SimulationSummary {
        var options = TelemetryClient.Options()
        options.initialBackoff = .milliseconds(200)
        options.maxBackoff = .seconds(5)
        options.durableWrites = false
        var made: [TelemetryClient] = []
        for (index, identity) in identities.enumerated() {
            let transport: any TelemetryTransport
            if let broker, let ackKey = broker.ackKey {
                transport = MQTTTelemetryTransport(
                    deviceID: identity.deviceID, host: broker.host, port: broker.port, ackKey: ackKey, password: broker.passwords[identity.deviceID.hex])
            } else {
                transport = HTTPTelemetryTransport(baseURL: streamURL)
            }
            do {
                made.append(
                    try TelemetryClient(
                        identity: identity, chainID: chainID, directory: folder.appendingPathComponent("device-\(index)").path,
                        transport: transport, options: options))
            } catch {
                FileHandle.standardError.write(Data("error: device \(index): \(error)\n".utf8))
                Foundation.exit(1)
            }
        }
        let clients = made
        let stats = SimulationStats()
        let senders = clients.map { client in Task { await client.run() } }
        let listeners = clients.map { client in Task { for await report in client.reports { await stats.record(report) } } }
        let start = ContinuousClock.now
        let live = Task {
            var second = 0
            while !Task.isCancelled {
                second += 1
                guard (try? await Task.sleep(until: start + .seconds(second))) != nil else { return }
                guard printsLive else { continue }
                let now = await stats.summary
                let pending = clients.reduce(0) { $0 + $1.pendingCount }
                let rejected = now.rejected.values.reduce(0, +)
                FileHandle.standardError.write(Data(String(
                    format: "%4d s  sent %d  accepted %d  rejected %d  pending %d  %.1f accepted/s\n",
                    second, now.sent, now.accepted, rejected, pending, Double(now.accepted) / Double(second)).utf8))
            }
        }

        // Readings, round-robin, at `rate` in all.
        var random = SystemRandomNumberGenerator()
        var trackers = identities.map { _ in WalkingTracker(using: &random) }
        let total = Int((rate * Double(seconds)).rounded())
        let interval = 1 / rate
        let perDevice = Double(identities.count) / rate
        for tick in 0..<total {
            try? await Task.sleep(until: start + .seconds(interval * Double(tick)))
            let device = tick % clients.count
            let payload = trackers[device].reading(after: perDevice, using: &random)
            do throws(DeviceSDKError) {
                try clients[device].send(payload: payload, contentType: "application/json")
                await stats.sent()
            } catch {
                if error.code == .bufferFull { await stats.bufferFull() } else {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
            }
        }

        // Drain, then stop.
        let deadline = ContinuousClock.now + Self.drainTimeout
        for client in clients { _ = await client.waitUntilDelivered(timeout: max(.zero, deadline - ContinuousClock.now)) }
        // The last reports may still be on their way to the listeners.
        for _ in 0..<50 {
            let counted = await stats.summary
            if counted.accepted + counted.rejected.values.reduce(0, +) + clients.reduce(0, { $0 + $1.pendingCount }) >= counted.sent { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = ContinuousClock.now - start
        live.cancel()
        senders.forEach { $0.cancel() }
        listeners.forEach { $0.cancel() }
        for client in clients { await client.close() }
        var summary = await stats.summary
        summary.pending = clients.reduce(0) { $0 + $1.pendingCount }
        summary.elapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        summary.latencies.sort()
        return summary
    }
}
