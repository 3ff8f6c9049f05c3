import MoteChain
import MoteCrypto
import MoteContracts
import MotePrimitives

/// A native protocol living at a reserved address: called by ordinary transactions whose
/// calldata is Solidity-ABI encoded, emitting ABI-encoded logs, with a published ABI.
///
/// A contract is deterministic code over `SystemCallContext`: it reads and writes only its
/// own storage, moves value only through the context, and is metered in gas. Throwing
/// `SystemContractRevert` undoes everything the call did (the fee is still paid).
public protocol SystemContract: Sendable {
    /// Its interface (MoteContracts): address, name, functions, events.
    associatedtype ABI: SystemContractABI
    /// The reserved address.
    var address: Address { get }
    /// A short name, e.g. "NodeRegistry".
    var name: String { get }
    /// The functions it answers (their selectors route calls).
    var functions: [SystemFunction] { get }
    /// The events it emits.
    var events: [SystemEvent] { get }
    /// Its functions' handlers, keyed by selector (checked complete against its ABI).
    static var handlers: SystemHandlers<Self> { get }
    /// When its end-of-block hook runs; nil for a contract without one.
    var endBlockPhase: EndBlockPhase? { get }
    /// Its work after the transactions of every block, as stages run by `stages` (each undone
    /// and recorded if it reverts). `context` is this contract's, with unlimited gas.
    func endBlock(_ block: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages) throws(LedgerError)
}

/// A system call that failed: everything it did is undone, with this reason in the receipt.
public struct SystemContractRevert: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The finalized chain as system contracts may read it: canonical block hashes and epoch
/// seeds, only of blocks committed before the running one, so every node sees the same.
public protocol ChainHistory {
    /// The canonical hash of the committed block at `height`; nil above the newest one.
    func blockHash(atHeight height: UInt64) -> Hash32?
    /// The seed of `epoch` (≥ 1), nil while it is not yet fixed by the committed chain.
    func epochSeed(ofEpoch epoch: UInt64) -> Hash32?
}

/// A chain with no history (genesis building, tests of contracts that do not read it).
public struct NoChainHistory: ChainHistory {
    public init() {}
    public func blockHash(atHeight height: UInt64) -> Hash32? { nil }
    public func epochSeed(ofEpoch epoch: UInt64) -> Hash32? { nil }
}

/// What a system contract can see and do during one call. Every operation is metered.
public final class SystemCallContext {
    /// Who called (the transaction's sender, or `eth_call`'s `from`).
    public let caller: Address
    /// MOTE sent with the call (already credited to the contract's account).
    public let value: UInt256
    /// The block's height and timestamp.
    public let height: UInt64
    public let timestamp: UInt64
    /// False for `eth_call`: writes are refused.
    public let canWrite: Bool
    /// The contract's address.
    public let address: Address
    /// The committed chain before this block (read-only, deterministic).
    public let chain: any ChainHistory
    /// The protocol's parameters in force (genesis values unless the state overrides an area;
    /// `ParameterSource`). Contracts read them here, never from the genesis.
    public let parameters: ProtocolParameters

    let state: WorldState
    private(set) var gasUsed: UInt64 = 0
    let gasLimit: UInt64
    private(set) var logs: [Log] = []

    /// Gas schedule (documented in docs/LEDGER.md).
    public enum Gas {
        public static let storageRead: UInt64 = 2_100
        public static let storageWriteNew: UInt64 = 20_000
        public static let storageWriteUpdate: UInt64 = 5_000
        public static let storageBytePrice: UInt64 = 16
        public static let log: UInt64 = 375
        public static let logTopic: UInt64 = 375
        public static let logByte: UInt64 = 8
        public static let transfer: UInt64 = 9_000
    }

    init(caller: Address, value: UInt256, height: UInt64, timestamp: UInt64, canWrite: Bool, address: Address,
         state: WorldState, gasLimit: UInt64, parameters: ProtocolParameters, chain: any ChainHistory = NoChainHistory()) {
        self.caller = caller
        self.parameters = parameters
        self.chain = chain
        self.value = value
        self.height = height
        self.timestamp = timestamp
        self.canWrite = canWrite
        self.address = address
        self.state = state
        self.gasLimit = gasLimit
    }

    /// Charges `amount` gas; reverts with "out of gas" past the limit.
    public func charge(_ amount: UInt64) throws(SystemContractRevert) {
        let (total, overflow) = gasUsed.addingReportingOverflow(amount)
        guard !overflow, total <= gasLimit else {
            gasUsed = gasLimit
            throw SystemContractRevert("out of gas")
        }
        gasUsed = total
    }

    /// Reads a storage slot of this contract.
    public func load(_ slot: Hash32) throws(SystemContractRevert) -> [UInt8]? { try load(slot, of: address) }

    /// Writes (or with nil, clears) a storage slot of this contract.
    public func store(_ slot: Hash32, _ value: [UInt8]?) throws(SystemContractRevert) { try store(slot, value, of: address) }

    /// Reads a value of `contract`'s storage: system contracts of one protocol (staking and
    /// rewarding) keep each other's books. Metered as one read whatever its length (the world
    /// state keeps it as 32-byte words, `StorageLayout`).
    func load(_ slot: Hash32, of contract: Address) throws(SystemContractRevert) -> [UInt8]? {
        try charge(Gas.storageRead)
        do { return try state.storageValue(contract, slot) } catch { throw SystemContractRevert("storage: \(error)") }
    }

    /// Writes (or with nil, clears) a value of `contract`'s storage.
    func store(_ slot: Hash32, _ value: [UInt8]?, of contract: Address) throws(SystemContractRevert) {
        guard canWrite else { throw SystemContractRevert("state change in a read-only call") }
        let previous: [UInt8]?
        do { previous = try state.storageValue(contract, slot) } catch { throw SystemContractRevert("storage: \(error)") }
        let bytes = UInt64(value?.count ?? 0)
        try charge((previous == nil ? Gas.storageWriteNew : Gas.storageWriteUpdate) + bytes * Gas.storageBytePrice)
        do { try state.setStorageValue(contract, slot, value) } catch { throw SystemContractRevert("storage: \(error)") }
    }

    /// The balance of `account`.
    func balance(of account: Address) throws(SystemContractRevert) -> UInt256 {
        do { return try state.account(account).balance } catch { throw SystemContractRevert("balance: \(error)") }
    }

    /// Emits an event log.
    public func emit(_ event: SystemEvent, _ values: [ABIValue]) throws(SystemContractRevert) {
        guard canWrite else { return }
        let encoded: (topics: [Hash32], data: [UInt8])
        do { encoded = try event.abi.encodeLog(values) } catch { throw SystemContractRevert("event \(event.abi.signature): \(error)") }
        try charge(Gas.log + Gas.logTopic * UInt64(encoded.topics.count) + Gas.logByte * UInt64(encoded.data.count))
        logs.append(Log(address: address, topics: encoded.topics, data: encoded.data))
    }

    /// Sends MOTE from this contract's balance.
    public func transfer(to recipient: Address, amount: UInt256) throws(SystemContractRevert) {
        guard canWrite else { throw SystemContractRevert("transfer in a read-only call") }
        try charge(Gas.transfer)
        let balance: UInt256
        do { balance = try state.account(address).balance } catch { throw SystemContractRevert("transfer: \(error)") }
        guard balance >= amount else { throw SystemContractRevert("contract balance too low") }
        do {
            try state.modify(address) { $0.balance -= amount }
            try state.modify(recipient) { $0.balance += amount }
        } catch {
            throw SystemContractRevert("transfer: \(error)")
        }
    }
}

/// The system contracts of a chain, by address.
public struct SystemContracts: Sendable {
    public let all: [any SystemContract]
    /// Where the contracts read the protocol's parameters.
    public let parameterSource: any ParameterSource

    public init(_ contracts: [any SystemContract], parameters: any ParameterSource) {
        all = contracts
        parameterSource = parameters
    }

    /// The contracts every Mote chain has: the node registry, staking, rewarding, the device registry, the witness pool
    /// and the MachineFi project registry. `appletRuntime` runs MachineFi applets (tests may pass their own).
    public static func standard(_ genesis: Genesis, appletRuntime: any ProjectAppletRuntime = WasmAppletRuntime()) -> SystemContracts {
        SystemContracts(
            [
                NodeRegistryContract(genesis: genesis), StakingContract(genesis: genesis), RewardingContract(genesis: genesis),
                DeviceRegistryContract(genesis: genesis), WitnessPoolContract(genesis: genesis),
                ProjectRegistryContract(genesis: genesis, runtime: appletRuntime),
            ], parameters: StateParameterSource(defaults: genesis.parameters))
    }

    /// The standard contracts with default parameters, for listing them and their ABIs.
    public static let listed = SystemContracts.standard(Genesis(chainID: 1, timestamp: 0, gasLimit: 30_000_000, baseFee: 0, allocations: []))

    /// The contract named `name` (case-insensitive).
    public func contract(named name: String) -> (any SystemContract)? { all.first { $0.name.lowercased() == name.lowercased() } }

    /// The contract at `address`, if any.
    public func contract(at address: Address) -> (any SystemContract)? {
        all.first { $0.address == address }
    }
}

extension SystemContract {
    public var address: Address { ABI.address }
    public var name: String { ABI.name }
    /// Its ABI JSON (as solc writes it), for web3 clients.
    public var abiJSON: [[String: Any]] { ABI.abiJSON }
    public var functions: [SystemFunction] { ABI.functions }
    public var events: [SystemEvent] { ABI.events }

    /// Runs `function` with decoded `arguments` (its handler); returns the output values.
    public func call(_ function: SystemFunction, arguments: [ABIValue], context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        guard let entry = Self.handlers.entry(forCalldata: function.selector) else { throw SystemContractRevert("\(name): no function \(function.name)") }
        return try entry.handler(self)(CallArguments(function: function, values: arguments), context)
    }

    /// Runs the call in `calldata`: the function found by its selector, refused if it writes in
    /// a read-only call or takes value it is not payable for, its arguments decoded strictly,
    /// its outputs encoded.
    public func run(calldata: [UInt8], context: SystemCallContext) throws(SystemContractRevert) -> [UInt8] {
        guard let (function, handler) = Self.handlers.entry(forCalldata: calldata) else {
            let selector = calldata.count >= 4 ? Hex.encode(calldata.prefix(4)) : "(none)"
            throw SystemContractRevert("\(name): no function with selector \(selector)")
        }
        if function.mutating, !context.canWrite { throw SystemContractRevert("\(function.name) changes state; send a transaction") }
        if !function.payable, !context.value.isZero { throw SystemContractRevert("\(function.name) is not payable") }
        let arguments: [ABIValue]
        do { arguments = try function.abi.decodeCall(calldata) } catch {
            throw SystemContractRevert("\(name).\(function.name): bad arguments: \(error)")
        }
        let outputs = try handler(self)(CallArguments(function: function, values: arguments), context)
        do { return try function.abi.encodeOutput(outputs) } catch {
            throw SystemContractRevert("\(name).\(function.name): bad output: \(error)")
        }
    }

    public var endBlockPhase: EndBlockPhase? { nil }
    public func endBlock(_ block: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages) throws(LedgerError) {}
}

/// A call's decoded arguments, read by the names its function declares in the ABI (never by
/// position). The values were decoded strictly against the function's input types, so a
/// typed read fails only if a handler asks for the wrong type (a bug, reverted).
public struct CallArguments {
    public let function: SystemFunction
    public let values: [ABIValue]

    public init(function: SystemFunction, values: [ABIValue]) {
        self.function = function
        self.values = values
    }

    /// The argument named `name`; asking for a name the function does not declare is a
    /// programming error.
    public subscript(_ name: String) -> ABIValue {
        guard let index = function.inputNames.firstIndex(of: name), index < values.count else {
            preconditionFailure("\(function.name) has no argument named \(name)")
        }
        return values[index]
    }

    public func address(_ name: String) throws(SystemContractRevert) -> Address { try self[name].address() }
    public func string(_ name: String) throws(SystemContractRevert) -> String { try self[name].string() }
    public func bool(_ name: String) throws(SystemContractRevert) -> Bool { try self[name].bool() }
    public func bytes(_ name: String) throws(SystemContractRevert) -> [UInt8] { try self[name].bytes() }
    public func fixedBytes(_ name: String) throws(SystemContractRevert) -> [UInt8] { try self[name].fixedBytes() }
    public func uint256(_ name: String) throws(SystemContractRevert) -> UInt256 { try self[name].uint256() }
    public func uint64(_ name: String) throws(SystemContractRevert) -> UInt64 { try self[name].uint64() }
    public func uint32(_ name: String) throws(SystemContractRevert) -> UInt32 { try self[name].uint32() }
    public func uint16(_ name: String) throws(SystemContractRevert) -> UInt16 { try self[name].uint16() }
    public func array(_ name: String) throws(SystemContractRevert) -> [ABIValue] { try self[name].arrayValue() }
}

/// A function's handler: a method of the contract, taking its arguments and the call's context.
public typealias SystemHandler<Contract> = (Contract) -> (CallArguments, SystemCallContext) throws(SystemContractRevert) -> [ABIValue]

/// A contract's handlers keyed by selector. Built once, and checked then: every function of
/// the contract's ABI has exactly one handler, and no handler is for a function outside it.
///
/// `@unchecked Sendable`: immutable after init; the handlers are unapplied methods.
public struct SystemHandlers<Contract>: @unchecked Sendable {
    private let table: [UInt32: (function: SystemFunction, handler: SystemHandler<Contract>)]

    public init(_ abi: any SystemContractABI.Type, _ entries: [(SystemFunction, SystemHandler<Contract>)]) {
        var table: [UInt32: (function: SystemFunction, handler: SystemHandler<Contract>)] = [:]
        for (function, handler) in entries {
            precondition(abi.functions.contains { $0.selector == function.selector }, "\(function.name) is not in \(abi.name)'s ABI")
            precondition(table[Self.key(function.selector)] == nil, "two handlers for \(abi.name).\(function.name)")
            table[Self.key(function.selector)] = (function, handler)
        }
        for function in abi.functions { precondition(table[Self.key(function.selector)] != nil, "no handler for \(abi.name).\(function.name)") }
        self.table = table
    }

    private static func key(_ selector: some Collection<UInt8>) -> UInt32 { selector.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }

    /// The function and handler whose selector starts `calldata`.
    public func entry(forCalldata calldata: [UInt8]) -> (function: SystemFunction, handler: SystemHandler<Contract>)? {
        guard calldata.count >= 4 else { return nil }
        return table[Self.key(calldata.prefix(4))]
    }
}
