import Foundation
import MoteApplet
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// The applets shipped in applets/: their rules on realistic payloads, their determinism, and
/// that applets/build.sh reproduces the committed bytes.
@Suite struct ShippedAppletTests {
    static func load(_ name: String) throws -> Applet {
        let url = Vectors.packageRoot.appendingPathComponent("applets/\(name).wasm")
        return try Applet(code: [UInt8](try Data(contentsOf: url)))
    }

    static func le64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    static func tracker(_ sequence: UInt64, steps: Int?, at seconds: UInt64) -> AppletMessage {
        let field = steps.map { ",\"steps\":\($0)" } ?? ""
        let json = "{\"kind\":\"gps-step-tracker\",\"lat\":47.1,\"lon\":8.5,\"hdop\":1.2\(field),\"totalSteps\":1200,\"battery\":88.20}"
        return AppletMessage(sequence: sequence, timestamp: seconds * 1000, payload: Array(json.utf8))
    }

    static func thermometer(_ sequence: UInt64, _ temperature: String, at seconds: UInt64) -> AppletMessage {
        let json = "{\"kind\":\"cold-chain\",\"temperature\":\(temperature),\"humidity\":41}"
        return AppletMessage(sequence: sequence, timestamp: seconds * 1000, payload: Array(json.utf8))
    }

    @Test func stepGoalSumsTheStepsField() throws {
        let applet = try Self.load("step-goal")
        let messages = [
            Self.tracker(1, steps: 37, at: 10), Self.tracker(2, steps: nil, at: 20), Self.tracker(3, steps: 1000, at: 30),
            AppletMessage(sequence: 4, timestamp: 40_000, payload: Array("not json at all".utf8)),
            AppletMessage(sequence: 5, timestamp: 50_000, payload: Array("{\"steps\" : 63}".utf8)),
            AppletMessage(sequence: 6, timestamp: 60_000, payload: Array("{\"steps\":2.5}".utf8)),
            AppletMessage(sequence: 7, timestamp: 70_000, payload: []),
        ]
        let ok: [UInt8] = [1], notOK: [UInt8] = [0]
        let met = try applet.run(messages: messages, params: Self.le64(1100), limits: .standard)
        #expect(met.result == ok + Self.le64(1100))
        let missed = try applet.run(messages: messages, params: Self.le64(1101), limits: .standard)
        #expect(missed.result == notOK + Self.le64(1100))
        // No messages: zero steps; a goal of zero is met.
        let empty = try applet.run(messages: [], params: Self.le64(0), limits: .standard)
        #expect(empty.result == ok + Self.le64(0))
        // Params of the wrong size are the applet's exit code 2.
        #expect(throws: AppletError(.exitCode(2), "run returned 2")) {
            try applet.run(messages: messages, params: [1, 2, 3], limits: .standard)
        }
    }

    @Test func temperatureExcursionCountsSecondsOutOfRange() throws {
        let applet = try Self.load("temperature-excursion")
        let params: [UInt8] = Self.le32(UInt32(bitPattern: 200)) + Self.le32(UInt32(bitPattern: 800))
        let messages = [
            Self.thermometer(1, "4.5", at: 0), Self.thermometer(2, "8.01", at: 60),  // out from 60 …
            Self.thermometer(3, "9", at: 90),  // … still out …
            AppletMessage(sequence: 4, timestamp: 100_000, payload: Array("{\"kind\":\"ping\"}".utf8)),
            Self.thermometer(5, "7.999", at: 150),  // … back in at 150: 90 s out
            Self.thermometer(6, "-0.5", at: 200),  // out from 200 …
            Self.thermometer(7, "2", at: 230),  // … in at 230: 30 s more
            Self.thermometer(8, "1.5e3", at: 240),  // not a reading
        ]
        let lenient = try applet.run(messages: messages, params: params + Self.le32(120), limits: .standard)
        let ok: [UInt8] = [1], notOK: [UInt8] = [0]
        #expect(lenient.result == ok + Self.le32(120) + Self.le32(6))
        let strict = try applet.run(messages: messages, params: params + Self.le32(119), limits: .standard)
        #expect(strict.result == notOK + Self.le32(120) + Self.le32(6))
        // No readings at all is not "ok".
        let none = try applet.run(messages: [], params: params + Self.le32(1000), limits: .standard)
        #expect(none.result == notOK + Self.le32(0) + Self.le32(0))
    }

    @Test func shippedAppletsAreDeterministic() throws {
        for name in ["step-goal", "temperature-excursion"] {
            let first = try Self.load(name)
            let second = try Self.load(name)
            #expect(first.hash == Keccak256.hash(first.code))
            var generator = SplitMix64(seed: 8)
            var messages: [AppletMessage] = []
            for index in 0..<500 {
                let steps = Int(generator.next() % 200)
                messages.append(Self.tracker(UInt64(index + 1), steps: steps, at: UInt64(index) * 7))
            }
            for index in 0..<500 {
                let whole: Int = Int(generator.next() % 1200) - 200
                let fraction: UInt64 = generator.next() % 100
                let sequence = UInt64(index + 501)
                let seconds = UInt64(3500 + index * 7)
                messages.append(Self.thermometer(sequence, "\(whole).\(fraction)", at: seconds))
            }
            let coldChain: [UInt8] = Self.le32(200) + Self.le32(800) + Self.le32(600)
            let params: [UInt8] = name == "step-goal" ? Self.le64(40_000) : coldChain
            var outcomes: [AppletOutcome] = []
            for _ in 0..<3 {
                outcomes.append(try first.run(messages: messages, params: params, limits: .standard))
                outcomes.append(try second.run(messages: messages, params: params, limits: .standard))
            }
            #expect(Set(outcomes.map(\.result)).count == 1, "\(name)")
            #expect(Set(outcomes.map(\.fuelUsed)).count == 1, "\(name)")
            // About 6,500 fuel a message for these payloads: a standard run covers a few thousand.
            #expect(outcomes[0].fuelUsed < AppletLimits.standard.fuel / 5, "\(name) used \(outcomes[0].fuelUsed) fuel on 1000 messages")
        }
    }

    @Test func buildScriptReproducesTheCommittedBytes() throws {
        let clang = ProcessInfo.processInfo.environment["CLANG"] ?? "/opt/swift/usr/bin/clang"
        guard FileManager.default.isExecutableFile(atPath: clang) else { return }  // no clang here: nothing to compare
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mote-applets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [Vectors.packageRoot.appendingPathComponent("applets/build.sh").path, output.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for name in ["step-goal", "temperature-excursion"] {
            let built = try Data(contentsOf: output.appendingPathComponent("\(name).wasm"))
            let committed = try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("applets/\(name).wasm"))
            #expect(built == committed, "applets/\(name).wasm differs from what applets/build.sh builds; rebuild and commit it")
        }
    }
}
