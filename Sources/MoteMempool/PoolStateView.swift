import Foundation
import MoteChain
import MotePrimitives

/// The chain state the pool checks transactions against: the latest committed state.
///
/// The pool only reads nonces and balances. An address the state does not know is an empty
/// `Account()` (nonce 0, balance 0).
public protocol PoolStateView: Sendable {
    /// The account at `address` in the latest committed state; `Account()` if there is none.
    func account(_ address: Address) -> Account
}

/// An in-memory `PoolStateView` for tests and tools: accounts set by hand.
///
/// `@unchecked Sendable`: `accounts` is read and written only while holding `lock`.
public final class InMemoryPoolState: PoolStateView, @unchecked Sendable {
    private let lock = NSLock()
    private var accounts: [Address: Account]

    /// A state holding `accounts`; every other address is empty.
    public init(_ accounts: [Address: Account] = [:]) {
        self.accounts = accounts
    }

    /// The account at `address`, or `Account()`.
    public func account(_ address: Address) -> Account {
        lock.withLock { accounts[address] ?? Account() }
    }

    /// Replaces the account at `address`.
    public func set(_ address: Address, _ account: Account) {
        lock.withLock { accounts[address] = account }
    }

    /// Sets the nonce and balance of `address`.
    public func set(_ address: Address, nonce: UInt64, balance: UInt256) {
        set(address, Account(nonce: nonce, balance: balance))
    }
}
