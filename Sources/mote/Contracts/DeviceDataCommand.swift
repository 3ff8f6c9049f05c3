import ArgumentParser
import Foundation
import MotePrimitives

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DeviceCommand {
    /// `mote device data`: a device's stored telemetry from a stream node, every page of it.
    struct DataExport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data", abstract: "Export a device's stored telemetry from a stream node (all pages), as JSON or CSV.",
            discussion: """
                Reads GET /v1/devices/<id>/telemetry page by page (docs/STREAM.md). --from and --to bound the \
                device's timestamps (milliseconds since 1970). The stream node is --stream, else $MOTE_STREAM, \
                else http://127.0.0.1:8600.
                """)

        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @Option(help: ArgumentHelp("The stream node's URL.", valueName: "url")) var stream: String?
        @Option(help: ArgumentHelp("Earliest device timestamp, ms.", valueName: "ms")) var from: UInt64 = 0
        @Option(help: ArgumentHelp("Latest device timestamp, ms.", valueName: "ms")) var to: UInt64 = UInt64.max
        @Option(help: ArgumentHelp("At most this many messages (default: all).", valueName: "n")) var limit: Int?
        @Option(help: ArgumentHelp("json or csv.", valueName: "format")) var format: String = "json"
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?

        func validate() throws {
            guard ["json", "csv"].contains(format) else { throw ValidationError("--format must be json or csv") }
            guard from <= to else { throw ValidationError("--from must not be after --to") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let output = WalletOutput(json: format == "json")
            let id = DeviceCommand.deviceID(device, output)
            let base = stream ?? ProcessInfo.processInfo.environment["MOTE_STREAM"] ?? "http://127.0.0.1:8600"
            guard let root = URL(string: base), ["http", "https"].contains(root.scheme ?? ""), root.host != nil else {
                output.fail("invalid stream node URL \"\(base.prefix(100))\": use http://host:port")
            }
            var messages: [JSON] = []
            var after: String? = nil
            repeat {
                let pageSize = min(1_000, (limit ?? Int.max) - messages.count)
                var components = URLComponents(url: root.appendingPathComponent("v1/devices/\(id.hex)/telemetry"), resolvingAgainstBaseURL: false)!
                components.queryItems = [
                    URLQueryItem(name: "from", value: String(from)), URLQueryItem(name: "to", value: String(to)),
                    URLQueryItem(name: "limit", value: String(pageSize)),
                ] + (after.map { [URLQueryItem(name: "after", value: $0)] } ?? [])
                let page = Self.get(components.url!, output: output)
                guard let items = page["messages"]?.arrayValue else { output.fail("the stream node answered \(page.text.prefix(200))") }
                messages += items
                switch page["next"] {
                case .number(let text)?: after = text
                case .string(let text)?: after = text
                default: after = nil
                }
            } while after != nil && messages.count < (limit ?? Int.max)

            let text: String
            if format == "csv" {
                var lines = ["sequence,timestamp,receivedAt,contentType,payloadBase64,hash"]
                for message in messages {
                    func field(_ key: String) -> String {
                        switch message[key] {
                        case .number(let n)?: return n
                        case .string(let s)?: return s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
                        default: return ""
                        }
                    }
                    lines.append(["seq", "ts", "receivedAt", "type", "payload", "hash"].map(field).joined(separator: ","))
                }
                text = lines.joined(separator: "\n") + "\n"
            } else {
                text = JSON.object(["device": .string(id.hex), "messages": .array(messages)]).text + "\n"
            }
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Foundation.Data(text.utf8)) else { output.fail("cannot write \(out)") }
                FileHandle.standardError.write(Foundation.Data("\(messages.count) messages written to \(out)\n".utf8))
            } else {
                FileHandle.standardOutput.write(Foundation.Data(text.utf8))
            }
        }

        /// One GET, its JSON body (at most 64 MiB, 30 s).
        static func get(_ url: URL, output: WalletOutput) -> JSON {
            let box = ResponseBox()
            let request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 30)
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                box.set(data, (response as? HTTPURLResponse)?.statusCode, error)
            }
            task.resume()
            guard box.done.wait(timeout: .now() + 35) == .success else { output.fail("no answer from \(url.host ?? "") within 30 s") }
            let (data, status, error) = box.get()
            if let error { output.fail("cannot reach the stream node at \(url.scheme ?? "")://\(url.host ?? ""):\(url.port ?? 0): \(error.localizedDescription)") }
            guard let data, data.count <= 64 << 20, let body = try? JSON.parse([UInt8](data)) else {
                output.fail("the stream node answered HTTP \(status ?? 0) without JSON")
            }
            guard status == 200 else { output.fail("the stream node refused: HTTP \(status ?? 0) \(body.text.prefix(300))") }
            return body
        }
    }
}

/// One response handed from URLSession's queue to the waiting command.
private final class ResponseBox: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var value: (Foundation.Data?, Int?, (any Error)?) = (nil, nil, nil)

    func set(_ data: Foundation.Data?, _ status: Int?, _ error: (any Error)?) {
        lock.lock()
        value = (data, status, error)
        lock.unlock()
        done.signal()
    }

    func get() -> (Foundation.Data?, Int?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
