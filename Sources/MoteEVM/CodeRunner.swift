import Foundation
import MotePrimitives
import MoteTransactions

/// Runs bytecode in a scratch in-memory state: deploy creation code, call a contract.
/// Used by `mote evm run` and `mote bench evm`; each call starts from the same state.
public final class CodeRunner {
    public let state = InMemoryEVMState()
    public let fork: Fork
    public var block: BlockEnvironment
    /// The funded account that sends every transaction.
    public let caller = try! Address(hex: "0x1000000000000000000000000000000000000001")
    private var nonce: UInt64 = 0

    public init(fork: Fork = .cancun, gasLimit: UInt64 = 1_000_000_000) {
        self.fork = fork
        block = BlockEnvironment(gasLimit: gasLimit, baseFee: .zero)
        state.setAccount(caller, EVMAccount(balance: UInt256(UInt64.max)))
    }

    /// Puts `code` at `address` directly (no constructor).
    public func install(code: [UInt8], at address: Address) {
        state.setAccount(address, EVMAccount(nonce: 1, code: code))
    }

    /// Runs creation code; on success the contract stays in the state.
    public func deploy(initCode: [UInt8], gas: UInt64) throws(InvalidTransaction) -> TransactionOutcome {
        let tx = EVMTransaction(sender: caller, to: nil, nonce: nonce, gasLimit: gas, data: initCode)
        let evmState = EVMState(reader: state)
        let outcome = try TransactionProcessor.execute(tx, block: block, fork: fork, state: evmState)
        state.apply(evmState.changes())
        nonce += 1
        return outcome
    }

    /// Calls `address` with `input`; the state is left as it was (commit: false) unless `commit`.
    public func call(
        _ address: Address, input: [UInt8], gas: UInt64, value: UInt256 = .zero, commit: Bool = false
    ) throws(InvalidTransaction) -> TransactionOutcome {
        let tx = EVMTransaction(sender: caller, to: address, nonce: nonce, gasLimit: gas, value: value, data: input)
        let evmState = EVMState(reader: state)
        let outcome = try TransactionProcessor.execute(tx, block: block, fork: fork, state: evmState)
        if commit {
            state.apply(evmState.changes())
            nonce += 1
        }
        return outcome
    }
}

/// Runs work on a thread with a large stack: a call chain 1024 frames deep recurses natively.
public enum EVMThread {
    public static let stackSize = 512 << 20

    public static func run<T>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let thread = Thread {
            box.value = body()
            box.done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        box.done.wait()
        return box.value!
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}
