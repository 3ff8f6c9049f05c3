import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// `mote witness …`: witness keys and the WitnessPool contract (Proof of Assignment,
/// docs/WITNESSING.md).
struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Proof of Assignment: witness keys, joining and leaving the witness pool, its state.",
        discussion: """
            A witness key is one 32-byte Ed25519 seed: the same key proves assignments (ECVRF) and signs \
            attestations. join and leave send one call to the WitnessPool contract, signed with your key; \
            the options for key, node, fees and waiting are those of mote transfer.
            """,
        subcommands: [Keygen.self, Join.self, Leave.self, Show.self, List.self, Status.self])

    /// A witness key file: the seed as 0x and 64 hex digits (the 0x optional), as `mote vrf keygen --out` writes it.
    static func loadKey(_ path: String) throws(WalletInputError) -> ECVRF.SecretKey {
        let raw: [UInt8]
        do { raw = try SmallFile.read(path, limit: 4_096) } catch { throw WalletInputError(error.description) }
        let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seed = try? Hex.decode(text), seed.count == 32, let key = try? ECVRF.SecretKey(seed: seed) else {
            throw WalletInputError("\(path): a witness key file holds a 32-byte seed as 64 hex digits")
        }
        return key
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a witness key: writes its seed to a new file (mode 0600) and prints the public key.")

        @Option(help: ArgumentHelp("The new key file (never overwritten).", valueName: "file")) var out: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let key = ECVRF.SecretKey.generate()
            let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { output.fail("\(out): \(String(cString: strerror(errno)))") }
            let line = Array((Hex.encode(key.seed) + "\n").utf8)
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == line.count else { output.fail("\(out): short write") }
            if json {
                JSONOutput.print(["witnessKey": Hex.encode(key.publicKey.bytes), "file": out])
            } else {
                print(Hex.encode(key.publicKey.bytes))
            }
        }
    }

    struct Join: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the witness pool: a device you own (--device), or your node (registered in the NodeRegistry).",
            discussion: """
                The witness key signs the possession proof "MOTE-WITNESS-KEY-V1" ‖ chainId ‖ witness id ‖ owner \
                here (the owner is the signing key's address); a key can be used once, ever. The witness counts \
                from the next epoch. A node must also answer with stake: be a genesis delegate's operator, or the \
                operator or owner of a candidate with at least minSelfStake of self-stake (docs/WITNESSING.md).
                """)

        @Option(help: ArgumentHelp("The witness key file (from mote witness keygen).", valueName: "file")) var witnessKey: String
        @Option(help: ArgumentHelp("Join this device (you must own it); without it, join as a node.", valueName: "id")) var device: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let key = output.orFail { () throws(WalletInputError) in try WitnessCommand.loadKey(witnessKey) }
            let deviceID = device.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--device id") } }
            let sender = TransactionSender(transaction)
            let chainAnswer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("eth_chainId") }
            guard let chainID = chainAnswer.quantity64 else { output.fail("the node answered eth_chainId with \(chainAnswer.text.prefix(100))") }
            let id = deviceID ?? sender.sender
            let proof = WitnessPoolContract.possessionProof(key: key, chainID: chainID, witnessID: id, owner: sender.sender)
            let publicKey = key.publicKey.bytes
            let call: TransactionSender.Outgoing = output.orFail { () throws(ABIError) in
                if let deviceID {
                    return try .call(
                        WitnessPoolABI.joinAsDevice, of: WitnessPoolABI.address, named: "WitnessPool",
                        [.address(deviceID), .fixedBytes(publicKey), .bytes(proof)], shown: "joinAsDevice(\(deviceID.checksummed))")
                }
                return try .call(
                    WitnessPoolABI.joinAsNode, of: WitnessPoolABI.address, named: "WitnessPool",
                    [.fixedBytes(publicKey), .bytes(proof)], shown: "joinAsNode()")
            }
            sender.run(call) { _ in
                TransactionSender.Results(
                    fields: [("witness", id.checksummed), ("kind", deviceID == nil ? "node" : "device"), ("key", Hex.encode(publicKey))],
                    json: ["witnessId": id.checksummed, "kind": deviceID == nil ? "node" : "device", "witnessKey": Hex.encode(publicKey)])
            }
        }
    }

    struct Leave: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Leave the witness pool (from the next epoch); its key can never be used again.")

        @Option(help: ArgumentHelp("The witness id: a device id, or (default) your node's address.", valueName: "id")) var id: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let given = id.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--id") } }
            let sender = TransactionSender(transaction)
            let witness = given ?? sender.sender
            let call: TransactionSender.Outgoing = output.orFail { () throws(ABIError) in
                try .call(WitnessPoolABI.leavePool, of: WitnessPoolABI.address, named: "WitnessPool", [.address(witness)],
                          shown: "leavePool(\(witness.checksummed))")
            }
            sender.run(call) { _ in
                TransactionSender.Results(fields: [("witness", witness.checksummed), ("active", "false")], json: ["witnessId": witness.checksummed])
            }
        }
    }

    /// A witness object from the node as printed rows.
    static func fields(_ w: JSON) -> [(String, String?)] {
        func q(_ name: String) -> String { w[name]?.quantity?.description ?? "-" }
        let earned = w["earned"]?.quantity.map { Amount.describe($0) } ?? "-"
        let until = w["blacklistedUntil"]?.quantity ?? .zero
        return [
            ("witness", w["id"]?.checksummedAddress), ("kind", w["kind"]?.stringValue), ("key", w["witnessKey"]?.stringValue),
            ("owner", w["owner"]?.checksummedAddress), ("active", w["active"]?.boolValue.map { $0 ? "yes" : "no" }),
            ("reputation", q("reputation")), ("weight", "\(q("weight")) of \(q("totalWeight")) (epoch \(q("epoch")))"),
            ("blacklisted until", until.isZero ? "never blacklisted" : "height \(until)"), ("joined at", "height \(q("joinedAt"))"),
            ("accepted", q("accepted")), ("incoherent", q("incoherent")), ("earned", earned),
        ]
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a witness by id or witness key (mote_witness).",
            discussion: """
                --json prints {id, kind, witnessKey, owner, reputation, blacklistedUntil, joinedAt, accepted, incoherent, \
                earned, active, epoch, weight, totalWeight}, numbers as hex quantities, earned in wei.
                """)

        @Argument(help: ArgumentHelp("A witness id (address) or witness key (32 bytes hex).", valueName: "id-or-key")) var witness: String
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            guard witness.utf8.count == 42 || witness.utf8.count == 66, witness.hasPrefix("0x"), (try? Hex.decode(witness)) != nil else {
                output.fail("invalid witness \"\(witness.prefix(70))\": a 0x-prefixed address or 32-byte witness key")
            }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer: JSON
            do { answer = try client.call("mote_witness", [.string(witness)]) } catch {
                if case .refused(code: -32001, _) = error.kind { output.fail("no witness \(witness)") }
                output.fail(error.description)
            }
            if json { print(answer.text) } else { WalletOutput.printFields(WitnessCommand.fields(answer)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the witness pool (mote_witnesses).", discussion: "--json prints an array of what mote witness show --json prints.")

        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_witnesses", []) }
            guard let items = answer.arrayValue else { output.fail("the node answered mote_witnesses with \(answer.text.prefix(100))") }
            if json {
                print(answer.text)
                return
            }
            guard !items.isEmpty else {
                print("no witnesses")
                return
            }
            WalletOutput.printTable(
                ["WITNESS", "KIND", "ACTIVE", "REPUTATION", "WEIGHT", "ACCEPTED", "INCOHERENT", "EARNED"],
                items.map { w in
                    [w["id"]?.checksummedAddress ?? "-", w["kind"]?.stringValue ?? "-", w["active"]?.boolValue == true ? "yes" : "no",
                     w["reputation"]?.quantity?.description ?? "-", w["weight"]?.quantity?.description ?? "-",
                     w["accepted"]?.quantity?.description ?? "-", w["incoherent"]?.quantity?.description ?? "-",
                     w["earned"]?.quantity.map { Amount.formatShort($0) } ?? "-"]
                },
                rightAligned: [3, 4, 5, 6, 7])
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pool's parameters and current epoch (mote_witnessParameters, mote_epochSeed); with --height, that block's witnessing.",
            discussion: "--json prints {parameters, epoch} and, with --height, {height: mote_witnessStatus}.")

        @Option(help: ArgumentHelp("A block height to report on (mote_witnessStatus).", valueName: "n")) var height: UInt64?
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let parameters = output.orFail { () throws(RPCClientError) in try client.call("mote_witnessParameters", []) }
            let epoch = output.orFail { () throws(RPCClientError) in try client.call("mote_epochSeed", []) }
            let block = height.map { h in
                output.orFail { () throws(RPCClientError) in try client.call("mote_witnessStatus", [.string("0x" + String(h, radix: 16))]) }
            }
            if json {
                var object: [String: JSON] = ["parameters": parameters, "epoch": epoch]
                if let block { object["height"] = block }
                print(JSON.object(object).text)
                return
            }
            func q(_ value: JSON, _ name: String) -> String { value[name]?.quantity?.description ?? "-" }
            var rows: [(String, String?)] = [
                ("expected witnesses", q(parameters, "expectedWitnesses")), ("threshold", q(parameters, "threshold")),
                ("reward", parameters["attestationReward"]?.quantity.map { Amount.describe($0) }),
                ("blacklisting", "\(q(parameters, "blacklistBlocks")) blocks"), ("window", "\(q(parameters, "attestationWindow")) blocks"),
                ("epoch", "\(q(epoch, "epoch")) (heights \(q(epoch, "firstHeight"))…\(q(epoch, "lastHeight")))"),
                ("seed", epoch["seed"]?.stringValue), ("total weight", q(epoch, "totalWeight")),
            ]
            if let block {
                rows += [
                    ("height", q(block, "height")), ("accepted", q(block, "accepted")),
                    ("witnessed", block["witnessed"]?.boolValue.map { $0 ? "yes" : "no" }), ("block hash", block["blockHash"]?.stringValue ?? "-"),
                ]
            }
            WalletOutput.printFields(rows)
        }
    }
}
