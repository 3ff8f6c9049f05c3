import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives

/// `mote_` methods for Proof of Assignment: read-only calls into the WitnessPool system
/// contract and the epoch data a micro-miner needs to evaluate its assignments
/// (docs/RPC.md, docs/WITNESSING.md).
extension RPCService {
    static let witnessMethods: Set<String> = [
        "mote_witness", "mote_witnesses", "mote_witnessStatus", "mote_witnessParameters", "mote_epochSeed",
    ]

    /// The most witnesses `mote_witnesses` lists.
    static let maxListedWitnesses = 10_000

    func witnessMethod(_ method: String, _ params: Params) async throws(RPCError) -> JSON {
        let pool = WitnessPoolABI.address
        switch method {
        case "mote_witness":
            try params.expect(1...1)
            let text = try params.string(0)
            let id: Address
            if text.utf8.count == 66 {
                let key = try Params.data(text)
                guard case .address(let found)? = try await view(pool, WitnessPoolABI.witnessByKey, [.fixedBytes(key)]).first,
                    found != .zero
                else { throw RPCError.resourceNotFound("no witness with key \(text)") }
                id = found
            } else if text.utf8.count == 42 {
                id = try params.address(0)
            } else {
                throw RPCError.invalidParams("expected a witness id (20-byte address) or witness key (32-byte hex)")
            }
            return try await witness(id)
        case "mote_witnesses":
            try params.expect(0...0)
            let count = Self.uint(try await view(pool, WitnessPoolABI.witnessCount, []).first)
            var out: [JSON] = []
            for index in 0..<min(count.l0, UInt64(Self.maxListedWitnesses)) {
                guard case .address(let id)? = try await view(pool, WitnessPoolABI.witnessAt, [.uint(UInt256(index))]).first else { continue }
                out.append(try await witness(id))
            }
            return .array(out)
        case "mote_witnessStatus":
            try params.expect(1...1)
            let height = try params.quantity(0)
            let values = try await view(pool, WitnessPoolABI.heightStatus, [.uint(UInt256(height))])
            let parameters = try await view(pool, WitnessPoolABI.witnessParameters, [])
            guard values.count == 3, parameters.count == 5 else { throw RPCError.internalError("heightStatus output") }
            return .object([
                "height": .quantity(height), "accepted": Self.json(values[0]), "witnessed": Self.json(values[1]),
                "blockHash": Self.uint(values[0]).isZero ? .null : Self.json(values[2]), "threshold": Self.json(parameters[1]),
            ])
        case "mote_witnessParameters":
            try params.expect(0...0)
            let values = try await view(pool, WitnessPoolABI.witnessParameters, [])
            var object: [String: JSON] = [:]
            for (name, value) in zip(WitnessPoolABI.witnessParameters.outputNames, values) { object[name] = Self.json(value) }
            let p = backend.genesis.parameters
            object["reputationStart"] = .quantity(p.reputationStart)
            object["reputationGain"] = .quantity(p.reputationGain)
            object["reputationPenalty"] = .quantity(p.reputationPenalty)
            object["maxReputation"] = .quantity(p.maxReputation)
            object["vrfSuite"] = .string(ECVRF.Suite.tai.name)
            return .object(object)
        case "mote_epochSeed":
            try params.expect(0...1)
            let info = await backend.chainInfo()
            let epoch = params.value(0) == nil ? info.epoch : try params.quantity(0)
            guard epoch >= 1 else { throw RPCError.resourceNotFound("epoch 0 is the genesis block alone and has no seed") }
            let (first, last) = try Self.epochHeights(epoch, length: info.epochLength, argument: 0)
            guard let seed = await backend.epochSeed(ofEpoch: epoch) else {
                throw RPCError.resourceNotFound("the seed of epoch \(epoch) is not known yet (current epoch \(info.epoch))")
            }
            let total = try await view(pool, WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(.zero)])
            let parameters = try await view(pool, WitnessPoolABI.witnessParameters, [])
            guard total.count == 2, parameters.count == 5 else { throw RPCError.internalError("epochWeights output") }
            return .object([
                "epoch": .quantity(epoch), "seed": .hash(seed), "firstHeight": .quantity(first),
                "lastHeight": .quantity(last), "totalWeight": Self.json(total[1]),
                "expectedWitnesses": Self.json(parameters[0]),
            ])
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    /// The first and last heights of `epoch` for epochs of `length` blocks (epoch `e ≥ 1`
    /// covers `(e−1)·L + 1 … e·L`), in checked arithmetic: an epoch number from a client that is
    /// 0 or whose heights would not fit 64 bits is -32602, never a trap.
    static func epochHeights(_ epoch: UInt64, length: UInt64, argument: Int) throws(RPCError) -> (first: UInt64, last: UInt64) {
        guard length >= 1 else { throw RPCError.internalError("the chain reports an epoch length of 0") }
        let lastEpoch = UInt64.max / length
        let (last, overflow) = epoch.multipliedReportingOverflow(by: length)
        guard epoch >= 1, !overflow else {
            throw Params.invalid(
                argument, "epoch \(epoch) is out of range: epochs run from 1 to \(lastEpoch) (\(length) blocks each, heights are 64-bit)")
        }
        return (last - length + 1, last)
    }

    /// One witness as `mote_witness` answers it, with its weight in the current epoch.
    func witness(_ id: Address) async throws(RPCError) -> JSON {
        let values = try await view(WitnessPoolABI.address, WitnessPoolABI.witness, [.address(id)])
        guard values.count == WitnessPoolABI.witnessOutputs.count else { throw RPCError.internalError("witness output: \(values.count) values") }
        var object: [String: JSON] = ["id": .address(id)]
        for ((name, _), value) in zip(WitnessPoolABI.witnessOutputs, values) { object[name] = Self.json(value) }
        let kind = Self.uint(values[0]).l0
        object["kind"] = .string(kind == 1 ? "device" : "node")
        let epoch = await backend.chainInfo().epoch
        let weights = try await view(WitnessPoolABI.address, WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(id)])
        object["epoch"] = .quantity(epoch)
        object["weight"] = weights.first.map(Self.json) ?? .null
        object["totalWeight"] = weights.last.map(Self.json) ?? .null
        return .object(object)
    }
}
