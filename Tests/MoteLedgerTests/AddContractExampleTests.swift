import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTransactions
import Foundation
import MoteTestSupport
import Testing

@testable import MoteLedger

// The example of docs/SYSTEM_CONTRACTS.md, as written there (kept in step by
// `theExampleInTheDocIsThisCode`): a contract added in its two files.

public enum CounterABI: SystemContractABI {
    public static let address = SystemAddresses.reserved(7)
    public static let name = "Counter"

    public static let bump = SystemFunction("bump", inputs: [("by", "uint64")], outputs: [("value", "uint64")], mutating: true)
    public static let value = SystemFunction("value", outputs: [("value", "uint64")], mutating: false)
    public static let bumped = SystemEvent("Bumped", [("by", "address", true), ("value", "uint64", false)])

    public static let functions: [SystemFunction] = [bump, value]
    public static let events: [SystemEvent] = [bumped]
}


public struct CounterContract: SystemContract {
    public typealias ABI = CounterABI

    public static let handlers = SystemHandlers<CounterContract>(CounterABI.self, [
        (CounterABI.bump, CounterContract.bump), (CounterABI.value, CounterContract.value),
    ])

    static let valueSlot = StorageLayout.slot("value")

    func bump(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let (next, overflow) = try read(context).addingReportingOverflow(try a.uint64("by"))
        guard !overflow else { throw SystemContractRevert("the counter would pass 2^64 - 1") }
        try context.store(Self.valueSlot, next == 0 ? nil : next.minimalBigEndianBytes)
        try context.emit(CounterABI.bumped, [.address(context.caller), .uint(UInt256(next))])
        return [.uint(UInt256(next))]
    }

    func value(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        [.uint(UInt256(try read(context)))]
    }

    private func read(_ context: SystemCallContext) throws(SystemContractRevert) -> UInt64 {
        (try context.load(Self.valueSlot) ?? []).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// Adding a system contract as docs/SYSTEM_CONTRACTS.md shows: the ABI and the contract, then
/// one entry in the chain's list; routing, dispatch, eth_call, logs and the code marker follow.
@Suite struct AddContractExampleTests {
    @Test func anAddedContractIsCalledLikeTheOthers() throws {
        let genesis = Fixture.genesis()
        let ledger = try Ledger(
            store: InMemoryChainStore(), genesis: genesis, contracts: SystemContracts(
                SystemContracts.standard(genesis).all + [CounterContract()], parameters: StateParameterSource(defaults: genesis.parameters)))
        let bump = Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 200_000,
            to: CounterABI.address, value: .zero, data: try CounterABI.bump.abi.encodeCall([.uint(5)])
        ).signed(with: Fixture.keys[0])
        let built = try ledger.buildBlock(candidates: [bump], producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        try ledger.commit(built.commit)
        let receipt = try #require(built.commit.receipts.first)
        #expect(receipt.succeeded, "\(receipt.failureReason ?? "")")
        #expect(receipt.logs.first?.topics.first == CounterABI.bumped.abi.topic0)
        let output = try ledger.call(from: .zero, to: CounterABI.address, data: try CounterABI.value.abi.encodeCall([])).get()
        #expect(try CounterABI.value.abi.decodeOutput(output) == [.uint(5)])
        #expect(ledger.code(at: CounterABI.address) == [0xfe, 0x4d, 0x4f, 0x54, 0x45, 0x00, 0x07])
        // A selector it does not have reverts.
        let refused = try ledger.call(from: .zero, to: CounterABI.address, data: [1, 2, 3, 4])
        #expect(throws: SystemContractRevert.self) { try refused.get() }
    }

    @Test func theExampleInTheDocIsThisCode() throws {
        let doc = try String(contentsOf: Vectors.packageRoot.appendingPathComponent("docs/SYSTEM_CONTRACTS.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        for line in doc.split(separator: "\n") where line.hasPrefix("    public static let bump") || line.hasPrefix("    func bump") {
            #expect(source.contains(line), "docs/SYSTEM_CONTRACTS.md and this test differ at: \(line)")
        }
    }
}
