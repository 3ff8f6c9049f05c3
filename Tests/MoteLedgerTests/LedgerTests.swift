import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestSupport
import MoteTransactions
import MoteTrie
import Testing

@testable import MoteLedger

/// Keys and a genesis shared by the ledger tests.
struct Fixture {
    static let chainID: UInt64 = 4_689
    static let keys = (1...8).map { try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "ledger test key \($0)").bytes) }
    static let producer = Address(suffixOf: Keccak256.hash(utf8: "producer"))
    static let ether = UInt256(decimal: "1000000000000000000")!

    static func genesis(balance: UInt256 = ether * 100) -> Genesis {
        Genesis(chainID: chainID, timestamp: 1_000, gasLimit: 30_000_000, baseFee: 1_000_000_000,
                allocations: keys.map { ($0.address, balance) })
    }

    static func ledger(_ genesis: Genesis = Fixture.genesis()) throws -> Ledger {
        try Ledger(store: InMemoryChainStore(), genesis: genesis)
    }

    static func transfer(
        _ from: Int, to: Address, value: UInt256, nonce: UInt64, tip: UInt256 = 2_000_000_000,
        feeCap: UInt256 = 10_000_000_000, gas: UInt64 = 21_000, chainID: UInt64 = Fixture.chainID
    ) -> SignedTransaction {
        Transaction.dynamicFee(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: feeCap, gasLimit: gas, to: to, value: value
        ).signed(with: keys[from])
    }
}

@Suite struct LedgerTests {
    @Test func genesisIsCommittedOnceAndChecked() throws {
        let store = InMemoryChainStore()
        let ledger = try Ledger(store: store, genesis: Fixture.genesis())
        #expect(ledger.head.height == 0)
        #expect(ledger.head.totalSupply == Fixture.ether * 800)
        #expect(try ledger.account(Fixture.keys[0].address).balance == Fixture.ether * 100)
        // Reopening the same store with the same genesis resumes; another genesis is refused.
        let again = try Ledger(store: store, genesis: Fixture.genesis())
        #expect(again.head == ledger.head)
        #expect(throws: LedgerError.self) { try Ledger(store: store, genesis: Fixture.genesis(balance: 1)) }
    }

    @Test func transferPaysValueTipAndBurnsBaseFee() throws {
        let ledger = try Fixture.ledger()
        let recipient = Address(suffixOf: Keccak256.hash(utf8: "recipient"))
        let baseFee = ledger.nextBaseFee
        let tx = Fixture.transfer(0, to: recipient, value: 12_345, nonce: 0)
        let built = try ledger.buildBlock(candidates: [tx], producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        #expect(built.excluded.isEmpty)
        try ledger.commit(built.commit)

        let receipt = try #require(built.commit.receipts.first)
        #expect(receipt.succeeded)
        #expect(receipt.gasUsed == 21_000)
        let price = baseFee + 2_000_000_000
        #expect(receipt.effectiveGasPrice == price)
        #expect(try ledger.account(recipient).balance == 12_345)
        #expect(try ledger.account(Fixture.keys[0].address).balance == Fixture.ether * 100 - 12_345 - price * 21_000)
        #expect(try ledger.account(Fixture.keys[0].address).nonce == 1)
        #expect(try ledger.account(Fixture.producer).balance == UInt256(2_000_000_000) * 21_000)
        #expect(ledger.head.burned == baseFee * 21_000)
        #expect(ledger.head.totalSupply == Fixture.ether * 800 - baseFee * 21_000)
        #expect(ledger.head.height == 1)
    }

    @Test func invalidTransfersAreLeftOutWithTheirReason() throws {
        let ledger = try Fixture.ledger(Fixture.genesis(balance: 1_000_000_000_000_000))  // 0.001 MOTE each
        let to = Address(suffixOf: Keccak256.hash(utf8: "to"))
        let candidates = [
            Fixture.transfer(0, to: to, value: 1, nonce: 1),  // nonce too high
            Fixture.transfer(1, to: to, value: 999_999_000_000_000, nonce: 0),  // can't cover gas + value
            Fixture.transfer(2, to: to, value: 1, nonce: 0, feeCap: 1),  // fee cap below base fee
            Fixture.transfer(3, to: to, value: 1, nonce: 0, gas: 20_000),  // below intrinsic gas
            Fixture.transfer(4, to: to, value: 1, nonce: 0, chainID: 1),  // another chain
            Fixture.transfer(5, to: to, value: 1, nonce: 0),  // fine
            Fixture.transfer(5, to: to, value: 1, nonce: 0),  // same nonce again: too low now
        ]
        let before = try (0..<8).map { try ledger.account(Fixture.keys[$0].address) }
        let built = try ledger.buildBlock(candidates: candidates, producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        #expect(built.block.transactions == [candidates[5]])
        #expect(built.excluded.map(\.reason.code) == [
            "nonce_too_high", "insufficient_funds", "fee_cap_below_base_fee", "invalid_transaction", "invalid_transaction",
            "nonce_too_low",
        ])
        #expect(built.excluded[3].reason.description.contains("intrinsic gas"))
        #expect(built.excluded[4].reason.description.contains("chain id"))
        try ledger.commit(built.commit)
        for i in [0, 1, 2, 3, 4] { #expect(try ledger.account(Fixture.keys[i].address) == before[i]) }
        #expect(try ledger.account(to).balance == 1)
        // A block that includes an invalid transaction is refused by other nodes.
        var forged = built.block
        forged.transactions = [candidates[1]]
        let other = try Fixture.ledger(Fixture.genesis(balance: 1_000_000_000_000_000))
        #expect(throws: LedgerError.self) { try other.execute(forged) }
    }

    @Test func anotherNodeReproducesEveryBlockAndRefusesTampering() throws {
        let producerLedger = try Fixture.ledger()
        let follower = try Fixture.ledger()
        var rng = SplitMix64(seed: 5)
        var nonces = [UInt64](repeating: 0, count: 8)
        for height in 1...10 {
            var candidates: [SignedTransaction] = []
            for _ in 0..<20 {
                let from = Int(rng.next() % 8)
                let to = rng.next() % 3 == 0 ? Address(suffixOf: Keccak256.hash(utf8: "fresh \(rng.next())")) : Fixture.keys[Int(rng.next() % 8)].address
                candidates.append(Fixture.transfer(from, to: to, value: UInt256(rng.next() % 1_000_000), nonce: nonces[from]))
                nonces[from] += 1
            }
            let built = try producerLedger.buildBlock(candidates: candidates, producer: Fixture.producer, timestamp: 1_000 + UInt64(height), epoch: 0)
            #expect(built.excluded.isEmpty)
            try producerLedger.commit(built.commit)

            var tampered = built.block
            tampered.header.stateRoot = Keccak256.hash(utf8: "wrong")
            #expect(throws: LedgerError.self) { try follower.execute(tampered) }
            let checked = try follower.execute(built.block)
            #expect(checked.block == built.block)
            try follower.commit(checked)
        }
        #expect(follower.head == producerLedger.head)
    }

    /// The state trie is updated in place: blocks built or checked at one height, proofs in
    /// between, and commits of any of them (or of a block this ledger never built) must all
    /// give the same state as a ledger that only ever saw the committed block.
    @Test func competingBlocksAtOneHeightCommitEitherOne() throws {
        let ledger = try Fixture.ledger()
        let reference = try Fixture.ledger()
        let to = Address(suffixOf: Keccak256.hash(utf8: "competing"))
        let a = try ledger.buildBlock(
            candidates: [Fixture.transfer(0, to: to, value: 5, nonce: 0)], producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        let b = try ledger.buildBlock(
            candidates: [Fixture.transfer(1, to: to, value: 7, nonce: 0)], producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        #expect(a.block.header.stateRoot != b.block.header.stateRoot)
        // A proof at the head in between sees neither block.
        let proof = try ledger.proof(to)
        #expect(try SecureTrie.verifyProof(root: ledger.head.stateRoot, key: to.bytes, proof: proof.accountProof) == nil)
        try ledger.commit(a.commit)
        try reference.commit(try reference.execute(a.block))
        #expect(ledger.head == reference.head)
        let accountProof = try ledger.proof(to).accountProof
        let value = try #require(try SecureTrie.verifyProof(root: ledger.head.stateRoot, key: to.bytes, proof: accountProof))
        #expect(try Account(encoded: value).balance == 5)

        // Next height: check a block, build another, commit the checked one.
        let c = try reference.buildBlock(
            candidates: [Fixture.transfer(2, to: to, value: 11, nonce: 0)], producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        let checked = try ledger.execute(c.block)
        _ = try ledger.buildBlock(
            candidates: [Fixture.transfer(3, to: to, value: 13, nonce: 0)], producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        try ledger.commit(checked)
        try reference.commit(c.commit)
        #expect(ledger.head == reference.head)

        // A commit this ledger never built or checked: the trie is rebuilt from the flat state.
        let d = try reference.buildBlock(
            candidates: [Fixture.transfer(4, to: to, value: 17, nonce: 0)], producer: Fixture.producer, timestamp: 1_003, epoch: 0)
        _ = try ledger.buildBlock(
            candidates: [Fixture.transfer(5, to: to, value: 19, nonce: 0)], producer: Fixture.producer, timestamp: 1_003, epoch: 0)
        try reference.commit(d.commit)
        try ledger.commit(d.commit)
        #expect(ledger.head == reference.head)
        let e = try ledger.buildBlock(
            candidates: [Fixture.transfer(6, to: to, value: 23, nonce: 0)], producer: Fixture.producer, timestamp: 1_004, epoch: 0)
        try ledger.commit(e.commit)
        try reference.commit(try reference.execute(e.block))
        #expect(ledger.head == reference.head)
    }

    @Test func supplyIsConservedOverRandomBlocks() throws {
        let ledger = try Fixture.ledger()
        var rng = SplitMix64(seed: 77)
        var touched = Set(Fixture.keys.map(\.address) + [Fixture.producer])
        var nonces = [UInt64](repeating: 0, count: 8)
        for height in 1...15 {
            var candidates: [SignedTransaction] = []
            for _ in 0..<(rng.next() % 30) {
                let from = Int(rng.next() % 8)
                let to = Address(suffixOf: Keccak256.hash(utf8: "account \(rng.next() % 50)"))
                touched.insert(to)
                // Some are invalid (random nonce or huge value); they must change nothing.
                let nonce = rng.next() % 5 == 0 ? nonces[from] + 3 : nonces[from]
                let value = rng.next() % 7 == 0 ? Fixture.ether * 1_000 : UInt256(rng.next() % 1_000_000_000)
                candidates.append(Fixture.transfer(from, to: to, value: value, nonce: nonce, tip: UInt256(rng.next() % 3_000_000_000)))
                if nonce == nonces[from], value < Fixture.ether { nonces[from] += 1 }
            }
            let built = try ledger.buildBlock(candidates: candidates, producer: Fixture.producer, timestamp: 2_000 + UInt64(height), epoch: 0)
            try ledger.commit(built.commit)
            let sum = try touched.reduce(UInt256.zero) { $0 + (try ledger.account($1).balance) }
            #expect(sum == ledger.head.totalSupply, "height \(height)")
            #expect(ledger.head.totalSupply + ledger.head.burned == Fixture.genesis().totalSupply + ledger.head.minted)
        }
    }

    @Test func baseFeeFollowsEIP1559() {
        var parent = BlockHeader(
            parentHash: .zero, height: 1, timestamp: 0, producer: .zero, epoch: 0, stateRoot: .zero, transactionsRoot: .zero,
            receiptsRoot: .zero, logsBloom: Bloom(), gasUsed: 15_000_000, gasLimit: 30_000_000, baseFee: 1_000_000_000)
        var params = ProtocolParameters()
        #expect(FeeMarket.nextBaseFee(parent: parent, parameters: params) == 1_000_000_000)
        parent.gasUsed = 30_000_000
        #expect(FeeMarket.nextBaseFee(parent: parent, parameters: params) == 1_125_000_000)
        parent.gasUsed = 0
        #expect(FeeMarket.nextBaseFee(parent: parent, parameters: params) == 875_000_000)
        params.minBaseFee = UInt256Text(900_000_000)
        #expect(FeeMarket.nextBaseFee(parent: parent, parameters: params) == 900_000_000)
    }

    @Test func listRootsMatchEthereum() throws {
        #expect(try Ledger.listRoot([]) == Account.emptyTrieRoot)
    }
}
