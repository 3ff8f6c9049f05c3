import Foundation
import MoteCrypto
import MotePrimitives
import MoteWitness

/// A device's micro-miner (Proof of Assignment, docs/WITNESSING.md): a light client that
/// follows the final headers of one trusted node, checks each one's commit certificate, works
/// out with its witness key whether it is assigned to witness that height, and if so signs and
/// sends a witness attestation.
///
/// It stores nothing but its key (held by the caller) and the last height it has checked
/// (`stateFile`, so that a restart neither re-attests nor skips silently). Headers, producer
/// sets, seeds and weights are fetched when needed and only the current epoch's are kept in
/// memory. A header that fails its check stops the step without advancing: the node lied, or
/// is not on the chain the device expects, and nothing is signed.
public actor MicroMiner {
    /// Tunables.
    public struct Options: Sendable {
        /// How often `run()` asks the node for its head.
        public var pollInterval: Duration = .milliseconds(500)
        /// At most this many heights are checked per step; a miner further behind skips ahead
        /// (attestations for old heights fall out of the chain's window anyway).
        public var maxCatchUp: UInt64 = 16
        /// For tests and fleet simulations only: attest a wrong hash for every assigned height,
        /// so that the chain punishes the witness as incoherent.
        public var incoherent = false

        public init() {}
    }

    /// What the miner has done since it started.
    public struct Statistics: Equatable, Sendable {
        /// Heights whose header and certificate were checked.
        public var verified = 0
        /// Heights this witness was assigned to.
        public var assigned = 0
        /// Attestations handed to the sender.
        public var sent = 0
        /// Attestations the node accepted (HTTP), or the broker took (MQTT).
        public var accepted = 0
        /// Attestations refused, by reason.
        public var rejected: [String: Int] = [:]
        /// Failed steps (unreachable node, failed checks).
        public var failures = 0
        /// The last failure.
        public var lastError: String?
        /// The last height checked.
        public var lastHeight: UInt64 = 0

        public init() {}
    }

    /// One attestation the miner sent.
    public struct Attestation: Equatable, Sendable {
        public let attestation: WitnessAttestation
        public let delivery: AttestationDelivery
    }

    public let key: ECVRF.SecretKey
    public let options: Options
    let source: any WitnessChainSource
    let sender: any AttestationSender
    let stateFile: String?
    /// The final header of `lastHeight`, when checked in this run (not stored).
    var previous: FinalizedHeader?
    var lastHeight: UInt64
    var status: ChainStatus?
    /// The current epoch's public data.
    var epochData: (epoch: UInt64, producers: [Address], seed: Hash32, weight: EpochWeight, expected: UInt64)?
    public private(set) var statistics = Statistics()

    /// A miner with witness `key`; `stateFile` (optional) holds the last height checked.
    public init(
        key: ECVRF.SecretKey, source: any WitnessChainSource, sender: any AttestationSender, stateFile: String? = nil,
        options: Options = Options()
    ) throws(DeviceSDKError) {
        self.key = key
        self.source = source
        self.sender = sender
        self.stateFile = stateFile
        self.options = options
        var last: UInt64 = 0
        if let stateFile, let bytes = try DurableFile.read(stateFile) {
            let text = String(decoding: bytes.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let height = UInt64(text) else { throw DeviceSDKError(.io, "\(stateFile) does not hold a height") }
            last = height
        }
        lastHeight = last
        statistics.lastHeight = last
    }

    /// The witness's public key (Ed25519 = ECVRF).
    public nonisolated var witnessKey: [UInt8] { key.publicKey.bytes }

    /// Checks and attests until the task is cancelled; failures are counted and retried.
    public func run() async {
        while !Task.isCancelled {
            do throws(LightClientError) { _ = try await step() } catch {
                statistics.failures += 1
                statistics.lastError = error.message
            }
            try? await Task.sleep(for: options.pollInterval)
        }
        await sender.close()
    }

    /// One round: checks every new final height the node can certify (up to `maxCatchUp`)
    /// and attests those this witness is assigned to. Returns the attestations sent.
    public func step() async throws(LightClientError) -> [Attestation] {
        let now = try await source.chainStatus()
        if let known = status, known.chainID != now.chainID || known.epochLength != now.epochLength {
            throw LightClientError(.unverified, "the node switched to chain \(now.chainID) (epoch length \(now.epochLength))")
        }
        status = now
        // Height h is provable once h + 1 exists (its header carries h's certificate).
        guard now.height >= 2 else { return [] }
        let top = now.height - 1
        guard top > lastHeight else { return [] }
        var height = lastHeight + 1
        if top - lastHeight > options.maxCatchUp {
            height = top - options.maxCatchUp + 1
            previous = nil
        }
        var sent: [Attestation] = []
        var raw = try await header(height)
        while height <= top {
            let rawNext = try await header(height + 1)
            let epoch = (height - 1) / now.epochLength + 1
            let data = try await epochData(epoch)
            let final = try FinalizedHeaderCheck.verify(
                raw: raw, rawNext: rawNext, height: height, previous: previous, producers: data.producers, chainID: now.chainID,
                epochLength: now.epochLength)
            previous = final
            try advance(to: height)
            statistics.verified += 1
            if let assignment = WitnessSortition.evaluate(
                key: key, seed: data.seed, height: height, weight: data.weight.weight, totalWeight: data.weight.totalWeight,
                expected: data.expected)
            {
                statistics.assigned += 1
                let hash = options.incoherent ? Keccak256.hash(Array("incoherent".utf8) + final.hash.bytes) : final.hash
                let attestation = WitnessAttestation.make(
                    key: key, chainID: now.chainID, height: height, blockHash: hash, proof: assignment.proof)
                statistics.sent += 1
                let delivery = try await sender.send(attestation)
                switch delivery {
                case .accepted, .published: statistics.accepted += 1
                case .rejected(let reason): statistics.rejected[reason, default: 0] += 1
                }
                sent.append(Attestation(attestation: attestation, delivery: delivery))
            }
            raw = rawNext
            height += 1
        }
        return sent
    }

    func header(_ height: UInt64) async throws(LightClientError) -> [UInt8] {
        guard let raw = try await source.rawHeader(height: height) else {
            throw LightClientError(.notFound, "the node has no header \(height)")
        }
        return raw
    }

    /// The public data of `epoch`, fetched once per epoch.
    func epochData(_ epoch: UInt64) async throws(LightClientError) -> (epoch: UInt64, producers: [Address], seed: Hash32, weight: EpochWeight, expected: UInt64) {
        if let data = epochData, data.epoch == epoch { return data }
        let producers = try await source.producers(ofEpoch: epoch)
        let seed = try await source.epochSeed(ofEpoch: epoch)
        let weight = try await source.weights(witnessKey: key.publicKey.bytes, epoch: epoch)
        let expected = try await source.expectedWitnesses()
        let data = (epoch, producers, seed, weight, expected)
        epochData = data
        return data
    }

    /// Records `height` as checked, on disk when there is a state file.
    func advance(to height: UInt64) throws(LightClientError) {
        lastHeight = height
        statistics.lastHeight = height
        guard let stateFile else { return }
        do throws(DeviceSDKError) { try DurableFile.replace(stateFile, with: Array("\(height)\n".utf8), sync: false) } catch {
            throw LightClientError(.notFound, "cannot record the last height in \(stateFile): \(error.message)")
        }
    }
}
