import ArgumentParser
import Foundation
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// `mote candidate register|update|operator-proof|list`: standing for delegate (docs/STAKING.md).
struct CandidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "candidate", abstract: "Stand for delegate: register or update a candidate, list the candidates.",
        subcommands: [Register.self, Update.self, OperatorProofCommand.self, List.self])

    /// `mote candidate register`: `registerCandidate` on the Staking contract.
    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a candidate: sends the registration fee plus the self-stake from your key.",
            discussion: """
                The signing key's address becomes the candidate's owner (one candidate per address). The value \
                sent is the registration fee (read from the chain unless --fee is given) plus --self-stake, \
                which becomes the self-stake bucket (locked --duration days). An operator other than the \
                signing key consents with its key: --operator-key-file signs its proof here, or pass the proof \
                it made (--operator-proof; mote candidate operator-proof). The other transaction options are \
                those of mote transfer; see docs/STAKING.md.
                """)

        @Option(help: ArgumentHelp("The candidate's name: 1 to 20 of a-z, 0-9, - and _.", valueName: "name")) var name: String
        @Option(
            name: .customLong("operator"),
            help: ArgumentHelp("The operator address: the key the candidate's node signs blocks and votes with.", valueName: "address"))
        var operatorAddress: String
        @Option(help: ArgumentHelp("The reward address: where the candidate's rewards accrue.", valueName: "address")) var reward: String
        @Option(help: ArgumentHelp("The self-stake: 2000 (MOTE), 2000mote, …; at least the chain's minSelfStake.", valueName: "amount"))
        var selfStake: String
        @Option(help: ArgumentHelp("Days the self-stake is locked (0 to the chain's maxStakeDays).", valueName: "days")) var duration = 0
        @Flag(help: "Auto-stake the self-stake bucket (its lock never runs down; more votes).") var autoStake = false
        @Option(help: ArgumentHelp("The share of its rewards promised to voters, in percent (0 to 100, e.g. 50 or 12.5).", valueName: "percent"))
        var voterShare = "0"
        @Option(help: ArgumentHelp("The registration fee (default: read from the chain).", valueName: "amount")) var fee: String?
        @Option(
            name: .customLong("operator-key-file"),
            help: ArgumentHelp("The operator's hex private key file: signs its proof when the operator is not your key.", valueName: "file"))
        var operatorKeyFile: String?
        @Option(help: ArgumentHelp("The operator's proof (65 bytes r‖s‖v in hex), made with its key for your address.", valueName: "hex"))
        var operatorProof: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let name = output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(self.name, "--name") }
            let op = output.orFail { () throws(WalletInputError) in try WalletInput.address(operatorAddress, "--operator address") }
            let reward = output.orFail { () throws(WalletInputError) in try WalletInput.address(self.reward, "--reward address") }
            let selfStake = output.orFail { () throws(AmountError) in try Amount.parse(self.selfStake) }
            let days = output.orFail { () throws(WalletInputError) in try StakingInput.days(duration) }
            let share = output.orFail { () throws(WalletInputError) in try StakingInput.voterShare(voterShare) }
            let givenFee = fee.map { text in output.orFail { () throws(AmountError) in try Amount.parse(text) } }
            let sender = TransactionSender(transaction)

            let proof = CandidateCommand.operatorProof(for: op, keyFile: operatorKeyFile, given: operatorProof, sender: sender)
            let arguments: [ABIValue] = [.string(name), .address(op), .address(reward), .uint(UInt256(UInt64(days))), .bool(autoStake),
                                         .uint(UInt256(UInt64(share))), .bytes(proof)]
            let shown = "registerCandidate(\"\(name)\", operator \(op.checksummed), reward \(reward.checksummed), "
                + "\(days) days, auto-stake \(autoStake ? "on" : "off"), voter share \(StakingInput.percent(UInt64(share))) %)"
            func call(value: UInt256) -> TransactionSender.Outgoing {
                output.orFail { () throws(ABIError) in
                    try .call(StakingABI.registerCandidate, of: StakingABI.address, named: "Staking", arguments, value: value, shown: shown)
                }
            }
            let registrationFee = givenFee ?? Self.registrationFee(sender)
            let (value, overflow) = registrationFee.addingReportingOverflow(selfStake)
            guard !overflow else { output.fail("fee plus self-stake is over 2^256 − 1 wei") }
            output.progress("registration fee: \(Amount.describe(registrationFee))\(givenFee == nil ? " (read from the chain)" : "")")
            sender.run(call(value: value)) { receipt in
                let bucket = receipt.logs(of: StakingABI.stakeCreated, from: StakingABI.address).first?.uint64Topic(0)
                return TransactionSender.Results(
                    fields: [("candidate", name), ("self-stake", Amount.describe(selfStake)), ("fee", Amount.describe(registrationFee)),
                             ("bucket", bucket.map(String.init))],
                    json: ["candidate": name, "registrationFee": registrationFee.description, "selfStake": selfStake.description,
                           "selfStakeBucket": bucket.map { NSNumber(value: $0) } ?? NSNull()])
            }
        }

        /// The chain's registration fee (`mote_stakingParameters`).
        static func registrationFee(_ sender: TransactionSender) -> UInt256 {
            let output = sender.output
            let answer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("mote_stakingParameters") }
            guard let text = answer["registrationFee"]?.stringValue, let fee = UInt256(hexQuantity: text) else {
                output.fail("the node answered mote_stakingParameters with \(answer.text.prefix(200))")
            }
            return fee
        }
    }

    /// `mote candidate update`: `updateCandidate` for the key's own candidate.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change your candidate's name, operator, reward address or voter share.",
            discussion: """
                What is not given stays as it is (read from mote_candidates). The key must be the candidate's owner. \
                A new operator other than the signing key consents with its key (--operator-key-file or --operator-proof).
                """)

        @Option(help: ArgumentHelp("A new name: 1 to 20 of a-z, 0-9, - and _.", valueName: "name")) var name: String?
        @Option(name: .customLong("operator"), help: ArgumentHelp("A new operator address.", valueName: "address"))
        var operatorAddress: String?
        @Option(help: ArgumentHelp("A new reward address.", valueName: "address")) var reward: String?
        @Option(help: ArgumentHelp("A new voter share in percent (0 to 100).", valueName: "percent")) var voterShare: String?
        @Option(
            name: .customLong("operator-key-file"),
            help: ArgumentHelp("The operator's hex private key file: signs its proof when the operator is not your key.", valueName: "file"))
        var operatorKeyFile: String?
        @Option(help: ArgumentHelp("The operator's proof (65 bytes r‖s‖v in hex), made with its key for your address.", valueName: "hex"))
        var operatorProof: String?
        @OptionGroup var transaction: TransactionOptions

        func validate() throws {
            guard name != nil || operatorAddress != nil || reward != nil || voterShare != nil else {
                throw ValidationError("nothing to change: give --name, --operator, --reward or --voter-share")
            }
        }

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let newName = name.map { text in output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(text, "--name") } }
            let newOperator = operatorAddress.map { text in
                output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--operator address") }
            }
            let newReward = reward.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--reward address") } }
            let newShare = voterShare.map { text in output.orFail { () throws(WalletInputError) in try StakingInput.voterShare(text) } }
            let sender = TransactionSender(transaction)
            let queries = StakingQueries(client: sender.client, output: output)
            guard let current = queries.candidate(ownedBy: sender.sender) else {
                output.fail("\(sender.sender.checksummed) owns no candidate (register one with mote candidate register)")
            }
            let name = newName ?? current.name
            let op = newOperator ?? current.operatorAddress
            let reward = newReward ?? current.rewardAddress
            let share = newShare.map(UInt64.init) ?? current.voterShareBps
            let proof = op == current.operatorAddress
                ? [] : CandidateCommand.operatorProof(for: op, keyFile: operatorKeyFile, given: operatorProof, sender: sender)
            let shown = "updateCandidate(\"\(name)\", operator \(op.checksummed), reward \(reward.checksummed), "
                + "voter share \(StakingInput.percent(share)) %)"
            let call = output.orFail { () throws(ABIError) in
                try TransactionSender.Outgoing.call(
                    StakingABI.updateCandidate, of: StakingABI.address, named: "Staking",
                    [.string(name), .address(op), .address(reward), .uint(UInt256(share)), .bytes(proof)], shown: shown)
            }
            sender.run(call) { _ in
                TransactionSender.Results(
                    fields: [("candidate", name)],
                    json: ["candidate": name, "operatorAddress": op.checksummed, "rewardAddress": reward.checksummed,
                           "voterShareBps": NSNumber(value: share)])
            }
        }
    }

    /// The operator's consent for the sender's candidate (`OperatorProof`): none when the operator
    /// is the sender, else `--operator-proof` when given, else signed here with `--operator-key-file`.
    static func operatorProof(for op: Address, keyFile: String?, given: String?, sender: TransactionSender) -> [UInt8] {
        let output = sender.output
        guard op != sender.sender else { return [] }
        if let given {
            guard let bytes = try? Hex.decode(given), bytes.count == 65 else {
                output.fail("invalid --operator-proof: expected the operator key's 65-byte signature r‖s‖v in hex (0x + 130 digits)")
            }
            return bytes
        }
        guard let keyFile else {
            output.fail("the operator \(op.checksummed) is not your key: give its --operator-key-file or the --operator-proof it signed")
        }
        let key = output.orFail { () throws(WalletInputError) in
            try SigningKeyOptions.load(keystoreFile: nil, keyFile: keyFile, password: PasswordOptions())
        }
        guard key.address == op else {
            output.fail("--operator-key-file \(keyFile) holds the key of \(key.address.checksummed), not of the operator \(op.checksummed)")
        }
        let answer = output.orFail { () throws(TransactionSender.Failure) in try sender.ask("eth_chainId") }
        guard let chainID = answer.quantity64 else { output.fail("the node answered eth_chainId with \(answer.text.prefix(100))") }
        return OperatorProof.proof(by: key, chainID: chainID, owner: sender.sender)
    }

    /// `mote candidate operator-proof`: an operator key's consent to sign for an owner's candidate, offline.
    struct OperatorProofCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "operator-proof",
            abstract: "Sign, with an operator key, the proof that lets an owner name it as its candidate's operator.",
            discussion: """
                Prints the hex proof (OperatorProof: the key's signature of Keccak-256("MOTE-OPERATOR-V1" ‖ chain id ‖ \
                owner)) to pass as --operator-proof to mote candidate register or update sent by --owner. Runs offline.
                """)

        @Option(help: ArgumentHelp("The operator's hex private key file.", valueName: "file")) var operatorKeyFile: String
        @Option(help: ArgumentHelp("The candidate owner's address (the account that registers or updates).", valueName: "address"))
        var owner: String
        @Option(help: ArgumentHelp("The chain id.", valueName: "id")) var chainId: UInt64

        func run() throws {
            let output = WalletOutput(json: false)
            let owner = output.orFail { () throws(WalletInputError) in try WalletInput.address(self.owner, "--owner address") }
            let key = output.orFail { () throws(WalletInputError) in
                try SigningKeyOptions.load(keystoreFile: nil, keyFile: operatorKeyFile, password: PasswordOptions())
            }
            print(Hex.encode(OperatorProof.proof(by: key, chainID: chainId, owner: owner)))
        }
    }

    /// `mote candidate list`: every candidate, from `mote_candidates`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the candidates: name, operator, votes, self-stake, voter share, probation.",
            discussion: """
                Votes and self-stake are in MOTE (4 decimals in the table; exact wei with --json). --json prints \
                an array of {name, owner, operatorAddress, rewardAddress, selfStakeBucket, selfStake, votes, \
                voterShareBps, probationUntilEpoch, onProbation}.
                """)

        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let queries = StakingQueries(client: client, output: output)
            let epoch = queries.chainInfo().epoch
            let candidates = queries.candidates().sorted { a, b in a.votes != b.votes ? a.votes > b.votes : a.name < b.name }
            if json {
                JSONOutput.print(candidates.map { $0.object(currentEpoch: epoch) })
                return
            }
            guard !candidates.isEmpty else {
                print("no candidates yet (the genesis delegates produce blocks; register one with mote candidate register)")
                return
            }
            WalletOutput.printTable(
                ["NAME", "OPERATOR", "VOTES", "SELF-STAKE", "VOTER SHARE", "PROBATION"],
                candidates.map { c in
                    [c.name, c.operatorAddress.checksummed, Amount.formatShort(c.votes), Amount.formatShort(c.selfStake),
                     StakingInput.percent(c.voterShareBps) + " %", c.onProbation(inEpoch: epoch) ? "until epoch \(c.probationUntilEpoch)" : "-"]
                },
                rightAligned: [2, 3, 4])
        }
    }
}
