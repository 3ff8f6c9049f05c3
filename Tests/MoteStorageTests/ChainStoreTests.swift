import Foundation
import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestKit
import Testing

/// The contract of `ChainStore`, run against every implementation.
@Suite struct ChainStoreTests {
    @Test(arguments: StoreKind.allCases)
    func emptyStoreHoldsNothing(_ kind: StoreKind) throws {
        let (store, directory) = try kind.make()
        defer { withExtendedLifetime(directory) {} }
        let someHash = Keccak256.hash(utf8: "anything")
        #expect(try store.head() == nil)
        #expect(try store.blockHash(atHeight: 0) == nil)
        #expect(try store.height(ofBlock: someHash) == nil)
        #expect(try store.header(atHeight: 0) == nil)
        #expect(try store.block(atHeight: 0) == nil)
        #expect(try store.receipts(atHeight: 0) == nil)
        #expect(try store.transactionLocation(someHash) == nil)
        #expect(try store.account(SyntheticChain.address(0)) == nil)
        #expect(try store.storageValue(SyntheticChain.address(0), slot: someHash) == nil)
        #expect(try store.trieNode(someHash) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func commitsGenesisThenBlocksAndReadsThemBack(_ kind: StoreKind) throws {
        let (store, directory) = try kind.make()
        defer { withExtendedLifetime(directory) {} }
        let commits = syntheticCommits(13)
        for (i, commit) in commits.enumerated() {
            try store.commit(commit)
            #expect(try store.head() == commit.head)
            if i == 0 || i == 5 { try expectHolds(store, Array(commits[...i])) }
        }
        try expectHolds(store, commits)
        // The synthetic chain has blocks with 0 to 3 transactions, logs, failed receipts and
        // deletions; make sure this run covered them.
        #expect(commits.contains { $0.block.transactions.isEmpty })
        #expect(commits.contains { $0.block.transactions.count == 3 })
        #expect(commits.contains { $0.accounts.contains { $0.account == nil } })
        #expect(commits.contains { $0.storage.contains { $0.value == nil } })
    }

    @Test(arguments: StoreKind.allCases)
    func deletesAccountsAndStorageSlots(_ kind: StoreKind) throws {
        let (store, directory) = try kind.make()
        defer { withExtendedLifetime(directory) {} }
        let (a, b, c) = (SyntheticChain.address(1), SyntheticChain.address(2), SyntheticChain.address(3))
        let (s1, s2) = (SyntheticChain.slot(1), SyntheticChain.slot(2))
        var genesis = SyntheticChain.commit(atHeight: 0, parentHash: .zero)
        genesis.accounts = [(a, Account(nonce: 1, balance: 10)), (b, Account(nonce: 2, balance: 20))]
        genesis.storage = [(a, s1, [1]), (a, s2, [2]), (b, s1, [3])]
        try store.commit(genesis)
        #expect(try store.account(a) == Account(nonce: 1, balance: 10))
        #expect(try store.storageValue(a, slot: s2) == [2])

        var next = SyntheticChain.commit(atHeight: 1, parentHash: genesis.head.hash)
        // Deleting what does not exist is not an error; a later change of the same key wins.
        next.accounts = [(a, nil), (c, nil), (b, Account(nonce: 9)), (b, Account(nonce: 3, balance: 30))]
        next.storage = [(a, s1, nil), (c, s1, nil), (b, s1, [4]), (b, s2, [5]), (b, s2, nil)]
        try store.commit(next)
        #expect(try store.account(a) == nil)
        #expect(try store.account(b) == Account(nonce: 3, balance: 30))
        #expect(try store.account(c) == nil)
        // A batch read answers in the order asked, repeats included.
        #expect(try store.accounts([c, b, a, b]) == [nil, Account(nonce: 3, balance: 30), nil, Account(nonce: 3, balance: 30)])
        #expect(try store.storageValue(a, slot: s1) == nil)
        #expect(try store.storageValue(a, slot: s2) == [2])  // untouched
        #expect(try store.storageValue(b, slot: s1) == [4])
        #expect(try store.storageValue(b, slot: s2) == nil)
        #expect(try store.storageValue(c, slot: s1) == nil)

        // A deleted account can come back.
        var third = SyntheticChain.commit(atHeight: 2, parentHash: next.head.hash)
        third.accounts = [(a, Account(nonce: 7))]
        third.storage = []
        try store.commit(third)
        #expect(try store.account(a) == Account(nonce: 7))
    }

    @Test(arguments: StoreKind.allCases)
    func rejectsCommitsThatDoNotExtendTheHeadAndChangesNothing(_ kind: StoreKind) throws {
        let (store, directory) = try kind.make()
        defer { withExtendedLifetime(directory) {} }
        let chain = syntheticCommits(4)

        // Empty store: only height 0.
        #expect(storageError { try store.commit(chain[1]) }?.kind == .notExtendingHead)
        try expectUnchanged(store, holding: [], rejected: chain[1])

        try store.commit(chain[0])
        try store.commit(chain[1])
        let held = Array(chain[0...1])

        // Too far, too old, the same again.
        for bad in [chain[3], chain[0], chain[1]] {
            #expect(storageError { try store.commit(bad) }?.kind == .notExtendingHead)
            try expectUnchanged(store, holding: held, rejected: bad)
        }
        // Right height, wrong parent (a fork of block 2, with its head recomputed to match).
        let fork = SyntheticChain.commit(atHeight: 2, parentHash: Keccak256.hash(utf8: "another parent"))
        #expect(storageError { try store.commit(fork) }?.kind == .notExtendingHead)
        try expectUnchanged(store, holding: held, rejected: fork)

        // A head that is not the block's.
        var wrongHeight = chain[2]
        wrongHeight.head.height = 3
        var wrongHash = chain[2]
        wrongHash.head.hash = Keccak256.hash(utf8: "not the block")
        var wrongRoot = chain[2]
        wrongRoot.head.stateRoot = Keccak256.hash(utf8: "not the root")
        for bad in [wrongHeight, wrongHash, wrongRoot] {
            #expect(storageError { try store.commit(bad) }?.kind == .mismatch)
            try expectUnchanged(store, holding: held, rejected: bad)
        }

        // And the right block still goes in afterwards.
        try store.commit(chain[2])
        try expectHolds(store, Array(chain[0...2]))
        // Receipts that do not match the transactions.
        var missingReceipt = chain[3]
        missingReceipt.receipts.removeLast()
        #expect(storageError { try store.commit(missingReceipt) }?.kind == .mismatch)
        try expectUnchanged(store, holding: Array(chain[0...2]), rejected: missingReceipt)
    }

    @Test(arguments: StoreKind.allCases)
    func readersSeeWholeBlocksWhileTheWriterCommits(_ kind: StoreKind) async throws {
        let (store, directory) = try kind.make()
        defer { withExtendedLifetime(directory) {} }
        let commits = syntheticCommits(40)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for commit in commits { try store.commit(commit) }
            }
            for _ in 0..<2 {
                group.addTask {
                    var seen: UInt64 = 0
                    let deadline = ContinuousClock.now + .seconds(60)
                    while seen < 39 && ContinuousClock.now < deadline {
                        guard let head = try store.head() else { continue }
                        // Whatever head a reader sees, the block and its receipts are there.
                        #expect(head.height >= seen)
                        #expect(try store.block(atHeight: head.height)?.hash == head.hash)
                        #expect(try store.receipts(atHeight: head.height)?.count == commits[Int(head.height)].receipts.count)
                        seen = head.height
                    }
                }
            }
            try await group.waitForAll()
        }
        try expectHolds(store, commits)
    }
}

/// Asserts that a rejected commit left `store` holding `held` and nothing of `rejected`.
private func expectUnchanged(
    _ store: any ChainStore, holding held: [BlockCommit], rejected: BlockCommit, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(try store.head() == held.last?.head, sourceLocation: sourceLocation)
    let height = rejected.block.height
    if height >= UInt64(held.count) {
        #expect(try store.block(atHeight: height) == nil, sourceLocation: sourceLocation)
        #expect(try store.receipts(atHeight: height) == nil, sourceLocation: sourceLocation)
    } else {
        #expect(try store.block(atHeight: height) == held[Int(height)].block, sourceLocation: sourceLocation)
    }
    if !held.contains(where: { $0.block.hash == rejected.block.hash }) {
        #expect(try store.height(ofBlock: rejected.block.hash) == nil, sourceLocation: sourceLocation)
        for tx in rejected.block.transactions {
            #expect(try store.transactionLocation(tx.hash) == nil, sourceLocation: sourceLocation)
        }
        for node in rejected.trieNodes where !held.contains(where: { $0.trieNodes.contains { $0.hash == node.hash } }) {
            #expect(try store.trieNode(node.hash) == nil, sourceLocation: sourceLocation)
        }
    }
    if let head = held.last?.head {
        try expectSyntheticState(store, atHeight: head.height, sourceLocation: sourceLocation)
    } else {
        for change in rejected.accounts {
            #expect(try store.account(change.address) == nil, sourceLocation: sourceLocation)
        }
    }
}
