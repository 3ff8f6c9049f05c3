import Foundation
import Hummingbird
import MotePrimitives
import MoteStream
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Routes registered from outside the stream node (the seam an explorer or a data market uses).
@Suite struct StreamRoutesTests {
    @Test func routesFromOutsideAreServedBesideTheOwnOnes() async throws {
        let server = StreamHTTPServer(
            pipeline: StreamFixture().pipeline, host: "127.0.0.1", port: 0,
            routes: [{ router in router.get("/explorer/hello") { _, _ in "hello" } }])
        let port = try await server.start()
        defer { Task { await server.shutdown() } }
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/explorer/hello")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "hello")
        // The node's own routes are still there.
        let (_, health) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        #expect([200, 503].contains((health as? HTTPURLResponse)?.statusCode ?? 0))
    }
}
