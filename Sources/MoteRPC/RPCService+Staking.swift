import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives

/// `mote_` methods for staking and rewards: read-only calls into the Staking and Rewarding
/// system contracts, shaped as JSON objects.
extension RPCService {
    static let stakingMethods: Set<String> = [
        "mote_candidates", "mote_candidate", "mote_buckets", "mote_bucket", "mote_votes", "mote_epoch", "mote_rewards",
        "mote_rewardFund", "mote_probation", "mote_stakingParameters",
    ]

    /// Runs a view function of a system contract at the head and decodes its output.
    func view(_ contract: Address, _ function: SystemFunction, _ args: [ABIValue]) async throws(RPCError) -> [ABIValue] {
        let calldata: [UInt8]
        do { calldata = try function.abi.encodeCall(args) } catch { throw RPCError.invalidParams("\(function.name): \(error)") }
        let outcome: Result<[UInt8], SystemContractRevert>
        do { outcome = try await backend.call(from: .zero, to: contract, data: calldata, gasLimit: 1_000_000_000) } catch {
            throw RPCError.internalError(error.description)
        }
        switch outcome {
        case .success(let output):
            do { return try function.abi.decodeOutput(output) } catch { throw RPCError.internalError("\(function.name) output: \(error)") }
        case .failure(let revert):
            throw RPCError.resourceNotFound(revert.reason)
        }
    }

    func stakingMethod(_ method: String, _ params: Params) async throws(RPCError) -> JSON {
        let staking = StakingABI.address
        switch method {
        case "mote_candidates":
            try params.expect(0...0)
            let count = Self.uint(try await view(staking, StakingABI.candidateCount, []).first)
            var out: [JSON] = []
            for i in 0..<min(count.l0, 10_000) {
                out.append(try Self.candidateJSON(try await view(staking, StakingABI.candidateAt, [.uint(UInt256(i))])))
            }
            return .array(out)
        case "mote_candidate":
            try params.expect(1...1)
            return try Self.candidateJSON(try await view(staking, StakingABI.candidateByName, [.string(try Self.candidateName(params, 0))]))
        case "mote_probation":
            try params.expect(0...0)
            let epoch = (await backend.chainInfo()).epoch
            let count = Self.uint(try await view(staking, StakingABI.candidateCount, []).first)
            var out: [JSON] = []
            for i in 0..<min(count.l0, 10_000) {
                let values = try await view(staking, StakingABI.candidateAt, [.uint(UInt256(i))])
                if Self.uint(values[8]) >= UInt256(epoch) { out.append(try Self.candidateJSON(values)) }
            }
            return .array(out)
        case "mote_buckets":
            try params.expect(1...1)
            let ids = try await view(staking, StakingABI.bucketsOf, [.address(try params.address(0))])
            return .array(try await buckets(ids.first))
        case "mote_bucket":
            try params.expect(1...1)
            let id = try params.quantity(0)
            return Self.bucketJSON(id: id, try await view(staking, StakingABI.bucket, [.uint(UInt256(id))]))
        case "mote_votes":
            try params.expect(1...1)
            let name = try Self.candidateName(params, 0)
            let candidate = try Self.candidateJSON(try await view(staking, StakingABI.candidateByName, [.string(name)]))
            let ids = try await view(staking, StakingABI.votersOf, [.string(name)])
            return .object(["candidate": candidate, "buckets": .array(try await buckets(ids.first))])
        case "mote_epoch":
            try params.expect(0...1)
            let info = await backend.chainInfo()
            let epoch = params.value(0) == nil ? info.epoch : try params.quantity(0)
            guard epoch >= 1, epoch <= info.epoch else {
                if epoch >= 1 { _ = try Self.epochHeights(epoch, length: info.epochLength, argument: 0) }
                throw RPCError.resourceNotFound("epoch \(epoch) has no delegates yet (current epoch \(info.epoch))")
            }
            let (first, last) = try Self.epochHeights(epoch, length: info.epochLength, argument: 0)
            let values = try await view(staking, StakingABI.delegatesOf, [.uint(UInt256(epoch))])
            guard values.count >= 4 else { throw RPCError.internalError("delegatesOf output: \(values.count) values") }
            let operators = values[0].arrayValue, rewards = values[1].arrayValue, owners = values[2].arrayValue, votes = values[3].arrayValue
            guard rewards.count == operators.count, owners.count == operators.count, votes.count == operators.count else {
                throw RPCError.internalError("delegatesOf output: lists of different lengths")
            }
            var delegates: [JSON] = []
            for i in operators.indices {
                let produced = try await view(staking, StakingABI.produced, [.uint(UInt256(epoch)), operators[i]])
                delegates.append(.object([
                    "operator": Self.json(operators[i]), "rewardAddress": Self.json(rewards[i]), "owner": Self.json(owners[i]),
                    "votes": Self.json(votes[i]), "produced": Self.json(produced[0]),
                ]))
            }
            var object: [String: JSON] = [
                "epoch": .quantity(epoch), "firstHeight": .quantity(first), "lastHeight": .quantity(last),
                "delegates": .array(delegates),
            ]
            if let producers = await backend.producers(ofEpoch: epoch) { object["producers"] = .array(producers.map { .address($0) }) }
            return .object(object)
        case "mote_rewards":
            try params.expect(1...2)
            let account = try params.address(0)
            let unclaimed = try await view(RewardingABI.address, RewardingABI.unclaimed, [.address(account)])
            var object: [String: JSON] = ["address": .address(account), "unclaimed": Self.json(unclaimed[0])]
            if params.value(1) != nil {
                let epoch = try params.quantity(1)
                let record = try await view(RewardingABI.address, RewardingABI.epochRewards, [.uint(UInt256(epoch)), .address(account)])
                object["epoch"] = .quantity(epoch)
                object["blockRewards"] = Self.json(record[0])
                object["epochReward"] = Self.json(record[1])
                object["foundationBonus"] = Self.json(record[2])
            }
            return .object(object)
        case "mote_stakingParameters":
            try params.expect(0...0)
            let values = try await view(staking, StakingABI.stakingParameters, [])
            var object: [String: JSON] = [:]
            for (name, value) in zip(StakingABI.stakingParameters.outputNames, values) { object[name] = Self.json(value) }
            return .object(object)
        case "mote_rewardFund":
            try params.expect(0...0)
            let fund = try await view(RewardingABI.address, RewardingABI.fund, [])
            let p = try await view(RewardingABI.address, RewardingABI.parametersFunction, [])
            return .object([
                "fund": Self.json(fund[0]), "blockReward": Self.json(p[0]), "epochReward": Self.json(p[1]),
                "foundationBonus": Self.json(p[2]), "foundationBonusDelegates": Self.json(p[3]),
                "productivityThresholdPercent": Self.json(p[4]), "probationEpochs": Self.json(p[5]),
            ])
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    /// A candidate name parameter: 1 to 20 of a–z, 0–9, '-' and '_' (the registry's rule), so a
    /// long or odd string is refused here rather than echoed back in a "not found" message.
    static func candidateName(_ params: Params, _ i: Int) throws(RPCError) -> String {
        let name = try params.string(i)
        guard (1...20).contains(name.utf8.count),
            name.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f })
        else {
            throw Params.invalid(i, "a candidate name is 1 to 20 of a-z, 0-9, '-' and '_' (got \(name.utf8.count) bytes)")
        }
        return name
    }

    func buckets(_ ids: ABIValue?) async throws(RPCError) -> [JSON] {
        var out: [JSON] = []
        for id in (ids?.arrayValue ?? []).prefix(10_000) {
            let number = Self.uint(id).l0
            out.append(Self.bucketJSON(id: number, try await view(StakingABI.address, StakingABI.bucket, [id])))
        }
        return out
    }

    /// A candidate as `mote_candidate` serves it (`CandidateInfo`).
    static func candidateJSON(_ v: [ABIValue]) throws(RPCError) -> JSON {
        do { return try CandidateInfo(v).json } catch { throw RPCError.internalError(error.description) }
    }

    static func bucketJSON(id: UInt64, _ v: [ABIValue]) -> JSON {
        var object: [String: JSON] = ["id": .quantity(id)]
        for (name, value) in zip(StakingABI.bucketOutputs.map(\.0), v) { object[name] = json(value) }
        return .object(object)
    }

    static func uint(_ value: ABIValue?) -> UInt256 {
        if case .uint(let v)? = value { return v }
        return .zero
    }

    /// An ABI value as JSON: numbers as quantities, addresses and bytes as hex.
    static func json(_ value: ABIValue) -> JSON {
        switch value {
        case .uint(let v), .int(let v): return .quantity(v)
        case .address(let a): return .address(a)
        case .bool(let b): return .bool(b)
        case .fixedBytes(let b), .bytes(let b): return .data(b)
        case .string(let s): return .string(s)
        case .array(let items), .tuple(let items): return .array(items.map(json))
        }
    }
}

extension ABIValue {
    var arrayValue: [ABIValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
