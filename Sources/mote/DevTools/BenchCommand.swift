import ArgumentParser
import Foundation
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// `mote bench crypto`: signature, hashing and decoding throughput, on one core and on all.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure Mote's speed.",
        subcommands: [Crypto.self, LedgerBench.self, DevnetBench.self, IngestBench.self, StoreBench.self, VRFBench.self, EpochBench.self, EVMBench.self])

    struct Crypto: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "secp256k1 recovery, P-256 and Ed25519 verification, Keccak-256, RLP decoding.")

        @Option(help: "Seconds to spend on each measurement (0.1 to 60).") var seconds: Double = 2
        @Option(help: "Items per signature batch (10 to 100000).") var batch: Int = 4_000
        @Flag(help: "Print JSON instead of a table.") var json = false

        func validate() throws {
            guard (0.1...60).contains(seconds) else { throw ValidationError("--seconds must be in 0.1...60") }
            guard (10...100_000).contains(batch) else { throw ValidationError("--batch must be in 10...100000") }
        }

        func run() throws {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var rows: [BenchRow] = []
            func report(_ row: BenchRow) {
                rows.append(row)
                if !json { print(row.line(cores: cores)) }
            }
            if !json {
                print("mote bench crypto: \(cores) cores, \(seconds) s per measurement, batches of \(batch)")
                print(BenchRow.header(cores: cores))
            }

            // secp256k1 public-key recovery (what every transaction's sender costs).
            let secpItems = (0..<batch).map { i -> (hash: Hash32, signature: Secp256k1.RecoverableSignature) in
                let key = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "bench key \(i % 64)").bytes)
                let hash = Keccak256.hash(utf8: "bench message \(i)")
                return (hash, key.sign(hash: hash))
            }
            report(measureBatch("secp256k1 recover", unit: "ops/s", cores: cores) { verifier in
                let out = verifier.recoverSecp256k1(secpItems)
                precondition(out.allSatisfy { $0 != nil })
                return secpItems.count
            })

            let p256Key = P256Signing.PrivateKey.generate()
            let p256Items = (0..<batch).map { i -> SignatureBatchVerifier.P256Item in
                let digest = SHA256Digest.hash(Array("bench message \(i)".utf8))
                return .init(publicKey: p256Key.publicKey, signature: p256Key.signature(forDigest: digest), digest: digest)
            }
            report(measureBatch("P-256 verify", unit: "ops/s", cores: cores) { verifier in
                precondition(verifier.verifyP256(p256Items).allSatisfy { $0 })
                return p256Items.count
            })

            let edKey = Ed25519.PrivateKey.generate()
            let edItems = (0..<batch).map { i -> SignatureBatchVerifier.Ed25519Item in
                let message = Array("bench telemetry message \(i)".utf8)
                return .init(publicKey: edKey.publicKey, signature: edKey.signature(for: message), message: message)
            }
            report(measureBatch("Ed25519 verify", unit: "ops/s", cores: cores) { verifier in
                precondition(verifier.verifyEd25519(edItems).allSatisfy { $0 })
                return edItems.count
            })

            for size in [32, 1_024] {
                // One flat buffer, hashed in `size`-byte slices: no per-input reference counting.
                let flat = (0..<256 * size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                report(measureParallel("Keccak-256 \(size) B", unit: "MB/s", cores: cores, scale: Double(size) / 1e6) {
                    // Enough work per call (≥ 256 KiB) that waking threads costs nothing measurable.
                    let rounds = max(1, 256 * 1_024 / flat.count)
                    return flat.withUnsafeBytes { raw in
                        var sink: UInt8 = 0
                        for _ in 0..<rounds {
                            for i in 0..<256 {
                                let slice = UnsafeRawBufferPointer(rebasing: raw[i * size..<(i + 1) * size])
                                sink ^= Keccak256.hash(slice).withUnsafeBytes { $0[0] }
                            }
                        }
                        blackHole(sink)
                        return 256 * rounds
                    }
                })
            }

            let transfer = Transaction.dynamicFee(
                chainID: 4_689, nonce: 1, maxPriorityFeePerGas: 1_000_000_000, maxFeePerGas: 20_000_000_000,
                gasLimit: 21_000, to: try! Address(hex: "0x3535353535353535353535353535353535353535"),
                value: UInt256(decimal: "1000000000000000000")!
            ).signed(with: try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: 7, count: 32)))
            let raw = transfer.rawBytes
            let payload = Array(raw.dropFirst())
            report(measureParallel("RLP decode transfer", unit: "ops/s", cores: cores, scale: 1) {
                for _ in 0..<1_000 { blackHole(try! RLP.decode(payload)) }
                return 1_000
            })
            let rules = TransactionRules(chainID: 4_689)
            report(measureParallel("tx decode+check (no ecrecover)", unit: "ops/s", cores: cores, scale: 1) {
                for _ in 0..<1_000 { blackHole(try! UnverifiedTransaction(decoding: raw, rules: rules)) }
                return 1_000
            })

            if json {
                JSONOutput.print([
                    "cores": cores, "seconds": seconds, "batch": batch,
                    "results": rows.map { $0.json },
                ])
            }
        }

        /// Runs a batch operation with the verifier on one thread, then on all cores.
        func measureBatch(
            _ name: String, unit: String, cores: Int, _ body: (SignatureBatchVerifier) -> Int
        ) -> BenchRow {
            let one = rate(seconds: seconds) { body(SignatureBatchVerifier(concurrency: 1)) }
            let all = rate(seconds: seconds) { body(SignatureBatchVerifier(concurrency: cores)) }
            return BenchRow(name: name, unit: unit, oneCore: one, allCores: all)
        }

        /// Runs `body` on one thread, then on `cores` threads at once.
        func measureParallel(
            _ name: String, unit: String, cores: Int, scale: Double, _ body: @escaping @Sendable () -> Int
        ) -> BenchRow {
            let one = rate(seconds: seconds, body) * scale
            let all = rate(seconds: seconds) {
                let counts = Counts(cores)
                DispatchQueue.concurrentPerform(iterations: cores) { i in counts.set(i, body()) }
                return counts.total
            } * scale
            return BenchRow(name: name, unit: unit, oneCore: one, allCores: all)
        }
    }
}

/// Work units per second: repeats `body` (which returns units done) until `seconds` pass.
func rate(seconds: Double, _ body: () -> Int) -> Double {
    _ = body()  // warm up
    let clock = ContinuousClock()
    let start = clock.now
    var units = 0
    var elapsed = Duration.zero
    repeat {
        units += body()
        elapsed = clock.now - start
    } while elapsed < .milliseconds(Int(seconds * 1000))
    let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(units) / s
}

/// One line of results.
struct BenchRow {
    let name: String
    let unit: String
    let oneCore: Double
    let allCores: Double

    static func header(cores: Int) -> String {
        "benchmark".padding(toLength: 32, withPad: " ", startingAt: 0) + "  1 core          \(cores) cores         speed-up"
    }

    func line(cores: Int) -> String {
        name.padding(toLength: 32, withPad: " ", startingAt: 0)
            + "  " + Self.format(oneCore, unit) + "  " + Self.format(allCores, unit)
            + "  " + String(format: "%.2fx", allCores / oneCore)
    }

    var json: [String: Any] {
        ["name": name, "unit": unit, "oneCore": oneCore.rounded(), "allCores": allCores.rounded(),
         "speedup": (allCores / oneCore * 100).rounded() / 100]
    }

    static func format(_ value: Double, _ unit: String) -> String {
        let text = value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
        return (text + " " + unit).padding(toLength: 14, withPad: " ", startingAt: 0)
    }
}

/// Per-thread unit counts for a parallel measurement.
///
/// `@unchecked Sendable`: each thread writes only its own slot, and `total` is read after
/// `concurrentPerform` has returned, which orders the writes before the read.
final class Counts: @unchecked Sendable {
    private var slots: [Int]
    init(_ n: Int) { slots = [Int](repeating: 0, count: n) }
    func set(_ i: Int, _ value: Int) { slots.withUnsafeMutableBufferPointer { $0[i] = value } }
    var total: Int { slots.reduce(0, +) }
}

/// Keeps the optimiser from deleting measured work.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
