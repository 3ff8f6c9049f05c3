import ArgumentParser
import Foundation
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// `mote stake …`: stake buckets that vote for candidates (docs/STAKING.md).
struct StakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stake", abstract: "Stake MOTE for a candidate and manage your stake buckets.",
        discussion: """
            Each command but list sends one call to the Staking contract, signed with your key; the options \
            for key, node, fees and waiting are those of mote transfer. A call the contract would refuse \
            fails before anything is sent, with the contract's reason.
            """,
        subcommands: [Create.self, Add.self, Restake.self, Change.self, Transfer.self, Unstake.self, Withdraw.self, List.self])

    /// The Staking contract call `function(arguments)`, shown as `shown`.
    static func call(
        _ function: SystemFunction, _ arguments: [ABIValue], value: UInt256 = .zero, shown: String, _ output: WalletOutput
    ) -> TransactionSender.Outgoing {
        output.orFail { () throws(ABIError) in
            try .call(function, of: StakingABI.address, named: "Staking", arguments, value: value, shown: shown)
        }
    }

    /// The bucket's new state from the receipt's `StakeChanged` log.
    static func changed(_ receipt: JSON, bucket id: UInt64) -> TransactionSender.Results {
        guard let log = receipt.logs(of: StakingABI.stakeChanged, from: StakingABI.address).first,
            let amount = log.uint(0), let days = log.uint(1)?.uint64, let auto = log.values[2].boolValue
        else { return TransactionSender.Results(fields: [("bucket", String(id))], json: ["bucket": NSNumber(value: id)]) }
        let owner = log.topics.count > 1 ? Address(suffixOf: log.topics[1]).checksummed : nil
        return TransactionSender.Results(
            fields: [("bucket", String(id)), ("owner", owner), ("amount", Amount.describe(amount)), ("duration", "\(days) days"),
                     ("auto-stake", auto ? "on" : "off")],
            json: ["bucket": NSNumber(value: id), "owner": owner ?? NSNull(), "amount": amount.description,
                   "duration": NSNumber(value: days), "autoStake": auto])
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a stake bucket voting for a candidate; prints the new bucket's id.")

        @Option(help: ArgumentHelp("The candidate's name.", valueName: "name")) var candidate: String
        @Option(help: ArgumentHelp("The amount: 300 (MOTE), 300mote, …; at least the chain's minStakeAmount.", valueName: "amount"))
        var amount: String
        @Option(help: ArgumentHelp("Days the stake is locked (0 to the chain's maxStakeDays); longer locks weigh more.", valueName: "days"))
        var duration: Int
        @Flag(help: "Auto-stake: the lock never runs down (more votes; restake without it to unstake).") var autoStake = false
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let name = output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(candidate, "--candidate") }
            let value = output.orFail { () throws(AmountError) in try Amount.parse(amount) }
            let days = output.orFail { () throws(WalletInputError) in try StakingInput.days(duration) }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(
                StakingABI.createStake, [.string(name), .uint(UInt256(UInt64(days))), .bool(autoStake)], value: value,
                shown: "createStake(\"\(name)\", \(days) days, auto-stake \(autoStake ? "on" : "off"))", output)
            sender.run(call) { receipt in
                let bucket = receipt.logs(of: StakingABI.stakeCreated, from: StakingABI.address).first?.uint64Topic(0)
                return TransactionSender.Results(
                    fields: [("bucket", bucket.map(String.init) ?? "? (no StakeCreated log)")],
                    json: ["bucket": bucket.map { NSNumber(value: $0) } ?? NSNull(), "candidate": name])
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add MOTE to an auto-stake bucket of yours.")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @Option(help: ArgumentHelp("The amount to add: 100 (MOTE), 100mote, …", valueName: "amount")) var amount: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let value = output.orFail { () throws(AmountError) in try Amount.parse(amount) }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(StakingABI.depositToStake, [.uint(UInt256(id))], value: value, shown: "depositToStake(\(id))", output)
            sender.run(call) { StakeCommand.changed($0, bucket: id) }
        }
    }

    struct Restake: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lock a bucket again: a new duration from now (ending no sooner than the current lock).")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @Option(help: ArgumentHelp("The new duration in days, counted from now.", valueName: "days")) var duration: Int
        @Flag(help: "Auto-stake (without it, auto-stake is turned off, so the bucket can mature).") var autoStake = false
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let days = output.orFail { () throws(WalletInputError) in try StakingInput.days(duration) }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(
                StakingABI.restake, [.uint(UInt256(id)), .uint(UInt256(UInt64(days))), .bool(autoStake)],
                shown: "restake(\(id), \(days) days, auto-stake \(autoStake ? "on" : "off"))", output)
            sender.run(call) { StakeCommand.changed($0, bucket: id) }
        }
    }

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Vote for another candidate with a bucket (not a self-stake bucket).")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @Option(help: ArgumentHelp("The candidate to vote for.", valueName: "name")) var candidate: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let name = output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(candidate, "--candidate") }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(
                StakingABI.changeCandidate, [.uint(UInt256(id)), .string(name)], shown: "changeCandidate(\(id), \"\(name)\")", output)
            sender.run(call) { receipt in
                var results = StakeCommand.changed(receipt, bucket: id)
                results.fields.insert(("candidate", name), at: 1)
                results.json["candidate"] = name
                return results
            }
        }
    }

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a bucket to another owner (not a self-stake bucket).")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @Option(help: ArgumentHelp("The new owner's address.", valueName: "address")) var to: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let owner = output.orFail { () throws(WalletInputError) in try WalletInput.address(to, "--to address") }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(
                StakingABI.transferStake, [.uint(UInt256(id)), .address(owner)], shown: "transferStake(\(id), \(owner.checksummed))",
                output)
            sender.run(call) { StakeCommand.changed($0, bucket: id) }
        }
    }

    struct Unstake: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unstake a matured bucket: its votes stop now, its MOTE can be withdrawn after the waiting period.")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(StakingABI.unstake, [.uint(UInt256(id))], shown: "unstake(\(id))", output)
            sender.run(call) { _ in TransactionSender.Results(fields: [("bucket", "\(id) unstaked")], json: ["bucket": NSNumber(value: id)]) }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw an unstaked bucket's MOTE after the waiting period.")

        @Option(help: ArgumentHelp("The bucket's id.", valueName: "id")) var bucket: String
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let id = output.orFail { () throws(WalletInputError) in try StakingInput.bucket(bucket) }
            let sender = TransactionSender(transaction)
            let call = StakeCommand.call(StakingABI.withdrawStake, [.uint(UInt256(id))], shown: "withdrawStake(\(id))", output)
            sender.run(call) { receipt in
                let amount = receipt.logs(of: StakingABI.withdrawn, from: StakingABI.address).first?.uint(0)
                return TransactionSender.Results(
                    fields: [("bucket", String(id)), ("withdrawn", amount.map(Amount.describe))],
                    json: ["bucket": NSNumber(value: id), "withdrawn": amount?.description ?? NSNull()])
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stake buckets: an owner's (mote_buckets), a candidate's voters (mote_votes), or all.",
            discussion: """
                Without --owner or --candidate, every bucket voting for a candidate. Amounts and votes are in MOTE \
                (4 decimals in the table; exact wei with --json); times are block times. --json prints an array \
                of {id, owner, candidate, amount, duration, autoStake, stakeStart, unstakeTime, selfStake, votes}.
                """)

        @Option(help: ArgumentHelp("Only this owner's buckets.", valueName: "address")) var owner: String?
        @Option(help: ArgumentHelp("Only the buckets voting for this candidate.", valueName: "name")) var candidate: String?
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if owner != nil && candidate != nil { throw ValidationError("give --owner or --candidate, not both") }
        }

        func run() throws {
            let output = WalletOutput(json: json)
            let ownerAddress = owner.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--owner address") } }
            let name = candidate.map { text in output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(text, "--candidate") } }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let queries = StakingQueries(client: client, output: output)
            var buckets: [BucketView]
            if let ownerAddress {
                buckets = queries.buckets(queries.ask("mote_buckets", [.string(ownerAddress.hex)]), "mote_buckets")
            } else {
                let names = name.map { [queries.candidate(named: $0).name] } ?? queries.candidates().map(\.name)
                buckets = names.flatMap { name in queries.buckets(queries.ask("mote_votes", [.string(name)])["buckets"], "mote_votes") }
            }
            buckets.sort { $0.id < $1.id }
            if json {
                JSONOutput.print(buckets.map(\.object))
                return
            }
            guard !buckets.isEmpty else {
                print("no buckets")
                return
            }
            WalletOutput.printTable(
                ["ID", "OWNER", "CANDIDATE", "AMOUNT", "DAYS", "AUTO", "VOTES", "STAKED SINCE", "UNSTAKED"],
                buckets.map { b in
                    [String(b.id), b.owner.checksummed, b.candidate + (b.selfStake ? " (self)" : ""), Amount.formatShort(b.amount),
                     String(b.durationDays), b.autoStake ? "yes" : "no", Amount.formatShort(b.votes), iso8601(b.stakeStart),
                     b.unstakeTime == 0 ? "-" : iso8601(b.unstakeTime)]
                },
                rightAligned: [0, 3, 4, 6])
        }
    }
}
