import ArgumentParser
import Foundation
import MoteCrypto
import MoteDeviceSDK
import MotePrimitives
import MoteTelemetry
import MoteWitness

/// `mote simulate …`: simulated devices, to try the system end to end.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Simulate devices end to end: register a fleet on chain and stream its telemetry.",
        subcommands: [Devices.self])

    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register N simulated GPS step trackers and stream their signed readings through the device SDK.",
            discussion: """
                Makes (or reuses) N device keys in --dir, registers those the chain does not know with the DeviceRegistry \
                (paying the activation fee from mote_deviceParameters, signed with your key), then sends R readings per \
                second in all — walkers' positions, steps and battery, as JSON — for --seconds, each device through its own \
                TelemetryClient (HTTP batches to --stream, or MQTT with --mqtt). Prints a line per second and a summary: \
                sent, accepted, rejected by code, rate, time to ack (p50/p99). Exits 1 unless every message sent was accepted.
                """)

        @Option(help: "How many devices (1 to 10000).") var count = 10
        @Option(help: ArgumentHelp("Messages per second, all devices together.", valueName: "per-second")) var rate = 10.0
        @Option(help: "How long to send (1 to 86400 seconds).") var seconds = 10
        @Option(help: ArgumentHelp("The device keys' curve: p256, secp256k1 or ed25519.", valueName: "curve")) var curve = "p256"
        @Option(help: ArgumentHelp("The stream node's HTTP URL.", valueName: "url")) var stream = "http://127.0.0.1:8600"
        @Option(help: ArgumentHelp("Send over MQTT through this broker instead of HTTP.", valueName: "host:port")) var mqtt: String?
        @Option(
            help: ArgumentHelp(
                "With --mqtt: add the devices (user = device id, password kept in --dir) to the broker that `mote devnet` runs from this folder (its <datadir>/stream) and make it reload.",
                valueName: "folder"))
        var mqttProvision: String?
        @Option(help: ArgumentHelp("With --mqtt: the stream node's ack key (hex; default: its /health's ackKey).", valueName: "hex"))
        var ackKey: String?
        @Option(help: ArgumentHelp("Where the device keys and their buffers live.", valueName: "folder")) var dir = "simulated-devices"
        @Option(help: ArgumentHelp("The chain id the readings are signed for (default: the node's eth_chainId).", valueName: "id"))
        var chainId: UInt64?
        @Option(help: ArgumentHelp("The devices' model name.", valueName: "model")) var model = "sim-gps-tracker"
        @OptionGroup var key: SigningKeyOptions
        @OptionGroup var rpc: RPCOptions
        @OptionGroup var fees: FeeOptions
        @OptionGroup var wait: ReceiptWaitOptions
        @Flag(help: "Micro-mine instead of streaming: join the devices to the witness pool and run their light-client micro-miners.")
        var microMine = false
        @Option(help: ArgumentHelp("With --micro-mine: this many devices attest wrong hashes on purpose (to see them punished).", valueName: "K"))
        var incoherent = 0
        @Flag(help: "Print the summary as JSON.") var json = false

        func validate() throws {
            guard (1...10_000).contains(count) else { throw ValidationError("--count must be in 1...10000") }
            guard rate > 0, rate <= 100_000 else { throw ValidationError("--rate must be above 0 and at most 100000") }
            guard (1...86_400).contains(seconds) else { throw ValidationError("--seconds must be in 1...86400") }
            guard DeviceCurve(name: curve) != nil else { throw ValidationError("--curve must be p256, secp256k1 or ed25519") }
            guard (0...count).contains(incoherent) else { throw ValidationError("--incoherent must be in 0...--count") }
            guard incoherent == 0 || microMine else { throw ValidationError("--incoherent needs --micro-mine") }
            guard mqtt != nil || (mqttProvision == nil && ackKey == nil) else { throw ValidationError("--mqtt-provision and --ack-key need --mqtt") }
        }

        func run() throws {
            let output = WalletOutput(json: json)
            let curve = DeviceCurve(name: self.curve)!
            guard let streamURL = URL(string: stream), ["http", "https"].contains(streamURL.scheme ?? ""), streamURL.host != nil else {
                output.fail("invalid --stream \"\(stream.prefix(80))\": expected an http(s) URL")
            }
            let address = mqtt.map { text in output.orFail { () throws(WalletInputError) in try SimulationInput.hostPort(text) } }
            let model = output.orFail { () throws(WalletInputError) in try DeviceInput.name(self.model, "--model", allowEmpty: false) }
            let sender = TransactionSender(key: key.load, rpc: rpc, fees: fees, wait: wait, output: output)
            let chainID: UInt64
            if let chainId {
                chainID = chainId
            } else {
                let answer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("eth_chainId") }
                guard let id = answer.quantity64 else { output.fail("the node answered eth_chainId with \(answer.text.prefix(100))") }
                chainID = id
            }

            // Keys: device-0.json … in --dir, made where missing.
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                output.fail("cannot create --dir \(dir): \(error.localizedDescription)")
            }
            let folder = URL(fileURLWithPath: dir)
            let identities = (0..<count).map { index in
                output.orFail { () throws(DeviceSDKError) in
                    try DeviceIdentity.loadOrCreate(at: folder.appendingPathComponent("device-\(index).json").path, curve: curve)
                }
            }
            let registered = register(identities, model: model, chainID: chainID, sender: sender, output: output)
            let broker = address.map { address in
                microMine
                    ? SimulationBroker(host: address.host, port: address.port)
                    : mqttBroker(address, users: identities.indices.map { ("device-\($0)", identities[$0].deviceID.hex) }, streamURL: streamURL, folder: folder, output: output)
            }
            if microMine {
                microMine(identities: identities, registered: registered, chainID: chainID, folder: folder, broker: broker, sender: sender, output: output)
                return
            }

            // Streaming.
            let plan = SimulationPlan(
                identities: identities, chainID: chainID, folder: folder, streamURL: streamURL, broker: broker, rate: rate,
                seconds: seconds, printsLive: !json)
            let summary = SimulationPlan.runBlocking(plan)
            report(summary, identities: identities, registered: registered, transport: broker.map { "mqtt://\($0.host):\($0.port)" } ?? stream)
            if summary.accepted != summary.sent || summary.sent == 0 { Foundation.exit(WalletOutput.failure) }
        }

        /// The broker with each user's password (from `--dir`, made where missing), provisioned
        /// into the devnet's broker with --mqtt-provision; the ack key for streaming.
        func mqttBroker(_ address: (host: String, port: Int), users: [(file: String, name: String)], streamURL: URL, folder: URL, output: WalletOutput)
            -> SimulationBroker
        {
            var broker = SimulationBroker(host: address.host, port: address.port)
            for user in users {
                do { broker.passwords[user.name] = try SimulationBroker.password(in: folder.appendingPathComponent(user.file + ".mqtt-password")) } catch {
                    output.fail("\(error)")
                }
            }
            if let mqttProvision {
                do {
                    let added = try SimulationBroker.provision(broker.passwords, brokerFolder: mqttProvision)
                    if added > 0 { output.progress("added \(added) MQTT users to the broker in \(mqttProvision)") }
                } catch {
                    output.fail("cannot provision the broker: \(error)")
                }
            }
            if !microMine { broker.ackKey = SimulationBroker.ackKey(ackKey, stream: streamURL, output: output) }
            return broker
        }

        /// Registers the devices the chain does not know yet (all transactions first, then their
        /// receipts), each with its key's registration proof for the sender; returns how many were
        /// registered now.
        func register(
            _ identities: [DeviceIdentity], model: String, chainID: UInt64, sender: TransactionSender, output: WalletOutput
        ) -> Int {
            var missing: [DeviceIdentity] = []
            for identity in identities {
                do {
                    let answer = try sender.client.call("mote_device", [.string(identity.deviceID.hex)])
                    if let status = answer["status"]?.stringValue, status != "active" {
                        output.progress("warning: device \(identity.deviceID.checksummed) is \(status); its telemetry will be refused")
                    }
                } catch {
                    guard case .refused(code: -32001, _) = error.kind else { output.fail(error.description) }
                    missing.append(identity)
                }
            }
            guard !missing.isEmpty else {
                output.progress("all \(identities.count) devices are registered already")
                return 0
            }
            let fee = DeviceCommand.activationFee(sender)
            output.progress("registering \(missing.count) devices from \(sender.sender.checksummed), staking \(Amount.describe(fee)) each…")
            var nonce: UInt64?
            var hashes: [(Hash32, Address)] = []
            for identity in missing {
                let proof = identity.possessionProof(.register, chainID: chainID, account: sender.sender)
                let call = DeviceCommand.registerCall(
                    identity.publicKey, model: model, manufacturer: "Mote simulator", proof: proof, fee: fee, output)
                let prepared = output.orFail { () throws(TransactionSender.Failure) in try sender.prepare(call, nonce: nonce) }
                output.orFail { () throws(TransactionSender.Failure) in try sender.submit(prepared) }
                nonce = prepared.nonce + 1
                hashes.append((prepared.signed.hash, identity.deviceID))
            }
            for (hash, id) in hashes {
                guard let receipt = output.orFail({ () throws(TransactionSender.Failure) in try sender.receipt(hash) }) else {
                    output.fail("no receipt for \(hash.hex) (registering \(id.checksummed)) within \(sender.timeout) s", status: WalletOutput.timedOut)
                }
                guard receipt["status"]?.quantity == .one else {
                    let reason = receipt["failureReason"]?.stringValue.map { ": \($0)" } ?? ""
                    output.fail("registering \(id.checksummed) failed\(reason) (transaction \(hash.hex))", status: WalletOutput.transactionFailed)
                }
            }
            output.progress("registered \(missing.count) devices")
            return missing.count
        }

        /// `--micro-mine`: joins the devices to the witness pool, runs their micro-miners for
        /// --seconds, and reports what they sent and what the chain paid their owner.
        func microMine(
            identities: [DeviceIdentity], registered: Int, chainID: UInt64, folder: URL, broker: SimulationBroker?,
            sender: TransactionSender, output: WalletOutput
        ) {
            let fleet = MicroMineFleet(identities: identities, folder: folder, sender: sender, chainID: chainID, output: output)
            let keys = identities.indices.map(fleet.witnessKey)
            // A witness logs in with its witness key as user name (its topic is mote/v1/attest/{witnessKey}).
            let broker = broker.map { broker in
                mqttBroker(
                    (broker.host, broker.port), users: keys.indices.map { ("witness-\($0)", Hex.encode(keys[$0].publicKey.bytes)) }, streamURL: URL(fileURLWithPath: "/"),
                    folder: folder, output: output)
            }
            let joined = fleet.join(keys)
            let before = identities.map { fleet.record($0.deviceID) }
            let balanceBefore = output.orFail { () throws(TransactionSender.Failure) in
                try sender.ask("eth_getBalance", [.string(sender.sender.hex), .string("latest")])
            }.quantity ?? .zero
            let statistics = MicroMineFleet.runBlocking(
                keys: keys, rpcURL: sender.client.url, broker: broker, incoherent: incoherent, seconds: seconds, folder: folder, printsLive: !json)
            // Attestations sent in the last blocks land a block or two later.
            Thread.sleep(forTimeInterval: 3)
            let after = identities.map { fleet.record($0.deviceID) }
            let head = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("eth_blockNumber") }.quantity64 ?? 0
            var rows: [[String: Any]] = []
            var earned = UInt256.zero
            for (index, identity) in identities.enumerated() {
                let s = statistics.indices.contains(index) ? statistics[index] : MicroMiner.Statistics()
                let gain = after[index].earned >= before[index].earned ? after[index].earned - before[index].earned : .zero
                earned = earned + gain
                rows.append([
                    "device": identity.deviceID.checksummed, "witnessKey": Hex.encode(keys[index].publicKey.bytes),
                    "incoherent": index < incoherent, "verified": s.verified, "assigned": s.assigned, "sent": s.sent,
                    "acceptedByNode": s.accepted, "rejected": s.rejected, "failures": s.failures, "lastError": s.lastError as Any? ?? NSNull(),
                    "acceptedOnChain": after[index].accepted - min(after[index].accepted, before[index].accepted),
                    "incoherentOnChain": after[index].incoherent - min(after[index].incoherent, before[index].incoherent),
                    "reputation": after[index].reputation, "blacklisted": after[index].blacklistedUntil > head,
                    "blacklistedUntil": after[index].blacklistedUntil, "earnedWei": gain.description,
                ])
            }
            let totals: [String: Any] = [
                "devices": identities.count, "registered": registered, "joined": joined, "incoherent": incoherent,
                "transport": broker.map { "mqtt://\($0.host):\($0.port)" } ?? sender.client.url.absoluteString,
                "owner": sender.sender.checksummed, "ownerBalanceBefore": balanceBefore.description,
                "sent": statistics.reduce(0) { $0 + $1.sent }, "acceptedByNode": statistics.reduce(0) { $0 + $1.accepted },
                "verified": statistics.reduce(0) { $0 + $1.verified }, "assigned": statistics.reduce(0) { $0 + $1.assigned },
                "acceptedOnChain": rows.reduce(UInt64(0)) { $0 + ($1["acceptedOnChain"] as! UInt64) },
                "earnedWei": earned.description, "blacklisted": rows.filter { $0["blacklisted"] as! Bool }.count, "witnesses": rows,
            ]
            if json {
                JSONOutput.print(totals)
                return
            }
            WalletOutput.printFields([
                ("devices", "\(identities.count) (\(registered) registered, \(joined) joined now, \(incoherent) incoherent)"),
                ("transport", totals["transport"] as? String),
                ("heights checked", String(totals["verified"] as! Int)),
                ("assigned", String(totals["assigned"] as! Int)),
                ("attestations sent", String(totals["sent"] as! Int)),
                ("accepted by the node", String(totals["acceptedByNode"] as! Int)),
                ("accepted on chain", String(totals["acceptedOnChain"] as! UInt64)),
                ("rewards to the owner", Amount.describe(earned)),
                ("blacklisted", String(totals["blacklisted"] as! Int)),
            ])
        }

        func report(_ summary: SimulationSummary, identities: [DeviceIdentity], registered: Int, transport: String) {
            if json {
                JSONOutput.print([
                    "devices": identities.count, "deviceIds": identities.map(\.deviceID.checksummed), "registered": registered,
                    "transport": transport, "seconds": summary.elapsed, "sent": summary.sent, "accepted": summary.accepted,
                    "rejected": summary.rejected, "pending": summary.pending, "bufferFull": summary.bufferFull, "rate": summary.rate,
                    "p50Ms": summary.p50Milliseconds as Any? ?? NSNull(), "p99Ms": summary.p99Milliseconds as Any? ?? NSNull(),
                ] as [String: Any])
                return
            }
            let rejected = summary.rejected.isEmpty
                ? "0" : summary.rejected.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            WalletOutput.printFields([
                ("devices", "\(identities.count) (\(registered) registered now)"), ("transport", transport),
                ("sent", String(summary.sent)), ("accepted", String(summary.accepted)), ("rejected", rejected),
                ("undelivered", summary.pending > 0 ? String(summary.pending) : nil),
                ("buffer full", summary.bufferFull > 0 ? String(summary.bufferFull) : nil),
                ("rate", String(format: "%.1f accepted/s over %.1f s", summary.rate, summary.elapsed)),
                ("time to ack", summary.p50Milliseconds.map { String(format: "p50 %.1f ms, p99 %.1f ms", $0, summary.p99Milliseconds ?? 0) }),
            ])
        }
    }
}

/// Parsing `mote simulate` input.
enum SimulationInput {
    /// `host:port`.
    static func hostPort(_ text: String) throws(WalletInputError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port),
            colon > text.startIndex
        else { throw WalletInputError("invalid --mqtt \"\(text.prefix(80))\": expected host:port") }
        return (String(text[..<colon]), port)
    }
}
