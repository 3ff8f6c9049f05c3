import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTransactions
import Testing

@testable import MoteMempool

@Suite struct TransactionPoolAdmissionTests {
    typealias F = PoolFixture

    @Test func admitsValidTransactions() throws {
        let f = F()
        let txs = (0..<3).map { F.tx(0, nonce: $0) } + [F.legacy(1, nonce: 0)]
        let results = f.add(txs)
        #expect(try results.map { try $0.get() } == txs.map(\.hash))
        #expect(f.pool.count == 4)
        #expect(f.pool.pendingCount == 4)
        #expect(f.pool.queuedCount == 0)
        #expect(f.pool.contains(txs[1].hash))
        #expect(f.pool.transaction(txs[1].hash) == txs[1])
        #expect(f.pool.transaction(txs[1].hash)?.sender == F.address(0))
        #expect(f.pool.pending(for: F.address(0)) == Array(txs[0..<3]))
        #expect(f.pool.nonce(for: F.address(0)) == 3)
        #expect(f.pool.nonce(for: F.address(1)) == 1)
        #expect(f.pool.nonce(for: F.address(5)) == 0)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func admitsAlreadyVerifiedTransactions() throws {
        let f = F()
        let tx = F.tx(0, nonce: 0)
        #expect(try f.pool.add(tx, now: 0).get() == tx.hash)
        #expect(f.pool.add(tx, now: 0).code == "already_known")
        #expect(f.pool.add(F.tx(0, nonce: 1, chainID: 1), now: 0).code == "invalid_chain_id")
        #expect(f.pool.count == 1)
    }

    @Test func rejectsDuplicates() {
        let f = F()
        let tx = F.tx(0, nonce: 0)
        // The second copy in the same batch is a duplicate of the first.
        let results = f.add([tx, tx])
        #expect(results[0].code == nil)
        #expect(results[1].code == "already_known")
        #expect(results[1].error?.description == "transaction \(tx.hash) is already in the pool")
        #expect(f.add(tx).code == "already_known")
        #expect(f.pool.count == 1)
    }

    @Test func rejectsNonceBelowTheAccountNonce() {
        let f = F()
        f.state.set(F.address(0), nonce: 5, balance: 1_000_000_000)
        let result = f.add(F.tx(0, nonce: 3))
        #expect(result.code == "nonce_too_low")
        #expect(result.error?.description == "nonce 3 is below the account nonce 5")
        #expect(f.add(F.tx(0, nonce: 5)).code == nil)
    }

    @Test func rejectsWhatTheBalanceDoesNotCover() {
        let f = F()
        // Each costs 21000 × 100 + 1000 = 2_101_000; the balance covers two.
        f.state.set(F.address(0), nonce: 0, balance: 4_300_000)
        #expect(f.add(F.tx(0, nonce: 0, value: 1_000)).code == nil)
        #expect(f.add(F.tx(0, nonce: 1, value: 1_000)).code == nil)
        let third = f.add(F.tx(0, nonce: 2, value: 1_000))
        #expect(third.code == "insufficient_funds")
        #expect(
            third.error?.description
                == "balance 4300000 does not cover the cost 2101000 (gasLimit × maxFeePerGas + value) "
                + "plus 4202000 for the sender's pooled transactions at lower nonces")
        let alone = f.add(F.tx(1, nonce: 0, value: 2_000_000_000_000))
        #expect(alone.error?.description == "balance 1000000000000 does not cover the cost 2000002100000 (gasLimit × maxFeePerGas + value)")
        #expect(f.pool.count == 2)
    }

    @Test func gapFillPastTheBalanceDropsLaterTransactions() {
        let f = F()
        f.state.set(F.address(0), nonce: 0, balance: 4_300_000)
        // Nonces 1 and 2 are queued, each checked only against lower pooled nonces.
        #expect(f.add([F.tx(0, nonce: 1, value: 1_000), F.tx(0, nonce: 2, value: 1_000)]).allSatisfy { $0.code == nil })
        #expect(f.pool.queuedCount == 2)
        // Nonce 0 fits on its own; nonce 2 no longer does and leaves.
        #expect(f.add(F.tx(0, nonce: 0, value: 1_000)).code == nil)
        #expect(f.pool.pending(for: F.address(0)).map(\.transaction.nonce) == [0, 1])
        #expect(f.pool.count == 2)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func rejectsFeesBelowTheMinimums() {
        let f = F { $0.minimumTip = 2; $0.minimumFeeCap = 50 }
        let lowTip = f.add(F.tx(0, nonce: 0, tip: 1, feeCap: 100))
        #expect(lowTip.code == "fee_too_low")
        #expect(lowTip.error?.description == "maxPriorityFeePerGas 1 is below the pool's minimum tip 2")
        let lowCap = f.add(F.tx(0, nonce: 0, tip: 2, feeCap: 49))
        #expect(lowCap.code == "fee_too_low")
        #expect(lowCap.error?.description == "maxFeePerGas 49 is below the pool's minimum fee cap 50")
        #expect(f.add(F.tx(0, nonce: 0, tip: 2, feeCap: 50)).code == nil)
    }

    @Test func rejectsWhatDoesNotDecode() throws {
        let f = F()
        let good = F.tx(0, nonce: 0)
        let wrongChain = F.tx(0, nonce: 0, chainID: 1)
        let results = f.pool.add(rawTransactions: [[], [0x80], wrongChain.rawBytes, good.rawBytes + [0]], now: 0)
        #expect(results.map(\.code) == ["empty", "not_a_transaction", "invalid_chain_id", "malformed_rlp"])
        #expect(results[2].error?.description == "wrong chain id 1, expected 4689")
        #expect(results[2].error?.transactionError != nil)
        #expect(f.pool.count == 0)
    }

    @Test func rejectsASignatureWithNoSender() throws {
        let f = F()
        let tx = F.tx(0, nonce: 0).transaction
        // An r that is no curve point's x coordinate: recovery fails.
        var r: UInt64 = 1
        var signature = Secp256k1.RecoverableSignature(r: UInt256(r), s: 1, recoveryID: 0)
        while (try? Secp256k1.recover(hash: tx.signingHash, signature: signature)) != nil {
            r += 1
            signature = Secp256k1.RecoverableSignature(r: UInt256(r), s: 1, recoveryID: 0)
        }
        let results = f.pool.add(rawTransactions: [tx.encoded(with: signature), F.tx(1, nonce: 0).rawBytes], now: 0)
        #expect(results[0].code == "sender_recovery_failed")
        #expect(results[1].code == nil)
    }

    @Test func rejectsOversizedTransactions() {
        let rules = TransactionRules(chainID: F.chainID, maxEncodedSize: 200)
        let f = F { $0.rules = rules }
        #expect(f.pool.config.maxTransactionSize == 200)
        let big = F.tx(0, nonce: 0, gas: 100_000).transaction
        var withData = big
        withData.data = [UInt8](repeating: 1, count: 300)
        let signed = withData.signed(with: F.keys[0])
        #expect(f.add(signed).code == "too_large")
        let direct = f.pool.add(signed, now: 0)
        #expect(direct.code == "too_large")
        #expect(direct.error?.description == "transaction is \(signed.rawBytes.count) bytes, over the 200-byte limit")
    }

    @Test func replacementNeedsTheConfiguredBump() throws {
        let f = F()
        let original = F.tx(0, nonce: 0, tip: 100, feeCap: 1_000)
        #expect(f.add(original).code == nil)
        // +9 % on both: refused, with the prices it needed.
        let low = f.add(F.tx(0, nonce: 0, tip: 109, feeCap: 1_090))
        #expect(low.code == "replacement_underpriced")
        #expect(
            low.error?.description
                == "replacing the pooled transaction with nonce 0 needs maxFeePerGas ≥ 1100 and maxPriorityFeePerGas ≥ 110 "
                + "(10 % more); got 1090 and 109")
        // The fee cap bumped enough but not the tip: refused.
        #expect(f.add(F.tx(0, nonce: 0, tip: 109, feeCap: 1_100)).code == "replacement_underpriced")
        #expect(f.add(F.tx(0, nonce: 0, tip: 110, feeCap: 1_099)).code == "replacement_underpriced")
        // +10 % on both: accepted, and the original is gone.
        let replacement = F.tx(0, nonce: 0, tip: 110, feeCap: 1_100)
        #expect(try f.add(replacement).get() == replacement.hash)
        #expect(!f.pool.contains(original.hash))
        #expect(f.pool.pending(for: F.address(0)) == [replacement])
        #expect(f.pool.count == 1)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func replacementBumpIsConfigurable() {
        let f = F { $0.priceBumpPercent = 25 }
        #expect(f.add(F.tx(0, nonce: 0, tip: 100, feeCap: 1_000)).code == nil)
        #expect(f.add(F.tx(0, nonce: 0, tip: 124, feeCap: 1_250)).code == "replacement_underpriced")
        #expect(f.add(F.tx(0, nonce: 0, tip: 125, feeCap: 1_250)).code == nil)
        // Rounded up: 10 % above a tip of 1 is 2.
        let g = F()
        #expect(g.add(F.tx(0, nonce: 0, tip: 1, feeCap: 100)).code == nil)
        #expect(g.add(F.tx(0, nonce: 0, tip: 1, feeCap: 110)).code == "replacement_underpriced")
        #expect(g.add(F.tx(0, nonce: 0, tip: 2, feeCap: 110)).code == nil)
    }

    @Test func nonceGapsQueueUntilFilled() {
        let f = F()
        let a = F.address(0)
        #expect(f.add([F.tx(0, nonce: 0), F.tx(0, nonce: 2), F.tx(0, nonce: 3)]).allSatisfy { $0.code == nil })
        #expect(f.pool.pendingCount == 1)
        #expect(f.pool.queuedCount == 2)
        #expect(f.pool.queued(for: a).map(\.transaction.nonce) == [2, 3])
        #expect(f.pool.nonce(for: a) == 1)
        // Queued transactions are never selected.
        #expect(f.pool.select(baseFee: 0, gasLimit: 1_000_000, maxCount: 10).map(\.transaction.nonce) == [0])
        // Filling the gap promotes the rest.
        #expect(f.add(F.tx(0, nonce: 1)).code == nil)
        #expect(f.pool.pendingCount == 4)
        #expect(f.pool.queuedCount == 0)
        #expect(f.pool.pending(for: a).map(\.transaction.nonce) == [0, 1, 2, 3])
        #expect(f.pool.nonce(for: a) == 4)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func perAccountLimit() {
        let f = F { $0.accountCapacity = 2 }
        #expect(f.add([F.tx(0, nonce: 0), F.tx(0, nonce: 1)]).allSatisfy { $0.code == nil })
        let third = f.add(F.tx(0, nonce: 2))
        #expect(third.code == "account_limit")
        #expect(third.error?.description == "the sender already has 2 pooled transactions, the per-account limit")
        // A replacement does not add a transaction, so it is allowed at the limit.
        #expect(f.add(F.tx(0, nonce: 1, tip: 2, feeCap: 110)).code == nil)
        #expect(f.add(F.tx(1, nonce: 0)).code == nil)
    }

    @Test func fullPoolEvictsTheCheapest() {
        let f = F { $0.capacity = 3 }
        let resident = [F.tx(0, nonce: 0, feeCap: 10), F.tx(1, nonce: 0, feeCap: 20), F.tx(2, nonce: 0, feeCap: 30)]
        #expect(f.add(resident).allSatisfy { $0.code == nil })
        // 15 beats the cheapest (10), which leaves.
        let incoming = F.tx(3, nonce: 0, feeCap: 15)
        #expect(f.add(incoming).code == nil)
        #expect(!f.pool.contains(resident[0].hash))
        #expect(f.pool.contains(incoming.hash))
        #expect(f.pool.count == 3)
        // Cheaper than everything pooled: refused.
        let cheap = f.add(F.tx(4, nonce: 0, feeCap: 14))
        #expect(cheap.code == "pool_full")
        #expect(
            cheap.error?.description
                == "the pool is full (3 transactions) and maxFeePerGas 14 does not beat the cheapest evictable transaction's 15")
        // A tie goes to the transaction already pooled.
        #expect(f.add(F.tx(4, nonce: 0, feeCap: 15)).code == "pool_full")
        #expect(f.pool.count == 3)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func fullPoolEvictsQueuedBeforePending() {
        let f = F { $0.capacity = 3 }
        let queued = F.tx(1, nonce: 5, feeCap: 1_000)
        #expect(f.add([F.tx(0, nonce: 0, feeCap: 50), queued, F.tx(2, nonce: 0, feeCap: 60)]).allSatisfy { $0.code == nil })
        #expect(f.pool.queuedCount == 1)
        // A pending newcomer evicts the queued one even though its fee cap is higher.
        #expect(f.add(F.tx(3, nonce: 0, feeCap: 20)).code == nil)
        #expect(!f.pool.contains(queued.hash))
        #expect(f.pool.pendingCount == 3)
        // A queued newcomer cannot push out pending ones, however high its fee cap.
        #expect(f.add(F.tx(4, nonce: 1, feeCap: 5_000)).code == "pool_full")
        #expect(f.pool.count == 3)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func evictingAPendingTransactionQueuesItsSuccessors() {
        let f = F { $0.capacity = 3 }
        #expect(f.add([F.tx(0, nonce: 0, feeCap: 10), F.tx(0, nonce: 1, feeCap: 90), F.tx(1, nonce: 0, feeCap: 50)])
            .allSatisfy { $0.code == nil })
        #expect(f.add(F.tx(2, nonce: 0, feeCap: 40)).code == nil)
        #expect(f.pool.pending(for: F.address(0)).isEmpty)
        #expect(f.pool.queued(for: F.address(0)).map(\.transaction.nonce) == [1])
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func expiryDropsOldTransactions() {
        let f = F { $0.lifetime = 100 }
        let first = F.tx(0, nonce: 0)
        let second = F.tx(0, nonce: 1)
        let other = F.tx(1, nonce: 0)
        f.add(first, now: 1_000)
        f.add(second, now: 1_050)
        f.add(other, now: 1_060)
        #expect(f.pool.expire(now: 1_100).isEmpty)
        #expect(f.pool.expire(now: 1_101) == [first.hash])
        #expect(f.pool.count == 2)
        // Its successor stays, queued behind the gap.
        #expect(f.pool.queued(for: F.address(0)) == [second])
        #expect(f.pool.expire(now: 1_151) == [second.hash])
        #expect(f.pool.expire(now: 1_161) == [other.hash])
        #expect(f.pool.count == 0)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test func removeTakesOneTransactionOut() {
        let f = F()
        let txs = [F.tx(0, nonce: 0), F.tx(0, nonce: 1)]
        f.add(txs)
        #expect(f.pool.remove(txs[0].hash) == txs[0])
        #expect(f.pool.remove(txs[0].hash) == nil)
        #expect(f.pool.queuedCount == 1)
        #expect(f.pool.invariantViolations().isEmpty)
    }
}

/// The executor's permanent refusals are refused at admission, not pooled forever.
@Suite struct PoolExecutionCheckTests {
    @Test func refusalsOfTheExecutionCheckAreNotPooled() {
        let fixture = PoolFixture { config in
            config.executionCheck = { tx in tx.to == nil ? ("contract_creation_unsupported", "no EVM yet") : nil }
        }
        let creation = Transaction.dynamicFee(
            chainID: PoolFixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 100, gasLimit: 100_000, to: nil,
            value: 0, data: [0x60, 0x00]
        ).signed(with: PoolFixture.keys[0])
        let result = fixture.add(creation)
        guard case .failure(let error) = result else {
            Issue.record("a contract creation was pooled")
            return
        }
        #expect(error.code == "contract_creation_unsupported")
        #expect(fixture.pool.count == 0)
        // The sender's transfer at the same nonce is taken and pending.
        #expect((try? fixture.add(PoolFixture.tx(0, nonce: 0)).get()) != nil)
        #expect(fixture.pool.pendingCount == 1)
    }
}
