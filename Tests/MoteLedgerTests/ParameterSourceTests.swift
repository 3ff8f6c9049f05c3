import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTransactions
import Testing

@testable import MoteLedger

/// The protocol's parameters by area, read through the state: genesis values unless the state
/// holds a well-formed override for an area.
@Suite struct ParameterSourceTests {
    @Test func areasReadTheFlatGenesisObjectAndCheckTheirBounds() throws {
        let json = Data(#"{"epochLength": 10, "minStakeAmount": "5", "defaultRetentionDays": 7, "challengerShare": 20}"#.utf8)
        let p = try JSONDecoder().decode(ProtocolParameters.self, from: json)
        #expect(p.epochLength == 10 && p.staking.minStakeAmount.value == UInt256(5) && p.devices.defaultRetentionDays == 7)
        #expect(p.projects.challengerShare == 20 && p.numDelegates == ProtocolParameters().numDelegates)
        #expect(p.problems.isEmpty)
        // Written back flat, read back the same.
        let again = try JSONDecoder().decode(ProtocolParameters.self, from: try JSONEncoder().encode(p))
        #expect(again == p)
        var bad = p
        bad.challengerShare = 101
        bad.numCandidateDelegates = 1
        bad.numDelegates = 2
        #expect(bad.problems == ["numCandidateDelegates below numDelegates", "challengerShare"])
        // Each area's RLP form reads back, and one out of bounds does not.
        #expect(StakingParameters(rlp: p.staking.rlp) == p.staking)
        #expect(ProjectParameters(rlp: bad.projects.rlp) == nil)
        #expect(DeviceParameters(rlp: .list([.uint(UInt64(1))])) == nil)
    }

    @Test func anOverrideInTheStateIsWhatContractsRead() throws {
        let genesis = Fixture.genesis()
        let ledger = try Ledger(store: InMemoryChainStore(), genesis: genesis)
        let state = ledger.headState()
        let source = StateParameterSource(defaults: genesis.parameters)
        #expect(try source.parameters(state) == genesis.parameters)

        var staking = genesis.parameters.staking
        staking.minStakeAmount = UInt256Text(UInt256(7) * ProtocolParameters.mote)
        try StateParameterSource.write(staking, to: state)
        let read = try source.parameters(state)
        #expect(read.staking == staking && read.devices == genesis.parameters.devices)

        // A contract call in that state sees the override.
        var devices = genesis.parameters.devices
        devices.deviceActivationFee = UInt256Text(UInt256(42))
        try StateParameterSource.write(devices, to: state)
        let block = BlockContext(height: 1, timestamp: 1_001, feeRecipient: .zero, baseFee: .zero, gasLimit: 1_000_000)
        let message = CallMessage(
            caller: .zero, to: DeviceRegistryABI.address, data: try DeviceRegistryABI.deviceParameters.abi.encodeCall([]), gasLimit: 1_000_000,
            canWrite: false)
        let outcome = ledger.executor.router.call(message, state: state, block: block, chain: NoChainHistory())
        #expect(outcome.revert == nil)
        #expect(try DeviceRegistryABI.deviceParameters.abi.decodeOutput(outcome.output).first == .uint(42))

        // A malformed override is ignored: the genesis value stays in force.
        try state.setStorageValue(StateParameterSource.address, StateParameterSource.slot(StakingParameters.self), [0xff, 0x00])
        #expect(try source.parameters(state).staking == genesis.parameters.staking)
    }
}
