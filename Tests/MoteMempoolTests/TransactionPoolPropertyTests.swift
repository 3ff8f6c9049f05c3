import MoteChain
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import MoteTransactions
import Testing

@testable import MoteMempool

@Suite struct TransactionPoolPropertyTests {
    typealias F = PoolFixture

    /// A mixed batch: valid runs, gaps, duplicates, replacements (good and underpriced), stale
    /// nonces, unaffordable and undecodable transactions.
    func mixedBatch(_ rng: inout SplitMix64) -> [[UInt8]] {
        var raw: [[UInt8]] = []
        for _ in 0..<240 {
            let key = Int(rng.next() % 8)
            let nonce = rng.next() % 6
            let feeCap = UInt256(1 + rng.next() % 200)
            let tip = min(UInt256(rng.next() % 50), feeCap)
            let value = rng.next() % 10 == 0 ? UInt256(20_000_000) : UInt256(rng.next() % 1_000)
            let tx = F.tx(key, nonce: nonce, tip: tip, feeCap: feeCap, value: value)
            switch rng.next() % 20 {
            case 0: raw.append(Array(tx.rawBytes.dropLast()))
            case 1: raw.append(F.tx(key, nonce: nonce, chainID: 1).rawBytes)
            case 2 where !raw.isEmpty: raw.append(raw[Int(rng.next() % UInt64(raw.count))])
            default: raw.append(tx.rawBytes)
            }
        }
        return raw
    }

    func summary(_ result: Result<Hash32, PoolError>) -> String {
        switch result {
        case .success(let hash): return "ok \(hash)"
        case .failure(let error): return "\(error.code): \(error.description)"
        }
    }

    func makeFixture(_ verifier: SignatureBatchVerifier) -> F {
        let f = F(balance: 30_000_000, verifier: verifier) { $0.capacity = 40; $0.accountCapacity = 6 }
        f.state.set(F.address(7), nonce: 2, balance: 30_000_000)
        return f
    }

    @Test func parallelBatchMatchesOneByOne() {
        var rng = SplitMix64(seed: 0x600D_F00D)
        let raw = mixedBatch(&rng)
        let batched = makeFixture(SignatureBatchVerifier(concurrency: 8))
        let serial = makeFixture(SignatureBatchVerifier(concurrency: 1))
        let batchResults = batched.pool.add(rawTransactions: raw, now: 7)
        let serialResults = raw.map { serial.pool.add(rawTransactions: [$0], now: 7)[0] }
        #expect(batchResults.map(summary) == serialResults.map(summary))
        // The mix exercised acceptance and most refusals.
        let codes = Set(batchResults.compactMap(\.code))
        #expect(batchResults.contains { $0.code == nil })
        #expect(codes.isSuperset(of: ["already_known", "malformed_rlp", "invalid_chain_id", "nonce_too_low", "insufficient_funds"]))
        #expect(batched.pool.count == serial.pool.count)
        #expect(batched.pool.pendingCount == serial.pool.pendingCount)
        #expect(
            batched.pool.select(baseFee: 10, gasLimit: 10_000_000, maxCount: 1_000)
                == serial.pool.select(baseFee: 10, gasLimit: 10_000_000, maxCount: 1_000))
        #expect(batched.pool.invariantViolations().isEmpty)
    }

    /// Checks what callers can see: pending runs contiguous from the account nonce, queued
    /// ones behind a gap, no two transactions with one sender and nonce, counts that add up.
    func checkInvariants(_ f: F, senders: Range<Int>, step: Int) {
        #expect(f.pool.invariantViolations() == [], "step \(step)")
        var pendingTotal = 0
        var queuedTotal = 0
        for key in senders {
            let address = F.address(key)
            let accountNonce = f.state.account(address).nonce
            let pending = f.pool.pending(for: address).map(\.transaction.nonce)
            let queued = f.pool.queued(for: address).map(\.transaction.nonce)
            #expect(pending == Array(accountNonce..<accountNonce + UInt64(pending.count)), "step \(step)")
            #expect(Set(pending + queued).count == pending.count + queued.count, "step \(step)")
            #expect(queued == queued.sorted(), "step \(step)")
            if let firstQueued = queued.first { #expect(firstQueued > accountNonce + UInt64(pending.count), "step \(step)") }
            #expect(f.pool.nonce(for: address) == accountNonce + UInt64(pending.count), "step \(step)")
            for tx in f.pool.pending(for: address) + f.pool.queued(for: address) {
                #expect(f.pool.contains(tx.hash) && tx.sender == address)
            }
            pendingTotal += pending.count
            queuedTotal += queued.count
        }
        #expect(f.pool.pendingCount == pendingTotal, "step \(step)")
        #expect(f.pool.queuedCount == queuedTotal, "step \(step)")
        #expect(f.pool.count == pendingTotal + queuedTotal, "step \(step)")
        #expect(f.pool.count <= f.pool.config.capacity)
    }

    @Test func concurrentCallersSeeAConsistentPool() async {
        let f = F()
        let perSender = 20
        let batches = (0..<8).map { key in (0..<perSender).map { F.tx(key, nonce: UInt64($0), tip: UInt256(UInt64(1 + key))).rawBytes } }
        await withTaskGroup(of: Void.self) { group in
            for batch in batches {
                group.addTask {
                    // Half one by one, half as a batch, interleaved with other senders' calls.
                    for raw in batch[..<(perSender / 2)] { #expect(f.pool.add(rawTransactions: [raw], now: 0)[0].code == nil) }
                    #expect(f.pool.add(rawTransactions: Array(batch[(perSender / 2)...]), now: 0).allSatisfy { $0.code == nil })
                }
            }
            group.addTask {
                for _ in 0..<50 {
                    let chosen = f.pool.select(baseFee: 0, gasLimit: 30_000_000, maxCount: 1_000)
                    var next: [Address: UInt64] = [:]
                    for tx in chosen {
                        #expect(tx.transaction.nonce == next[tx.sender, default: 0])
                        next[tx.sender] = tx.transaction.nonce + 1
                    }
                }
            }
        }
        #expect(f.pool.count == 8 * perSender)
        #expect(f.pool.pendingCount == 8 * perSender)
        #expect(f.pool.invariantViolations().isEmpty)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomizedOperationsKeepInvariants(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let senders = 0..<8
        let f = F(balance: 50_000_000) { $0.capacity = 20; $0.accountCapacity = 5; $0.lifetime = 40 }
        var now: UInt64 = 0
        var included = 0
        var outcomes: Set<String> = []
        for step in 0..<300 {
            switch rng.next() % 10 {
            case 0..<6:
                // Add a small batch around each sender's next nonce.
                let batch = (0..<(1 + rng.next() % 4)).map { _ -> SignedTransaction in
                    let key = Int(rng.next() % UInt64(senders.count))
                    let base = f.state.account(F.address(key)).nonce
                    let nonce = base + rng.next() % 7 - min(base, rng.next() % 4 == 0 ? 1 : 0)
                    let feeCap = UInt256(5 + rng.next() % 100)
                    let tip = UInt256(rng.next() % 30)
                    return F.tx(
                        key, nonce: nonce, tip: min(tip, feeCap), feeCap: feeCap,
                        gas: 21_000 + rng.next() % 3 * 10_000, value: UInt256(rng.next() % 100_000))
                }
                let results = f.add(batch, now: now)
                for (tx, result) in zip(batch, results) {
                    if case .success(let hash) = result { #expect(hash == tx.hash) }
                    outcomes.insert(result.code ?? "ok")
                }
            case 6, 7:
                // Produce a block: execute the selection against the state, then commit.
                let baseFee = UInt256(rng.next() % 40)
                let gasLimit = 21_000 + rng.next() % 200_000
                let chosen = f.pool.select(baseFee: baseFee, gasLimit: gasLimit, maxCount: Int(rng.next() % 8))
                #expect(chosen.reduce(0) { $0 + $1.transaction.gasLimit } <= gasLimit)
                for tx in chosen {
                    var account = f.state.account(tx.sender)
                    let t = tx.transaction
                    #expect(t.nonce == account.nonce, "step \(step): selected out of nonce order")
                    #expect(t.maxFeePerGas >= baseFee)
                    let price = min(t.maxFeePerGas, baseFee + t.maxPriorityFeePerGas)
                    let charge = UInt256(t.gasLimit) * price + t.value
                    #expect(charge <= account.balance, "step \(step): selected an unaffordable transaction")
                    account.nonce += 1
                    account.balance -= min(charge, account.balance)
                    f.state.set(tx.sender, account)
                }
                included += chosen.count
                f.pool.blockCommitted(chosen)
                for tx in chosen { #expect(!f.pool.contains(tx.hash)) }
            case 8:
                now += rng.next() % 30
                for hash in f.pool.expire(now: now) { #expect(!f.pool.contains(hash)) }
            default:
                // Balances move outside the pool (e.g. transfers in and out); the pool re-reads them.
                let key = Int(rng.next() % UInt64(senders.count))
                var account = f.state.account(F.address(key))
                account.balance = UInt256(rng.next() % 60_000_000)
                f.state.set(F.address(key), account)
                f.pool.reset(state: f.state)
            }
            checkInvariants(f, senders: senders, step: step)
        }
        #expect(included > 20)
        // The run reached the limits and the refusals, not only the easy path.
        #expect(outcomes.isSuperset(of: ["ok", "pool_full", "account_limit", "nonce_too_low", "insufficient_funds"]))
    }
}
