import ArgumentParser
import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteStreamStore
import MoteTelemetry

#if canImport(FoundationNetworking)
import FoundationNetworking
import MoteTestKit
#endif

/// `mote bench ingest`: the stream node's ingestion against the machine's ceiling. For each
/// curve, the same signed messages are (a) verified on all cores — the ceiling — then (b) sent
/// as binary batches over loopback HTTP to an in-process stream node, and (c) published one
/// per MQTT message through a mosquitto started here (if `mosquitto` is installed); (b) and
/// (c) count messages accepted and stored, acknowledged back.
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Stream node ingestion over HTTP batches and MQTT vs. the signature-verification ceiling.")

    @Option(help: "Messages per curve and transport (1000 to 1000000).") var messages: Int = 20_000
    @Option(help: "Messages per HTTP batch (1 to 1000).") var batch: Int = 500
    @Option(help: "Devices sending (1 to 10000).") var devices: Int = 100
    @Option(help: "Payload bytes per message (1 to 65536).") var payload: Int = 64
    @Flag(help: "Skip the MQTT measurement.") var noMqtt = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1_000...1_000_000).contains(messages) else { throw ValidationError("--messages must be in 1000...1000000") }
        guard (1...1_000).contains(batch) else { throw ValidationError("--batch must be in 1...1000") }
        guard (1...10_000).contains(devices) else { throw ValidationError("--devices must be in 1...10000") }
        guard (1...65_536).contains(payload) else { throw ValidationError("--payload must be in 1...65536") }
    }

    func run() throws {
        let command = self
        do { try runBlocking { try await command.runAsync() } } catch { JSONOutput.fail("\(error)") }
    }

    func runAsync() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chainID: UInt64 = 4_689
        func log(_ text: String) { if !json { print(text) } }
        log("mote bench ingest: \(cores) cores, \(messages) messages per curve and transport, \(devices) devices, \(payload)-byte payloads, HTTP batches of \(batch)")
        let verifier = SignatureBatchVerifier(concurrency: cores)
        let broker = noMqtt || MosquittoBroker.executable == nil ? nil : try MosquittoBroker()
        defer { broker?.stop() }
        if broker == nil && !noMqtt { log("(mosquitto is not installed: no MQTT measurement)") }
        var results: [[String: Any]] = []

        for curve in [DeviceCurve.p256, .ed25519] {
            let keys = (0..<devices).map { _ in DevicePrivateKey.generate(curve) }
            let directory = StaticDeviceDirectory(keys.map { DeviceRecord(key: $0.publicKey, status: .active, retentionDays: 30) })
            let now = UInt64(Date().timeIntervalSince1970 * 1_000)
            let body = [UInt8](repeating: 0x5A, count: payload)
            let devices = self.devices
            /// Messages for `round` (0: HTTP, 1: MQTT), sequence numbers increasing per device.
            func make(round: Int) -> [TelemetryEnvelope] {
                verifier.concurrentMap(Array(0..<messages)) { i in
                    TelemetryEnvelope.signed(
                        by: keys[i % devices], chainID: chainID, sequence: UInt64(round * 10_000_000 + i / devices + 1),
                        timestamp: now, contentType: "application/octet-stream", payload: body)
                }
            }
            let httpMessages = make(round: 0)

            // (a) The ceiling: verify every message's signature on all cores, keys parsed once.
            let ceiling: Double
            switch curve {
            case .p256:
                let parsed = keys.map { try! P256Signing.PublicKey(bytes: $0.publicKey.bytes) }
                let items = httpMessages.enumerated().map { i, m in
                    SignatureBatchVerifier.P256Item(
                        publicKey: parsed[i % devices], signature: try! P256Signing.Signature(rawRepresentation: m.signature),
                        digest: m.signingDigest(chainID: chainID))
                }
                ceiling = rate(seconds: 2) {
                    precondition(verifier.verifyP256(items).allSatisfy { $0 })
                    return items.count
                }
            default:
                let parsed = keys.map { try! Ed25519.PublicKey(bytes: $0.publicKey.bytes) }
                let items = httpMessages.enumerated().map { i, m in
                    SignatureBatchVerifier.Ed25519Item(
                        publicKey: parsed[i % devices], signature: try! Ed25519.Signature(bytes: m.signature),
                        message: m.signingDigest(chainID: chainID).bytes)
                }
                ceiling = rate(seconds: 2) {
                    precondition(verifier.verifyEd25519(items).allSatisfy { $0 })
                    return items.count
                }
            }
            log(String(format: "%@  (a) ceiling: %.0f verifies/s on %d cores", curve.description, ceiling, cores))

            // (b) HTTP binary batches to an in-process stream node over loopback.
            let store = InMemoryTelemetryStore()
            var config = StreamConfig()
            config.chainID = chainID
            config.httpPort = 0
            config.limits.maxBatchMessages = max(batch, 1_000)
            config.limits.timestampToleranceMs = 3_600_000
            if let broker { config.mqtt = .init(host: "127.0.0.1", port: broker.port) }
            config.mqtt?.clientID = "stream-\(curve)"
            let node = StreamNode(config: config, store: store, directory: directory, verifier: verifier)
            let port = try await node.start()
            let url = URL(string: "http://127.0.0.1:\(port)/v1/telemetry/batch")!
            // Two lanes, each a disjoint half of the devices sending its batches in order (a device's
            // messages must arrive in sequence order, or later ones make earlier ones replays).
            let lanes = 2
            let laneBodies = (0..<lanes).map { lane in
                let mine = httpMessages.enumerated().filter { ($0.offset % devices) % lanes == lane }.map(\.element)
                return stride(from: 0, to: mine.count, by: batch).map { Data(TelemetryBatch.binary(Array(mine[$0..<min($0 + batch, mine.count)]))) }
            }
            let session = URLSession(configuration: .ephemeral)
            let clock = ContinuousClock()
            let httpStart = clock.now
            var accepted = 0
            try await withThrowingTaskGroup(of: Int.self) { group in
                for bodies in laneBodies {
                    group.addTask {
                        var count = 0
                        for body in bodies {
                            var request = URLRequest(url: url)
                            request.httpMethod = "POST"
                            request.httpBody = body
                            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
                            let (data, _) = try await session.data(for: request)
                            count += (try JSON.parse([UInt8](data)))["accepted"]?.intValue ?? 0
                        }
                        return count
                    }
                }
                for try await count in group { accepted += count }
            }
            let httpTime = seconds(clock.now - httpStart)
            precondition(accepted == messages, "HTTP: \(accepted) of \(messages) accepted")
            let httpRate = Double(accepted) / httpTime
            log(String(format: "%@  (b) HTTP batches: %.0f msgs/s accepted and stored (%.0f %% of the ceiling)", curve.description, httpRate, 100 * httpRate / ceiling))
            var row: [String: Any] = [
                "curve": curve.description, "ceiling": ceiling.rounded(), "http": httpRate.rounded(),
                "httpRatio": (httpRate / ceiling * 1_000).rounded() / 1_000,
            ]

            // (c) MQTT: one envelope per PUBLISH (QoS 1), one ack back per message.
            if let broker, let bridge = node.bridge {
                for _ in 0..<200 where bridge.state != "connected" { try await Task.sleep(for: .milliseconds(25)) }
                try await Task.sleep(for: .milliseconds(200))
                let mqttMessages = make(round: 1)
                let device = MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "bench-devices-\(curve)"))
                try await device.connect()
                let acks = try await device.subscribe("mote/v1/ack/+", qos: .atMostOnce)
                let expected = messages
                let mqttStart = clock.now
                let counter = Task { () -> Int in
                    var ok = 0
                    var seen = 0
                    for await ack in acks {
                        seen += 1
                        if ack.payload.starts(with: Array(#"{"code":null"#.utf8)) { ok += 1 }
                        if seen == expected { break }
                    }
                    return ok
                }
                // Publish in windows of 1000, each window acknowledged by the broker before the next.
                for start in stride(from: 0, to: mqttMessages.count, by: 1_000) {
                    let window = mqttMessages[start..<min(start + 1_000, mqttMessages.count)].map {
                        MQTTMessage(topic: StreamMQTTBridge.telemetryTopic($0.deviceID), payload: $0.binary, qos: .atLeastOnce)
                    }
                    try await device.publish(window)
                }
                let ok = await counter.value
                let mqttTime = seconds(clock.now - mqttStart)
                let mqttRate = Double(ok) / mqttTime
                precondition(ok == messages, "MQTT: \(ok) of \(messages) acknowledged as accepted")
                log(String(format: "%@  (c) MQTT (QoS 1, 1 message per PUBLISH, ack per message): %.0f msgs/s accepted, stored and acknowledged (%.0f %% of the ceiling)",
                    curve.description, mqttRate, 100 * mqttRate / ceiling))
                row["mqtt"] = mqttRate.rounded()
                row["mqttRatio"] = (mqttRate / ceiling * 1_000).rounded() / 1_000
                await device.disconnect()
            }
            await node.shutdown()
            results.append(row)
        }
        if json { JSONOutput.print(["cores": cores, "messages": messages, "batch": batch, "devices": devices, "payload": payload, "results": results]) }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
