import Foundation
import MoteTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sandbox {
    /// Runs `mote arguments…` again every half second while it fails with `reason` in its
    /// output (a bucket not yet matured, a wait not yet over), for at most `seconds`.
    func retry(_ arguments: [String], while reason: String, seconds: TimeInterval = 10) throws -> MoteRun {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let run = try mote(arguments)
            guard run.status != 0, (run.stderr + run.stdout).contains(reason), Date() < deadline else { return run }
            usleep(500_000)
        }
    }
}

/// The staking and rewards commands against a real one-node devnet with 6-block epochs and
/// 1-second days: the genesis delegate's operator registers itself as a candidate, two test
/// accounts vote for it, it is elected, earns, claims, reports and pays its voters; buckets
/// are restaked, unstaked and withdrawn.
@Suite(.serialized) struct StakingCommandTests {
    static let mote = Decimal(string: "1000000000000000000")!
    static let epochLength = 6

    /// A decimal string or `0x` quantity as an exact number.
    static func number(_ value: Any?) -> Decimal? {
        guard let text = value as? String else { return (value as? Int).map { Decimal($0) } }
        if text.hasPrefix("0x") {
            var result = Decimal(0)
            for digit in text.dropFirst(2) {
                guard let d = Int(String(digit), radix: 16) else { return nil }
                result = result * 16 + Decimal(d)
            }
            return result
        }
        return Decimal(string: text)
    }

    func balance(_ devnet: LocalDevnet, _ address: String) -> Decimal? {
        Self.number(LocalDevnet.rpc(devnet.rpcURL, "eth_getBalance", [address, "latest"]))
    }

    func height(_ devnet: LocalDevnet) -> Int {
        Self.number(LocalDevnet.rpc(devnet.rpcURL, "eth_blockNumber")).map { NSDecimalNumber(decimal: $0).intValue } ?? 0
    }

    /// Waits until the head reaches `target` (at most 30 s).
    func waitForHeight(_ devnet: LocalDevnet, _ target: Int) {
        let deadline = Date().addingTimeInterval(30)
        while height(devnet) < target && Date() < deadline { usleep(100_000) }
    }

    /// The epoch of a height: epoch 1 is heights 1…6.
    static func epoch(ofHeight height: Int) -> Int { (height - 1) / epochLength + 1 }

    @Test(.timeLimit(.minutes(3)))
    func candidateStakesRewardsAndPayouts() throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box, arguments: ["--epoch-length", "\(Self.epochLength)", "--day-seconds", "1"])
        defer { devnet.stop() }
        let rpc = ["--rpc", devnet.rpcURL]
        let genesis = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: devnet.directory + "/genesis.json")))
        let operatorAddress = try #require(((genesis as? [String: Any])?["delegates"] as? [[String: Any]])?.first?["operator"] as? String)
        let operatorKey = devnet.directory + "/node-0/operator.key"
        let (voter1, voter2, rewardAccount) = (devnet.accounts[0].address, devnet.accounts[1].address, devnet.accounts[2].address)
        let voter1Key = try box.file("voter1.key", devnet.accounts[0].privateKey)
        let voter2Key = try box.file("voter2.key", devnet.accounts[1].privateKey)
        let rewardKey = try box.file("reward.key", devnet.accounts[2].privateKey)

        // The operator registers itself (a genesis operator may), so its node keeps producing once
        // elected. Its rewards accrue to a test account that produces nothing (exact balances).
        let registered = try box.mote(
            ["candidate", "register", "--name", "alpha", "--operator", operatorAddress, "--reward", rewardAccount,
             "--self-stake", "2000", "--voter-share", "50", "--key-file", operatorKey, "--json"] + rpc)
        #expect(registered.status == 0, "\(registered.stdout)\(registered.stderr)")
        #expect(registered.object["status"] as? String == "success")
        #expect(registered.object["registrationFee"] as? String == "10000000000000000000", "devnet's fee, read from the chain")
        #expect(registered.object["value"] as? String == "2010000000000000000000")
        #expect(registered.object["selfStakeBucket"] is Int, "\(registered.stdout)")
        let taken = try box.mote(
            ["candidate", "register", "--name", "alpha", "--operator", voter1, "--reward", rewardAccount,
             "--self-stake", "2000", "--key-file", voter1Key] + rpc)
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("would fail: the name alpha is taken (nothing was sent)"), "\(taken.stderr)")

        // Two voters, duration 0 (weight 1).
        let staked1 = try box.mote(["stake", "create", "--candidate", "alpha", "--amount", "300", "--duration", "0", "--key-file", voter1Key, "--json"] + rpc)
        #expect(staked1.status == 0, "\(staked1.stdout)\(staked1.stderr)")
        let bucket1 = try #require(staked1.object["bucket"] as? Int, "\(staked1.stdout)")
        let staked2 = try box.mote(["stake", "create", "--candidate", "alpha", "--amount", "100", "--duration", "0", "--key-file", voter2Key] + rpc)
        #expect(staked2.status == 0, "\(staked2.stdout)\(staked2.stderr)")
        #expect(staked2.stdout.contains("call       createStake(\"alpha\", 0 days, auto-stake off)"), "\(staked2.stdout)")
        let bucketLine = try #require(staked2.stdout.split(separator: "\n").first { $0.hasPrefix("bucket") }, "\(staked2.stdout)")
        let bucket2 = try #require(Int(bucketLine.split(separator: " ").last ?? ""))
        #expect(bucket2 != bucket1)
        let lastStakeHeight = height(devnet)

        // votes = 2000 × 1.06 (self-stake bonus) + 300 + 100.
        let listed = try box.mote(["candidate", "list", "--json"] + rpc)
        #expect(listed.status == 0, "\(listed.stdout)\(listed.stderr)")
        let alpha = try #require((listed.json as? [[String: Any]])?.first { $0["name"] as? String == "alpha" }, "\(listed.stdout)")
        #expect(alpha["votes"] as? String == "2520000000000000000000")
        #expect(alpha["selfStake"] as? String == "2000000000000000000000")
        #expect(alpha["voterShareBps"] as? Int == 5_000)
        #expect(alpha["operatorAddress"] as? String == operatorAddress)
        #expect(alpha["onProbation"] as? Bool == false)
        let table = try box.mote(["candidate", "list"] + rpc)
        #expect(table.status == 0)
        #expect(table.stdout.contains("alpha") && table.stdout.contains("2520") && table.stdout.contains("50 %"), "\(table.stdout)")
        let buckets = try box.mote(["stake", "list", "--owner", voter1, "--json"] + rpc)
        #expect((buckets.json as? [[String: Any]])?.map { $0["id"] as? Int } == [bucket1], "\(buckets.stdout)")

        // Elected for the next epoch: its delegate entry carries the votes.
        let elected = Self.epoch(ofHeight: lastStakeHeight) + 1
        waitForHeight(devnet, (elected - 1) * Self.epochLength + 1)
        let epochInfo = try #require(LocalDevnet.rpc(devnet.rpcURL, "mote_epoch") as? [String: Any])
        let delegates = epochInfo["delegates"] as? [[String: Any]] ?? []
        #expect(delegates.count == 1, "\(epochInfo)")
        #expect(delegates.first?["operator"] as? String == operatorAddress.lowercased())
        #expect(delegates.first?["rewardAddress"] as? String == rewardAccount.lowercased())
        #expect(Self.number(delegates.first?["votes"]) == Self.mote * 2520)

        // Two whole epochs as a delegate; its reward address earns meanwhile.
        let (first, last) = (elected, elected + 1)
        let early = try box.mote(["rewards", "balance", rewardAccount, "--json"] + rpc)
        waitForHeight(devnet, last * Self.epochLength + 1)
        let later = try box.mote(["rewards", "balance", rewardAccount, "--json"] + rpc)
        #expect(early.status == 0 && later.status == 0, "\(early.stdout)\(later.stdout)")
        #expect(try #require(Self.number(later.object["unclaimed"])) > Self.number(early.object["unclaimed"]) ?? 0)
        let inEpoch = try box.mote(["rewards", "balance", rewardAccount, "--epoch", "\(first)", "--json"] + rpc)
        let earnedFirst = try #require(Self.number(inEpoch.object["earned"]), "\(inEpoch.stdout)")
        #expect(earnedFirst > 0)
        #expect(Self.number(inEpoch.object["epochReward"]) == Self.mote * 100, "the only delegate gets the whole epoch reward")

        // The report: each epoch's payouts add up to half its rewards, split 3 : 1.
        let report = try box.mote(["rewards", "report", "--delegate", "alpha", "--epochs", "\(first)..\(last)", "--format", "json"] + rpc)
        #expect(report.status == 0, "\(report.stdout)\(report.stderr)")
        let epochs = report.object["epochs"] as? [[String: Any]] ?? []
        #expect(epochs.map { $0["epoch"] as? Int } == [first, last], "\(report.stdout)")
        for epoch in epochs {
            let rewards = try #require(Self.number(epoch["rewards"]))
            let share = try #require(Self.number(epoch["voterShare"]))
            let payouts = epoch["payouts"] as? [[String: Any]] ?? []
            #expect(rewards > 0)
            #expect(share == rewards / 2)
            #expect(payouts.reduce(Decimal(0)) { $0 + (Self.number($1["amount"]) ?? 0) } == share)
            #expect(payouts.map { $0["owner"] as? String } == [voter1, voter2], "\(payouts)")
            #expect(payouts.map { Self.number($0["votes"]) } == [Self.mote * 300, Self.mote * 100])
            #expect(Self.number(epoch["totalVotes"]) == Self.mote * 400)
            #expect(epoch["rewardAddress"] as? String == rewardAccount)
        }
        #expect(Self.number(epochs.first?["rewards"]) == earnedFirst)
        let totals = report.object["totals"] as? [[String: Any]] ?? []
        let owed1 = try #require(Self.number(totals.first { $0["owner"] as? String == voter1 }?["amount"]))
        let owed2 = try #require(Self.number(totals.first { $0["owner"] as? String == voter2 }?["amount"]))
        #expect(owed1 > owed2 && owed2 > 0)
        let csv = try box.mote(["rewards", "report", "--delegate", "alpha", "--epochs", "\(first)..\(last)", "--format", "csv"] + rpc)
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 1 + 2 * 2, "\(csv.stdout)")
        #expect(lines.first == "epoch,owner,votes,amount_wei")
        #expect(lines.dropFirst().first?.hasPrefix("\(first),\(voter1),300000000000000000000,") == true, "\(csv.stdout)")
        // The epoch it registered in (it is elected at that epoch's end at the earliest).
        let registeredIn = Self.epoch(ofHeight: try #require(registered.object["blockNumber"] as? Int, "\(registered.stdout)"))
        let before = try box.mote(["rewards", "report", "--delegate", "alpha", "--epochs", "\(registeredIn)", "--format", "json"] + rpc)
        let notElected = (before.object["epochs"] as? [[String: Any]])?.first
        #expect(notElected?["rewardAddress"] is NSNull, "the genesis delegate's seat is not the candidate's: \(before.stdout)")
        #expect((notElected?["payouts"] as? [Any])?.isEmpty == true)
        let notOver = try box.mote(["rewards", "report", "--delegate", "alpha", "--epochs", "\(last)..\(last + 100)"] + rpc)
        #expect(notOver.status == 1)
        #expect(notOver.stderr.contains("epoch \(last + 100) is not over"), "\(notOver.stderr)")

        // Claim everything: the reward address gains exactly what was claimed, less the fee.
        let beforeClaim = try #require(balance(devnet, rewardAccount))
        let claimed = try box.mote(["rewards", "claim", "--key-file", rewardKey, "--json"] + rpc)
        #expect(claimed.status == 0, "\(claimed.stdout)\(claimed.stderr)")
        let claimedAmount = try #require(Self.number(claimed.object["claimed"]), "\(claimed.stdout)")
        let claimFee = try #require(Self.number(claimed.object["feePaid"]))
        let unclaimedBefore = try #require(Self.number(later.object["unclaimed"]))
        #expect(claimedAmount >= unclaimedBefore)
        #expect(balance(devnet, rewardAccount) == beforeClaim + claimedAmount - claimFee)

        // Pay the voters from the reward address: each gains exactly its total.
        let (before1, before2) = (try #require(balance(devnet, voter1)), try #require(balance(devnet, voter2)))
        let paid = try box.mote(
            ["rewards", "report", "--delegate", "alpha", "--epochs", "\(first)..\(last)", "--format", "json", "--pay", "--key-file", rewardKey] + rpc)
        #expect(paid.status == 0, "\(paid.stdout)\(paid.stderr)")
        let payments = paid.object["payments"] as? [[String: Any]] ?? []
        #expect(payments.map { $0["to"] as? String } == [voter1, voter2], "\(paid.stdout)")
        #expect(payments.allSatisfy { $0["status"] as? String == "success" && ($0["hash"] as? String)?.count == 66 }, "\(payments)")
        #expect(balance(devnet, voter1) == before1 + owed1)
        #expect(balance(devnet, voter2) == before2 + owed2)

        // Bucket 2 locked again for 8 days (8 s): unstaking before then is refused with the reason.
        let restaked = try box.mote(["stake", "restake", "--bucket", "\(bucket2)", "--duration", "8", "--key-file", voter2Key, "--json"] + rpc)
        #expect(restaked.status == 0, "\(restaked.stdout)\(restaked.stderr)")
        #expect(restaked.object["duration"] as? Int == 8)
        let early2 = try box.mote(["stake", "unstake", "--bucket", "\(bucket2)", "--key-file", voter2Key] + rpc)
        #expect(early2.status == 1)
        #expect(early2.stderr.contains("unstake(\(bucket2)) would fail: bucket \(bucket2) matures at block time"), "\(early2.stderr)")
        let notOwner = try box.mote(["stake", "unstake", "--bucket", "\(bucket2)", "--key-file", voter1Key] + rpc)
        #expect(notOwner.status == 1)

        // Bucket 1 (0 days) unstakes now and is withdrawn after the 1-day (1 s) wait.
        let unstaked = try box.mote(["stake", "unstake", "--bucket", "\(bucket1)", "--key-file", voter1Key, "--json"] + rpc)
        #expect(unstaked.status == 0, "\(unstaked.stdout)\(unstaked.stderr)")
        let beforeWithdraw = try #require(balance(devnet, voter1))
        // On a slow machine the 1-second wait may be over already: then this first try withdraws.
        let tooSoon = try box.mote(["stake", "withdraw", "--bucket", "\(bucket1)", "--key-file", voter1Key, "--json"] + rpc)
        if tooSoon.status != 0 { #expect((tooSoon.stdout + tooSoon.stderr).contains("can be withdrawn at block time"), "\(tooSoon.stdout)\(tooSoon.stderr)") }
        let withdrawn = tooSoon.status == 0 ? tooSoon : try box.retry(
            ["stake", "withdraw", "--bucket", "\(bucket1)", "--key-file", voter1Key, "--json"] + rpc, while: "can be withdrawn at")
        #expect(withdrawn.status == 0, "\(withdrawn.stdout)\(withdrawn.stderr)")
        #expect(withdrawn.object["withdrawn"] as? String == "300000000000000000000")
        let withdrawFee = try #require(Self.number(withdrawn.object["feePaid"]))
        #expect(balance(devnet, voter1) == beforeWithdraw + Self.mote * 300 - withdrawFee)
        let gone = try box.mote(["stake", "list", "--owner", voter1, "--json"] + rpc)
        #expect((gone.json as? [Any])?.isEmpty == true, "\(gone.stdout)")

        // Bucket 2 matures after its 8 days; then it unstakes.
        let matured = try box.retry(["stake", "unstake", "--bucket", "\(bucket2)", "--key-file", voter2Key] + rpc, while: "matures at", seconds: 30)
        #expect(matured.status == 0, "\(matured.stdout)\(matured.stderr)")
        #expect(matured.stdout.contains("\(bucket2) unstaked"), "\(matured.stdout)")
    }

    /// Mistakes caught before any node is asked (the URL points nowhere).
    @Test func argumentErrorsWithoutANode() throws {
        let box = try Sandbox()
        let nowhere = ["--rpc", "http://127.0.0.1:1"]
        let keyFile = try box.file("key", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        // Another key (Ethereum's "account 1" test key) as the operator: its proof, signed offline.
        let operatorAddress = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        let operatorKeyFile = try box.file("operator.key", "0x0000000000000000000000000000000000000000000000000000000000000001")
        let signed = try box.mote(["candidate", "operator-proof", "--operator-key-file", operatorKeyFile, "--owner", address, "--chain-id", "4689"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let proof = signed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(proof.hasPrefix("0x") && proof.count == 132, "65 bytes r‖s‖v: \(proof)")
        let badOwner = try box.mote(["candidate", "operator-proof", "--operator-key-file", operatorKeyFile, "--owner", "0x12", "--chain-id", "4689"])
        #expect(badOwner.status == 1 && badOwner.stderr.contains("invalid --owner address"), "\(badOwner.stderr)")

        let cases: [([String], String)] = [
            (["candidate", "register", "--name", "Alpha", "--operator", address, "--reward", address, "--self-stake", "2000", "--key-file", keyFile],
             "invalid --name \"Alpha\": a candidate name is 1 to 20 of a-z"),
            (["candidate", "register", "--name", "alpha", "--operator", "0x12", "--reward", address, "--self-stake", "2000", "--key-file", keyFile],
             "invalid --operator address"),
            (["candidate", "register", "--name", "alpha", "--operator", address, "--reward", address, "--self-stake=-5", "--key-file", keyFile],
             "cannot be negative"),
            (["candidate", "register", "--name", "alpha", "--operator", address, "--reward", address, "--self-stake", "1", "--voter-share", "101",
              "--key-file", keyFile], "invalid --voter-share \"101\""),
            (["candidate", "register", "--name", "alpha", "--operator", address, "--reward", address, "--self-stake", "1", "--voter-share", "1.234",
              "--key-file", keyFile], "at most two decimals"),
            (["candidate", "register", "--name", "alpha", "--operator", operatorAddress, "--reward", address, "--self-stake", "2000",
              "--key-file", keyFile], "the operator \(operatorAddress) is not your key: give its --operator-key-file or the --operator-proof it signed"),
            (["candidate", "register", "--name", "alpha", "--operator", operatorAddress, "--reward", address, "--self-stake", "2000",
              "--operator-proof", "0x1234", "--key-file", keyFile], "invalid --operator-proof"),
            (["candidate", "register", "--name", "alpha", "--operator", operatorAddress, "--reward", address, "--self-stake", "2000",
              "--operator-key-file", keyFile, "--key-file", keyFile], "holds the key of \(address), not of the operator \(operatorAddress)"),
            (["stake", "create", "--candidate", "a b", "--amount", "1", "--duration", "0", "--key-file", keyFile], "invalid --candidate"),
            (["stake", "create", "--candidate", "alpha", "--amount", "1x", "--duration", "0", "--key-file", keyFile], "not a decimal number"),
            (["stake", "create", "--candidate", "alpha", "--amount", "1", "--duration", "40000", "--key-file", keyFile], "invalid --duration 40000"),
            (["stake", "add", "--bucket=-1", "--amount", "1", "--key-file", keyFile], "invalid --bucket \"-1\""),
            (["stake", "unstake", "--bucket", "x", "--key-file", keyFile], "invalid --bucket \"x\""),
            (["stake", "transfer", "--bucket", "1", "--to", "nobody", "--key-file", keyFile], "invalid --to address"),
            (["rewards", "balance", "0x1234"], "invalid address"),
            (["rewards", "claim", "--amount", "0", "--key-file", keyFile], "--amount 0 would claim everything"),
            (["rewards", "claim", "--for", "0xabc", "--key-file", keyFile], "invalid --for address"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "5..3"], "the range ends before it starts (5 > 3)"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "0..3"], "epochs start at 1"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "3-5"], "expected A..B"),
            (["rewards", "report", "--delegate", "ALPHA", "--epochs", "1..2"], "invalid --delegate"),
        ]
        for (arguments, message) in cases {
            let run = try box.mote(arguments + nowhere)
            #expect(run.status == 1, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("cannot reach"), "\(arguments) asked the node: \(run.stderr)")
        }

        // Refused by the argument parser (usage errors).
        let usage: [([String], String)] = [
            (["stake", "create", "--candidate", "alpha", "--amount", "1", "--duration", "0"], "--keystore FILE or --key-file FILE"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "1..2", "--pay"], "--pay needs the paying key"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "1..2", "--key-file", keyFile], "add --pay"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "1..2", "--pay", "--key-file", keyFile, "--format", "csv"],
             "--pay reports the payments as a table or JSON"),
            (["rewards", "report", "--delegate", "alpha", "--epochs", "1..2", "--format", "xml"], "--format"),
            (["candidate", "update", "--key-file", keyFile], "nothing to change"),
            (["stake", "list", "--owner", address, "--candidate", "alpha"], "not both"),
        ]
        for (arguments, message) in usage {
            let run = try box.mote(arguments + nowhere)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }

        // JSON mode reports the same mistakes as {"error": …}.
        let json = try box.mote(["rewards", "report", "--delegate", "alpha", "--epochs", "9..2", "--format", "json"] + nowhere)
        #expect(json.status == 1)
        #expect(json.error?.contains("ends before it starts") == true, "\(json.stdout)")
        let unreachable = try box.mote(["candidate", "list"] + nowhere)
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot reach the node"), "\(unreachable.stderr)")
    }
}
