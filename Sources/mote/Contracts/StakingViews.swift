import Foundation
import MoteCrypto
import MotePrimitives
import MoteContracts
import MoteRPCClient

extension CandidateInfo {
    /// For `--json`: addresses checksummed, amounts as decimal strings in wei.
    func object(currentEpoch: UInt64) -> [String: Any] {
        [
            "name": name, "owner": owner.checksummed, "operatorAddress": operatorAddress.checksummed,
            "rewardAddress": rewardAddress.checksummed, "selfStakeBucket": NSNumber(value: selfStakeBucket),
            "selfStake": selfStake.description, "votes": votes.description, "voterShareBps": NSNumber(value: voterShareBps),
            "probationUntilEpoch": NSNumber(value: probationUntilEpoch), "onProbation": onProbation(inEpoch: currentEpoch),
        ]
    }
}

/// A stake bucket as `mote_buckets`, `mote_bucket` and `mote_votes` report it.
struct BucketView {
    let id: UInt64
    let owner: Address
    let candidate: String
    let amount: UInt256
    let durationDays: UInt64
    let autoStake: Bool
    let stakeStart: UInt64
    /// 0 while staked.
    let unstakeTime: UInt64
    let selfStake: Bool
    let votes: UInt256

    init?(_ json: JSON) {
        guard let id = json["id"]?.quantity64, let owner = json["owner"]?.stringValue.flatMap({ try? Address(hex: $0) }),
            let candidate = json["candidate"]?.stringValue, let amount = json["amount"]?.quantity,
            let duration = json["duration"]?.quantity64, let auto = json["autoStake"]?.boolValue,
            let start = json["stakeStart"]?.quantity64, let unstake = json["unstakeTime"]?.quantity64,
            let selfStake = json["selfStake"]?.boolValue, let votes = json["votes"]?.quantity
        else { return nil }
        (self.id, self.owner, self.candidate, self.amount, durationDays, autoStake) = (id, owner, candidate, amount, duration, auto)
        (stakeStart, unstakeTime, self.selfStake, self.votes) = (start, unstake, selfStake, votes)
    }

    /// For `--json`: the owner checksummed, amounts as decimal strings in wei, times in Unix seconds.
    var object: [String: Any] {
        [
            "id": NSNumber(value: id), "owner": owner.checksummed, "candidate": candidate, "amount": amount.description,
            "duration": NSNumber(value: durationDays), "autoStake": autoStake, "stakeStart": NSNumber(value: stakeStart),
            "unstakeTime": NSNumber(value: unstakeTime), "selfStake": selfStake, "votes": votes.description,
        ]
    }
}

/// Read-only questions to a node for the staking commands; any failure exits with its message.
struct StakingQueries {
    let client: RPCClient
    let output: WalletOutput

    func ask(_ method: String, _ params: [JSON] = []) -> JSON {
        output.orFail { () throws(RPCClientError) in try client.call(method, params) }
    }

    /// Every candidate.
    func candidates() -> [CandidateInfo] {
        let answer = ask("mote_candidates")
        guard let items = answer.arrayValue else { output.fail("the node answered mote_candidates with \(answer.text.prefix(100))") }
        return items.map { item in
            guard let candidate = try? CandidateInfo(json: item) else { output.fail("the node answered mote_candidates with \(item.text.prefix(200))") }
            return candidate
        }
    }

    /// The candidate named `name`; a name the chain does not know fails with a clear message.
    func candidate(named name: String) -> CandidateInfo {
        let answer: JSON
        do { answer = try client.call("mote_candidate", [.string(name)]) } catch {
            if case .refused(code: -32001, _) = error.kind { output.fail("no candidate named \(name) (see mote candidate list)") }
            output.fail(error.description)
        }
        guard let candidate = try? CandidateInfo(json: answer) else { output.fail("the node answered mote_candidate with \(answer.text.prefix(200))") }
        return candidate
    }

    /// The candidate whose owner is `owner`, if any.
    func candidate(ownedBy owner: Address) -> CandidateInfo? {
        candidates().first { $0.owner == owner }
    }

    /// Buckets from a `mote_buckets` or `mote_votes` list.
    func buckets(_ answer: JSON?, _ method: String) -> [BucketView] {
        guard let items = answer?.arrayValue else { output.fail("the node answered \(method) with \(answer?.text.prefix(100) ?? "nothing")") }
        return items.map { item in
            guard let bucket = BucketView(item) else { output.fail("the node answered \(method) with \(item.text.prefix(200))") }
            return bucket
        }
    }

    /// The chain's head height, epoch of the next block and epoch length (`mote_chainInfo`).
    func chainInfo() -> (height: UInt64, epoch: UInt64, epochLength: UInt64) {
        let info = ask("mote_chainInfo")
        guard let height = info["height"]?.quantity64, let epoch = info["epoch"]?.quantity64,
            let length = info["epochLength"]?.quantity64, length > 0
        else { output.fail("the node answered mote_chainInfo with \(info.text.prefix(200))") }
        return (height, epoch, length)
    }
}
