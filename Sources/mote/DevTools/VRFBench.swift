import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MoteNode
import MotePrimitives
import MoteStorage
import MoteTelemetry
import MoteTransactions
import MoteWitness

/// `mote bench vrf`: Proof of Assignment's costs. ECVRF proofs (what a device pays to learn
/// whether it is assigned) and verifications (what every node pays per attestation), on one
/// core and on all; then attestations per second through a node's intake pre-check and through
/// the WitnessPool contract's `submitAttestations`.
struct VRFBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vrf", abstract: "ECVRF proofs and verifications per second; attestations per second through the node's intake and the contract.")

    @Option(help: "Seconds to spend on each measurement (0.1 to 60).") var seconds: Double = 2
    @Option(help: "Attestations per submitAttestations transaction, one per witness (1 to 256).") var batch: Int = 100
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        guard (0.1...60).contains(seconds) else { throw ValidationError("--seconds must be in 0.1...60") }
        guard (1...256).contains(batch) else { throw ValidationError("--batch must be in 1...256") }
    }

    func run() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var rows: [BenchRow] = []
        func report(_ row: BenchRow) {
            rows.append(row)
            if !json { print(row.line(cores: cores)) }
        }
        if !json {
            print("mote bench vrf: \(cores) cores, \(seconds) s per measurement")
            print(BenchRow.header(cores: cores))
        }
        let crypto = BenchCommand.Crypto(seconds: seconds)

        // One key per thread slot; inputs vary by height like a device's per-block evaluation.
        let keys = (0..<max(cores, 1)).map { i in try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "bench vrf key \(i)").bytes) }
        let seed = Keccak256.hash(utf8: "bench epoch seed")
        let heights = Counter()
        report(crypto.measureParallel("ECVRF prove (TAI)", unit: "ops/s", cores: cores, scale: 1) {
            let key = keys[Int(heights.next() % UInt64(keys.count))]
            let base = heights.next() &* 1_000
            for i in 0..<20 {
                blackHole(ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: seed, height: base + UInt64(i)), suite: .tai))
            }
            return 20
        })

        let proofs = (0..<256).map { i -> (ECVRF.PublicKey, [UInt8], ECVRF.Proof) in
            let key = keys[i % keys.count]
            let alpha = WitnessSortition.vrfInput(seed: seed, height: UInt64(i))
            return (key.publicKey, alpha, ECVRF.prove(secretKey: key, alpha: alpha, suite: .tai))
        }
        report(crypto.measureParallel("ECVRF verify (TAI)", unit: "ops/s", cores: cores, scale: 1) {
            let start = Int(heights.next() % 256)
            for i in 0..<20 {
                let (key, alpha, proof) = proofs[(start + i) % proofs.count]
                precondition((try? ECVRF.verify(publicKey: key, alpha: alpha, proof: proof, suite: .tai)) != nil)
            }
            return 20
        })
        report(crypto.measureParallel("sortition evaluate (prove+hash)", unit: "ops/s", cores: cores, scale: 1) {
            let key = keys[Int(heights.next() % UInt64(keys.count))]
            let base = heights.next() &* 1_000
            for i in 0..<20 {
                blackHole(WitnessSortition.evaluate(
                    key: key, seed: seed, height: base + UInt64(i), weight: 100, totalWeight: 2_000, expected: 8))
            }
            return 20
        })

        report(intakeRow(cores: cores))
        report(contractRow(witnesses: batch, blocks: 5))

        if json {
            JSONOutput.print(["cores": cores, "seconds": seconds, "results": rows.map { $0.json }])
        }
    }
}

extension BenchCommand.Crypto {
    /// The crypto bench's measuring helpers with another duration.
    init(seconds: Double) {
        self.init()
        self.seconds = seconds
    }
}

/// A shared counter that hands out distinct numbers to parallel measurements.
final class Counter: @unchecked Sendable {
    // `@unchecked Sendable`: the value is only touched under the lock.
    private let lock = NSLock()
    private var value: UInt64 = 0

    func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        value &+= 1
        return value
    }
}

extension VRFBench {
    /// Attestations per second through a node's intake pre-check (signature, weights, VRF
    /// verification, dedup), sequentially and from `cores` concurrent submitters.
    func intakeRow(cores: Int) -> BenchRow {
        let keys = (0..<64).map { i in try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "bench witness \(i)").bytes) }
        let chain = BenchAttestationChain(keys: keys.map(\.publicKey.bytes))
        let heights = (chain.head - 63)...chain.head
        var attestations: [WitnessAttestation] = []
        for key in keys {
            for height in heights {
                let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: chain.seed, height: height), suite: .tai)
                attestations.append(WitnessAttestation.make(key: key, chainID: 4_689, height: height, blockHash: chain.seed, proof: proof))
            }
        }
        let all = attestations
        func measure(concurrency: Int) -> Double {
            let box = RateBox()
            try? runBlocking {
                var rounds = 0
                let clock = ContinuousClock()
                let start = clock.now
                repeat {
                    // A fresh pool each round: every attestation is new to it.
                    let pool = AttestationPool(chainID: 4_689, capacity: all.count, view: chain)
                    await withTaskGroup(of: Void.self) { group in
                        for worker in 0..<concurrency {
                            group.addTask {
                                for index in stride(from: worker, to: all.count, by: concurrency) {
                                    let verdict = await pool.submit(all[index])
                                    precondition(verdict.accepted, verdict.reason ?? "")
                                }
                            }
                        }
                    }
                    rounds += 1
                } while clock.now - start < .milliseconds(Int(seconds * 1_000))
                let elapsed = clock.now - start
                box.value = Double(rounds * all.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return box.value
        }
        return BenchRow(name: "node intake pre-check", unit: "att/s", oneCore: measure(concurrency: 1), allCores: measure(concurrency: cores))
    }
}

/// `@unchecked Sendable`: written by the task before `runBlocking` returns, read after.
final class RateBox: @unchecked Sendable { var value = 0.0 }

/// A chain for the intake bench: every key has all the weight, so every proof assigns.
struct BenchAttestationChain: AttestationChainView {
    let keys: Set<[UInt8]>
    let head: UInt64 = 100_000
    let seed = Keccak256.hash(utf8: "bench epoch seed")

    init(keys: [[UInt8]]) { self.keys = Set(keys) }

    func headHeight() async -> UInt64 { head }
    func epoch(ofHeight height: UInt64) -> UInt64 { 1 }
    func witnessParameters() async -> WitnessParameters? { WitnessParameters(expectedWitnesses: 1, attestationWindow: 1_000) }
    func epochSeed(_ epoch: UInt64) async -> Hash32? { seed }
    func weights(witnessKey: [UInt8], epoch: UInt64) async -> (weight: UInt64, totalWeight: UInt64)? {
        keys.contains(witnessKey) ? (1, 1) : (0, 1)
    }
}

extension VRFBench {
    /// Attestations per second through the WitnessPool contract: a ledger (in memory) with
    /// `witnesses` devices registered, joined and weighted, then blocks each holding one
    /// `submitAttestations` transaction with one valid attestation per device (all accepted,
    /// paid, reputation raised, heights witnessed). Times the block's execution and sealing,
    /// which is what every node does for every block; proving is done beforehand.
    func contractRow(witnesses: Int, blocks: Int) -> BenchRow {
        let mote = ProtocolParameters.mote
        let owner = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "bench witness owner").bytes)
        let submitter = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "bench witness submitter").bytes)
        let delegate = try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "bench witness delegate").bytes)
        var p = ProtocolParameters()
        p.epochLength = 4
        p.numDelegates = 1
        p.numCandidateDelegates = 1
        p.deviceActivationFee = UInt256Text(mote / 10)
        p.expectedWitnesses = UInt64(witnesses)  // with equal weights, every device is assigned every block
        p.witnessThreshold = UInt64(max(1, witnesses * 2 / 3))
        p.attestationReward = UInt256Text(mote / 100)
        p.attestationWindow = 120
        let genesis = Genesis(
            chainID: 4_689, timestamp: 1_000, gasLimit: 1_000_000_000, baseFee: 1_000_000_000,
            allocations: [(owner.address, mote * 1_000_000), (submitter.address, mote * 1_000_000), (WitnessPoolABI.address, mote * 1_000_000)],
            delegates: [Genesis.Delegate(name: "bench", operatorAddress: delegate.address, rewardAddress: delegate.address)], parameters: p)
        let ledger = try! Ledger(store: InMemoryChainStore(), genesis: genesis)
        var nonces: [Address: UInt64] = [:]
        var time: UInt64 = 1_000
        func call(_ key: Secp256k1.PrivateKey, _ contract: Address, _ function: SystemFunction, _ args: [ABIValue], value: UInt256 = .zero) -> SignedTransaction {
            let nonce = nonces[key.address, default: 0]
            nonces[key.address] = nonce + 1
            return Transaction.dynamicFee(
                chainID: 4_689, nonce: nonce, maxPriorityFeePerGas: 0, maxFeePerGas: 10_000_000_000, gasLimit: 900_000_000,
                to: contract, value: value, data: try! function.abi.encodeCall(args)
            ).signed(with: key)
        }
        /// Builds one block of `txs`; returns its execution+seal time and commits it.
        @discardableResult
        func block(_ txs: [SignedTransaction]) -> Double {
            time += 5
            let height = ledger.head.height + 1
            let epoch = (height - 1) / p.epochLength + 1
            let producer = try! ledger.producers(ofEpoch: epoch)[0]
            let clock = ContinuousClock()
            let start = clock.now
            let built = try! ledger.buildBlock(candidates: txs, producer: producer, timestamp: time, epoch: epoch)
            let elapsed = clock.now - start
            precondition(built.excluded.isEmpty && built.commit.receipts.allSatisfy(\.succeeded), "bench block failed")
            try! ledger.commit(built.commit)
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        let devices = (0..<witnesses).map { try! DevicePrivateKey(curve: .p256, secret: Keccak256.hash(utf8: "bench witness device \($0)").bytes) }
        let keys = (0..<witnesses).map { try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "bench witness key \($0)").bytes) }
        block(devices.map { device in
            call(owner, DeviceRegistryABI.address, DeviceRegistryABI.registerDevice,
                 [.uint(UInt256(UInt64(device.publicKey.curve.rawValue))), .bytes(device.publicKey.bytes), .string("bench"), .string("Mote"),
                  .bytes(DeviceClaim.proof(.register, by: device, chainID: 4_689, claimant: owner.address))],
                 value: mote / 10)
        })
        block(zip(devices, keys).map { device, key in
            let id = device.publicKey.deviceID
            let proof = WitnessPoolContract.possessionProof(key: key, chainID: 4_689, witnessID: id, owner: owner.address)
            return call(owner, WitnessPoolABI.address, WitnessPoolABI.joinAsDevice, [.address(id), .fixedBytes(key.publicKey.bytes), .bytes(proof)])
        })
        repeat { block([]) } while ledger.head.height % p.epochLength != 0

        var seconds = 0.0
        var accepted = 0
        for _ in 0..<blocks {
            let height = ledger.head.height
            let seed = try! ledger.seed(ofEpoch: (height - 1) / p.epochLength + 1)
            let hash = ledger.head.hash
            let attestations = keys.map { key -> ABIValue in
                let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: seed, height: height), suite: .tai)
                return .bytes(WitnessAttestation.make(key: key, chainID: 4_689, height: height, blockHash: hash, proof: proof).binary)
            }
            seconds += block([call(submitter, WitnessPoolABI.address, WitnessPoolABI.submitAttestations, [.array(attestations)])])
            accepted += witnesses
        }
        let witnessedHeights = (try? WitnessPoolABI.heightStatus.abi.decodeOutput(
            ledger.call(from: .zero, to: WitnessPoolABI.address,
                        data: try WitnessPoolABI.heightStatus.abi.encodeCall([.uint(UInt256(ledger.head.height - 1))])).get()))?[1]
        precondition(witnessedHeights == .bool(true), "the bench's attestations were not all accepted")
        let rate = Double(accepted) / seconds
        // The contract runs on one thread (blocks execute in order), so one figure.
        return BenchRow(name: "contract submitAttestations", unit: "att/s", oneCore: rate, allCores: rate)
    }
}
