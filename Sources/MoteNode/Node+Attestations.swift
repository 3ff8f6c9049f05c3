import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteRPC
import MoteStorage
import MoteTransactions
import MoteWitness

/// Proof of Assignment at the node: the intake's view of the chain, and the inclusion of
/// pooled attestations in a `submitAttestations` transaction after each block.
extension Node {
    /// The most attestations in one transaction.
    static let attestationsPerTransaction = 200
    /// Gas allowed per attestation: an accepted one costs about 100,000 (docs/WITNESSING.md);
    /// unused gas is not charged. A fixed allowance keeps estimation (running the batch) off the
    /// node's actor.
    static let gasPerAttestation: UInt64 = 150_000
    /// Gas for the transaction itself (21,000) and its calldata.
    static let attestationTransactionGas: UInt64 = 100_000

    /// After block `height`: sends the pooled attestations in one transaction from this node's
    /// operator account, unless the previous one is still pending. Runs off the consensus path
    /// (a task); witnessing never holds up a block.
    func includeAttestations(after height: UInt64) {
        guard let operatorAccount, let attestationPool, attestationPool.count > 0 else { return }
        guard let parameters = witnessParametersCached() else { return }
        // One transaction in flight at a time: the pool's nonce is ahead of the state's while one waits.
        let stateNonce = ((try? ledger.account(operatorAccount.address)) ?? Account()).nonce
        guard pool.nonce(for: operatorAccount.address) == stateNonce else { return }
        // At most half a block's gas, so that the transaction always fits.
        let gasBudget = genesis.gasLimit / 2
        guard gasBudget > Self.attestationTransactionGas + Self.gasPerAttestation else { return }
        let fitting = Int((gasBudget - Self.attestationTransactionGas) / Self.gasPerAttestation)
        let batch = attestationPool.take(
            head: height, window: parameters.attestationWindow, maxCount: min(Self.attestationsPerTransaction, fitting))
        guard !batch.isEmpty,
            let calldata = try? WitnessPoolABI.submitAttestations.abi.encodeCall([.array(batch.map { .bytes($0.binary) })])
        else { return }
        let gas = Self.attestationTransactionGas + Self.gasPerAttestation * UInt64(batch.count)
        guard let raw = operatorAccount.call(WitnessPoolABI.address, data: calldata, gas: gas, nonce: stateNonce, nextBaseFee: ledger.nextBaseFee)
        else { return }
        let count = batch.count
        Task { [weak self] in
            guard let self else { return }
            switch await self.submit([raw], fromClient: false)[0] {
            case .success(let hash): self.output("attestations: \(count) submitted in \(hash.hex)")
            case .failure(let error): self.output("attestations: \(count) not submitted: \(error)")
            }
        }
    }

    /// The WitnessPool's parameters at the head, or nil when the chain has none.
    func readWitnessParameters() -> WitnessParameters? {
        guard let values = try? view(WitnessPoolABI.witnessParameters, []), values.count >= 5,
            let expected = values[0].uintValue, let window = values[4].uintValue
        else { return nil }
        return WitnessParameters(expectedWitnesses: expected.l0, attestationWindow: window.l0)
    }

    /// The weight of the witness with `witnessKey` in `epoch`, and the total.
    func witnessWeights(witnessKey: [UInt8], epoch: UInt64) -> (weight: UInt64, totalWeight: UInt64)? {
        guard let id = (try? view(WitnessPoolABI.witnessByKey, [.fixedBytes(witnessKey)]))?.first?.addressValue else { return nil }
        if id == .zero { return (0, 0) }
        guard let values = try? view(WitnessPoolABI.epochWeights, [.uint(UInt256(epoch)), .address(id)]), values.count == 2,
            let weight = values[0].uintValue, let total = values[1].uintValue
        else { return nil }
        return (weight.l0, total.l0)
    }

    /// The WitnessPool's parameters, read once they can be.
    func witnessParametersCached() -> WitnessParameters? {
        if let witnessParametersCache { return witnessParametersCache }
        witnessParametersCache = readWitnessParameters()
        return witnessParametersCache
    }

    func witnessEpochSeed(_ epoch: UInt64) -> Hash32? { try? ledger.seed(ofEpoch: epoch) }

    /// A view function of the WitnessPool at the head.
    private func view(_ function: SystemFunction, _ arguments: [ABIValue]) throws -> [ABIValue] {
        let calldata = try function.abi.encodeCall(arguments)
        let output = try ledger.call(from: .zero, to: WitnessPoolABI.address, data: calldata, gasLimit: 100_000_000).get()
        return try function.abi.decodeOutput(output)
    }
}

/// The intake's view of the chain: heights from the store, the rest through the node's actor.
struct NodeAttestationView: AttestationChainView {
    let node: Node
    let store: any ChainStore
    let schedule: EpochScheduleView

    func headHeight() async -> UInt64 { ((try? store.head()) ?? nil)?.height ?? 0 }
    func epoch(ofHeight height: UInt64) -> UInt64 { schedule.epoch(ofHeight: height) }
    func witnessParameters() async -> WitnessParameters? { await node.witnessParametersCached() }
    func epochSeed(_ epoch: UInt64) async -> Hash32? { await node.witnessEpochSeed(epoch) }
    func weights(witnessKey: [UInt8], epoch: UInt64) async -> (weight: UInt64, totalWeight: UInt64)? {
        await node.witnessWeights(witnessKey: witnessKey, epoch: epoch)
    }
}

/// Epoch arithmetic without the rest of the schedule.
struct EpochScheduleView: Sendable {
    let epochLength: UInt64
    func epoch(ofHeight height: UInt64) -> UInt64 { height == 0 ? 0 : (height - 1) / epochLength + 1 }
}
