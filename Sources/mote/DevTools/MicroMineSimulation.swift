import Foundation
import MoteContracts
import MoteCrypto
import MoteDeviceSDK
import MoteLedger
import MoteNode
import MoteMQTT
import MotePrimitives
import MoteRPCClient
import MoteWitness

/// `mote simulate devices --micro-mine`: a fleet of micro-miners (Proof of Assignment). Each
/// simulated device gets a witness key (`witness-N.key` in --dir), is registered with the
/// DeviceRegistry and joined to the WitnessPool by the funded key (its owner), then runs the
/// SDK's `MicroMiner` against the node: it follows final headers, checks their certificates,
/// and attests the heights it is assigned to, over JSON-RPC or MQTT.
struct MicroMineFleet {
    let identities: [DeviceIdentity]
    let folder: URL
    let sender: TransactionSender
    let chainID: UInt64
    let output: WalletOutput

    /// The witness key of device `index`, made (0600) where missing.
    func witnessKey(_ index: Int) -> ECVRF.SecretKey {
        let path = folder.appendingPathComponent("witness-\(index).key").path
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let seed = try? Hex.decode(text), let key = try? ECVRF.SecretKey(seed: seed) else {
                output.fail("\(path) does not hold a 32-byte witness key in hex")
            }
            return key
        }
        let key = ECVRF.SecretKey.generate()
        guard FileManager.default.createFile(atPath: path, contents: Data((Hex.encode(key.seed) + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { output.fail("cannot write \(path)") }
        return key
    }

    /// A WitnessPool view at the head.
    func view(_ function: SystemFunction, _ arguments: [ABIValue]) -> [ABIValue] {
        output.orFail { () throws(RPCClientError) in try sender.client.view(function, of: WitnessPoolABI.self, arguments) }
    }

    /// Joins every device whose key the pool does not know (`joinAsDevice`, signed by the
    /// owner); returns how many joined now.
    func join(_ keys: [ECVRF.SecretKey]) -> Int {
        var nonce: UInt64?
        var hashes: [(Hash32, Address)] = []
        for (identity, key) in zip(identities, keys) {
            guard view(WitnessPoolABI.witnessByKey, [.fixedBytes(key.publicKey.bytes)]).first?.addressValue == .zero else { continue }
            let possession = WitnessPoolContract.possessionProof(key: key, chainID: chainID, witnessID: identity.deviceID, owner: sender.sender)
            let call = output.orFail { () throws(ABIError) in
                try TransactionSender.Outgoing.call(
                    WitnessPoolABI.joinAsDevice, of: WitnessPoolABI.address, named: "WitnessPool",
                    [.address(identity.deviceID), .fixedBytes(key.publicKey.bytes), .bytes(possession)],
                    shown: "joinAsDevice(\(identity.deviceID.checksummed))")
            }
            let prepared = output.orFail { () throws(TransactionSender.Failure) in try sender.prepare(call, nonce: nonce) }
            output.orFail { () throws(TransactionSender.Failure) in try sender.submit(prepared) }
            nonce = prepared.nonce + 1
            hashes.append((prepared.signed.hash, identity.deviceID))
        }
        for (hash, id) in hashes {
            guard let receipt = output.orFail({ () throws(TransactionSender.Failure) in try sender.receipt(hash) }) else {
                output.fail("no receipt for \(hash.hex) (joining \(id.checksummed)) within \(sender.timeout) s", status: WalletOutput.timedOut)
            }
            guard receipt["status"]?.quantity == .one else {
                let reason = receipt["failureReason"]?.stringValue.map { ": \($0)" } ?? ""
                output.fail("joining \(id.checksummed) to the witness pool failed\(reason) (transaction \(hash.hex))", status: WalletOutput.transactionFailed)
            }
        }
        if !hashes.isEmpty { output.progress("joined \(hashes.count) devices to the witness pool; their weight counts from the next epoch") }
        return hashes.count
    }

    /// One witness's record: `witness(id)`.
    struct Record {
        var reputation: UInt64
        var blacklistedUntil: UInt64
        var accepted: UInt64
        var incoherent: UInt64
        var earned: UInt256
    }

    func record(_ id: Address) -> Record {
        let v = view(WitnessPoolABI.witness, [.address(id)])
        func u(_ i: Int) -> UInt256 { i < v.count ? v[i].uintValue ?? .zero : .zero }
        return Record(reputation: u(3).l0, blacklistedUntil: u(4).l0, accepted: u(6).l0, incoherent: u(7).l0, earned: u(8))
    }

    /// Runs the miners for `seconds`; the first `incoherent` attest wrong hashes on purpose.
    static func run(
        keys: [ECVRF.SecretKey], rpcURL: URL, broker: SimulationBroker?, incoherent: Int, seconds: Int, folder: URL, printsLive: Bool
    ) async -> [MicroMiner.Statistics] {
        var miners: [MicroMiner] = []
        for (index, key) in keys.enumerated() {
            let client = JSONRPCClient(url: rpcURL, timeout: 10)
            let sender: any AttestationSender
            if let broker {
                var configuration = MQTTConfiguration(host: broker.host, port: broker.port, clientID: "mote-witness-\(index)-\(UInt32.random(in: 0...UInt32.max))")
                configuration.connectTimeout = .seconds(5)
                let user = Hex.encode(key.publicKey.bytes)
                if let password = broker.passwords[user] {
                    configuration.username = user
                    configuration.password = Array(password.utf8)
                }
                sender = MQTTAttestationSender(configuration: configuration)
            } else {
                sender = RPCAttestationSender(client: client)
            }
            var options = MicroMiner.Options()
            options.incoherent = index < incoherent
            options.pollInterval = .milliseconds(400)
            // The state file keeps a restarted fleet from attesting twice.
            guard let miner = try? MicroMiner(
                key: key, source: JSONRPCWitnessSource(client: client), sender: sender,
                stateFile: folder.appendingPathComponent("witness-\(index).height").path, options: options)
            else { continue }
            miners.append(miner)
        }
        let tasks = miners.map { miner in Task { await miner.run() } }
        let clock = ContinuousClock()
        let end = clock.now + .seconds(seconds)
        while clock.now < end {
            try? await Task.sleep(for: .seconds(1))
            if printsLive {
                var sent = 0, accepted = 0, height: UInt64 = 0
                for miner in miners {
                    let s = await miner.statistics
                    sent += s.sent
                    accepted += s.accepted
                    height = max(height, s.lastHeight)
                }
                print("height \(height): \(sent) attestations sent, \(accepted) accepted by the node")
            }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        var out: [MicroMiner.Statistics] = []
        for miner in miners { out.append(await miner.statistics) }
        return out
    }

    /// Blocks this synchronous command until the fleet has run.
    static func runBlocking(
        keys: [ECVRF.SecretKey], rpcURL: URL, broker: SimulationBroker?, incoherent: Int, seconds: Int, folder: URL, printsLive: Bool
    ) -> [MicroMiner.Statistics] {
        let done = DispatchSemaphore(value: 0)
        let box = StatisticsBox()
        Task {
            box.value = await run(
                keys: keys, rpcURL: rpcURL, broker: broker, incoherent: incoherent, seconds: seconds,
                folder: folder, printsLive: printsLive)
            done.signal()
        }
        done.wait()
        return box.value
    }

    /// `@unchecked Sendable`: written once by the task before `done` is signalled, read after the wait.
    private final class StatisticsBox: @unchecked Sendable { var value: [MicroMiner.Statistics] = [] }
}
