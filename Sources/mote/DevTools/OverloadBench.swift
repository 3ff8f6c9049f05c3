import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MoteChain
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient
import MoteTransactions

/// `mote bench devnet --curve 1000,2000,…`: the overload curve. For each offered rate, a fresh
/// devnet; clients send signed transfers through `eth_sendRawTransaction` (JSON-RPC batches
/// of 100, spread over the nodes) as real wallets do. A transfer the node refuses at the door
/// (admission control, -32005) is offered again later with the same nonce, as a wallet that
/// backs off would. Reports per rate: offered and admitted per second, sustained finalized
/// per second, and p50/p99 finality of admitted transfers (send → block finalized), read
/// from the chain (each block's transactions) and the node's log (each block's finality time).
struct OverloadPoint {
    var offered: Double
    var admitted: Double
    var refused: Int
    var sustained: Double
    var p50: Double
    var p99: Double
}

extension DevnetBench {
    func runCurve(_ rates: [Int]) async throws -> [OverloadPoint] {
        var points: [OverloadPoint] = []
        for rate in rates {
            let point = try await measureThroughRPC(rate: rate)
            print(String(format: "offered %6.0f/s  admitted %6.0f/s  refused %7d  sustained %6.0f/s  p50 %5.2f s  p99 %5.2f s",
                         point.offered, point.admitted, point.refused, point.sustained, point.p50, point.p99))
            points.append(point)
        }
        return points
    }

    func measureThroughRPC(rate: Int) async throws -> OverloadPoint {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let root = NSTemporaryDirectory() + "mote-bench-curve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Enough senders that one tick (a tenth of a second) never holds two transfers of one.
        let senders = max(accounts, rate / 10 + 1)
        guard senders <= 10_000 else { throw ValidationError("rate \(rate) needs more than 10,000 senders") }
        let genesis = try setUpDevnet(binary: binary, root: root, accounts: senders, poolCapacity: 50_000, poolAccountCapacity: 64)
        // The load comes from one address: lift the per-IP request rate for the bench.
        for i in 0..<nodes {
            let path = root + "/node-\(i)/config.toml"
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("requests_per_second =") ? "requests_per_second = 1000000" : String(line)
            }.joined(separator: "\n")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let keys = DevKeys.keys(senders)
        let recipient = Address(suffixOf: Keccak256.hash(utf8: "bench recipient"))
        let perSender = rate * seconds / senders + 2
        let chainID = genesis.chainID
        // Pre-signed: transfer n of sender s at index s * perSender + n.
        let raws = SignatureBatchVerifier().concurrentMap(Array(0..<senders * perSender)) { i in
            Self.transfer(chainID: chainID, nonce: UInt64(i % perSender), from: keys[i / perSender], to: recipient)
        }
        let processes = try startNodes(binary: binary, root: root)
        defer { for (process, _) in processes where process.isRunning { process.terminate(); process.waitUntilExit() } }
        guard processes.allSatisfy({ $0.1.waitForHeight(2, timeout: 60) }) else { throw ValidationError("the devnet did not start") }
        let clients = (0..<nodes).map { JSONRPCClient(url: URL(string: "http://127.0.0.1:\(basePort + 100 + $0)")!, timeout: 10) }

        var cursor = [Int](repeating: 0, count: senders)
        var sentAt: [Hash32: Double] = [:]
        var offered = 0, refused = 0
        var next = 0
        let start = Date()
        let ticks = seconds * 10
        for tick in 0..<ticks {
            let due = start.addingTimeInterval(Double(tick) / 10)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            // This tick's transfers: the next senders in turn, each at its next unsent nonce.
            var picks: [Int] = []
            let count = rate / 10 + (tick < rate % 10 ? 1 : 0)
            while picks.count < count {
                let s = next % senders
                next += 1
                if cursor[s] < perSender { picks.append(s) }
                if next > senders * 4 + count && picks.isEmpty { break }
            }
            offered += picks.count
            let now = Date().timeIntervalSince(start)
            let batches = stride(from: 0, to: picks.count, by: 100).map { Array(picks[$0..<min(picks.count, $0 + 100)]) }
            let outcomes = await withTaskGroup(of: [(Int, Bool)].self) { group in
                for (b, batch) in batches.enumerated() {
                    let client = clients[(tick + b) % clients.count]
                    let calls = batch.map { s in (method: "eth_sendRawTransaction", params: [JSON.data(raws[s * perSender + cursor[s]])]) }
                    group.addTask {
                        guard let replies = try? await client.batch(calls) else { return batch.map { ($0, false) } }
                        return zip(batch, replies).map { s, reply in
                            if case .success = reply { return (s, true) }
                            return (s, false)
                        }
                    }
                }
                var all: [(Int, Bool)] = []
                for await part in group { all += part }
                return all
            }
            for (s, accepted) in outcomes {
                if accepted {
                    // A transaction's hash is the Keccak-256 of its encoding (typed or legacy).
                    sentAt[Keccak256.hash(raws[s * perSender + cursor[s]])] = now
                    cursor[s] += 1
                } else {
                    refused += 1
                }
            }
        }
        let sendDuration = Date().timeIntervalSince(start)
        let admittedCount = sentAt.count
        // Drain: wait until every admitted transfer is finalized (or 30 block intervals).
        let log = processes[0].1
        let drainDeadline = Date().addingTimeInterval(Double(blockTime) / 1000 * 30)
        while log.finalizedTransactions < admittedCount, Date() < drainDeadline { try await Task.sleep(for: .milliseconds(200)) }
        // Finality time of each block (node 0's log) and the blocks' transactions (its RPC).
        let finalTimes = log.heightTimes(since: start)
        var latencies: [Double] = []
        for (height, time) in finalTimes {
            guard let hashes = try? await blockTransactionHashes(clients[0], height) else { continue }
            for hash in hashes { if let sent = sentAt[hash] { latencies.append(time - sent) } }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let events = log.events(since: start)
        let windowStart = sendDuration * 0.2
        let before = events.last { $0.0 <= windowStart }?.1 ?? 0
        let during = events.last { $0.0 <= sendDuration }?.1 ?? 0
        return OverloadPoint(
            offered: Double(offered) / sendDuration, admitted: Double(admittedCount) / sendDuration, refused: refused,
            sustained: Double(during - before) / (sendDuration - windowStart), p50: percentile(0.5), p99: percentile(0.99))
    }

    private func blockTransactionHashes(_ client: JSONRPCClient, _ height: UInt64) async throws(RPCClientError) -> [Hash32] {
        let block = try await client.call("eth_getBlockByNumber", [.quantity(height), .bool(false)])
        return (block["transactions"]?.arrayValue ?? []).compactMap { $0.dataValue.flatMap { Hash32(bytes: $0) } }
    }

    /// The curve as an SVG line chart: sustained finalized/s and p99 finality against offered/s.
    static func plot(_ points: [OverloadPoint], blockTimeMs: Int) -> String {
        let width = 640.0, height = 400.0, left = 60.0, right = 60.0, top = 30.0, bottom = 50.0
        let maxX = max(1, points.map(\.offered).max() ?? 1) * 1.05
        let maxY = max(1, points.map { max($0.offered, $0.sustained) }.max() ?? 1) * 1.05
        let maxP = max(3 * Double(blockTimeMs) / 1000, points.map { $0.p99.isNaN ? 0 : $0.p99 }.max() ?? 1) * 1.1
        func x(_ v: Double) -> Double { left + v / maxX * (width - left - right) }
        func y(_ v: Double) -> Double { height - bottom - v / maxY * (height - top - bottom) }
        func yp(_ v: Double) -> Double { height - bottom - v / maxP * (height - top - bottom) }
        func path(_ values: [(Double, Double)], _ fy: (Double) -> Double) -> String {
            values.enumerated().map { i, p in String(format: "%@%.1f,%.1f", i == 0 ? "M" : "L", x(p.0), fy(p.1)) }.joined(separator: " ")
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, height - bottom, width - right, height - bottom)
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, top, left, height - bottom)
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", width - right, top, width - right, height - bottom)
        for i in 0...5 {
            let v = maxX * Double(i) / 5
            svg += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", x(v), height - bottom + 16, v)
            let w = maxY * Double(i) / 5
            svg += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f</text>\n", left - 4, y(w) + 4, w)
            let p = maxP * Double(i) / 5
            svg += String(format: "<text x=\"%.0f\" y=\"%.0f\">%.1f s</text>\n", width - right + 4, yp(p) + 4, p)
        }
        svg += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">offered transfers/s</text>\n", (left + width - right) / 2, height - 12)
        svg += "<text x=\"\(Int(left))\" y=\"18\">finalized transfers/s (blue), p99 finality of admitted (red), 3 block intervals (dashed)</text>\n"
        svg += "<path d=\"\(path(points.map { ($0.offered, $0.offered) }, y))\" stroke=\"#bbb\" fill=\"none\"/>\n"
        svg += "<path d=\"\(path(points.map { ($0.offered, $0.sustained) }, y))\" stroke=\"#1f5fbf\" stroke-width=\"2\" fill=\"none\"/>\n"
        svg += "<path d=\"\(path(points.map { ($0.offered, $0.p99.isNaN ? 0 : $0.p99) }, yp))\" stroke=\"#c0392b\" stroke-width=\"2\" fill=\"none\"/>\n"
        let bound = 3 * Double(blockTimeMs) / 1000
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-dasharray=\"4 4\"/>\n", left, yp(bound), width - right, yp(bound))
        svg += "</svg>\n"
        return svg
    }
}
