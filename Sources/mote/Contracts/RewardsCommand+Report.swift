import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPCClient

/// How `mote rewards report` prints.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case csv
}

/// `--keystore FILE` or `--key-file FILE` for `--pay`: the key that pays the voters.
struct PayerKeyOptions: ParsableArguments {
    @Option(name: .customLong("keystore"), help: ArgumentHelp("With --pay: pay from this V3 keystore file.", valueName: "file"))
    var keystoreFile: String?
    @Option(name: .customLong("key-file"), help: ArgumentHelp("With --pay: pay with the hex private key in FILE.", valueName: "file"))
    var keyFile: String?
    @OptionGroup var password: PasswordOptions

    var given: Bool { keystoreFile != nil || keyFile != nil }

    func load() throws(WalletInputError) -> Secp256k1.PrivateKey {
        try SigningKeyOptions.load(keystoreFile: keystoreFile, keyFile: keyFile, password: password)
    }
}

extension RewardsCommand {
    /// `mote rewards report`: what a delegate owes its voters over a range of epochs, from
    /// chain data alone (`VoterPayouts`), and with `--pay` the payments.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What a delegate owes its voters for a range of epochs, from chain data; --pay sends it.",
            discussion: """
                For each epoch the voters are the buckets voting for the delegate when that epoch's delegates were \
                elected (the self-stake bucket excluded), replayed from the Staking contract's logs. Each is owed \
                the epoch's rewards × the declared voter share × its votes / all those votes, rounded down; the \
                remainder goes to the largest voter, so the payouts add up exactly to the share. The epochs must \
                be over. See docs/STAKING.md for the JSON and CSV shapes.

                --pay sends each owner the total owed over the range (one transfer each, zero amounts skipped), \
                waits for each receipt and reports them; it stops at the first payment that does not succeed. \
                Exit status as for mote transfer (1 not sent, 2 failed, 3 no receipt in time).
                """)

        @Option(help: ArgumentHelp("The delegate's candidate name.", valueName: "name")) var delegate: String
        @Option(help: ArgumentHelp("The epochs: A..B (both included), or one epoch.", valueName: "A..B")) var epochs: String
        @Option(help: "How to print the report.") var format: ReportFormat = .table
        @Flag(help: "Pay the voters what the report says, from --keystore or --key-file.") var pay = false
        @OptionGroup var payer: PayerKeyOptions
        @OptionGroup var rpc: RPCOptions
        @OptionGroup var fees: FeeOptions
        @OptionGroup var wait: ReceiptWaitOptions

        func validate() throws {
            if payer.keystoreFile != nil && payer.keyFile != nil { throw ValidationError("give --keystore FILE or --key-file FILE, not both") }
            if pay && !payer.given { throw ValidationError("--pay needs the paying key: give --keystore FILE or --key-file FILE") }
            if !pay && payer.given { throw ValidationError("--keystore and --key-file are for paying: add --pay") }
            if pay && format == .csv { throw ValidationError("--pay reports the payments as a table or JSON: use --format table or json") }
            if !pay && (fees.maxFee != nil || fees.tip != nil) { throw ValidationError("--max-fee and --tip are for paying: add --pay") }
        }

        func run() throws {
            let output = WalletOutput(json: format == .json)
            // Everything local first, the paying key included.
            let name = output.orFail { () throws(WalletInputError) in try StakingInput.candidateName(delegate, "--delegate") }
            let range = output.orFail { () throws(WalletInputError) in try StakingInput.epochs(epochs) }
            let sender = pay ? TransactionSender(key: payer.load, rpc: rpc, fees: fees, wait: wait, output: output) : nil
            let client = sender?.client ?? output.orFail { () throws(RPCClientError) in try rpc.client() }
            let queries = StakingQueries(client: client, output: output)

            let chain = queries.chainInfo()
            let finished = chain.height / chain.epochLength
            guard range.upperBound <= finished else {
                output.fail(
                    "epoch \(range.upperBound) is not over: it ends at block \(range.upperBound * chain.epochLength), "
                        + "the head is block \(chain.height) (the last finished epoch is \(finished))")
            }
            let candidate = queries.candidate(named: name)
            let lastElection = (range.upperBound - 1) * chain.epochLength
            output.progress("reading the Staking logs of blocks 0…\(lastElection) and the rewards of epochs \(range.lowerBound)…\(range.upperBound)…")
            let entries = output.orFail { () throws(TransactionSender.Failure) in try StakingLogs.read(client, upTo: lastElection) }
            var rewardAddresses: [UInt64: Address] = [:]
            var earned: [UInt64: UInt256] = [:]
            for epoch in range {
                guard let address = Self.rewardAddress(of: candidate.owner, inEpoch: epoch, queries) else { continue }
                rewardAddresses[epoch] = address
                earned[epoch] = Self.earned(address, inEpoch: epoch, queries)
            }
            var parameters = ProtocolParameters()
            parameters.epochLength = chain.epochLength
            let report = VoterPayouts.report(
                entries: entries, candidate: candidate.owner, selfStakeBucket: candidate.selfStakeBucket,
                voterShareBps: UInt16(clamping: candidate.voterShareBps), epochs: range, rewards: { earned[$0] ?? .zero },
                parameters: parameters)
            let totals = Self.totals(report)

            var document: [String: Any] = [
                "delegate": candidate.name, "owner": candidate.owner.checksummed, "selfStakeBucket": NSNumber(value: candidate.selfStakeBucket),
                "voterShareBps": NSNumber(value: candidate.voterShareBps), "firstEpoch": NSNumber(value: range.lowerBound),
                "lastEpoch": NSNumber(value: range.upperBound),
                "epochs": report.map { epoch in
                    [
                        "epoch": NSNumber(value: epoch.epoch), "rewardAddress": rewardAddresses[epoch.epoch]?.checksummed ?? NSNull(),
                        "rewards": epoch.rewards.description, "voterShare": epoch.voterShare.description,
                        "totalVotes": epoch.totalVotes.description,
                        "payouts": epoch.payouts.map { ["owner": $0.owner.checksummed, "votes": $0.votes.description, "amount": $0.amount.description] },
                    ] as [String: Any]
                },
                "totals": totals.map { ["owner": $0.owner.checksummed, "amount": $0.amount.description] },
                "total": totals.reduce(UInt256.zero) { $0 + $1.amount }.description,
            ]
            switch format {
            case .csv:
                print("epoch,owner,votes,amount_wei")
                for epoch in report {
                    for payout in epoch.payouts { print("\(epoch.epoch),\(payout.owner.checksummed),\(payout.votes),\(payout.amount)") }
                }
                return
            case .table:
                Self.printTable(candidate, report, totals, rewardAddresses)
            case .json:
                break
            }
            guard let sender else {
                if format == .json { JSONOutput.print(document) }
                return
            }
            let (payments, status) = Self.pay(totals, with: sender)
            document["payments"] = payments.map(\.object)
            let problem = payments.first { $0.error != nil }?.error
            if let problem { document["error"] = problem }
            if format == .json {
                JSONOutput.print(document)
            } else {
                print("")
                WalletOutput.printTable(
                    ["TO", "AMOUNT", "STATUS", "BLOCK", "HASH"],
                    payments.map { [$0.to.checksummed, Amount.formatShort($0.amount, decimals: 18), $0.status, $0.block.map(String.init) ?? "-", $0.hash ?? "-"] },
                    rightAligned: [1, 3])
                if let problem { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            }
            if status != 0 { Foundation.exit(status) }
        }

        /// The reward address of `owner`'s candidate among `epoch`'s delegates, nil if it was not
        /// elected. A seat without votes is a genesis delegate standing in (its owner is its
        /// operator, which may also be the candidate's owner); nobody voted for it.
        static func rewardAddress(of owner: Address, inEpoch epoch: UInt64, _ queries: StakingQueries) -> Address? {
            let answer = queries.ask("mote_epoch", [.string("0x" + String(epoch, radix: 16))])
            for delegate in answer["delegates"]?.arrayValue ?? [] {
                guard let text = delegate["owner"]?.stringValue, (try? Address(hex: text)) == owner,
                    let votes = delegate["votes"]?.quantity, !votes.isZero,
                    let reward = delegate["rewardAddress"]?.stringValue.flatMap({ try? Address(hex: $0) })
                else { continue }
                return reward
            }
            return nil
        }

        /// Block rewards + epoch reward + foundation bonus credited to `address` for `epoch`.
        static func earned(_ address: Address, inEpoch epoch: UInt64, _ queries: StakingQueries) -> UInt256 {
            let answer = queries.ask("mote_rewards", [.string(address.hex), .string("0x" + String(epoch, radix: 16))])
            guard let block = answer["blockRewards"]?.quantity, let epochReward = answer["epochReward"]?.quantity,
                let bonus = answer["foundationBonus"]?.quantity
            else { queries.output.fail("the node answered mote_rewards with \(answer.text.prefix(200))") }
            return block + epochReward + bonus
        }

        /// Each owner's payouts over all epochs, largest first (ties by address).
        static func totals(_ report: [VoterPayouts.Epoch]) -> [(owner: Address, amount: UInt256)] {
            var sums: [Address: UInt256] = [:]
            for epoch in report {
                for payout in epoch.payouts { sums[payout.owner, default: .zero] += payout.amount }
            }
            return sums.map { ($0.key, $0.value) }.sorted { a, b in a.amount != b.amount ? a.amount > b.amount : a.owner < b.owner }
        }

        static func printTable(
            _ candidate: CandidateInfo, _ report: [VoterPayouts.Epoch], _ totals: [(owner: Address, amount: UInt256)],
            _ rewardAddresses: [UInt64: Address]
        ) {
            WalletOutput.printFields([
                ("delegate", "\(candidate.name) (owner \(candidate.owner.checksummed))"),
                ("voter share", StakingInput.percent(candidate.voterShareBps) + " % of its rewards"),
            ])
            print("")
            WalletOutput.printTable(
                ["EPOCH", "REWARDS", "VOTER SHARE", "TOTAL VOTES", "VOTERS"],
                report.map { e in
                    [String(e.epoch), rewardAddresses[e.epoch] == nil ? "- (not a delegate)" : Amount.formatShort(e.rewards),
                     Amount.formatShort(e.voterShare), Amount.formatShort(e.totalVotes), String(e.payouts.count)]
                },
                rightAligned: [0, 1, 2, 3, 4])
            print("")
            WalletOutput.printTable(
                ["EPOCH", "VOTER", "VOTES", "OWED (MOTE)"],
                report.flatMap { e in
                    e.payouts.map { [String(e.epoch), $0.owner.checksummed, Amount.formatShort($0.votes), Amount.format($0.amount)] }
                },
                rightAligned: [0, 2, 3])
            print("")
            WalletOutput.printTable(["VOTER", "TOTAL OWED (MOTE)"], totals.map { [$0.owner.checksummed, Amount.format($0.amount)] }, rightAligned: [1])
        }

        /// One payment of `--pay` and how it went.
        struct Payment {
            let to: Address
            let amount: UInt256
            /// `success`, `failed`, `timeout`, `not sent`, or `skipped` (the payer itself).
            var status = "not sent"
            var hash: String?
            var block: UInt64?
            var feePaid: UInt256?
            var error: String?

            var object: [String: Any] {
                [
                    "to": to.checksummed, "amount": amount.description, "status": status, "hash": hash ?? NSNull(),
                    "blockNumber": block.map { NSNumber(value: $0) } ?? NSNull(), "feePaid": feePaid?.description ?? NSNull(),
                    "error": error ?? NSNull(),
                ]
            }
        }

        /// Sends each owner its total, one after the other, each waited for; stops at the first
        /// that does not succeed. Returns the payments and the exit status (0 if all succeeded).
        static func pay(_ totals: [(owner: Address, amount: UInt256)], with sender: TransactionSender) -> ([Payment], Int32) {
            let output = sender.output
            var payments = totals.filter { !$0.amount.isZero }.map { Payment(to: $0.owner, amount: $0.amount) }
            for i in payments.indices where payments[i].to == sender.sender { payments[i].status = "skipped" }
            let due = payments.filter { $0.status != "skipped" }.reduce(UInt256.zero) { $0 + $1.amount }
            let balance = output.orFail { () throws(TransactionSender.Failure) in
                try sender.ask("eth_getBalance", [.string(sender.sender.hex), .string("latest")])
            }.quantity ?? .zero
            guard balance >= due else {
                output.fail("the payouts add up to \(Amount.describe(due)), but \(sender.sender.checksummed) holds \(Amount.describe(balance)); nothing was sent")
            }
            for i in payments.indices where payments[i].status == "not sent" {
                output.progress("paying \(Amount.describe(payments[i].amount)) to \(payments[i].to.checksummed)…")
                do throws(TransactionSender.Failure) {
                    let prepared = try sender.prepare(TransactionSender.Outgoing(to: payments[i].to, value: payments[i].amount), nonce: nil)
                    try sender.submit(prepared)
                    payments[i].hash = prepared.signed.hash.hex
                    payments[i].status = "sent"
                    guard let receipt = try sender.receipt(prepared.signed.hash) else {
                        payments[i].status = "timeout"
                        payments[i].error = "no receipt for \(prepared.signed.hash.hex) within \(sender.timeout) s; it may still be included"
                        return (payments, WalletOutput.timedOut)
                    }
                    let succeeded = receipt["status"]?.quantity == .one
                    payments[i].status = succeeded ? "success" : "failed"
                    payments[i].block = receipt["blockNumber"]?.quantity64
                    payments[i].feePaid = (receipt["gasUsed"]?.quantity ?? .zero) * (receipt["effectiveGasPrice"]?.quantity ?? .zero)
                    if !succeeded {
                        payments[i].error = "payment \(prepared.signed.hash.hex) failed" + (receipt["failureReason"]?.stringValue.map { ": \($0)" } ?? "")
                        return (payments, WalletOutput.transactionFailed)
                    }
                } catch {
                    payments[i].error = error.description
                    return (payments, error.status)
                }
            }
            return (payments, 0)
        }
    }
}
