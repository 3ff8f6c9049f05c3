import ArgumentParser
import Foundation
import MoteStream

/// `mote stream --config FILE`: runs a stream node (docs/STREAM.md) until SIGINT or SIGTERM.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "Run a stream node: telemetry ingestion over HTTP and MQTT (docs/STREAM.md).")

    @Option(help: "The stream node's TOML config file.") var config: String

    func run() throws {
        let streamConfig = failOnError { () throws(StreamConfigError) in try StreamConfig(contentsOf: config) }
        let task = Task {
            let node: StreamNode
            do { node = try await StreamNode.open(config: streamConfig) } catch {
                FileHandle.standardError.write(Data("stream node: \(error)\n".utf8))
                Foundation.exit(1)
            }
            do {
                let port = try await node.start()
                var line = "stream node: HTTP on \(streamConfig.httpHost):\(port), chain \(streamConfig.chainID), devices from \(streamConfig.rpcURL)"
                if let mqtt = streamConfig.mqtt { line += ", MQTT broker \(mqtt.host):\(mqtt.port)" }
                if let poster = node.poster { line += ", result poster for operator \(poster.chain.operatorAddress.hex)" }
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
            } catch {
                FileHandle.standardError.write(Data("stream node: \(error)\n".utf8))
                Foundation.exit(1)
            }
            await node.shutdown()
        }
        let signals = [SIGINT, SIGTERM].map { signal -> DispatchSourceSignal in
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .main)
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        Task {
            await task.value
            withExtendedLifetime(signals) {}
            FileHandle.standardOutput.write(Data("stream node: stopped\n".utf8))
            Foundation.exit(0)
        }
        dispatchMain()
    }
}
