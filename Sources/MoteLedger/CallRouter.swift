import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives

/// A message call, wherever it comes from: a transaction, `eth_call`, `eth_estimateGas`, a
/// simulation, or (later) code calling other code.
public struct CallMessage: Sendable {
    public var caller: Address
    public var to: Address
    public var value: UInt256
    public var data: [UInt8]
    /// Gas for the call itself (after the intrinsic gas).
    public var gasLimit: UInt64
    /// False for a read-only call: writes are refused.
    public var canWrite: Bool

    public init(caller: Address, to: Address, value: UInt256 = .zero, data: [UInt8], gasLimit: UInt64, canWrite: Bool = true) {
        (self.caller, self.to, self.value, self.data, self.gasLimit, self.canWrite) = (caller, to, value, data, gasLimit, canWrite)
    }
}

/// What a call did. On failure every change it made is for the caller to undo (`revert`).
public struct CallOutcome: Sendable {
    public var gasUsed: UInt64
    /// The ABI-encoded output (empty for a plain account).
    public var output: [UInt8]
    public var logs: [Log]
    /// Why it failed, or nil.
    public var revert: String?

    public static func success(gas: UInt64 = 0, output: [UInt8] = [], logs: [Log] = []) -> CallOutcome {
        CallOutcome(gasUsed: gas, output: output, logs: logs, revert: nil)
    }

    public static func failure(gas: UInt64, _ reason: String) -> CallOutcome { CallOutcome(gasUsed: gas, output: [], logs: [], revert: reason) }
}

/// Where a call to an address goes.
public enum CallTarget {
    /// A system contract at a reserved address.
    case systemContract(any SystemContract)
    /// An account with code (run by the `AccountCodeRunner`).
    case accountCode(Hash32)
    /// An account without code: the value moves, nothing runs.
    case plainAccount
}

/// Runs code stored in accounts: the seam the EVM plugs into. It may call back into
/// `CallRouter.call` for the calls its code makes (system contracts included).
public protocol AccountCodeRunner: Sendable {
    func run(codeHash: Hash32, message: CallMessage, state: WorldState, block: BlockContext, chain: any ChainHistory, router: CallRouter) -> CallOutcome
}

/// The one place that decides what a call runs — system contract, else account code, else a
/// plain transfer — used by block execution, `eth_call`, `eth_estimateGas` and simulations.
public struct CallRouter: Sendable {
    public let contracts: SystemContracts
    /// Runs account code; nil while Mote has no EVM (a call to code then fails).
    public let codeRunner: (any AccountCodeRunner)?

    public init(contracts: SystemContracts, codeRunner: (any AccountCodeRunner)? = nil) {
        self.contracts = contracts
        self.codeRunner = codeRunner
    }

    /// Where a call to `address` goes, given `state`.
    public func target(of address: Address, state: WorldState) throws(LedgerError) -> CallTarget {
        if let contract = contracts.contract(at: address) { return .systemContract(contract) }
        let account = try state.account(address)
        return account.codeHash == Account.emptyCodeHash ? .plainAccount : .accountCode(account.codeHash)
    }

    /// The code `eth_getCode` shows for `address`: a system contract's marker
    /// (`SystemAddresses.codeMarker`), else none (Mote stores no account code yet).
    public func code(at address: Address) -> [UInt8] {
        contracts.contract(at: address) == nil ? [] : SystemAddresses.codeMarker(address)
    }

    /// Moves `message.value` from the caller to the target, then runs the target. Changes are
    /// left in `state` whatever the outcome: the caller reverts to its checkpoint on failure.
    public func call(_ message: CallMessage, state: WorldState, block: BlockContext, chain: any ChainHistory) -> CallOutcome {
        if !message.value.isZero {
            guard message.canWrite else { return .failure(gas: 0, "value sent in a read-only call") }
            do {
                let balance = try state.account(message.caller).balance
                guard balance >= message.value else {
                    return .failure(gas: 0, "insufficient funds for transfer: balance \(balance), value \(message.value)")
                }
                try state.modify(message.caller) { $0.balance -= message.value }
                try state.modify(message.to) { $0.balance += message.value }
            } catch {
                return .failure(gas: 0, "\(error)")
            }
        }
        let target: CallTarget
        do { target = try self.target(of: message.to, state: state) } catch { return .failure(gas: 0, "\(error)") }
        switch target {
        case .plainAccount:
            return .success()
        case .systemContract(let contract):
            let parameters: ProtocolParameters
            do { parameters = try contracts.parameterSource.parameters(state) } catch { return .failure(gas: 0, "\(error)") }
            let context = SystemCallContext(
                caller: message.caller, value: message.value, height: block.height, timestamp: block.timestamp, canWrite: message.canWrite,
                address: message.to, state: state, gasLimit: message.gasLimit, parameters: parameters, chain: chain)
            do throws(SystemContractRevert) {
                let output = try contract.run(calldata: message.data, context: context)
                return .success(gas: context.gasUsed, output: output, logs: context.logs)
            } catch {
                return .failure(gas: context.gasUsed, error.reason)
            }
        case .accountCode(let codeHash):
            guard let codeRunner else { return .failure(gas: 0, "the account has code, and this chain runs no EVM yet") }
            return codeRunner.run(codeHash: codeHash, message: message, state: state, block: block, chain: chain, router: self)
        }
    }
}
