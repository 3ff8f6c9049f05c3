import Foundation
import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestKit
import MoteTestSupport
import Testing

/// What only the LMDB store does: persistence, the schema version, and refusing folders that
/// are not its own.
@Suite struct LMDBChainStoreTests {
    @Test func reopensAndReadsEverythingBack() throws {
        let directory = try TemporaryDirectory()
        let commits = syntheticCommits(20)
        do {
            let store = try LMDBChainStore(dataDirectory: directory.path)
            for commit in commits[..<12] { try store.commit(commit) }
        }
        do {
            let store = try LMDBChainStore(dataDirectory: directory.path)
            try expectHolds(store, Array(commits[..<12]))
            for commit in commits[12...] { try store.commit(commit) }
        }
        let store = try LMDBChainStore(dataDirectory: directory.path)
        try expectHolds(store, commits)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/chain/data.mdb"))
        #expect(store.path == directory.path + "/chain")
    }

    @Test func createsTheDataDirectory() throws {
        let directory = try TemporaryDirectory()
        let nested = directory.path + "/a/b/datadir"
        let store = try LMDBChainStore(dataDirectory: nested)
        try store.commit(syntheticCommits(1)[0])
        #expect(try store.head()?.height == 0)
    }

    @Test func refusesAnotherSchemaVersion() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try LMDBChainStore(dataDirectory: directory.path, options: .init(), schemaVersion: 999)
            try store.commit(syntheticCommits(1)[0])
        }
        let error = storageError { _ = try LMDBChainStore(dataDirectory: directory.path) }
        #expect(error?.kind == .incompatible)
        #expect(error?.description.contains("schema version 999") == true, "\(String(describing: error))")
        // Refusing changed nothing: the old version still opens.
        let old = try LMDBChainStore(dataDirectory: directory.path, options: .init(), schemaVersion: 999)
        #expect(try old.head()?.height == 0)
    }

    @Test func refusesAFileInPlaceOfTheDirectory() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/not-a-directory"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: file))
        let error = storageError { _ = try LMDBChainStore(dataDirectory: file) }
        #expect(error?.kind == .io)
        #expect(error?.description.contains("not a directory") == true, "\(String(describing: error))")

        try FileManager.default.createDirectory(atPath: directory.path + "/datadir", withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: directory.path + "/datadir/chain"))
        let chainError = storageError { _ = try LMDBChainStore(dataDirectory: directory.path + "/datadir") }
        #expect(chainError?.kind == .io)
        #expect(chainError?.description.contains("not a directory") == true, "\(String(describing: chainError))")
    }

    @Test(arguments: [0, 100, 4_096, 65_536])
    func refusesGarbage(size: Int) throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/chain", withIntermediateDirectories: true)
        var rng = SplitMix64(seed: UInt64(size) &+ 0x6172_6261_6765)
        try Data(rng.bytes(size)).write(to: URL(fileURLWithPath: directory.path + "/chain/data.mdb"))
        let error = storageError { _ = try LMDBChainStore(dataDirectory: directory.path) }
        if size == 0 {
            // An empty file is a store whose creation never started: it is created now.
            #expect(error == nil, "\(String(describing: error))")
        } else {
            #expect(error?.kind == .incompatible, "\(String(describing: error))")
            #expect(error?.description.contains("not a Mote chain store") == true, "\(String(describing: error))")
        }
    }

    @Test func refusesASecondOpenOfTheSameDirectory() throws {
        let directory = try TemporaryDirectory()
        do {
            let first = try LMDBChainStore(dataDirectory: directory.path)
            let error = storageError { _ = try LMDBChainStore(dataDirectory: directory.path) }
            #expect(error?.kind == .io)
            #expect(error?.description.contains("in use") == true, "\(String(describing: error))")
            withExtendedLifetime(first) {}
        }
        // Released: opens again.
        _ = try LMDBChainStore(dataDirectory: directory.path)
    }

    @Test func storesLargeCommits() throws {
        let directory = try TemporaryDirectory()
        let store = try LMDBChainStore(dataDirectory: directory.path)
        let genesis = SyntheticChain.commit(atHeight: 0, parentHash: .zero)
        try store.commit(genesis)
        let large = SyntheticChain.largeCommit(
            atHeight: 1, parentHash: genesis.head.hash, accounts: 500, trieNodes: 1_000, storageSlots: 200, transactions: 20)
        try store.commit(large)
        #expect(try store.head() == large.head)
        #expect(try store.block(atHeight: 1) == large.block)
        #expect(try store.receipts(atHeight: 1) == large.receipts)
        for change in large.accounts { #expect(try store.account(change.address) == change.account) }
        for change in large.storage { #expect(try store.storageValue(change.address, slot: change.slot) == change.value) }
        for node in large.trieNodes { #expect(try store.trieNode(node.hash) == node.rlp) }
        for (i, tx) in large.block.transactions.enumerated() {
            #expect(try store.transactionLocation(tx.hash) == TransactionLocation(height: 1, index: UInt32(i)))
        }
    }
}
