import Foundation
import Testing

@testable import MoteNode

@Suite struct NodeConfigTests {
    @Test func defaultsAndRoundTrip() throws {
        let empty = try NodeConfig(toml: "")
        #expect(empty == NodeConfig())
        #expect(empty.blockIntervalMs == 5_000)
        var config = NodeConfig()
        config.name = "delegate-2"
        config.operatorKeyFile = "operator.key"
        config.vrfKeyFile = "vrf.key"
        config.p2pListen = .init(host: "127.0.0.1", port: 30_304)
        config.peers = [.init(host: "127.0.0.1", port: 30_303), .init(host: "::1", port: 30_305)]
        config.blockIntervalMs = 1_000
        config.wsListen = .init(host: "0.0.0.0", port: 9_000)
        config.rpcEnabled = false
        config.rpcLimits.maxBatch = 7
        config.rpcLimits.requestsPerSecond = 20
        config.streamEnabled = true
        config.streamListen = .init(host: "127.0.0.1", port: 9_600)
        config.streamStore = "memory"
        config.streamMQTTBroker = .init(host: "127.0.0.1", port: 1_883)
        #expect(try NodeConfig(toml: config.toml) == config)
    }

    @Test func fullFileParses() throws {
        let config = try NodeConfig(toml: """
            [node]
            name = "n1"
            datadir = "/var/lib/mote"
            [p2p]
            listen = "0.0.0.0:40000"
            peers = ["10.0.0.2:40000"]
            max_peers = 20
            [consensus]
            block_interval_ms = 1000
            [rpc]
            listen = "0.0.0.0:18545"
            ws_listen = "0.0.0.0:18546"
            max_log_range = 500
            requests_per_second = 50
            """)
        #expect(config.rpcListen == .init(host: "0.0.0.0", port: 18_545))
        #expect(config.wsListen == .init(host: "0.0.0.0", port: 18_546))
        #expect(config.rpcLimits.maxLogRange == 500)
        #expect(config.rpcLimits.requestsPerSecond == 50)
        #expect(config.rpcEnabled)
        #expect(config.name == "n1")
        #expect(config.p2pListen == .init(host: "0.0.0.0", port: 40_000))
        #expect(config.peers.count == 1)
        #expect(config.maxPeers == 20)
        #expect(config.blockIntervalMs == 1_000)
    }

    @Test(arguments: [
        ("[node]\nname = 5", "node.name must be a string"),
        ("[p2p]\nlisten = \"nohostport\"", "not host:port"),
        ("[p2p]\nlisten = \"h:99999\"", "port in 0...65535"),
        ("[consensus]\nblock_interval_ms = 1", "block_interval_ms must be an integer in 100"),
        ("[consensus]\nblock_intervall_ms = 1000", "unknown key consensus.block_intervall_ms"),
        ("[nodes]\nname = \"x\"", "unknown section"),
        ("[node\nname", "TOML syntax error"),
        ("[pool]\ncapacity = -1", "pool.capacity must be an integer"),
        ("[rpc]\nmax_batch = 0", "rpc.max_batch must be an integer in 1...10000"),
        ("[rpc]\nenabled = 1", "rpc.enabled must be true or false"),
        ("[rpc]\nws_listen = \"x\"", "not host:port"),
        ("[rpc]\nmax_body = 5", "unknown key rpc.max_body"),
        ("[stream]\nstore = \"redis:x\"", "stream.store"),
        ("[stream]\nmqtt_broker = \"nope\"", "not host:port"),
    ])
    func badFilesAreRefusedWithTheirReason(text: String, reason: String) {
        #expect {
            try NodeConfig(toml: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
