import Foundation
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteRPCClient

/// What the result poster needs of the chain (the seam its tests fake): the ProjectRegistry's
/// views, the latest block time, and sending the operator's signed transactions.
public protocol ProjectChain: Sendable {
    /// The operator's address (the poster's key).
    var operatorAddress: Address { get }
    /// The latest block's timestamp, Unix seconds.
    func latestTimestamp() async throws(RPCClientError) -> UInt64
    func projectCount() async throws(RPCClientError) -> UInt64
    func project(_ id: UInt64) async throws(RPCClientError) -> ChainProject
    func appletCode(of project: UInt64) async throws(RPCClientError) -> [UInt8]
    func devices(of project: UInt64) async throws(RPCClientError) -> [Address]
    /// The block time from which a joined device's windows count (`membership(…).since`: its
    /// latest join or resume; the chain refuses earlier windows); nil if it has not joined.
    func memberSince(project: UInt64, device: Address) async throws(RPCClientError) -> UInt64?
    /// Whether the operator may post for a joined device (`mayPost`): its owner chose it with
    /// `setPoster`, or it is the owner. The chain refuses anyone else's results.
    func mayPost(project: UInt64, device: Address) async throws(RPCClientError) -> Bool
    /// The live result's id for (project, device, window), 0 for none.
    func resultID(project: UInt64, device: Address, window: UInt64) async throws(RPCClientError) -> UInt64
    /// A result's status (nil for a value this build does not know).
    func resultStatus(_ id: UInt64) async throws(RPCClientError) -> ResultStatus?
    /// The operator's bond: total and the part locked by unsettled results.
    func bond() async throws(RPCClientError) -> (total: UInt256, locked: UInt256)
    /// `minimumOperatorBond` from `projectParameters()`.
    func minimumOperatorBond() async throws(RPCClientError) -> UInt256
    /// Sends `postResult(claim)`; returns the transaction hash. A call that would revert is
    /// refused (`RPCClientError.revertedCode`) before anything is sent.
    func postResult(_ claim: ResultClaim) async throws(RPCClientError) -> Hash32
    /// Sends `depositBond()` with `amount`.
    func depositBond(_ amount: UInt256) async throws(RPCClientError) -> Hash32
    /// A sent transaction's status: nil while it has no receipt, else whether it succeeded.
    func transactionSucceeded(_ hash: Hash32) async throws(RPCClientError) -> Bool?
}

/// ``ProjectChain`` over a node's JSON-RPC: the ProjectRegistry's views through a
/// `ContractCaller`, its calls signed here (the key never leaves the process) and sent by a
/// `TransactionSender`.
public struct RPCProjectChain: ProjectChain {
    public let client: JSONRPCClient
    private let caller: ContractCaller
    private let sender: TransactionSender

    public init(client: JSONRPCClient, key: Secp256k1.PrivateKey) {
        self.client = client
        caller = ContractCaller(client: client)
        sender = TransactionSender(client: client, key: key)
    }

    public var operatorAddress: Address { sender.sender }

    public func latestTimestamp() async throws(RPCClientError) -> UInt64 {
        let block = try await client.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard let timestamp = block["timestamp"]?.quantity64 else { throw .badResponse("the latest block has no timestamp") }
        return timestamp
    }

    public func projectCount() async throws(RPCClientError) -> UInt64 {
        try await outputs(ProjectRegistryABI.projectCount, [], count: 1).uint64(0)
    }

    public func project(_ id: UInt64) async throws(RPCClientError) -> ChainProject {
        let values = try await view(ProjectRegistryABI.project, [.uint(UInt256(id))])
        var project: ChainProject
        do { project = try ChainProject(id: id, values) } catch { throw .badResponse(error.description) }
        if !project.isActive {
            let closure = try await outputs(ProjectRegistryABI.projectClosure, [.uint(UInt256(id))], count: 2)
            (project.closedAt, project.refunded) = (try closure.uint64(0), try closure.bool(1))
        }
        return project
    }

    public func appletCode(of project: UInt64) async throws(RPCClientError) -> [UInt8] {
        try await outputs(ProjectRegistryABI.appletOf, [.uint(UInt256(project))], count: 1).bytes(0)
    }

    public func devices(of project: UInt64) async throws(RPCClientError) -> [Address] {
        try await outputs(ProjectRegistryABI.projectDevices, [.uint(UInt256(project))], count: 1).addresses(0)
    }

    public func memberSince(project: UInt64, device: Address) async throws(RPCClientError) -> UInt64? {
        let v = try await outputs(ProjectRegistryABI.membership, [.uint(UInt256(project)), .address(device)], count: 2)
        return try v.bool(0) ? try v.uint64(1) : nil
    }

    public func mayPost(project: UInt64, device: Address) async throws(RPCClientError) -> Bool {
        try await outputs(ProjectRegistryABI.mayPost, [.uint(UInt256(project)), .address(device), .address(operatorAddress)], count: 1).bool(0)
    }

    public func resultID(project: UInt64, device: Address, window: UInt64) async throws(RPCClientError) -> UInt64 {
        try await outputs(ProjectRegistryABI.resultOf, [.uint(UInt256(project)), .address(device), .uint(UInt256(window))], count: 1).uint64(0)
    }

    public func resultStatus(_ id: UInt64) async throws(RPCClientError) -> ResultStatus? {
        let v = try await outputs(ProjectRegistryABI.result, [.uint(UInt256(id))], count: ProjectRegistryABI.resultOutputs.count)
        return ResultStatus(rawValue: UInt8(truncatingIfNeeded: try v.uint64(9)))
    }

    public func bond() async throws(RPCClientError) -> (total: UInt256, locked: UInt256) {
        let v = try await outputs(ProjectRegistryABI.bondOf, [.address(operatorAddress)], count: 2)
        return (try v.uint(0), try v.uint(1))
    }

    public func minimumOperatorBond() async throws(RPCClientError) -> UInt256 {
        let function = ProjectRegistryABI.projectParameters
        return try await outputs(function, [], count: function.abi.outputs.count).uint(0)
    }

    public func postResult(_ claim: ResultClaim) async throws(RPCClientError) -> Hash32 {
        try await send(TransactionSender.Request(to: ProjectRegistryABI.address, data: claim.calldata))
    }

    public func depositBond(_ amount: UInt256) async throws(RPCClientError) -> Hash32 {
        try await send(TransactionSender.Request(to: ProjectRegistryABI.address, value: amount, data: try! ProjectRegistryABI.depositBond.abi.encodeCall([])))
    }

    public func transactionSucceeded(_ hash: Hash32) async throws(RPCClientError) -> Bool? {
        guard let receipt = try await sender.receipt(hash) else { return nil }
        return receipt["status"]?.quantity == UInt256(1)
    }

    // MARK: Calls and transactions

    private func view(_ function: SystemFunction, _ arguments: [ABIValue]) async throws(RPCClientError) -> [ABIValue] {
        try await caller.call(function, of: ProjectRegistryABI.self, arguments)
    }

    private func outputs(_ function: SystemFunction, _ arguments: [ABIValue], count: Int) async throws(RPCClientError) -> CheckedOutputs {
        CheckedOutputs(try await view(function, arguments), function.name, count: count)
    }

    /// Signs and sends a call of the registry; one that would revert is refused with the
    /// contract's reason (`RPCClientError.revertedCode`) before anything is sent.
    private func send(_ request: TransactionSender.Request) async throws(RPCClientError) -> Hash32 {
        do { return try await sender.send(request) } catch {
            switch error {
            case .node(let error): throw error
            case .wouldRevert(let reason):
                throw RPCClientError(.refused(code: RPCClientError.revertedCode, message: "execution reverted: \(reason)"), error.description)
            case .invalid(let why): throw .badResponse(why)
            }
        }
    }
}

/// `ABIOutputs` whose shape errors are `RPCClientError`s (an answer of the wrong shape).
private struct CheckedOutputs {
    let outputs: Result<ABIOutputs, ContractViewError>

    init(_ values: [ABIValue], _ what: String, count: Int) {
        outputs = Result { () throws(ContractViewError) in try ABIOutputs(values, what, count: count) }
    }

    private func read<T>(_ body: (ABIOutputs) throws(ContractViewError) -> T) throws(RPCClientError) -> T {
        do { return try body(try outputs.get()) } catch { throw .badResponse(error.description) }
    }

    func uint(_ i: Int) throws(RPCClientError) -> UInt256 { try read { o throws(ContractViewError) in try o.uint(i) } }
    func uint64(_ i: Int) throws(RPCClientError) -> UInt64 { try read { o throws(ContractViewError) in try o.uint64(i) } }
    func bool(_ i: Int) throws(RPCClientError) -> Bool { try read { o throws(ContractViewError) in try o.bool(i) } }
    func bytes(_ i: Int) throws(RPCClientError) -> [UInt8] { try read { o throws(ContractViewError) in try o.bytes(i) } }
    func addresses(_ i: Int) throws(RPCClientError) -> [Address] { try read { o throws(ContractViewError) in try o.addresses(i) } }
}
