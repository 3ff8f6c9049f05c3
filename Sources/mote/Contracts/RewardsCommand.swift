import ArgumentParser
import Foundation
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// `mote rewards balance|claim|report|devices`: what the reward fund owes, claiming it, what a
/// delegate owes its voters (docs/STAKING.md), and what an owner's devices earned (docs/MACHINEFI.md).
struct RewardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards", abstract: "Rewards: what is owed to an address, claiming it, a delegate's voter payouts.",
        subcommands: [Balance.self, Claim.self, Report.self, Devices.self])

    /// `mote rewards balance ADDRESS [--epoch E]`: `mote_rewards`.
    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the rewards owed to an address (unclaimed), and with --epoch what it earned in that epoch.",
            discussion: """
                --json prints {address, unclaimed} and with --epoch also {epoch, blockRewards, epochReward, \
                foundationBonus, earned}; amounts are decimal strings in wei.
                """)

        @Argument(help: "The reward address.") var address: String
        @Option(help: ArgumentHelp("Also what it earned in this epoch, by kind.", valueName: "epoch")) var epoch: UInt64?
        @OptionGroup var rpc: RPCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let output = WalletOutput(json: json)
            let account = output.orFail { () throws(WalletInputError) in try WalletInput.address(address, "address") }
            let client = output.orFail { () throws(RPCClientError) in try rpc.client() }
            let queries = StakingQueries(client: client, output: output)
            let answer = queries.ask("mote_rewards", [.string(account.hex)] + (epoch.map { [.string("0x" + String($0, radix: 16))] } ?? []))
            guard let unclaimed = answer["unclaimed"]?.quantity else { output.fail("the node answered mote_rewards with \(answer.text.prefix(200))") }
            var object: [String: Any] = ["address": account.checksummed, "unclaimed": unclaimed.description]
            var fields: [(String, String?)] = [("address", account.checksummed), ("unclaimed", Amount.describe(unclaimed))]
            if let epoch {
                guard let block = answer["blockRewards"]?.quantity, let epochReward = answer["epochReward"]?.quantity,
                    let bonus = answer["foundationBonus"]?.quantity
                else { output.fail("the node answered mote_rewards with \(answer.text.prefix(200))") }
                let earned = block + epochReward + bonus
                object.merge([
                    "epoch": NSNumber(value: epoch), "blockRewards": block.description, "epochReward": epochReward.description,
                    "foundationBonus": bonus.description, "earned": earned.description,
                ]) { _, new in new }
                fields += [
                    ("epoch", String(epoch)), ("block rewards", Amount.describe(block)), ("epoch reward", Amount.describe(epochReward)),
                    ("foundation bonus", Amount.describe(bonus)), ("earned", Amount.describe(earned)),
                ]
            }
            if json { JSONOutput.print(object) } else { WalletOutput.printFields(fields) }
        }
    }

    /// `mote rewards claim`: `claim(amount)`, or `claimFor(account, amount)` with `--for`.
    struct Claim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim rewards: the reward fund pays what it owes to your address (or, with --for, to that address).",
            discussion: """
                Without --amount everything owed is claimed. With --for ADDRESS anyone may send the claim; the MOTE \
                always goes to ADDRESS, never to the sender. The other options are those of mote transfer.
                """)

        @Option(help: ArgumentHelp("How much to claim (default: all that is owed).", valueName: "amount")) var amount: String?
        @Option(name: .customLong("for"), help: ArgumentHelp("Claim for this reward address (claimFor).", valueName: "address"))
        var account: String?
        @OptionGroup var transaction: TransactionOptions

        func run() throws {
            let output = WalletOutput(json: transaction.json)
            let requested = amount.map { text in output.orFail { () throws(AmountError) in try Amount.parse(text) } } ?? .zero
            if amount != nil && requested.isZero { output.fail("--amount 0 would claim everything; leave --amount out for that") }
            let beneficiary = account.map { text in output.orFail { () throws(WalletInputError) in try WalletInput.address(text, "--for address") } }
            let sender = TransactionSender(transaction)
            let shownAmount = requested.isZero ? "all" : Amount.format(requested) + " MOTE"
            let call = output.orFail { () throws(ABIError) in
                if let beneficiary {
                    return try TransactionSender.Outgoing.call(
                        RewardingABI.claimFor, of: RewardingABI.address, named: "Rewarding",
                        [.address(beneficiary), .uint(requested)], shown: "claimFor(\(beneficiary.checksummed), \(shownAmount))")
                }
                return try TransactionSender.Outgoing.call(
                    RewardingABI.claim, of: RewardingABI.address, named: "Rewarding", [.uint(requested)], shown: "claim(\(shownAmount))")
            }
            let paid = beneficiary ?? sender.sender
            sender.run(call) { receipt in
                let claimed = receipt.logs(of: RewardingABI.claimed, from: RewardingABI.address).first?.uint(0)
                return TransactionSender.Results(
                    fields: [("claimed", claimed.map(Amount.describe)), ("paid to", paid.checksummed)],
                    json: ["claimed": claimed?.description ?? NSNull(), "account": paid.checksummed])
            }
        }
    }
}
