import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient
import MoteTelemetry

/// `mote project …`: MachineFi projects on the ProjectRegistry contract (docs/MACHINEFI.md).
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project", abstract: "MachineFi projects: create and fund, join devices, bond, results, challenges.",
        discussion: """
            Each command that changes the registry sends one call to the ProjectRegistry contract, signed with \
            your key; the options for key, node, fees and waiting are those of mote transfer. A call the contract \
            would refuse fails before anything is sent, with the contract's reason.
            """,
        subcommands: [Create.self, Fund.self, Close.self, Show.self, List.self, Join.self, Leave.self, Poster.self, Bond.self, Results.self, Challenge.self])

    static let registry = ProjectRegistryABI.address

    /// The ProjectRegistry call `function(arguments)`, shown as `shown`.
    static func call(
        _ function: SystemFunction, _ arguments: [ABIValue], value: UInt256 = .zero, shown: String, _ output: WalletOutput
    ) -> TransactionSender.Outgoing {
        output.orFail { () throws(ABIError) in
            try .call(function, of: registry, named: "ProjectRegistry", arguments, value: value, shown: shown)
        }
    }

    static func amount(_ text: String, _ what: String, _ output: WalletOutput) -> UInt256 {
        do throws(AmountError) { return try Amount.parse(text) } catch { output.fail("invalid \(what) \(text.prefix(40)): \(error)") }
    }

    static func address(_ text: String, _ what: String, _ output: WalletOutput) -> Address {
        output.orFail { () throws(WalletInputError) in try WalletInput.address(text, what) }
    }

    /// A read-only call of the registry (`eth_call`), decoded.
    static func view(_ client: RPCClient, _ function: SystemFunction, _ arguments: [ABIValue], _ output: WalletOutput) -> [ABIValue] {
        do { return try client.view(function, of: ProjectRegistryABI.self, arguments) } catch {
            output.fail(error.revertReason.map { "\(function.name): \($0)" } ?? error.description)
        }
    }

    /// Prints a `mote_` answer as JSON, or as fields.
    static func show(_ answer: JSON, json: Bool) {
        if json { JSONOutput.print(answer.foundationObject) } else { WalletOutput.printFields(fields(answer)) }
    }

    /// The members of an object as text fields; amounts (hex quantities) in MOTE where they are amounts.
    static func fields(_ object: JSON, amounts: Set<String> = ["rewardPerResult", "pool", "reserved", "paid", "total", "locked"]) -> [(String, String?)] {
        guard case .object(let members) = object else { return [("value", object.text)] }
        return members.keys.sorted().map { key in
            let value = members[key]!
            if amounts.contains(key), let amount = value.quantity { return (key, Amount.describe(amount)) }
            if !["params", "result"].contains(key), let number = value.quantity, case .string(let s) = value, s.hasPrefix("0x"), s.count <= 18 {
                return (key, number.description)
            }
            if case .array(let items) = value { return (key, items.map(\.text).joined(separator: ", ")) }
            return (key, value.stringValue ?? value.text)
        }
    }

    /// `--params` hex, or `--params-u64 N` (8 bytes little-endian, e.g. the step goal).
    static func params(hex: String?, u64: UInt64?, _ output: WalletOutput) -> [UInt8] {
        switch (hex, u64) {
        case (let hex?, nil):
            guard hex.utf8.count <= 2 * ProjectRegistryContract.maxParamsBytes + 2, let bytes = try? Hex.decode(hex) else {
                output.fail("invalid --params: at most \(ProjectRegistryContract.maxParamsBytes) bytes of hex")
            }
            return bytes
        case (nil, let value?):
            return (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        case (nil, nil): return []
        default: output.fail("give --params or --params-u64, not both")
        }
    }

    // MARK: Sponsors

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project: an applet, its parameters, a fixed reward per result, windows, a challenge period and a pool.",
            discussion: """
                The applet (a WebAssembly module, docs/APPLETS.md) is stored on chain and checked there. --pool is sent \
                with the call and funds the reward pool. Prints the new project's id.
                """)

        @Option(help: ArgumentHelp("The applet's .wasm file (at most 64 KiB).", valueName: "file")) var applet: String
        @Option(help: ArgumentHelp("The applet's parameters, hex (at most 1024 bytes).", valueName: "hex")) var params: String?
        @Option(help: ArgumentHelp("The applet's parameters as one u64, little-endian (e.g. a step goal).", valueName: "n")) var paramsU64: UInt64?
        @Option(help: ArgumentHelp("The project's name (1 to 64 bytes).", valueName: "name")) var name: String
        @Option(help: ArgumentHelp("MOTE paid per accepted result, e.g. 2 or 0.5.", valueName: "amount")) var reward: String
        @Option(help: ArgumentHelp("Window length in seconds (86400 = a UTC day).", valueName: "seconds")) var window: UInt64 = 86_400
        @Option(help: ArgumentHelp("Seconds a posted result can be challenged.", valueName: "seconds")) var challenge: UInt64 = 86_400
        @Option(help: ArgumentHelp("MOTE to fund the pool with.", valueName: "amount")) var pool: String = "0"
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            guard let code = FileManager.default.contents(atPath: applet), code.count <= ProjectRegistryContract.maxAppletBytes else {
                output.fail("cannot read --applet \(applet), or it is over \(ProjectRegistryContract.maxAppletBytes) bytes")
            }
            guard (1...ProjectRegistryContract.maxNameBytes).contains(name.utf8.count) else { output.fail("--name is 1 to 64 bytes") }
            let bytes = ProjectCommand.params(hex: params, u64: paramsU64, output)
            let reward = ProjectCommand.amount(self.reward, "--reward", output)
            let pool = ProjectCommand.amount(self.pool, "--pool", output)
            let sender = TransactionSender(transaction)
            let call = ProjectCommand.call(
                ProjectRegistryABI.createProject,
                [.bytes([UInt8](code)), .bytes(bytes), .string(name), .uint(reward), .uint(UInt256(window)), .uint(UInt256(challenge))],
                value: pool, shown: "createProject(\"\(name)\", applet \(Keccak256.hash([UInt8](code)).hex), reward \(Amount.format(reward)) MOTE)", output)
            sender.run(call) { receipt in
                let id = receipt.logs(of: ProjectRegistryABI.projectCreated, from: ProjectCommand.registry).first?.uint64Topic(0)
                return TransactionSender.Results(
                    fields: [("project", id.map(String.init)), ("pool", Amount.describe(pool))],
                    json: ["projectId": id.map { NSNumber(value: $0) } ?? NSNull(), "appletHash": Keccak256.hash([UInt8](code)).hex])
            }
        }
    }

    struct Fund: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Top up a project's reward pool.")
        @Argument(help: "The project id.") var project: UInt64
        @Option(help: ArgumentHelp("MOTE to add.", valueName: "amount")) var amount: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let value = ProjectCommand.amount(amount, "--amount", output)
            let sender = TransactionSender(transaction)
            let call = ProjectCommand.call(
                ProjectRegistryABI.fundProject, [.uint(UInt256(project))], value: value, shown: "fundProject(\(project))", output)
            sender.run(call) { _ in .init(fields: [("project", String(project)), ("added", Amount.describe(value))], json: ["projectId": NSNumber(value: project)]) }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close your project; run it again 7 days later to get the unreserved pool back.",
            discussion: """
                The first call closes: no new devices, and results only for windows that ended by now, which may \
                still be posted for 7 days. A second call after that refunds the unreserved pool (the first does \
                when no device is in the project).
                """)
        @Argument(help: "The project id.") var project: UInt64
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let sender = TransactionSender(transaction)
            let call = ProjectCommand.call(ProjectRegistryABI.closeProject, [.uint(UInt256(project))], shown: "closeProject(\(project))", output)
            sender.run(call) { receipt in
                let refund = receipt.logs(of: ProjectRegistryABI.projectClosed, from: ProjectCommand.registry).first?.uint(0)
                return .init(fields: [("project", String(project)), ("refunded", refund.map(Amount.describe))],
                             json: ["projectId": NSNumber(value: project), "refund": refund?.description ?? NSNull()])
            }
        }
    }

    // MARK: Reading

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a project (mote_project).",
            discussion: """
                --json prints {projectId, sponsor, name, appletHash, params, rewardPerResult, windowSeconds, challengeSeconds, \
                pool, reserved, status, deviceCount, devices}; numbers and amounts (wei) as hex quantities.
                """)
        @Argument(help: "The project id.") var project: UInt64
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_project", [.quantity(project)]) }
            ProjectCommand.show(answer, json: json)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List projects (mote_projects).", discussion: "--json prints an array of what mote project show --json prints.")
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_projects") }
            guard let items = answer.arrayValue else { output.fail("the node answered mote_projects with \(answer.text.prefix(100))") }
            if json {
                JSONOutput.print(answer.foundationObject)
                return
            }
            guard !items.isEmpty else {
                print("no projects")
                return
            }
            WalletOutput.printTable(
                ["ID", "NAME", "STATUS", "REWARD", "WINDOW", "POOL", "DEVICES"],
                items.map { p in
                    [p["projectId"]?.quantity?.description ?? "?", p["name"]?.stringValue ?? "?", p["status"]?.stringValue ?? "?",
                     Amount.formatShort(p["rewardPerResult"]?.quantity ?? .zero), "\(p["windowSeconds"]?.quantity?.description ?? "?") s",
                     Amount.formatShort(p["pool"]?.quantity ?? .zero), p["deviceCount"]?.quantity?.description ?? "?"]
                },
                rightAligned: [3, 4, 5, 6])
        }
    }

    struct Results: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A project's results (mote_projectResults), optionally of one window.",
            discussion: """
                --json prints an array of {resultId, projectId, deviceId, window, result, messageCount, messagesRoot, poster, \
                postedAt, challengeEndsAt, status, paid}; status is pending, paid, unpaid, noReward or reverted.
                """)
        @Argument(help: "The project id.") var project: UInt64
        @Option(help: ArgumentHelp("Only this window.", valueName: "index")) var window: UInt64?
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let params: [JSON] = [.quantity(project)] + (window.map { [JSON.quantity($0)] } ?? [])
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_projectResults", params) }
            ProjectCommand.printResults(answer, json: json, output)
        }
    }

    static func printResults(_ answer: JSON, json: Bool, _ output: WalletOutput) {
        guard let items = answer.arrayValue else { output.fail("the node answered with \(answer.text.prefix(100))") }
        if json {
            JSONOutput.print(answer.foundationObject)
            return
        }
        guard !items.isEmpty else {
            print("no results")
            return
        }
        WalletOutput.printTable(
            ["RESULT", "PROJECT", "DEVICE", "WINDOW", "STATUS", "PAID", "CHALLENGE ENDS"],
            items.map { r in
                [r["resultId"]?.quantity?.description ?? "?", r["projectId"]?.quantity?.description ?? "?", r["deviceId"]?.stringValue ?? "?",
                 r["window"]?.quantity?.description ?? "?", r["status"]?.stringValue ?? "?", Amount.formatShort(r["paid"]?.quantity ?? .zero),
                 r["challengeEndsAt"]?.quantity64.map(iso8601) ?? "?"]
            },
            rightAligned: [0, 1, 3, 5])
    }

    // MARK: Device owners

    struct Join: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Opt a device you own into a project.")
        @Argument(help: "The project id.") var project: UInt64
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var transaction: TransactionOptions
        func run() throws { ProjectCommand.membership(ProjectRegistryABI.joinProject, project, device, transaction) }
    }

    struct Leave: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Opt a device you own out of a project.")
        @Argument(help: "The project id.") var project: UInt64
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @OptionGroup var transaction: TransactionOptions
        func run() throws { ProjectCommand.membership(ProjectRegistryABI.leaveProject, project, device, transaction) }
    }

    struct Poster: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose the stream operator that may post a device's results in a project.",
            discussion: """
                Only the device's owner and the poster it chose may post its results (setPoster). Leaving the \
                project or transferring the device forgets the choice. --poster 0x0000000000000000000000000000000000000000 \
                withdraws it.
                """)
        @Argument(help: "The project id.") var project: UInt64
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @Option(help: ArgumentHelp("The operator's address.", valueName: "address")) var poster: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = ProjectCommand.address(device, "--device id", output)
            let chosen = ProjectCommand.address(poster, "--poster address", output)
            let sender = TransactionSender(transaction)
            let outgoing = ProjectCommand.call(
                ProjectRegistryABI.setPoster, [.uint(UInt256(project)), .address(id), .address(chosen)],
                shown: "setPoster(\(project), \(id.checksummed), \(chosen.checksummed))", output)
            sender.run(outgoing) { _ in
                .init(fields: [("project", String(project)), ("device", id.checksummed), ("poster", chosen.checksummed)],
                      json: ["projectId": NSNumber(value: project), "deviceId": id.checksummed, "poster": chosen.checksummed])
            }
        }
    }

    static func membership(_ function: SystemFunction, _ project: UInt64, _ device: String, _ transaction: TransactionOptions) {
        let output = WalletOutput(json: transaction.json)
        let id = address(device, "--device id", output)
        let sender = TransactionSender(transaction)
        let outgoing = call(function, [.uint(UInt256(project)), .address(id)], shown: "\(function.name)(\(project), \(id.checksummed))", output)
        sender.run(outgoing) { _ in
            .init(fields: [("project", String(project)), ("device", id.checksummed)],
                  json: ["projectId": NSNumber(value: project), "deviceId": id.checksummed])
        }
    }

    // MARK: Operators

    struct Bond: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A stream operator's bond: deposit, withdraw (the part no unsettled result locks), show.",
            subcommands: [Deposit.self, Withdraw.self, ShowBond.self])

        struct Deposit: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add MOTE to your operator bond.")
            @Option(help: ArgumentHelp("MOTE to bond.", valueName: "amount")) var amount: String
            @OptionGroup var transaction: TransactionOptions

            func run() throws {
                let output = WalletOutput(json: transaction.json)
                let value = ProjectCommand.amount(amount, "--amount", output)
                let sender = TransactionSender(transaction)
                let call = ProjectCommand.call(ProjectRegistryABI.depositBond, [], value: value, shown: "depositBond()", output)
                sender.run(call) { _ in .init(fields: [("bonded", Amount.describe(value))], json: ["amount": value.description]) }
            }
        }

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Take back free (unlocked) bond.")
            @Option(help: ArgumentHelp("MOTE to withdraw.", valueName: "amount")) var amount: String
            @OptionGroup var transaction: TransactionOptions

            func run() throws {
                let output = WalletOutput(json: transaction.json)
                let value = ProjectCommand.amount(amount, "--amount", output)
                let sender = TransactionSender(transaction)
                let call = ProjectCommand.call(ProjectRegistryABI.withdrawBond, [.uint(value)], shown: "withdrawBond(\(Amount.format(value)) MOTE)", output)
                sender.run(call) { _ in .init(fields: [("withdrawn", Amount.describe(value))], json: ["amount": value.description]) }
            }
        }

        struct ShowBond: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: "Show an operator's bond: total and locked.",
                discussion: "--json prints {operator, total, locked, free}, amounts in wei (decimal strings).")
            @Argument(help: "The operator's address.") var operatorAddress: String
            @OptionGroup var rpc: RPCOptions
            @Flag(help: "Print JSON.") var json = false

            func run() throws {
                let output = WalletOutput(json: json)
                let op = ProjectCommand.address(operatorAddress, "operator address", output)
                let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
                let values = ProjectCommand.view(client, ProjectRegistryABI.bondOf, [.address(op)], output)
                let total = values.first?.uintValue ?? .zero, locked = values.dropFirst().first?.uintValue ?? .zero
                if json {
                    JSONOutput.print(["operator": op.checksummed, "total": total.description, "locked": locked.description,
                                      "free": (total - locked).description])
                } else {
                    WalletOutput.printFields([("operator", op.checksummed), ("total", Amount.describe(total)), ("locked", Amount.describe(locked)),
                                              ("free", Amount.describe(total - locked))])
                }
            }
        }
    }

    // MARK: Challenges

    struct Challenge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Challenge a pending result with its window's messages, fetched from a stream node.",
            discussion: """
                Reads the result and its project from the chain, fetches the device's envelopes of the window from \
                STREAM (GET /v1/devices/{id}/envelopes?from=&to=), and sends challengeResult with the challenge \
                deposit (mote_projectParameters). If the chain's re-run of the applet disagrees with the result (or a \
                message is invalid), the poster's bond is slashed and you get your deposit back plus a share; \
                otherwise the deposit goes to the project's pool. A simulation refuses before sending when the \
                messages do not match the result's commitment.
                """)
        @Option(help: ArgumentHelp("The result id.", valueName: "id")) var result: UInt64
        @Option(help: ArgumentHelp("The stream node's HTTP URL, e.g. http://127.0.0.1:8080.", valueName: "url")) var stream: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            guard let base = URL(string: stream), ["http", "https"].contains(base.scheme ?? ""), base.host != nil else {
                output.fail("invalid --stream \(stream.prefix(80)): expected an http(s) URL")
            }
            let sender = TransactionSender(transaction)
            let r = ProjectCommand.view(sender.client, ProjectRegistryABI.result, [.uint(UInt256(result))], output)
            guard r.count == 11, case .address(let device) = r[1], let projectID = r[0].uintValue?.uint64, let window = r[2].uintValue?.uint64
            else { output.fail("cannot read result \(result)") }
            let p = ProjectCommand.view(sender.client, ProjectRegistryABI.project, [.uint(UInt256(projectID))], output)
            guard p.count == 11, let windowSeconds = p[5].uintValue?.uint64 else { output.fail("cannot read project \(projectID)") }
            let (from, overflow) = window.multipliedReportingOverflow(by: windowSeconds)
            guard !overflow else { output.fail("window \(window) is out of range") }
            var components = URLComponents(url: base.appendingPathComponent("v1/devices/\(device.hex)/envelopes"), resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "from", value: String(from)), URLQueryItem(name: "to", value: String(from + windowSeconds))]
            let body = DeviceCommand.DataExport.get(components.url!, output: output)
            guard let items = body["envelopes"]?.arrayValue else { output.fail("the stream node answered without envelopes: \(body.text.prefix(200))") }
            let envelopes: [ABIValue] = items.map { item in
                guard let text = item.stringValue, let bytes = try? Hex.decode(text) else { output.fail("the stream node sent an envelope that is not hex") }
                return .bytes(bytes)
            }
            output.progress("\(envelopes.count) envelopes of device \(device.checksummed) in window \(window) [\(from), \(from + windowSeconds))")
            let parameters = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("mote_projectParameters") }
            guard let deposit = parameters["challengeDeposit"]?.quantity else {
                output.fail("the node answered mote_projectParameters with \(parameters.text.prefix(200))")
            }
            let call = ProjectCommand.call(
                ProjectRegistryABI.challengeResult, [.uint(UInt256(result)), .array(envelopes)], value: deposit,
                shown: "challengeResult(\(result), \(envelopes.count) envelopes)", output)
            sender.run(call) { receipt in
                let upheld = receipt.logs(of: ProjectRegistryABI.resultChallenged, from: ProjectCommand.registry).first?.values.first == .bool(true)
                let slashed = receipt.logs(of: ProjectRegistryABI.bondSlashed, from: ProjectCommand.registry).first?.uint(0)
                return .init(
                    fields: [("result", String(result)), ("upheld", upheld ? "yes: the result is reverted" : "no: the result stands, the deposit is lost"),
                             ("slashed", slashed.map(Amount.describe))],
                    json: ["resultId": NSNumber(value: result), "upheld": upheld, "slashed": slashed?.description ?? NSNull(),
                           "envelopes": NSNumber(value: envelopes.count)])
            }
        }
    }
}

extension RewardsCommand {
    /// `mote rewards devices --owner ADDR`: `mote_ownerRewards`.
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An owner's devices: their MachineFi results, what they were paid, what is still pending (challengeable).",
            discussion: """
                --json prints mote_ownerRewards: {owner, paid, pending, devices: [{deviceId, paid, pending, results: [...]}]}, \
                amounts in wei as hex quantities; each result as mote project results --json prints it.
                """)
        @Option(help: ArgumentHelp("The owner's address.", valueName: "address")) var owner: String
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let account = ProjectCommand.address(owner, "--owner address", output)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let answer = output.orFail { () throws(RPCClientError) in try client.call("mote_ownerRewards", [.string(account.hex)]) }
            if json {
                JSONOutput.print(answer.foundationObject)
                return
            }
            WalletOutput.printFields([
                ("owner", account.checksummed), ("paid", Amount.describe(answer["paid"]?.quantity ?? .zero)),
                ("pending", answer["pending"]?.quantity?.description ?? "0"),
            ])
            for device in answer["devices"]?.arrayValue ?? [] {
                print("")
                WalletOutput.printFields([
                    ("device", device["deviceId"]?.stringValue), ("paid", Amount.describe(device["paid"]?.quantity ?? .zero)),
                    ("pending", device["pending"]?.quantity?.description ?? "0"),
                ])
                ProjectCommand.printResults(device["results"] ?? .array([]), json: false, output)
            }
        }
    }
}

extension DebugCommand {
    /// `mote debug post-result`: posts arbitrary result bytes, count and root (the dishonest
    /// operator of the end-to-end test; an honest operator's stream node posts by itself).
    struct PostResult: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "post-result", abstract: "Post a result with any bytes, message count and root (testing challenges).")
        @Option(help: ArgumentHelp("The project id.", valueName: "id")) var project: UInt64
        @Option(help: ArgumentHelp("The device id.", valueName: "id")) var device: String
        @Option(help: ArgumentHelp("The window index.", valueName: "index")) var window: UInt64
        @Option(help: ArgumentHelp("The result bytes, hex.", valueName: "hex")) var result: String
        @Option(help: ArgumentHelp("The number of messages committed to.", valueName: "n")) var count: UInt32 = 0
        @Option(help: ArgumentHelp("The messages' root, 32 bytes hex.", valueName: "hex")) var root: String = "0x" + String(repeating: "0", count: 64)
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = ProjectCommand.address(device, "--device id", output)
            guard result.utf8.count <= 2 * ProjectRegistryContract.maxResultBytes + 2, let bytes = try? Hex.decode(result) else {
                output.fail("invalid --result: at most \(ProjectRegistryContract.maxResultBytes) bytes of hex")
            }
            guard root.utf8.count <= 66, let rootBytes = try? Hex.decode(root), rootBytes.count == 32 else { output.fail("invalid --root: 32 bytes of hex") }
            let sender = TransactionSender(transaction)
            let call = ProjectCommand.call(
                ProjectRegistryABI.postResult,
                [.uint(UInt256(project)), .address(id), .uint(UInt256(window)), .bytes(bytes), .uint(UInt256(UInt64(count))), .fixedBytes(rootBytes)],
                shown: "postResult(\(project), \(id.checksummed), window \(window))", output)
            sender.run(call) { receipt in
                let resultID = receipt.logs(of: ProjectRegistryABI.resultPosted, from: ProjectCommand.registry).first?.uint64Topic(0)
                return .init(fields: [("result", resultID.map(String.init))], json: ["resultId": resultID.map { NSNumber(value: $0) } ?? NSNull()])
            }
        }
    }
}
