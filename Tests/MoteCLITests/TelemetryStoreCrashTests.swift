import Foundation
import MotePrimitives
import MoteStreamStore
import MoteTestKit
import MoteTestSupport
import Testing

/// `mote debug store-writer` appending to a SQLite telemetry store in another process, killed
/// with SIGKILL at random moments: after every kill the reopened store holds every message an
/// append had acknowledged, byte for byte, and is consistent (each device's messages are exactly
/// 1...last_sequence).
@Suite struct TelemetryStoreCrashTests {
    static let devices = 6

    /// Runs the writer for `milliseconds`, then SIGKILLs it; returns its `acked` lines.
    func writeAndKill(_ box: Sandbox, path: String, milliseconds: Int) throws -> [(device: String, sequence: UInt64)] {
        let process = Process()
        process.executableURL = MoteBinary.url
        process.arguments = ["debug", "store-writer", "--sqlite", path, "--devices", "\(Self.devices)", "--batch", "150"]
        let output = box.root.appendingPathComponent("writer-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(useconds_t(milliseconds * 1_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        // The last line may be cut by the kill: keep whole lines only.
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "acked", parts[1].count == 42, let sequence = UInt64(parts[2]) else { return nil }
            return (String(parts[1]), sequence)
        }
    }

    @Test func killNineLosesNoAcknowledgedMessage() async throws {
        let box = try Sandbox()
        let path = box.root.appendingPathComponent("telemetry.sqlite").path
        var rng = SplitMix64(seed: 9_001)
        var acknowledged: [String: UInt64] = [:]
        var verified = [UInt64](repeating: 0, count: Self.devices)
        var kills = 0
        for _ in 0..<12 {
            for (device, sequence) in try writeAndKill(box, path: path, milliseconds: 150 + Int(rng.next() % 850)) {
                acknowledged[device] = max(acknowledged[device] ?? 0, sequence)
            }
            kills += 1
            let store = try SQLiteTelemetryStore(path: path)
            for index in 0..<Self.devices {
                let device = SyntheticTelemetry.device(index)
                let last = try await store.lastSequence(of: device) ?? 0
                let acked = acknowledged[device.hex] ?? 0
                #expect(last >= acked, "device \(index): acknowledged \(acked), store has up to \(last)")
                #expect(try await store.count(of: device) == Int(last), "device \(index): stored messages are not 1...\(last)")
                // Messages not checked in an earlier round: present, in order, intact.
                var expected = verified[index] + 1
                while true {
                    let page = try await store.messages(
                        of: device, from: 0, to: .max, afterSequence: expected - 1, limit: 2_000)
                    if page.isEmpty { break }
                    for message in page {
                        #expect(message.sequence == expected, "device \(index): \(expected) missing")
                        #expect(message == SyntheticTelemetry.message(device: index, sequence: message.sequence))
                        #expect(message.hash == message.envelope.hash)
                        expected = message.sequence + 1
                    }
                }
                #expect(expected - 1 == last, "device \(index): messages end at \(expected - 1), last_sequence is \(last)")
                verified[index] = last
            }
        }
        let total = acknowledged.values.reduce(0, +)
        #expect(acknowledged.count == Self.devices && total > 1_000, "the writer should have acknowledged appends between kills")
        print("telemetry store crash test: \(kills) kills, \(total) acknowledged messages, none lost")
    }
}
