import MoteChain
import MoteCrypto
import MoteLedger
import MoteMempool
import MotePrimitives
import MoteStorage
import MoteTransactions

/// State reads, calls, gas estimates, proofs and transaction submission.
extension RPCService {
    /// `eth_getStorageAt(address, slot, block)`: the slot's value as 32 bytes.
    func storageAt(_ params: Params) throws(RPCError) -> JSON {
        try params.expect(2...3)
        let address = try params.address(0)
        let slot: Hash32
        do { slot = try Self.storageKey(try params.string(1)) } catch { throw Params.invalid(1, error.message) }
        try requireLatestState(try params.blockTag(2))
        let value = try read({ () throws(StorageError) in try backend.store.storageValue(address, slot: slot) }) ?? []
        return .data(Self.word(value))
    }

    /// A storage key: hex of at most 32 bytes, left-padded (as go-ethereum reads it).
    static func storageKey(_ text: String) throws(RPCError) -> Hash32 {
        var digits = String(Substring(try Params.hexDigits(text)))
        guard digits.count <= 64 else { throw RPCError.invalidParams("storage key longer than 32 bytes") }
        if digits.count % 2 == 1 { digits = "0" + digits }
        let bytes = try Params.data("0x" + digits)
        return Hash32(bytes: [UInt8](repeating: 0, count: 32 - bytes.count) + bytes)!
    }

    /// A stored value as a 32-byte word (longer values keep their last 32 bytes).
    static func word(_ value: [UInt8]) -> [UInt8] {
        value.count >= 32 ? Array(value.suffix(32)) : [UInt8](repeating: 0, count: 32 - value.count) + value
    }

    /// The fields of an `eth_call` / `eth_estimateGas` call object that Mote uses.
    struct CallRequest {
        var from: Address?
        var to: Address?
        var gas: UInt64?
        var value: UInt256 = .zero
        var data: [UInt8] = []

        static let known: Set<String> = [
            "from", "to", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value", "data", "input", "nonce",
            "type", "accessList", "chainId",
        ]

        init(parsing object: [String: JSON]) throws(RPCError) {
            for key in object.keys where !Self.known.contains(key) {
                throw RPCError.invalidParams("invalid argument 0: unknown call field \(key.prefix(32))")
            }
            func text(_ key: String) throws(RPCError) -> String? {
                guard let value = object[key], value != .null else { return nil }
                guard let text = value.stringValue else { throw RPCError.invalidParams("invalid argument 0: \(key) must be a string") }
                return text
            }
            do throws(RPCError) {
                from = try text("from").map { text throws(RPCError) in try Params.address(text) }
                to = try text("to").map { text throws(RPCError) in try Params.address(text) }
                gas = try text("gas").map { text throws(RPCError) in try Params.quantity64(text) }
                value = try text("value").map { text throws(RPCError) in try Params.quantity256(text) } ?? .zero
                for key in ["gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"] {
                    _ = try text(key).map { text throws(RPCError) in try Params.quantity256(text) }
                }
                let data = try text("data").map { text throws(RPCError) in try Params.data(text) }
                let input = try text("input").map { text throws(RPCError) in try Params.data(text) }
                if let data, let input, data != input {
                    throw RPCError.invalidParams("both \"data\" and \"input\" are set and not equal")
                }
                self.data = input ?? data ?? []
            } catch {
                throw error.message.hasPrefix("invalid argument") ? error : RPCError.invalidParams("invalid argument 0: \(error.message)")
            }
        }
    }

    /// The gas limit a call or estimate runs under when none is given: the block gas limit.
    var defaultCallGas: UInt64 { backend.genesis.gasLimit }

    /// `eth_call(callObject, block)`.
    func call(_ params: Params) async throws(RPCError) -> JSON {
        try params.expect(1...3)
        let request = try CallRequest(parsing: try params.object(0))
        try requireLatestState(try params.blockTag(1))
        guard let to = request.to else { throw RPCError.server("contract creation needs the EVM, which Mote does not run yet") }
        let outcome: Result<[UInt8], SystemContractRevert>
        do {
            outcome = try await backend.call(
                from: request.from ?? .zero, to: to, data: request.data, gasLimit: min(request.gas ?? defaultCallGas, defaultCallGas))
        } catch {
            throw RPCError.internalError(error.description)
        }
        switch outcome {
        case .success(let output): return .data(output)
        case .failure(let revert): throw RPCError.executionReverted(reason: revert.reason, data: Self.revertData(revert.reason))
        }
    }

    /// `Error(string)` ABI-encoded, as Solidity reverts.
    static func revertData(_ reason: String) -> [UInt8] {
        let selector: [UInt8] = [0x08, 0xc3, 0x79, 0xa0]
        return selector + ((try? ABI.encode([.string(reason)], as: [.string])) ?? [])
    }

    /// `eth_estimateGas(callObject, block)`: the gas the call would use as a transaction. System
    /// contracts meter deterministically, so one run gives the exact figure.
    func estimateGas(_ params: Params) async throws(RPCError) -> JSON {
        try params.expect(1...2)
        let request = try CallRequest(parsing: try params.object(0))
        try requireLatestState(try params.blockTag(1))
        let simulation: Ledger.Simulation
        do {
            simulation = try await backend.simulate(
                from: request.from ?? .zero, to: request.to, value: request.value, data: request.data,
                gasLimit: min(request.gas ?? defaultCallGas, defaultCallGas))
        } catch {
            throw RPCError.internalError(error.description)
        }
        if let revert = simulation.revert {
            if revert.hasPrefix("insufficient funds") { throw RPCError.server(revert) }
            if request.to == nil || revert.hasPrefix("intrinsic gas") { throw RPCError.server(revert) }
            throw RPCError.executionReverted(reason: revert, data: Self.revertData(revert))
        }
        return .quantity(simulation.gasUsed)
    }

    /// `eth_sendRawTransaction(data)`: the transaction's hash once the pool has it.
    func sendRawTransaction(_ params: Params) async throws(RPCError) -> JSON {
        try params.expect(1...1)
        let raw = try params.data(0)
        if let decoded = try? UnverifiedTransaction(decoding: raw, rules: backend.pool.config.rules, checkRules: false) {
            // A transaction that could never fit a block is refused before it takes a pool slot.
            if decoded.transaction.gasLimit > backend.genesis.gasLimit {
                throw RPCError.server("exceeds block gas limit: gas \(decoded.transaction.gasLimit), block gas limit \(backend.genesis.gasLimit)")
            }
            // As go-ethereum by default: a signature valid on every chain is not taken from clients.
            if decoded.transaction.kind == .legacy, decoded.transaction.chainID == nil {
                throw RPCError(
                    code: -32000, message: "only replay-protected (EIP-155) transactions allowed over RPC",
                    data: .object(["reason": .string("unprotected_transaction")]))
            }
        }
        switch await backend.submit(raw) {
        case .success(let hash): return .hash(hash)
        case .failure(let error): throw Self.rejection(error)
        }
    }

    /// A pool rejection as go-ethereum words it (clients match these prefixes), with Mote's details.
    static func rejection(_ error: PoolError) -> RPCError {
        let prefix: String
        switch error.code {
        case "already_known": return RPCError.server("already known")
        case "txpool_overloaded":
            // Admission control: EIP-1474's "limit exceeded", so clients back off and retry.
            return RPCError(code: -32005, message: "txpool is full: \(error.description)", data: .object(["reason": .string(error.code)]))
        case "block_gas_exceeded": prefix = "exceeds block gas limit"
        case "contract_creation_unsupported": prefix = "contract creation not supported"
        case "nonce_too_low": prefix = "nonce too low"
        case "replacement_underpriced": prefix = "replacement transaction underpriced"
        case "insufficient_funds": prefix = "insufficient funds for gas * price + value"
        case "invalid_chain_id": prefix = "invalid chain id"
        case "fee_too_low": prefix = "transaction underpriced"
        case "pool_full": prefix = "txpool is full"
        case "account_limit": prefix = "account limit exceeded"
        case "intrinsic_gas_too_low": prefix = "intrinsic gas too low"
        case "too_large": prefix = "oversized data"
        case "tip_above_fee_cap": prefix = "max priority fee per gas higher than max fee per gas"
        case "unprotected_transaction": prefix = "only replay-protected (EIP-155) transactions allowed over RPC"
        default: prefix = "invalid transaction"
        }
        return RPCError(code: -32000, message: "\(prefix): \(error.description)", data: .object(["reason": .string(error.code)]))
    }

    /// `eth_getProof(address, storageKeys, block)`.
    func proof(_ params: Params) async throws(RPCError) -> JSON {
        try params.expect(2...3)
        let address = try params.address(0)
        guard let keys = try params.required(1).arrayValue, keys.count <= 256 else {
            throw Params.invalid(1, "expected an array of at most 256 storage keys")
        }
        var slots: [Hash32] = []
        for key in keys {
            guard let text = key.stringValue else { throw Params.invalid(1, "storage keys must be strings") }
            do { slots.append(try Self.storageKey(text)) } catch { throw Params.invalid(1, error.message) }
        }
        try requireLatestState(try params.blockTag(2))
        let proof: (stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]])
        do { proof = try await backend.proof(address, slots: slots) } catch { throw RPCError.internalError(error.description) }
        var storage: [JSON] = []
        for (slot, nodes) in zip(slots, proof.storageProofs) {
            let value = try read({ () throws(StorageError) in try backend.store.storageValue(address, slot: slot) }) ?? []
            storage.append(.object([
                "key": .hash(slot), "value": .quantity(UInt256(bigEndian: Self.word(value)) ?? .zero),
                "proof": .array(nodes.map { .data($0) }),
            ]))
        }
        return .object([
            "address": .address(address), "accountProof": .array(proof.accountProof.map { .data($0) }),
            "balance": .quantity(proof.account.balance), "nonce": .quantity(proof.account.nonce),
            "codeHash": .hash(proof.account.codeHash), "storageHash": .hash(proof.account.storageRoot),
            "storageProof": .array(storage),
        ])
    }
}
