import Foundation
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteRPCClient
import MoteWitness

/// What a micro-miner needs from its one trusted node: headers to check, the public data an
/// assignment is evaluated on, and somewhere to send attestations. Nothing here is stored on
/// the device; the light client checks the headers itself (`FinalizedHeaderCheck`).
public protocol WitnessChainSource: Sendable {
    /// The chain id, the epoch length and the node's newest final height.
    func chainStatus() async throws(LightClientError) -> ChainStatus
    /// Header `height` as raw RLP, or nil if the node has no such block yet.
    func rawHeader(height: UInt64) async throws(LightClientError) -> [UInt8]?
    /// The producers of `epoch` in proposer order: they sign the certificates of its heights.
    func producers(ofEpoch epoch: UInt64) async throws(LightClientError) -> [Address]
    /// The seed of `epoch`, on which assignments for its heights are evaluated.
    func epochSeed(ofEpoch epoch: UInt64) async throws(LightClientError) -> Hash32
    /// The witness's weight and the pool's total weight fixed at the start of `epoch`.
    func weights(witnessKey: [UInt8], epoch: UInt64) async throws(LightClientError) -> EpochWeight
    /// The expected number of witnesses per block.
    func expectedWitnesses() async throws(LightClientError) -> UInt64
}

/// The chain's identity and progress, as the micro-miner needs it.
public struct ChainStatus: Equatable, Sendable {
    public var chainID: UInt64
    public var epochLength: UInt64
    /// The newest final height (its certificate is not in any header yet).
    public var height: UInt64

    public init(chainID: UInt64, epochLength: UInt64, height: UInt64) {
        self.chainID = chainID
        self.epochLength = epochLength
        self.height = height
    }
}

/// A witness's weight in an epoch, out of the pool's total.
public struct EpochWeight: Equatable, Sendable {
    public var weight: UInt64
    public var totalWeight: UInt64

    public init(weight: UInt64, totalWeight: UInt64) {
        self.weight = weight
        self.totalWeight = totalWeight
    }
}

/// A `WitnessChainSource` over a node's JSON-RPC: `mote_chainInfo`, `mote_rawHeader`,
/// `mote_epoch`, `mote_epochSeed`, and `eth_call`s of the WitnessPool's views.
public struct JSONRPCWitnessSource: WitnessChainSource {
    public let client: JSONRPCClient
    private let caller: ContractCaller

    public init(client: JSONRPCClient) {
        self.client = client
        caller = ContractCaller(client: client)
    }

    public func chainStatus() async throws(LightClientError) -> ChainStatus {
        let info = try await client.request("mote_chainInfo", [])
        guard let chainID = info["chainId"]?.quantity64, let epochLength = info["epochLength"]?.quantity64, epochLength > 0,
            let height = info["height"]?.quantity64
        else { throw LightClientError(.badAnswer, "mote_chainInfo lacks chainId, epochLength or height") }
        return ChainStatus(chainID: chainID, epochLength: epochLength, height: height)
    }

    public func rawHeader(height: UInt64) async throws(LightClientError) -> [UInt8]? {
        let answer = try await client.request("mote_rawHeader", [.string("0x" + String(height, radix: 16))])
        if answer == .null { return nil }
        guard let bytes = answer.dataValue, bytes.count <= 80 * 1024 else {
            throw LightClientError(.badAnswer, "mote_rawHeader(\(height)) is not hex data")
        }
        return bytes
    }

    public func producers(ofEpoch epoch: UInt64) async throws(LightClientError) -> [Address] {
        let answer = try await client.request("mote_epoch", [.string("0x" + String(epoch, radix: 16))])
        guard let list = answer["producers"]?.arrayValue, !list.isEmpty, list.count <= 1_024 else {
            throw LightClientError(.badAnswer, "mote_epoch(\(epoch)) has no producers")
        }
        var out: [Address] = []
        for item in list {
            guard let text = item.stringValue, let address = try? Address(hex: text) else {
                throw LightClientError(.badAnswer, "mote_epoch(\(epoch)): a producer is not an address")
            }
            out.append(address)
        }
        return out
    }

    public func epochSeed(ofEpoch epoch: UInt64) async throws(LightClientError) -> Hash32 {
        let answer = try await client.request("mote_epochSeed", [.string("0x" + String(epoch, radix: 16))])
        guard let text = (answer.stringValue ?? answer["seed"]?.stringValue), let seed = try? Hash32(hex: text) else {
            throw LightClientError(.badAnswer, "mote_epochSeed(\(epoch)) is not a 32-byte hash")
        }
        return seed
    }

    public func weights(witnessKey: [UInt8], epoch: UInt64) async throws(LightClientError) -> EpochWeight {
        let id = try await view(WitnessPoolABI.witnessByKey, [.fixedBytes(witnessKey)])
        guard let address = id.first?.addressValue else { throw LightClientError(.badAnswer, "witnessByKey: not an address") }
        guard address != .zero else { return EpochWeight(weight: 0, totalWeight: 0) }
        let values = try await view(WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(address)])
        guard values.count == 2, let weight = values[0].uintValue, let total = values[1].uintValue else {
            throw LightClientError(.badAnswer, "epochWeights: unexpected output")
        }
        return EpochWeight(weight: weight.l0, totalWeight: total.l0)
    }

    public func expectedWitnesses() async throws(LightClientError) -> UInt64 {
        let values = try await view(WitnessPoolABI.witnessParameters, [])
        guard let expected = values.first?.uintValue else { throw LightClientError(.badAnswer, "witnessParameters: unexpected output") }
        return expected.l0
    }

    /// An `eth_call` of a WitnessPool view at the head.
    func view(_ function: SystemFunction, _ arguments: [ABIValue]) async throws(LightClientError) -> [ABIValue] {
        do { return try await caller.call(function, of: WitnessPoolABI.self, arguments) } catch { throw LightClientError(error) }
    }
}
