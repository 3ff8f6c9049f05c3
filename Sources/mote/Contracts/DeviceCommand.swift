import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient
import MoteTelemetry

/// `mote device …`: device keys and the on-chain device registry (docs/DEVICES.md).
struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Device keys and the device registry: register, claim, transfer, suspend, revoke.",
        discussion: """
            Each command that changes the registry sends one call to the DeviceRegistry contract, signed with \
            your key; the options for key, node, fees and waiting are those of mote transfer. A call the \
            contract would refuse fails before anything is sent, with the contract's reason.
            """,
        subcommands: [
            Keygen.self, Register.self, Preregister.self, Claim.self, Transfer.self, Suspend.self, Resume.self, Revoke.self,
            Retention.self, Show.self, List.self, DataExport.self,
        ])

    /// The DeviceRegistry call `function(arguments)`, shown as `shown`.
    static func call(
        _ function: SystemFunction, _ arguments: [ABIValue], value: UInt256 = .zero, shown: String, _ output: WalletOutput
    ) -> TransactionSender.Outgoing {
        output.orFail { () throws(ABIError) in
            try .call(function, of: DeviceRegistryABI.address, named: "DeviceRegistry", arguments, value: value, shown: shown)
        }
    }

    /// `registerDevice(curve, publicKey, model, manufacturer, proof)` paying the activation fee
    /// `fee`, `proof` being the device key's registration proof for the sender (also used by
    /// `mote simulate devices`).
    static func registerCall(
        _ key: DevicePublicKey, model: String, manufacturer: String, proof: [UInt8], fee: UInt256, _ output: WalletOutput
    ) -> TransactionSender.Outgoing {
        call(
            DeviceRegistryABI.registerDevice,
            [.uint(UInt256(UInt64(key.curve.rawValue))), .bytes(key.bytes), .string(model), .string(manufacturer), .bytes(proof)],
            value: fee, shown: "registerDevice(\(key.curve), \(key.deviceID.checksummed), \"\(model)\")", output)
    }

    /// The device key's possession proof of `action` by the sender (`DeviceClaim`): `--proof`
    /// when given (made by the device, e.g. a secure element), else signed here with the key
    /// file's secret.
    static func possessionProof(
        _ action: DeviceClaim.Action, key: DeviceKeyFile, keyPath: String, given: String?, sender: TransactionSender
    ) -> [UInt8] {
        let output = sender.output
        if let given {
            guard let bytes = try? Hex.decode(given), bytes.count == 64 else {
                output.fail("invalid --proof: expected the device key's 64-byte signature in hex (0x + 128 digits)")
            }
            return bytes
        }
        guard let secret = key.privateKey else {
            output.fail("--device-key \(keyPath) has no secret: the \(action) proof is signed with it (or pass the device's --proof)")
        }
        let answer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("eth_chainId") }
        guard let chainID = answer.quantity64 else { output.fail("the node answered eth_chainId with \(answer.text.prefix(100))") }
        return DeviceClaim.proof(action, by: secret, chainID: chainID, claimant: sender.sender)
    }

    /// A `--device` id: an address.
    static func deviceID(_ text: String, _ output: WalletOutput) -> Address {
        output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--device id") }
    }

    /// The chain's activation fee (`mote_deviceParameters`).
    static func activationFee(_ sender: TransactionSender) -> UInt256 {
        let output = sender.output
        let answer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("mote_deviceParameters") }
        guard let fee = answer["activationFee"]?.quantity else {
            output.fail("the node answered mote_deviceParameters with \(answer.text.prefix(200))")
        }
        return fee
    }

    /// Results naming the device (and what else the command reports).
    static func results(_ id: Address, _ fields: [(String, String?)] = [], json: [String: Any] = [:]) -> TransactionSender.Results {
        TransactionSender.Results(fields: [("device", id.checksummed)] + fields, json: json.merging(["deviceId": id.checksummed]) { a, _ in a })
    }

    // MARK: Keys

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a device key; prints its device id.",
            discussion: """
                With --out, writes {curve, secret, publicKey, deviceId} to FILE (mode 0600, never overwriting) and \
                prints the device id; without it, prints that JSON (secret included) to standard output.
                """)

        @Option(help: ArgumentHelp("p256, secp256k1 or ed25519.", valueName: "curve")) var curve: String
        @Option(help: ArgumentHelp("Write the key to FILE.", valueName: "file")) var out: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            guard let chosen = DeviceCurve(name: curve) else {
                output.fail("invalid --curve \"\(curve.prefix(40))\": expected p256, secp256k1 or ed25519")
            }
            let key = DeviceKeyFile(privateKey: .generate(chosen))
            guard let out else {
                JSONOutput.print(key.object)
                return
            }
            output.orFail { () throws(WalletInputError) in try key.write(to: out) }
            if json {
                JSONOutput.print(["deviceId": key.deviceID.checksummed, "curve": chosen.description, "publicKey": Hex.encode(key.publicKey.bytes), "file": out])
            } else {
                print(key.deviceID.checksummed)
            }
        }
    }

    // MARK: Registering

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device you own: proves you hold its key and stakes the activation fee, refunded when you revoke it.",
            discussion: """
                The signing key's address becomes the owner. The device key signs the registration digest \
                SHA-256("MOTE-DEVICE-REGISTER-V1" ‖ chainId ‖ deviceId ‖ owner) here, or the device made it \
                (--proof). The fee is read from the chain (mote_deviceParameters).
                """)

        @Option(help: ArgumentHelp("The device's key file (from mote device keygen), with its secret unless --proof is given.", valueName: "file"))
        var deviceKey: String
        @Option(help: ArgumentHelp("The device's model (1 to 64 bytes).", valueName: "model")) var model: String
        @Option(help: ArgumentHelp("The manufacturer's name (at most 64 bytes).", valueName: "name")) var manufacturer = ""
        @Option(help: ArgumentHelp("The registration proof the device signed for your address (hex).", valueName: "hex")) var proof: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let key = output.orFail { () throws(WalletInputError) in try DeviceKeyFile(path: deviceKey) }
            let model = output.orFail { () throws(WalletInputError) in try DeviceInput.name(self.model, "--model", allowEmpty: false) }
            let manufacturer = output.orFail { () throws(WalletInputError) in try DeviceInput.name(self.manufacturer, "--manufacturer", allowEmpty: true) }
            let sender = TransactionSender(transaction)
            let proof = DeviceCommand.possessionProof(.register, key: key, keyPath: deviceKey, given: self.proof, sender: sender)
            let fee = DeviceCommand.activationFee(sender)
            output.progress("activation fee: \(Amount.describe(fee)) (staked; refunded when the device is revoked)")
            let id = key.deviceID
            let call = DeviceCommand.registerCall(key.publicKey, model: model, manufacturer: manufacturer, proof: proof, fee: fee, output)
            sender.run(call) { _ in
                DeviceCommand.results(id, [("staked", Amount.describe(fee))], json: ["activationFee": fee.description, "model": model])
            }
        }
    }

    struct Preregister: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pre-register a device as its manufacturer: no owner (unclaimed) and no fee until it is claimed.",
            discussion: """
                The device key signs the pre-registration digest SHA-256("MOTE-DEVICE-PREREGISTER-V1" ‖ chainId ‖ \
                deviceId ‖ manufacturer) here, or the device made it (--proof), the manufacturer being the \
                signing key's address.
                """)

        @Option(help: ArgumentHelp("The device's key file, with its secret unless --proof is given.", valueName: "file")) var deviceKey: String
        @Option(help: ArgumentHelp("The device's model (1 to 64 bytes).", valueName: "model")) var model: String
        @Option(help: ArgumentHelp("The pre-registration proof the device signed for your address (hex).", valueName: "hex")) var proof: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let key = output.orFail { () throws(WalletInputError) in try DeviceKeyFile(path: deviceKey) }
            let model = output.orFail { () throws(WalletInputError) in try DeviceInput.name(self.model, "--model", allowEmpty: false) }
            let sender = TransactionSender(transaction)
            let proof = DeviceCommand.possessionProof(.preRegister, key: key, keyPath: deviceKey, given: self.proof, sender: sender)
            let id = key.deviceID
            let call = DeviceCommand.call(
                DeviceRegistryABI.preRegisterDevice,
                [.uint(UInt256(UInt64(key.publicKey.curve.rawValue))), .bytes(key.publicKey.bytes), .string(model), .bytes(proof)],
                shown: "preRegisterDevice(\(key.publicKey.curve), \(id.checksummed), \"\(model)\")", output)
            sender.run(call) { _ in DeviceCommand.results(id, [("status", "unclaimed")], json: ["model": model]) }
        }
    }

    struct Claim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim a pre-registered device: proves you hold its key and stakes the activation fee.",
            discussion: """
                The device key signs the claim digest SHA-256("MOTE-DEVICE-CLAIM-V1" ‖ chainId ‖ deviceId ‖ \
                claimant) here, or the device made it (--proof), with the claimant the signing key's address \
                (docs/DEVICES.md).
                """)

        @Option(help: ArgumentHelp("The device's key file, with its secret unless --proof is given.", valueName: "file")) var deviceKey: String
        @Option(help: ArgumentHelp("The claim proof the device signed for your address (hex).", valueName: "hex")) var proof: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let key = output.orFail { () throws(WalletInputError) in try DeviceKeyFile(path: deviceKey) }
            let sender = TransactionSender(transaction)
            let proof = DeviceCommand.possessionProof(.claim, key: key, keyPath: deviceKey, given: self.proof, sender: sender)
            let fee = DeviceCommand.activationFee(sender)
            output.progress("activation fee: \(Amount.describe(fee)) (staked; refunded when the device is revoked)")
            let id = key.deviceID
            let call = DeviceCommand.call(
                DeviceRegistryABI.claimDevice, [.address(id), .bytes(proof)], value: fee, shown: "claimDevice(\(id.checksummed))", output)
            sender.run(call) { _ in
                DeviceCommand.results(id, [("owner", sender.sender.checksummed), ("staked", Amount.describe(fee))],
                                      json: ["owner": sender.sender.checksummed, "activationFee": fee.description])
            }
        }
    }

    // MARK: Owning

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a device (and its stake) to another owner.")

        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @Option(help: ArgumentHelp("The new owner's address.", valueName: "address")) var to: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = DeviceCommand.deviceID(device, output)
            let owner = output.orFail { () throws(WalletInputError) in try WalletInput.address(to, "--to address") }
            let sender = TransactionSender(transaction)
            let call = DeviceCommand.call(
                DeviceRegistryABI.transferDevice, [.address(id), .address(owner)],
                shown: "transferDevice(\(id.checksummed), \(owner.checksummed))", output)
            sender.run(call) { _ in DeviceCommand.results(id, [("owner", owner.checksummed)], json: ["owner": owner.checksummed]) }
        }
    }

    /// `suspend`, `resume` and `revoke`: one call with the device id.
    static func changeStatus(_ function: SystemFunction, device: String, status: String, _ transaction: TransactionOptions) {
        let output = WalletOutput(json: transaction.json)
        let id = deviceID(device, output)
        let sender = TransactionSender(transaction)
        let outgoing = Self.call(function, [.address(id)], shown: "\(function.name)(\(id.checksummed))", output)
        sender.run(outgoing) { receipt in
            var report = Self.results(id, [("status", status)], json: ["status": status])
            if let log = receipt.logs(of: DeviceRegistryABI.deviceRevoked, from: DeviceRegistryABI.address).first,
                let refund = log.uint(0)
            {
                report.fields.append(("refunded", Amount.describe(refund)))
                report.json["refund"] = refund.description
            }
            return report
        }
    }

    struct Suspend: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a device: its telemetry is refused until you resume it.")
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var transaction: TransactionOptions
        func run() throws { DeviceCommand.changeStatus(DeviceRegistryABI.suspendDevice, device: device, status: "suspended", transaction) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended device.")
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var transaction: TransactionOptions
        func run() throws { DeviceCommand.changeStatus(DeviceRegistryABI.resumeDevice, device: device, status: "active", transaction) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device for good: its key can never be registered again; its stake is refunded to you.")
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var transaction: TransactionOptions
        func run() throws { DeviceCommand.changeStatus(DeviceRegistryABI.revokeDevice, device: device, status: "revoked", transaction) }
    }

    struct Retention: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set how many days stream nodes keep a device's telemetry (1 to 3650).")

        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @Option(help: ArgumentHelp("Days to keep its telemetry: 1 to 3650.", valueName: "days")) var days: Int
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let limit = Int(ProtocolParameters.maxRetentionDays)
            guard (1...limit).contains(days) else { output.fail("invalid --days \(days): retention is 1 to \(limit) days") }
            let id = DeviceCommand.deviceID(device, output)
            let sender = TransactionSender(transaction)
            let call = DeviceCommand.call(
                DeviceRegistryABI.setRetention, [.address(id), .uint(UInt256(UInt64(days)))],
                shown: "setRetention(\(id.checksummed), \(days) days)", output)
            sender.run(call) { _ in DeviceCommand.results(id, [("retention", "\(days) days")], json: ["retentionDays": NSNumber(value: days)]) }
        }
    }

    // MARK: Reading

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a device: key, owner, status, retention, stake (mote_device).",
            discussion: """
                --json prints {deviceId, curve, publicKey, owner, manufacturer, manufacturerName, model, status, \
                registeredAt, retentionDays, stake}, the stake in wei.
                """)

        @Argument(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let id = output.orFail { () throws(WalletInputError) in try WalletInput.address(device, "device id") }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer: JSON
            do { answer = try client.call("mote_device", [.string(id.hex)]) } catch {
                if case .refused(code: -32001, _) = error.kind { output.fail("no device \(id.checksummed)") }
                output.fail(error.description)
            }
            guard let view = try? DeviceInfo(json: answer) else { output.fail("the node answered mote_device with \(answer.text.prefix(200))") }
            if json { JSONOutput.print(view.object) } else { WalletOutput.printFields(view.fields) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List devices: an owner's (mote_devices OWNER), or every device.",
            discussion: "--json prints an array of the objects mote device show --json prints.")

        @Option(help: ArgumentHelp("Only this owner's devices.", valueName: "address")) var owner: String?
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let ownerAddress = owner.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--owner address") } }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let params: [JSON] = ownerAddress.map { [JSON.string($0.hex)] } ?? []
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_devices", params) }
            guard let items = answer.arrayValue else { output.fail("the node answered mote_devices with \(answer.text.prefix(100))") }
            let devices = items.map { item in
                guard let device = try? DeviceInfo(json: item) else { output.fail("the node answered mote_devices with \(item.text.prefix(200))") }
                return device
            }
            if json {
                JSONOutput.print(devices.map(\.object))
                return
            }
            guard !devices.isEmpty else {
                print("no devices")
                return
            }
            WalletOutput.printTable(
                ["DEVICE", "CURVE", "STATUS", "OWNER", "MODEL", "RETENTION", "STAKE"],
                devices.map { d in
                    [d.deviceID.checksummed, d.curve.description, d.status.description, d.owner?.checksummed ?? "-", d.model, "\(d.retentionDays) days",
                     Amount.formatShort(d.stake)]
                },
                rightAligned: [5, 6])
        }
    }
}

/// Parsing what people type for the device commands.
enum DeviceInput {
    /// A model or manufacturer name: at most 64 UTF-8 bytes (at least 1 unless `allowEmpty`).
    static func name(_ text: String, _ what: String, allowEmpty: Bool) throws(WalletInputError) -> String {
        let limit = DeviceRegistryContract.maxNameBytes
        guard text.utf8.count <= limit, allowEmpty || !text.isEmpty else {
            throw WalletInputError("invalid \(what) \"\(text.prefix(40))\": \(allowEmpty ? "at most" : "1 to") \(limit) bytes")
        }
        return text
    }
}
