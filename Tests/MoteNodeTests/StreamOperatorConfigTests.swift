import MoteNode
import MotePrimitives
import MoteStream
import Testing

/// `[stream.operator]`: the result poster of a stream node inside a node.
@Suite struct StreamOperatorConfigTests {
    @Test func parsesAndRoundTrips() throws {
        let config = try NodeConfig(toml: """
            [stream]
            enabled = true
            [stream.operator]
            key_file = "stream-operator.key"
            projects = [2]
            poll_seconds = 3
            bond = "7000"
            """)
        let poster = try #require(config.streamOperator)
        #expect(poster.keyFile == "stream-operator.key" && poster.settings.projects == [2] && poster.settings.pollSeconds == 3)
        #expect(poster.settings.bond == UInt256(7_000) && poster.settings.settleSeconds == 300)
        #expect(try NodeConfig(toml: config.toml) == config)
        #expect(try NodeConfig(toml: "").streamOperator == nil)
        #expect(throws: NodeConfigError.self) { try NodeConfig(toml: "[stream.operator]\npoll_seconds = 3") }
        #expect(throws: NodeConfigError.self) { try NodeConfig(toml: "[stream.operator]\nkey_file = \"k\"\nwhatever = 1") }
    }
}
