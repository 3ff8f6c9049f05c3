import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTransactions
import Testing

@testable import MoteMempool

@Suite struct TransactionPoolSelectionTests {
    typealias F = PoolFixture

    /// Who sent each transaction and with which nonce, for readable expectations.
    func labels(_ txs: [SignedTransaction]) -> [String] {
        txs.map { tx in "\(F.keys.firstIndex { $0.address == tx.sender }!):\(tx.transaction.nonce)" }
    }

    @Test func highestTipFirstKeepingNonceOrder() {
        let f = F()
        f.add([
            F.tx(0, nonce: 0, tip: 5), F.tx(0, nonce: 1, tip: 50),
            F.tx(1, nonce: 0, tip: 10), F.tx(2, nonce: 0, tip: 20),
        ])
        // 0:1 pays the most but cannot go before 0:0.
        #expect(labels(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 10)) == ["2:0", "1:0", "0:0", "0:1"])
        #expect(labels(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 2)) == ["2:0", "1:0"])
        #expect(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 0).isEmpty)
        // Selection leaves the pool as it was.
        #expect(f.pool.count == 4)
    }

    @Test func tiesGoToTheEarlierArrival() {
        let f = F()
        f.add(F.tx(3, nonce: 0, tip: 7))
        f.add(F.tx(1, nonce: 0, tip: 7))
        f.add(F.tx(2, nonce: 0, tip: 7))
        #expect(labels(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 10)) == ["3:0", "1:0", "2:0"])
    }

    @Test func effectiveTipDependsOnTheBaseFee() {
        let f = F()
        f.add([F.tx(0, nonce: 0, tip: 50, feeCap: 100), F.tx(1, nonce: 0, tip: 30, feeCap: 1_000)])
        #expect(labels(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 10)) == ["0:0", "1:0"])
        // At base fee 80, 0:0 can tip only 100 − 80 = 20.
        #expect(labels(f.pool.select(baseFee: 80, gasLimit: 1_000_000, maxCount: 10)) == ["1:0", "0:0"])
    }

    @Test func feeCapBelowTheBaseFeeIsLeftOut() {
        let f = F()
        f.add([
            F.tx(0, nonce: 0, tip: 1, feeCap: 50), F.tx(0, nonce: 1, tip: 1, feeCap: 500),
            F.tx(1, nonce: 0, tip: 1, feeCap: 80), F.tx(2, nonce: 0, tip: 1, feeCap: 81),
        ])
        // 0:0 cannot pay 80, so 0:1 waits behind it; 1:0 pays exactly the base fee.
        #expect(labels(f.pool.select(baseFee: 80, gasLimit: 1_000_000, maxCount: 10)) == ["2:0", "1:0"])
        #expect(f.pool.select(baseFee: 10_000, gasLimit: 1_000_000, maxCount: 10).isEmpty)
    }

    @Test func packsUnderTheGasLimit() {
        let f = F()
        f.add([
            F.tx(0, nonce: 0, tip: 100, gas: 60_000),
            F.tx(1, nonce: 0, tip: 50, gas: 50_000), F.tx(1, nonce: 1, tip: 50, gas: 21_000),
            F.tx(2, nonce: 0, tip: 10, gas: 21_000),
        ])
        // After 0:0, 1:0 does not fit in 30 000 gas: sender 1 is skipped, sender 2 still fits.
        let chosen = f.pool.select(baseFee: 0, gasLimit: 90_000, maxCount: 10)
        #expect(labels(chosen) == ["0:0", "2:0"])
        #expect(chosen.reduce(0) { $0 + $1.transaction.gasLimit } <= 90_000)
        #expect(f.pool.select(baseFee: 0, gasLimit: 20_999, maxCount: 10).isEmpty)
    }

    @Test func blockCommittedDropsIncludedAndStale() {
        let f = F()
        let a = [F.tx(0, nonce: 0), F.tx(0, nonce: 1), F.tx(0, nonce: 2)]
        let b = F.tx(1, nonce: 0)
        let c = [F.tx(2, nonce: 0), F.tx(2, nonce: 1)]
        f.add(a + [b] + c)
        #expect(f.pool.count == 6)
        // The block holds a0, a1 and b, and a transaction of sender 2 with nonce 0 that the
        // pool never saw, so c0 is stale.
        f.state.set(F.address(0), nonce: 2, balance: 1_000_000_000)
        f.state.set(F.address(1), nonce: 1, balance: 1_000_000_000)
        f.state.set(F.address(2), nonce: 1, balance: 1_000_000_000)
        f.pool.blockCommitted([a[0], a[1], b, F.tx(2, nonce: 0, value: 7)])
        #expect(f.pool.count == 2)
        #expect(f.pool.pending(for: F.address(0)) == [a[2]])
        #expect(f.pool.pending(for: F.address(1)).isEmpty)
        #expect(f.pool.pending(for: F.address(2)) == [c[1]])
        #expect(!f.pool.contains(c[0].hash))
        #expect(f.pool.nonce(for: F.address(1)) == 1)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func blockCommittedRechecksBalancesAndPromotes() {
        let f = F()
        // Each costs 2_100_000.
        let a = [F.tx(0, nonce: 0), F.tx(0, nonce: 1), F.tx(0, nonce: 2)]
        let queued = [F.tx(1, nonce: 1), F.tx(1, nonce: 2)]
        f.add(a + queued)
        #expect(f.pool.queuedCount == 2)
        // Sender 0's balance dropped and now covers only one transaction (`reset` re-reads
        // every sender); sender 1's nonce 0 went in a block, closing the gap.
        f.state.set(F.address(0), nonce: 0, balance: 3_000_000)
        f.state.set(F.address(1), nonce: 1, balance: 1_000_000_000)
        f.pool.blockCommitted([F.tx(1, nonce: 0, value: 7)])
        #expect(f.pool.pending(for: F.address(1)) == queued)
        f.pool.reset(state: f.state)
        #expect(f.pool.pending(for: F.address(0)) == [a[0]])
        #expect(f.pool.pending(for: F.address(1)) == queued)
        #expect(f.pool.queuedCount == 0)
        #expect(f.pool.count == 3)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func resetSwitchesTheStateView() {
        let f = F()
        f.add([F.tx(0, nonce: 0), F.tx(0, nonce: 1)])
        let other = InMemoryPoolState([F.address(0): Account(nonce: 1, balance: 1_000_000_000)])
        f.pool.reset(state: other)
        #expect(f.pool.pending(for: F.address(0)).map(\.transaction.nonce) == [1])
        // Admission now reads the new view.
        #expect(f.add(F.tx(1, nonce: 0)).code == "insufficient_funds")
    }
}
