import ArgumentParser
import Foundation
import MoteNode
import MoteStream

/// `mote stream --config FILE`: runs a stream node (docs/STREAM.md) until SIGINT or SIGTERM.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "Run a stream node: telemetry ingestion over HTTP and MQTT (docs/STREAM.md).")

    @Option(help: "The stream node's TOML config file.") var config: String

    func run() throws {
        let streamConfig = failOnError { () throws(StreamConfigError) in try StreamConfig(contentsOf: config) }
        let stream = StreamService {
            try await StreamNode.open(config: streamConfig)
        } started: { node, port in
            var line = "stream node: HTTP on \(streamConfig.httpHost):\(port), chain \(streamConfig.chainID), devices from \(streamConfig.rpcURL)"
            if let mqtt = streamConfig.mqtt { line += ", MQTT broker \(mqtt.host):\(mqtt.port)" }
            if let poster = node.poster { line += ", result poster for operator \(poster.chain.operatorAddress.hex)" }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        ServiceRunner.runUntilStopped({ [stream] }, failure: { "stream node: \($0)" }, stopped: "stream node: stopped")
    }
}
