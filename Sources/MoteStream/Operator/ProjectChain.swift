import Foundation
import MoteCrypto
import MotePrimitives
import MoteTransactions

/// A MachineFi project as the ProjectRegistry's `project(uint64)` view returns it.
public struct ChainProject: Equatable, Sendable {
    public var id: UInt64
    public var sponsor: Address
    public var name: String
    public var appletHash: Hash32
    public var params: [UInt8]
    public var rewardPerResult: UInt256
    public var windowSeconds: UInt64
    public var challengeSeconds: UInt64
    public var pool: UInt256
    public var reserved: UInt256
    /// 0 active; anything else (closed) takes no new results.
    public var status: UInt8
    public var deviceCount: UInt32
    /// When a closed project was closed (`projectClosure`): it still takes results for windows
    /// that ended by then until its free pool is `refunded`.
    public var closedAt: UInt64
    public var refunded: Bool

    public init(
        id: UInt64, sponsor: Address = .zero, name: String = "", appletHash: Hash32, params: [UInt8], rewardPerResult: UInt256 = .zero,
        windowSeconds: UInt64, challengeSeconds: UInt64 = 0, pool: UInt256 = .zero, reserved: UInt256 = .zero, status: UInt8 = 0,
        deviceCount: UInt32 = 0, closedAt: UInt64 = 0, refunded: Bool = false
    ) {
        self.id = id
        self.sponsor = sponsor
        self.name = name
        self.appletHash = appletHash
        self.params = params
        self.rewardPerResult = rewardPerResult
        self.windowSeconds = windowSeconds
        self.challengeSeconds = challengeSeconds
        self.pool = pool
        self.reserved = reserved
        self.status = status
        self.deviceCount = deviceCount
        self.closedAt = closedAt
        self.refunded = refunded
    }

    public var isActive: Bool { status == 0 }

    /// Whether the chain takes a result for `window` (of `windowSeconds`): any window while the
    /// project is active; once closed, windows that ended by the close until the refund.
    public func takesResults(window: UInt64) -> Bool {
        if isActive { return true }
        let (start, overflow) = window.multipliedReportingOverflow(by: windowSeconds)
        let (end, overflow2) = start.addingReportingOverflow(windowSeconds)
        return !refunded && !overflow && !overflow2 && end <= closedAt
    }
}

/// A `postResult` call: what the poster claims for one device's window.
public struct ResultClaim: Equatable, Sendable {
    public var projectID: UInt64
    public var deviceID: Address
    public var window: UInt64
    public var result: [UInt8]
    public var messageCount: UInt32
    public var messagesRoot: Hash32

    public init(projectID: UInt64, deviceID: Address, window: UInt64, result: [UInt8], messageCount: UInt32, messagesRoot: Hash32) {
        self.projectID = projectID
        self.deviceID = deviceID
        self.window = window
        self.result = result
        self.messageCount = messageCount
        self.messagesRoot = messagesRoot
    }
}

/// What the result poster needs of the chain (the seam its tests fake): the ProjectRegistry's
/// views, the latest block time, and sending the operator's signed transactions.
public protocol ProjectChain: Sendable {
    /// The operator's address (the poster's key).
    var operatorAddress: Address { get }
    /// The latest block's timestamp, Unix seconds.
    func latestTimestamp() async throws(ChainRPCError) -> UInt64
    func projectCount() async throws(ChainRPCError) -> UInt64
    func project(_ id: UInt64) async throws(ChainRPCError) -> ChainProject
    func appletCode(of project: UInt64) async throws(ChainRPCError) -> [UInt8]
    func devices(of project: UInt64) async throws(ChainRPCError) -> [Address]
    /// The block time from which a joined device's windows count (`membership(…).since`: its
    /// latest join or resume; the chain refuses earlier windows); nil if it has not joined.
    func memberSince(project: UInt64, device: Address) async throws(ChainRPCError) -> UInt64?
    /// Whether the operator may post for a joined device (`mayPost`): its owner chose it with
    /// `setPoster`, or it is the owner. The chain refuses anyone else's results.
    func mayPost(project: UInt64, device: Address) async throws(ChainRPCError) -> Bool
    /// The live result's id for (project, device, window), 0 for none.
    func resultID(project: UInt64, device: Address, window: UInt64) async throws(ChainRPCError) -> UInt64
    /// A result's status (0 pending, 1 paid, 2 unpaid, 3 noReward, 4 reverted).
    func resultStatus(_ id: UInt64) async throws(ChainRPCError) -> UInt8
    /// The operator's bond: total and the part locked by unsettled results.
    func bond() async throws(ChainRPCError) -> (total: UInt256, locked: UInt256)
    /// `minimumOperatorBond` from `projectParameters()`.
    func minimumOperatorBond() async throws(ChainRPCError) -> UInt256
    /// Sends `postResult(claim)`; returns the transaction hash. A call that would revert is
    /// refused (`.refused(code: 3)`) before anything is sent.
    func postResult(_ claim: ResultClaim) async throws(ChainRPCError) -> Hash32
    /// Sends `depositBond()` with `amount`.
    func depositBond(_ amount: UInt256) async throws(ChainRPCError) -> Hash32
    /// A sent transaction's status: nil while it has no receipt, else whether it succeeded.
    func transactionSucceeded(_ hash: Hash32) async throws(ChainRPCError) -> Bool?
}

/// The ProjectRegistry system contract's functions that the poster calls (docs/APPLETS.md; the
/// contract lives in MoteLedger, which this layer does not import).
public enum ProjectRegistryABI {
    /// `SystemContracts.reservedAddress(5)`: 0x…4d4f5445 ‖ 0005.
    public static let address: Address = {
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[14...17] = [0x4d, 0x4f, 0x54, 0x45]
        bytes[19] = 5
        return Address(bytes: bytes)!
    }()

    static func function(_ signature: String, _ outputs: String = "()") -> ABIFunction {
        try! ABIFunction(signature: signature, outputs: try! ABIType.parseList(outputs))
    }

    public static let projectCount = function("projectCount()", "(uint64)")
    public static let project = function(
        "project(uint64)",
        "(address,string,bytes32,bytes,uint256,uint64,uint64,uint256,uint256,uint8,uint32)")
    public static let projectClosure = function("projectClosure(uint64)", "(uint64,bool)")
    public static let appletOf = function("appletOf(uint64)", "(bytes)")
    public static let projectDevices = function("projectDevices(uint64)", "(address[])")
    public static let membership = function("membership(uint64,address)", "(bool,uint64)")
    public static let mayPost = function("mayPost(uint64,address,address)", "(bool)")
    public static let resultOf = function("resultOf(uint64,address,uint64)", "(uint64)")
    public static let result = function(
        "result(uint64)", "(uint64,address,uint64,bytes,uint32,bytes32,address,uint64,uint64,uint8,uint256)")
    /// `result(…).status` of a result proven false.
    public static let revertedStatus: UInt8 = 4
    public static let bondOf = function("bondOf(address)", "(uint256,uint256)")
    public static let projectParameters = function("projectParameters()", "(uint256,uint256,uint8)")
    public static let postResult = function("postResult(uint64,address,uint64,bytes,uint32,bytes32)", "(uint64)")
    public static let depositBond = function("depositBond()")

    /// `postResult`'s calldata for `claim`.
    public static func postResultCall(_ claim: ResultClaim) -> [UInt8] {
        try! postResult.encodeCall([
            .uint(UInt256(claim.projectID)), .address(claim.deviceID), .uint(UInt256(claim.window)), .bytes(claim.result),
            .uint(UInt256(UInt64(claim.messageCount))), .fixedBytes(claim.messagesRoot.bytes),
        ])
    }
}

/// ``ProjectChain`` over a node's JSON-RPC: `eth_call` for the views, EIP-1559 transactions
/// signed here (the key never leaves the process) for the calls.
public struct RPCProjectChain: ProjectChain {
    public let client: ChainRPCClient
    private let key: Secp256k1.PrivateKey
    /// Gas added to an estimate, in percent (a call's gas depends on the storage it finds).
    public static let gasMarginPercent: UInt64 = 25

    public init(client: ChainRPCClient, key: Secp256k1.PrivateKey) {
        self.client = client
        self.key = key
    }

    public var operatorAddress: Address { key.address }

    public func latestTimestamp() async throws(ChainRPCError) -> UInt64 {
        let block = try await client.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard let timestamp = block["timestamp"]?.quantity?.uint64 else { throw ChainRPCError(.malformed, "the latest block has no timestamp") }
        return timestamp
    }

    public func projectCount() async throws(ChainRPCError) -> UInt64 {
        try uint64(try await view(ProjectRegistryABI.projectCount, [])[0])
    }

    public func project(_ id: UInt64) async throws(ChainRPCError) -> ChainProject {
        let v = try await view(ProjectRegistryABI.project, [.uint(UInt256(id))])
        guard let sponsor = v[0].addressValue, let name = v[1].stringValue, let hash = v[2].bytesValue.flatMap({ Hash32(bytes: $0) }),
            let params = v[3].bytesValue, let reward = v[4].uintValue, let pool = v[7].uintValue, let reserved = v[8].uintValue
        else { throw ChainRPCError(.malformed, "project(\(id)) answered values of the wrong types") }
        var project = ChainProject(
            id: id, sponsor: sponsor, name: name, appletHash: hash, params: params, rewardPerResult: reward, windowSeconds: try uint64(v[5]),
            challengeSeconds: try uint64(v[6]), pool: pool, reserved: reserved, status: UInt8(truncatingIfNeeded: try uint64(v[9])),
            deviceCount: UInt32(truncatingIfNeeded: try uint64(v[10])))
        if !project.isActive {
            let closure = try await view(ProjectRegistryABI.projectClosure, [.uint(UInt256(id))])
            guard case .bool(let refunded) = closure[1] else { throw ChainRPCError(.malformed, "projectClosure(\(id)) is not (uint64, bool)") }
            (project.closedAt, project.refunded) = (try uint64(closure[0]), refunded)
        }
        return project
    }

    public func appletCode(of project: UInt64) async throws(ChainRPCError) -> [UInt8] {
        guard let code = try await view(ProjectRegistryABI.appletOf, [.uint(UInt256(project))])[0].bytesValue else {
            throw ChainRPCError(.malformed, "appletOf(\(project)) is not bytes")
        }
        return code
    }

    public func devices(of project: UInt64) async throws(ChainRPCError) -> [Address] {
        guard let items = try await view(ProjectRegistryABI.projectDevices, [.uint(UInt256(project))])[0].elements else {
            throw ChainRPCError(.malformed, "projectDevices(\(project)) is not an array")
        }
        return items.compactMap(\.addressValue)
    }

    public func memberSince(project: UInt64, device: Address) async throws(ChainRPCError) -> UInt64? {
        let v = try await view(ProjectRegistryABI.membership, [.uint(UInt256(project)), .address(device)])
        guard case .bool(let joined) = v[0] else { throw ChainRPCError(.malformed, "membership(\(project), \(device.hex)) is not (bool, uint64)") }
        return joined ? try uint64(v[1]) : nil
    }

    public func mayPost(project: UInt64, device: Address) async throws(ChainRPCError) -> Bool {
        let v = try await view(ProjectRegistryABI.mayPost, [.uint(UInt256(project)), .address(device), .address(operatorAddress)])
        guard case .bool(let allowed) = v[0] else { throw ChainRPCError(.malformed, "mayPost(\(project), \(device.hex)) is not a bool") }
        return allowed
    }

    public func resultID(project: UInt64, device: Address, window: UInt64) async throws(ChainRPCError) -> UInt64 {
        try uint64(try await view(ProjectRegistryABI.resultOf, [.uint(UInt256(project)), .address(device), .uint(UInt256(window))])[0])
    }

    public func resultStatus(_ id: UInt64) async throws(ChainRPCError) -> UInt8 {
        UInt8(truncatingIfNeeded: try uint64(try await view(ProjectRegistryABI.result, [.uint(UInt256(id))])[9]))
    }

    public func bond() async throws(ChainRPCError) -> (total: UInt256, locked: UInt256) {
        let v = try await view(ProjectRegistryABI.bondOf, [.address(operatorAddress)])
        guard let total = v[0].uintValue, let locked = v[1].uintValue else { throw ChainRPCError(.malformed, "bondOf answered non-integers") }
        return (total, locked)
    }

    public func minimumOperatorBond() async throws(ChainRPCError) -> UInt256 {
        guard let minimum = try await view(ProjectRegistryABI.projectParameters, [])[0].uintValue else {
            throw ChainRPCError(.malformed, "projectParameters answered non-integers")
        }
        return minimum
    }

    public func postResult(_ claim: ResultClaim) async throws(ChainRPCError) -> Hash32 {
        try await send(data: ProjectRegistryABI.postResultCall(claim), value: .zero)
    }

    public func depositBond(_ amount: UInt256) async throws(ChainRPCError) -> Hash32 {
        try await send(data: try! ProjectRegistryABI.depositBond.encodeCall([]), value: amount)
    }

    public func transactionSucceeded(_ hash: Hash32) async throws(ChainRPCError) -> Bool? {
        let receipt = try await client.call("eth_getTransactionReceipt", [.string(hash.hex)])
        guard receipt != .null else { return nil }
        return receipt["status"]?.quantity == UInt256(1)
    }

    // MARK: Calls and transactions

    private func view(_ function: ABIFunction, _ arguments: [ABIValue]) async throws(ChainRPCError) -> [ABIValue] {
        let data: [UInt8]
        do { data = try function.encodeCall(arguments) } catch { throw ChainRPCError(.malformed, "\(function.name): \(error)") }
        let call: JSON = .object(["to": .string(ProjectRegistryABI.address.hex), "data": .string(Hex.encode(data))])
        let answer = try await client.call("eth_call", [call, .string("latest")])
        guard let text = answer.stringValue, let bytes = try? Hex.decode(text) else {
            throw ChainRPCError(.malformed, "eth_call \(function.name) did not answer hex")
        }
        do { return try function.decodeOutput(bytes) } catch {
            throw ChainRPCError(.malformed, "\(function.name) answered \(bytes.count) bytes that do not decode: \(error)")
        }
    }

    private func uint64(_ value: ABIValue) throws(ChainRPCError) -> UInt64 {
        guard let number = value.uintValue?.uint64 else { throw ChainRPCError(.malformed, "expected a 64-bit integer, got \(value)") }
        return number
    }

    private func quantity(_ method: String, _ params: [JSON] = []) async throws(ChainRPCError) -> UInt256 {
        let answer = try await client.call(method, params)
        guard let value = answer.quantity else { throw ChainRPCError(.malformed, "\(method) did not answer a quantity") }
        return value
    }

    /// Signs and sends a call of the registry: chain id, pending nonce, tip and fee cap (2 ×
    /// base fee + tip) and gas (estimate + margin) from the node. The estimate runs the call
    /// first, so one that would revert is refused with the contract's reason.
    private func send(data: [UInt8], value: UInt256) async throws(ChainRPCError) -> Hash32 {
        let from = operatorAddress
        guard let chainID = try await quantity("eth_chainId").uint64 else { throw ChainRPCError(.malformed, "the chain id is over 64 bits") }
        guard let nonce = try await quantity("eth_getTransactionCount", [.string(from.hex), .string("pending")]).uint64 else {
            throw ChainRPCError(.malformed, "the nonce is over 64 bits")
        }
        let tip = try await quantity("eth_maxPriorityFeePerGas")
        let latest = try await client.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard let baseFee = latest["baseFeePerGas"]?.quantity else { throw ChainRPCError(.malformed, "the latest block has no baseFeePerGas") }
        let (doubled, overflow1) = baseFee.multipliedReportingOverflow(by: 2)
        let (maxFee, overflow2) = doubled.addingReportingOverflow(tip)
        guard !overflow1, !overflow2 else { throw ChainRPCError(.malformed, "2 × base fee + tip overflows") }
        let call: JSON = .object([
            "from": .string(from.hex), "to": .string(ProjectRegistryABI.address.hex), "value": .string(value.hexQuantity),
            "data": .string(Hex.encode(data)),
        ])
        guard let estimate = try await quantity("eth_estimateGas", [call]).uint64 else { throw ChainRPCError(.malformed, "the gas estimate is over 64 bits") }
        let gas = estimate + estimate / 100 * Self.gasMarginPercent
        let transaction = Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee, gasLimit: gas,
            to: ProjectRegistryABI.address, value: value, data: data)
        let signed = transaction.signed(with: key)
        _ = try await client.call("eth_sendRawTransaction", [.string(Hex.encode(signed.rawBytes))])
        return signed.hash
    }
}
