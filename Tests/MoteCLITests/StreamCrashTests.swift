import Foundation
import MotePrimitives
import MoteStreamStore
import MoteTelemetry
import MoteTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of a stream node (SQLite store) while devices send: every message it acknowledged
/// is in the store afterwards, intact.
@Suite(.serialized) struct StreamCrashTests {
    /// POSTs a binary batch; the accepted sequence numbers, or nil if the node did not answer.
    static func send(_ envelopes: [TelemetryEnvelope], to url: String) -> [UInt64]? {
        var body = Data()
        for envelope in envelopes {
            let binary = envelope.binary
            body.append(contentsOf: withUnsafeBytes(of: UInt32(binary.count).bigEndian, Array.init))
            body.append(contentsOf: binary)
        }
        var request = URLRequest(url: URL(string: url + "/v1/telemetry/batch")!, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        let done = DispatchSemaphore(value: 0)
        let answer = LocalDevnet.AnswerBox()
        let status = LocalStreamNode.StatusBox()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            answer.data = data
            status.code = (response as? HTTPURLResponse)?.statusCode
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 15) == .success, status.code == 200, let data = answer.data,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let results = object["results"] as? [[String: Any]]
        else { return nil }
        return results.compactMap { $0["status"] as? String == "accepted" ? ($0["seq"] as? NSNumber)?.uint64Value : nil }
    }

    @Test(.timeLimit(.minutes(3)))
    func acknowledgedMessagesSurviveKillNine() async throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box)
        defer { devnet.stop() }
        let chainHex = try #require(LocalDevnet.rpc(devnet.rpcURL, "eth_chainId") as? String)
        let chainID = try #require(UInt64(chainHex.dropFirst(2), radix: 16))
        let keyPath = box.root.appendingPathComponent("device.json").path
        #expect(try box.mote(["device", "keygen", "--curve", "ed25519", "--out", keyPath]).status == 0)
        let funder = try box.file("funder.key", devnet.accounts[0].privateKey)
        let registered = try box.mote(["device", "register", "--device-key", keyPath, "--model", "m", "--key-file", funder, "--rpc", devnet.rpcURL])
        #expect(registered.status == 0, "\(registered.stdout)\(registered.stderr)")
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keyPath))) as? [String: Any]
        let key = try DevicePrivateKey(curve: .ed25519, secret: try [UInt8](hex: try #require(file?["secret"] as? String)))

        let database = box.root.appendingPathComponent("stream.db").path
        let port = try LocalDevnet.freePorts(1)[0]
        var acked: [UInt64: Hash32] = [:]
        var sent: [UInt64: Hash32] = [:]
        var sequence: UInt64 = 0
        var rng = SplitMix64(seed: 7)
        for round in 0..<6 {
            let node = try LocalStreamNode(in: box, rpcURL: devnet.rpcURL, chainID: chainID, store: "sqlite:\(database)", port: port)
            let pid = node.process.processIdentifier
            let delay = 150_000 + Int(rng.next() % 400_000)
            let killer = Thread { usleep(UInt32(delay)); kill(pid, SIGKILL) }
            killer.start()
            while node.process.isRunning {
                var batch: [TelemetryEnvelope] = []
                for _ in 0..<20 {
                    sequence += 1
                    let envelope = TelemetryEnvelope.signed(
                        by: key, chainID: chainID, sequence: sequence, timestamp: UInt64(Date().timeIntervalSince1970 * 1000),
                        contentType: "text/plain", payload: Array("round \(round) message \(sequence)".utf8))
                    sent[sequence] = envelope.hash
                    batch.append(envelope)
                }
                guard let accepted = Self.send(batch, to: node.url) else { break }
                for seq in accepted { acked[seq] = sent[seq] }
            }
            node.process.waitUntilExit()
        }
        #expect(acked.count > 100, "too few messages acknowledged to mean anything: \(acked.count)")

        let store = try SQLiteTelemetryStore(path: database)
        let stored = try await store.messages(of: key.publicKey.deviceID, from: 0, to: .max, afterSequence: nil, limit: 1_000_000)
        let byID = Dictionary(uniqueKeysWithValues: stored.map { ($0.sequence, $0.hash) })
        let lost = acked.filter { byID[$0.key] != $0.value }
        #expect(lost.isEmpty, "acknowledged but lost or changed: \(lost.keys.sorted().prefix(20))")
        #expect(try await store.lastSequence(of: key.publicKey.deviceID).map { $0 >= (acked.keys.max() ?? 0) } == true)
        print("stream crash test: 6 kill -9 of a stream node, \(acked.count) acknowledged messages, \(stored.count) stored, none lost")
    }
}
