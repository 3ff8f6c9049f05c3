import Foundation
import MoteTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `mote stream` node (in-memory store) reading devices from a devnet, started as a child process.
final class LocalStreamNode {
    let process = Process()
    let url: String
    let log: URL

    init(in box: Sandbox, rpcURL: String, chainID: UInt64, store: String = "memory", port fixed: Int? = nil) throws {
        let port = try fixed ?? LocalDevnet.freePorts(1)[0]
        url = "http://127.0.0.1:\(port)"
        let config = try box.file(
            "stream.toml",
            """
            chain_id = \(chainID)
            rpc = "\(rpcURL)"
            store = "\(store)"

            [http]
            listen = "127.0.0.1:\(port)"

            """)
        log = box.root.appendingPathComponent("stream.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = MoteBinary.url
        process.arguments = ["stream", "--config", config]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": box.root.path]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Self.get(url + "/health")?.status != 200 {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw LocalDevnet.DevnetError(description: "the stream node did not answer /health: \(logText)")
            }
            usleep(100_000)
        }
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// GET `url`: the status and the JSON body; nil on any failure.
    static func get(_ url: String) -> (status: Int, json: Any?)? {
        let done = DispatchSemaphore(value: 0)
        let answer = LocalDevnet.AnswerBox()
        let status = StatusBox()
        let task = URLSession.shared.dataTask(with: URLRequest(url: URL(string: url)!, timeoutInterval: 5)) { data, response, _ in
            answer.data = data
            status.code = (response as? HTTPURLResponse)?.statusCode
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + 10) == .success, let code = status.code else { return nil }
        return (code, answer.data.flatMap { try? JSONSerialization.jsonObject(with: $0) })
    }

    /// `@unchecked Sendable`: written once by the URLSession callback before the semaphore is signalled.
    final class StatusBox: @unchecked Sendable { var code: Int? }
}

/// `mote simulate devices` end to end: a one-node devnet, a stream node reading the registry,
/// simulated trackers registered on chain and streaming through the device SDK.
@Suite(.serialized) struct SimulateCommandTests {
    @Test(.timeLimit(.minutes(3)))
    func simulatedDevicesAreRegisteredAndTheirTelemetryIsStored() throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box)
        defer { devnet.stop() }
        let chainHex = try #require(LocalDevnet.rpc(devnet.rpcURL, "eth_chainId") as? String)
        let chainID = try #require(UInt64(chainHex.dropFirst(2), radix: 16))
        let stream = try LocalStreamNode(in: box, rpcURL: devnet.rpcURL, chainID: chainID)
        defer { stream.stop() }
        let funder = try box.file("funder.key", devnet.accounts[0].privateKey)
        let folder = box.root.appendingPathComponent("fleet").path
        let arguments = [
            "simulate", "devices", "--count", "3", "--rate", "30", "--json", "--rpc", devnet.rpcURL, "--stream", stream.url,
            "--key-file", funder, "--dir", folder,
        ]

        let run = try box.mote(arguments + ["--seconds", "3"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)\n\(stream.logText.suffix(2000))")
        let sent = try #require(run.object["sent"] as? Int, "\(run.stdout)")
        #expect(sent > 0)
        #expect(run.object["accepted"] as? Int == sent, "\(run.stdout)")
        #expect((run.object["rejected"] as? [String: Any])?.isEmpty == true, "\(run.stdout)")
        #expect(run.object["registered"] as? Int == 3)
        #expect(run.object["p50Ms"] is Double || run.object["p50Ms"] is Int, "\(run.stdout)")
        let ids = try #require(run.object["deviceIds"] as? [String])
        #expect(ids.count == 3)

        // On chain: the three devices, active, owned by the funder.
        let listed = try box.mote(["device", "list", "--owner", devnet.accounts[0].address, "--json", "--rpc", devnet.rpcURL])
        let devices = listed.json as? [[String: Any]] ?? []
        #expect(Set(devices.compactMap { $0["deviceId"] as? String }) == Set(ids), "\(listed.stdout)")
        #expect(devices.allSatisfy { $0["status"] as? String == "active" && $0["model"] as? String == "sim-gps-tracker" })

        // At the stream node: every message, in sequence order, with the trackers' readings.
        var stored = 0
        for id in ids {
            let page = try #require(LocalStreamNode.get("\(stream.url)/v1/devices/\(id.lowercased())/telemetry?limit=1000"))
            #expect(page.status == 200)
            let messages = (page.json as? [String: Any])?["messages"] as? [[String: Any]] ?? []
            #expect(!messages.isEmpty)
            let sequences = messages.compactMap { $0["seq"] as? Int }
            #expect(sequences == Array(1...messages.count))
            let payload = try #require((messages.first?["payload"] as? String).flatMap { Data(base64Encoded: $0) })
            let reading = try JSONSerialization.jsonObject(with: payload) as? [String: Any] ?? [:]
            #expect(reading["kind"] as? String == "gps-step-tracker")
            #expect(reading["lat"] is Double && reading["lon"] is Double && reading["steps"] is Int && reading["battery"] is Double, "\(reading)")
            stored += messages.count
        }
        #expect(stored == sent)

        // Again with the same folder: nothing to register, sequence numbers go on.
        let again = try box.mote(arguments + ["--seconds", "1"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.object["registered"] as? Int == 0)
        #expect(again.object["accepted"] as? Int == again.object["sent"] as? Int)
        #expect(again.object["deviceIds"] as? [String] == ids)
    }

    @Test func argumentErrors() throws {
        let box = try Sandbox()
        let zero = try box.mote(["simulate", "devices", "--count", "0", "--key-file", "x"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--count"), "\(zero.stderr)")
        let broker = try box.mote(["simulate", "devices", "--mqtt", "nohost", "--key-file", "x", "--rpc", "http://127.0.0.1:1"])
        #expect(broker.status == 1)
        #expect(broker.stderr.contains("--mqtt"), "\(broker.stderr)")
        // --incoherent is for micro-mining fleets, and at most --count of them.
        let streaming = try box.mote(["simulate", "devices", "--incoherent", "1", "--key-file", "x"])
        #expect(streaming.status != 0 && streaming.stderr.contains("--micro-mine"), "\(streaming.stderr)")
        let tooMany = try box.mote(["simulate", "devices", "--micro-mine", "--count", "2", "--incoherent", "3", "--key-file", "x"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("--incoherent"), "\(tooMany.stderr)")
        let bench = try box.mote(["bench", "vrf", "--seconds", "0"])
        #expect(bench.status != 0 && bench.stderr.contains("--seconds"), "\(bench.stderr)")
    }
}
