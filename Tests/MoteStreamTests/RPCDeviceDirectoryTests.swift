import Foundation
import Hummingbird
import MoteContracts
import MotePrimitives
import MoteStream
import MoteTelemetry
import NIOCore
import Testing

/// `RPCDeviceDirectory` against a tiny JSON-RPC server answering `mote_device`.
@Suite struct RPCDeviceDirectoryTests {
    @Test func looksDevicesUpAndCachesTheAnswers() async throws {
        let active = DevicePrivateKey.generate(.p256).publicKey
        let edKey = DevicePrivateKey.generate(.ed25519).publicKey
        let calls = CallCounter()
        let router = Router()
        router.post("/") { request, _ -> Response in
            calls.increment()
            let body = try JSON.parse(Array(buffer: try await request.body.collect(upTo: 65_536)))
            let asked = body["params"]?.arrayValue?.first?.stringValue ?? ""
            let answer: JSON
            if let key = [active, edKey].first(where: { $0.deviceID.hex == asked }) {
                answer = .object([
                    "jsonrpc": .string("2.0"), "id": body["id"] ?? .null,
                    "result": DeviceInfo(
                        deviceID: key.deviceID, curve: key.curve, publicKey: key.bytes, owner: nil, manufacturer: nil, manufacturerName: "Acme",
                        model: "T1", status: key == active ? .active : .suspended, registeredAt: 0x10, retentionDays: 30, stake: .zero
                    ).json,
                ])
            } else {
                answer = .object([
                    "jsonrpc": .string("2.0"), "id": body["id"] ?? .null,
                    "error": .object(["code": .int(-32001), "message": .string("unknown device")]),
                ])
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer.serialized)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            })
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var port = 0
        for await bound in ports { port = bound }

        let directory = RPCDeviceDirectory(url: URL(string: "http://127.0.0.1:\(port)/")!, positiveTTL: .seconds(600), negativeTTL: .seconds(600))
        let record = try #require(try await directory.device(active.deviceID))
        #expect(record.key == active && record.status == .active && record.retentionDays == 30)
        #expect(try await directory.device(edKey.deviceID)?.status == .suspended)
        #expect(try await directory.device(Address.zero) == nil)
        #expect(calls.value == 3)
        // Cached: no new calls, for positives and negatives alike.
        _ = try await directory.device(active.deviceID)
        _ = try await directory.device(Address.zero)
        #expect(calls.value == 3)
        // An answer older than its TTL is asked again (a short TTL; a loaded machine only makes it older).
        let shortLived = RPCDeviceDirectory(url: URL(string: "http://127.0.0.1:\(port)/")!, positiveTTL: .milliseconds(200), negativeTTL: .milliseconds(200))
        _ = try await shortLived.device(active.deviceID)
        #expect(calls.value == 4)
        try await Task.sleep(for: .milliseconds(400))
        _ = try await shortLived.device(active.deviceID)
        #expect(calls.value == 5)

        // Unreachable: an error, not "unknown".
        let nowhere = RPCDeviceDirectory(url: URL(string: "http://127.0.0.1:1/")!, timeout: 2)
        await #expect(throws: DeviceDirectoryError.self) { try await nowhere.device(active.deviceID) }
    }
}

/// Counts calls to the fake node.
///
/// `@unchecked Sendable`: `count` is only touched under `lock`.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
