import Foundation
import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTestSupport
import MoteTransactions
import MoteTrie
import Testing

@testable import MoteLedger

/// The node registry system contract, end to end: ABI calldata in transactions, storage,
/// events, reverts, `eth_call`-style reads, and the published ABI JSON.
@Suite struct NodeRegistryTests {
    let registry = NodeRegistryContract(genesis: Fixture.genesis())

    func call(_ from: Int, _ function: SystemFunction, _ args: [ABIValue], nonce: UInt64, value: UInt256 = 0, gas: UInt64 = 200_000) throws -> SignedTransaction {
        Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: gas,
            to: registry.address, value: value, data: try function.abi.encodeCall(args)
        ).signed(with: Fixture.keys[from])
    }

    func read(_ ledger: Ledger, _ function: SystemFunction, _ args: [ABIValue]) throws -> [ABIValue] {
        let output = try ledger.call(from: .zero, to: registry.address, data: try function.abi.encodeCall(args)).get()
        return try function.abi.decodeOutput(output)
    }

    @Test func registerUpdateUnregister() throws {
        let ledger = try Fixture.ledger()
        let me = Fixture.keys[0].address
        let built = try ledger.buildBlock(
            candidates: [try call(0, NodeRegistryABI.register, [.string("node-a"), .string("tcp://10.0.0.1:7000")], nonce: 0)],
            producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        try ledger.commit(built.commit)
        let receipt = try #require(built.commit.receipts.first)
        #expect(receipt.succeeded, "\(receipt.failureReason ?? "")")
        #expect(receipt.gasUsed > 21_000)
        let log = try #require(receipt.logs.first)
        #expect(log.address == registry.address)
        #expect(log.topics == [NodeRegistryABI.registered.abi.topic0, Hash32(bytes: [UInt8](repeating: 0, count: 12) + me.bytes)!])
        #expect(built.block.header.logsBloom.mightContain(registry.address.bytes))

        #expect(try read(ledger, NodeRegistryABI.nodeOf, [.address(me)])
            == [.bool(true), .string("node-a"), .string("tcp://10.0.0.1:7000"), .uint(1)])
        #expect(try read(ledger, NodeRegistryABI.nodeCount, []) == [.uint(1)])

        // A second register reverts: included, fee paid, nothing changed.
        let balance = try ledger.account(me).balance
        let again = try ledger.buildBlock(
            candidates: [
                try call(0, NodeRegistryABI.register, [.string("x"), .string("")], nonce: 1),
                try call(0, NodeRegistryABI.update, [.string("node-a2"), .string("tcp://10.0.0.2:7000")], nonce: 2),
            ],
            producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        try ledger.commit(again.commit)
        #expect(again.commit.receipts.map(\.succeeded) == [false, true])
        #expect(again.commit.receipts[0].failureReason == "already registered; call update")
        #expect(again.commit.receipts[0].logs.isEmpty)
        #expect(try ledger.account(me).balance < balance)
        #expect(try read(ledger, NodeRegistryABI.nodeOf, [.address(me)])
            == [.bool(true), .string("node-a2"), .string("tcp://10.0.0.2:7000"), .uint(1)])

        let gone = try ledger.buildBlock(
            candidates: [try call(0, NodeRegistryABI.unregister, [], nonce: 3)], producer: Fixture.producer, timestamp: 1_003, epoch: 0)
        try ledger.commit(gone.commit)
        #expect(gone.commit.receipts[0].succeeded)
        #expect(try read(ledger, NodeRegistryABI.nodeCount, []) == [.uint(0)])
        #expect(try read(ledger, NodeRegistryABI.nodeOf, [.address(me)]) == [.bool(false), .string(""), .string(""), .uint(0)])
    }

    @Test func badCallsRevertWithReasons() throws {
        let ledger = try Fixture.ledger()
        let garbage = Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 100_000,
            to: registry.address, value: 0, data: [0xde, 0xad, 0xbe, 0xef]
        ).signed(with: Fixture.keys[1])
        let built = try ledger.buildBlock(
            candidates: [
                garbage,
                try call(2, NodeRegistryABI.register, [.string(""), .string("e")], nonce: 0),
                try call(3, NodeRegistryABI.register, [.string("n"), .string("e")], nonce: 0, value: 5),
                try call(4, NodeRegistryABI.register, [.string("n"), .string("e")], nonce: 0, gas: 30_000),
            ],
            producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        let reasons = built.commit.receipts.map { $0.failureReason ?? "ok" }
        #expect(reasons[0].contains("no function with selector 0xdeadbeef"))
        #expect(reasons[1] == "name must be 1 to 64 bytes")
        #expect(reasons[2] == "register is not payable")
        #expect(reasons[3] == "out of gas")
        #expect(built.commit.receipts[3].gasUsed == 30_000)
        try ledger.commit(built.commit)
        #expect(try ledger.account(registry.address).balance == 0)
        // A call runs a state-changing function on a copy of the state: it answers, nothing changes.
        let root = ledger.head.stateRoot
        let write = try ledger.call(from: .zero, to: registry.address, data: try NodeRegistryABI.register.abi.encodeCall([.string("n"), .string("e")]))
        #expect(try write.get() == [])
        #expect(ledger.head.stateRoot == root)
        #expect(try read(ledger, NodeRegistryABI.nodeCount, []) == [.uint(0)])
    }

    /// Values are kept as 32-byte words, as Solidity lays out `bytes`: a long record's head word
    /// holds 2 × length + 1 and its data the words at keccak256(slot) + i; replacing it with a
    /// short one leaves no stale words.
    @Test func storageIsWordsAtSolidityCompatibleSlots() throws {
        let ledger = try Fixture.ledger()
        let me = Fixture.keys[0].address
        let slot = NodeRegistryContract.nodeSlot(me)
        #expect(slot == Keccak256.hash(Array("node".utf8) + [0] + me.bytes))
        let endpoint = "tcp://" + String(repeating: "a", count: 90)
        var block = try ledger.buildBlock(
            candidates: [try call(0, NodeRegistryABI.register, [.string("node-a"), .string(endpoint)], nonce: 0)],
            producer: Fixture.producer, timestamp: 1_001, epoch: 0)
        try ledger.commit(block.commit)
        let record = RLP.encode(.list([.bytes(Array("node-a".utf8)), .bytes(Array(endpoint.utf8)), .uint(UInt64(1))]))
        func word(_ slot: Hash32) throws -> UInt256 {
            UInt256(bigEndian: try ledger.store.storageValue(registry.address, slot: slot) ?? [])!
        }
        #expect(try word(slot) == UInt256(UInt64(record.count) * 2 + 1))
        var data: [UInt8] = []
        for index in 0..<StorageLayout.wordCount(record.count) { data += try word(StorageLayout.dataSlot(slot, index)).bigEndianBytes }
        #expect(Array(data.prefix(record.count)) == record)
        #expect(data.dropFirst(record.count).allSatisfy { $0 == 0 })
        // Every slot holds at most one word.
        try ledger.store.forEachStorageSlot(of: registry.address) { _, value in #expect(value.count <= 32) }

        block = try ledger.buildBlock(
            candidates: [try call(0, NodeRegistryABI.update, [.string("b"), .string("")], nonce: 1)],
            producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        try ledger.commit(block.commit)
        let short = RLP.encode(.list([.bytes(Array("b".utf8)), .bytes([]), .uint(UInt64(1))]))
        #expect(try word(slot) == StorageLayout.headWord(short))
        for index in 0..<StorageLayout.wordCount(record.count) {
            #expect(try ledger.store.storageValue(registry.address, slot: StorageLayout.dataSlot(slot, index)) == nil)
        }
        #expect(try read(ledger, NodeRegistryABI.nodeOf, [.address(me)]) == [.bool(true), .string("b"), .string(""), .uint(1)])
    }

    @Test(arguments: SystemContracts.listed.all.map { $0.name })
    func publishedABIMatchesTheContract(name: String) throws {
        let contract = try #require(SystemContracts.listed.contract(named: name))
        let generated = try JSONSerialization.data(withJSONObject: contract.abiJSON, options: [.prettyPrinted, .sortedKeys])
        let published = try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("docs/abi/\(name).json"))
        let a = try JSONSerialization.jsonObject(with: generated) as? NSArray
        let b = try JSONSerialization.jsonObject(with: published) as? NSArray
        #expect(a == b, "regenerate with: mote contracts abi \(name) > docs/abi/\(name).json")
    }
}

/// `eth_getProof`-style proofs from the ledger verify against the head's state root.
@Suite struct LedgerProofTests {
    @Test func accountAndStorageProofsVerify() throws {
        let ledger = try Fixture.ledger()
        let registry = NodeRegistryContract(genesis: Fixture.genesis())
        let tx = Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 200_000,
            to: registry.address, value: 0, data: try NodeRegistryABI.register.abi.encodeCall([.string("n"), .string("e")])
        ).signed(with: Fixture.keys[0])
        try ledger.commit(try ledger.buildBlock(candidates: [tx], producer: Fixture.producer, timestamp: 1_001, epoch: 0).commit)

        let me = Fixture.keys[0].address
        let proof = try ledger.proof(me)
        let value = try #require(try SecureTrie.verifyProof(root: ledger.head.stateRoot, key: me.bytes, proof: proof.accountProof))
        #expect(try Account(encoded: value) == (try ledger.account(me)))

        let absent = Address(suffixOf: Keccak256.hash(utf8: "nobody"))
        #expect(try SecureTrie.verifyProof(root: ledger.head.stateRoot, key: absent.bytes, proof: try ledger.proof(absent).accountProof) == nil)

        let slot = NodeRegistryContract.nodeSlot(me)
        let contractProof = try ledger.proof(registry.address, slots: [slot])
        let contract = try ledger.account(registry.address)
        #expect(contract.storageRoot != Account.emptyTrieRoot)
        let stored = try #require(try SecureTrie.verifyProof(root: contract.storageRoot, key: slot.bytes, proof: contractProof.storageProofs[0]))
        #expect(try RLP.decode(stored).bytesValue() == (try ledger.store.storageValue(registry.address, slot: slot)))

        // A proof against another root fails.
        var tampered = proof.accountProof
        tampered[0][tampered[0].count / 2] ^= 1
        #expect(throws: (any Error).self) { try SecureTrie.verifyProof(root: ledger.head.stateRoot, key: me.bytes, proof: tampered) }
    }

    @Test func reopeningRebuildsTheSameTries() throws {
        let store = InMemoryChainStore()
        let ledger = try Ledger(store: store, genesis: Fixture.genesis())
        let registry = NodeRegistryContract(genesis: Fixture.genesis())
        let tx = Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 200_000,
            to: registry.address, value: 0, data: try NodeRegistryABI.register.abi.encodeCall([.string("n"), .string("e")])
        ).signed(with: Fixture.keys[1])
        try ledger.commit(try ledger.buildBlock(candidates: [tx], producer: Fixture.producer, timestamp: 1_001, epoch: 0).commit)
        // A second ledger on the same store rebuilds the state and storage tries from the flat state.
        let reopened = try Ledger(store: store, genesis: Fixture.genesis())
        #expect(reopened.head == ledger.head)
        let next = Transaction.dynamicFee(
            chainID: Fixture.chainID, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 200_000,
            to: registry.address, value: 0, data: try NodeRegistryABI.register.abi.encodeCall([.string("m"), .string("f")])
        ).signed(with: Fixture.keys[2])
        let a = try ledger.buildBlock(candidates: [next], producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        let b = try reopened.buildBlock(candidates: [next], producer: Fixture.producer, timestamp: 1_002, epoch: 0)
        #expect(a.block.header == b.block.header)
    }
}
