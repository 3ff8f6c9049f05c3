import MoteCrypto
import MotePrimitives
import MoteTransactions

/// Signs EIP-1559 transactions with a local key (it never leaves the process), filling what
/// the caller did not give from the node: chain id, pending nonce, tip
/// (`eth_maxPriorityFeePerGas`), fee cap (`FeePolicy.maxFee`), gas (`eth_estimateGas`, plus
/// `FeePolicy.callGasMarginPercent` for a contract call). The estimate runs the call first, so
/// one that would revert is refused with the contract's reason and nothing is sent.
public struct TransactionSender: Sendable {
    public let client: JSONRPCClient
    public let key: Secp256k1.PrivateKey

    public init(client: JSONRPCClient, key: Secp256k1.PrivateKey) {
        self.client = client
        self.key = key
    }

    /// The address that signs.
    public var sender: Address { key.address }

    /// What to send and what is already decided; nil fields are asked of the node.
    public struct Request: Sendable {
        public var to: Address
        public var value: UInt256
        public var data: [UInt8]
        public var nonce: UInt64?
        public var tip: UInt256?
        public var maxFee: UInt256?
        public var gasLimit: UInt64?

        public init(
            to: Address, value: UInt256 = .zero, data: [UInt8] = [], nonce: UInt64? = nil, tip: UInt256? = nil, maxFee: UInt256? = nil,
            gasLimit: UInt64? = nil
        ) {
            (self.to, self.value, self.data, self.nonce, self.tip, self.maxFee, self.gasLimit) = (to, value, data, nonce, tip, maxFee, gasLimit)
        }
    }

    /// A signed transaction and the fields that were filled in.
    public struct Prepared: Sendable {
        public let signed: SignedTransaction
        public let chainID: UInt64
        public let nonce: UInt64
        public let gasLimit: UInt64
        public let maxFee: UInt256
        public let tip: UInt256
    }

    /// Why a transaction was not prepared or sent.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The node could not be asked, or answered something unusable.
        case node(RPCClientError)
        /// The call would revert: the contract's reason (nothing was sent).
        case wouldRevert(String)
        /// The filled-in transaction breaks a rule (too large, wrong chain id, …).
        case invalid(String)

        public var description: String {
            switch self {
            case .node(let error): error.description
            case .wouldRevert(let reason): "the call would fail: \(reason) (nothing was sent)"
            case .invalid(let why): why
            }
        }
    }

    /// `request` signed, every field not given asked of the node.
    public func prepare(_ request: Request) async throws(Failure) -> Prepared {
        do throws(RPCClientError) {
            guard let chainID = try await quantity("eth_chainId").uint64 else { throw .badResponse("the node's chain id is over 64 bits") }
            let nonce: UInt64
            if let given = request.nonce { nonce = given } else {
                guard let pending = try await quantity("eth_getTransactionCount", [.address(sender), .string("pending")]).uint64 else {
                    throw .badResponse("the node's nonce for \(sender.checksummed) is over 64 bits")
                }
                nonce = pending
            }
            let tip = if let given = request.tip { given } else { try await quantity("eth_maxPriorityFeePerGas") }
            let maxFee: UInt256
            if let given = request.maxFee { maxFee = given } else {
                let latest = try await client.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
                guard let baseFee = latest["baseFeePerGas"]?.quantity else { throw .badResponse("the node's latest block has no baseFeePerGas") }
                guard let fee = FeePolicy.maxFee(baseFee: baseFee, tip: tip) else { throw .badResponse("2 × base fee + tip overflows") }
                maxFee = fee
            }
            let gasLimit = if let given = request.gasLimit { given } else { try await estimateGas(request) }
            return try Self.signed(request, chainID: chainID, nonce: nonce, tip: tip, maxFee: maxFee, gasLimit: gasLimit, key: key)
        } catch {
            if let reason = error.revertReason { throw .wouldRevert(reason) }
            if error.kind == .invalidTransaction { throw .invalid(error.description) }
            throw .node(error)
        }
    }

    /// The transaction with every field decided, checked against the chain's rules and signed.
    private static func signed(
        _ request: Request, chainID: UInt64, nonce: UInt64, tip: UInt256, maxFee: UInt256, gasLimit: UInt64, key: Secp256k1.PrivateKey
    ) throws(RPCClientError) -> Prepared {
        let transaction = Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee, gasLimit: gasLimit, to: request.to,
            value: request.value, data: request.data)
        do { try TransactionRules(chainID: chainID).validate(transaction) } catch {
            throw RPCClientError(.invalidTransaction, error.description)
        }
        return Prepared(signed: transaction.signed(with: key), chainID: chainID, nonce: nonce, gasLimit: gasLimit, maxFee: maxFee, tip: tip)
    }

    /// Runs `request` on the node without sending it (`eth_estimateGas`): nil if it would
    /// succeed, else the contract's reason. Other failures throw.
    public func simulate(_ request: Request) async throws(RPCClientError) -> String? {
        do {
            _ = try await client.call("eth_estimateGas", [callObject(request)])
            return nil
        } catch {
            if let reason = error.revertReason { return reason }
            throw error
        }
    }

    /// Sends `prepared` (`eth_sendRawTransaction`); returns the hash the node named.
    @discardableResult
    public func submit(_ prepared: Prepared) async throws(RPCClientError) -> String? {
        try await client.call("eth_sendRawTransaction", [.data(prepared.signed.rawBytes)]).stringValue
    }

    /// Prepares and submits `request`; returns its hash.
    public func send(_ request: Request) async throws(Failure) -> Hash32 {
        let prepared = try await prepare(request)
        do { try await submit(prepared) } catch { throw .node(error) }
        return prepared.signed.hash
    }

    /// The receipt of `hash`, or nil while it has none.
    public func receipt(_ hash: Hash32, timeout: Double? = nil) async throws(RPCClientError) -> JSON? {
        let receipt = try await client.call("eth_getTransactionReceipt", [.hash(hash)], timeout: timeout)
        return receipt == .null ? nil : receipt
    }

    /// `request` as an `eth_call`/`eth_estimateGas` call object from the sender.
    public func callObject(_ request: Request) -> JSON {
        var call: [String: JSON] = ["from": .address(sender), "to": .address(request.to), "value": .quantity(request.value)]
        if !request.data.isEmpty { call["data"] = .data(request.data) }
        return .object(call)
    }

    private func estimateGas(_ request: Request) async throws(RPCClientError) -> UInt64 {
        guard let gas = try await quantity("eth_estimateGas", [callObject(request)]).uint64 else {
            throw .badResponse("the node's gas estimate is over 64 bits")
        }
        return request.data.isEmpty ? gas : FeePolicy.callGasLimit(estimate: gas)
    }

    private func quantity(_ method: String, _ params: [JSON] = []) async throws(RPCClientError) -> UInt256 {
        let answer = try await client.call(method, params)
        guard let value = answer.quantity else { throw .badResponse("the node answered \(method) with \(answer.text.prefix(100))") }
        return value
    }
}
