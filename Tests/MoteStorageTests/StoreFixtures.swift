import Foundation
import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestKit
import MoteTestSupport
import Testing

/// A temporary folder, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ prefix: String = "mote-store") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The implementations the shared suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory
    case lmdb

    var testDescription: String { rawValue }

    /// A fresh, empty store of this kind; `directory` keeps an LMDB store's folder alive.
    func make() throws -> (store: any ChainStore, directory: TemporaryDirectory?) {
        switch self {
        case .inMemory:
            return (InMemoryChainStore(), nil)
        case .lmdb:
            let directory = try TemporaryDirectory()
            return (try LMDBChainStore(dataDirectory: directory.path), directory)
        }
    }
}

/// The synthetic chain's commits 0 ..< count, each the child of the one before.
func syntheticCommits(_ count: Int) -> [BlockCommit] {
    var commits: [BlockCommit] = []
    var parent = Hash32.zero
    for height in 0..<UInt64(count) {
        let commit = SyntheticChain.commit(atHeight: height, parentHash: parent)
        commits.append(commit)
        parent = commit.head.hash
    }
    return commits
}

/// Asserts that `store` holds exactly `commits` (the whole chain from genesis) and the flat
/// state the synthetic chain has at its head.
func expectHolds(_ store: any ChainStore, _ commits: [BlockCommit], sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(try store.head() == commits.last?.head, sourceLocation: sourceLocation)
    for commit in commits {
        let height = commit.block.height
        #expect(try store.blockHash(atHeight: height) == commit.block.hash, sourceLocation: sourceLocation)
        #expect(try store.height(ofBlock: commit.block.hash) == height, sourceLocation: sourceLocation)
        #expect(try store.header(atHeight: height) == commit.block.header, sourceLocation: sourceLocation)
        #expect(try store.block(atHeight: height) == commit.block, sourceLocation: sourceLocation)
        #expect(try store.receipts(atHeight: height) == commit.receipts, sourceLocation: sourceLocation)
        for (i, tx) in commit.block.transactions.enumerated() {
            #expect(
                try store.transactionLocation(tx.hash) == TransactionLocation(height: height, index: UInt32(i)),
                sourceLocation: sourceLocation)
        }
        for node in commit.trieNodes {
            #expect(try store.trieNode(node.hash) == node.rlp, sourceLocation: sourceLocation)
        }
    }
    let next = UInt64(commits.count)
    #expect(try store.blockHash(atHeight: next) == nil, sourceLocation: sourceLocation)
    #expect(try store.header(atHeight: next) == nil, sourceLocation: sourceLocation)
    #expect(try store.block(atHeight: next) == nil, sourceLocation: sourceLocation)
    #expect(try store.receipts(atHeight: next) == nil, sourceLocation: sourceLocation)
    if let head = commits.last?.head {
        try expectSyntheticState(store, atHeight: head.height, sourceLocation: sourceLocation)
    }
}

/// Asserts that every synthetic account and slot in `store` is what the synthetic chain has
/// after block `height`.
func expectSyntheticState(_ store: any ChainStore, atHeight height: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = SyntheticChain.state(atHeight: height)
    for i in 0..<SyntheticChain.accountCount {
        let address = SyntheticChain.address(i)
        #expect(try store.account(address) == expected.accounts[address], "account \(i)", sourceLocation: sourceLocation)
        for j in 0..<SyntheticChain.slotCount {
            let slot = SyntheticChain.slot(j)
            let key = SyntheticChain.SlotKey(address: address, slot: slot)
            #expect(try store.storageValue(address, slot: slot) == expected.storage[key], "slot \(j) of account \(i)", sourceLocation: sourceLocation)
        }
    }
}

/// The `StorageError` `body` throws, or nil (any other error is a test failure).
func storageError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> StorageError? {
    do { try body() } catch let error as StorageError { return error } catch {
        Issue.record("not a StorageError: \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
