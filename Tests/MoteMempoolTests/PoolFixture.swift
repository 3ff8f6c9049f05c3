import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTransactions

@testable import MoteMempool

/// A pool over an in-memory state with funded test keys, and a transaction factory.
struct PoolFixture {
    static let chainID: UInt64 = 4_689
    static let recipient = try! Address(hex: "0x3535353535353535353535353535353535353535")
    static let rules = TransactionRules(chainID: chainID)
    /// Deterministic keys: key i is 32 bytes of i + 1.
    static let keys: [Secp256k1.PrivateKey] = (1...12).map { try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: $0, count: 32)) }

    let state: InMemoryPoolState
    let pool: TransactionPool

    /// Keys 0..<12 funded with `balance`, nonce 0; `configure` adjusts the default config.
    init(
        balance: UInt256 = 1_000_000_000_000, verifier: SignatureBatchVerifier = SignatureBatchVerifier(),
        configure: (inout PoolConfig) -> Void = { _ in }
    ) {
        state = InMemoryPoolState()
        for key in Self.keys { state.set(key.address, nonce: 0, balance: balance) }
        var config = PoolConfig(rules: Self.rules)
        configure(&config)
        pool = TransactionPool(config: config, state: state, verifier: verifier)
    }

    static func address(_ key: Int) -> Address { keys[key].address }

    /// An EIP-1559 transfer from key `key`.
    static func tx(
        _ key: Int, nonce: UInt64, tip: UInt256 = 1, feeCap: UInt256 = 100, gas: UInt64 = 21_000, value: UInt256 = 0,
        chainID: UInt64 = chainID
    ) -> SignedTransaction {
        Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: feeCap, gasLimit: gas,
            to: recipient, value: value
        ).signed(with: keys[key])
    }

    /// A legacy (EIP-155) transfer from key `key`.
    static func legacy(_ key: Int, nonce: UInt64, gasPrice: UInt256 = 100, gas: UInt64 = 21_000) -> SignedTransaction {
        Transaction.legacy(chainID: chainID, nonce: nonce, gasPrice: gasPrice, gasLimit: gas, to: recipient, value: 1)
            .signed(with: keys[key])
    }

    /// Adds `transactions` as one raw batch at time `now`.
    @discardableResult
    func add(_ transactions: [SignedTransaction], now: UInt64 = 0) -> [Result<Hash32, PoolError>] {
        pool.add(rawTransactions: transactions.map(\.rawBytes), now: now)
    }

    /// Adds one transaction as raw bytes at time `now`.
    @discardableResult
    func add(_ transaction: SignedTransaction, now: UInt64 = 0) -> Result<Hash32, PoolError> {
        add([transaction], now: now)[0]
    }
}

extension Result where Failure == PoolError {
    /// The error code, or nil on success.
    var code: String? {
        if case .failure(let error) = self { return error.code }
        return nil
    }

    var error: PoolError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
