import MoteChain
import MoteCrypto
import MotePrimitives
import MoteStorage
import MoteTransactions

/// Made-up blocks whose every byte is a pure function of the height, for exercising storage:
/// `mote debug write-blocks` writes them for the crash test, which recomputes them to check
/// what survived, and the commit benchmark builds large ones.
///
/// Not a ledger: balances, roots and receipts are invented, only consistent with each other
/// (the head matches the block, there is one receipt per transaction, and signatures are real
/// so blocks decode).
package enum SyntheticChain {
    /// How many addresses the small blocks touch (`address(0) ..< address(accountCount)`).
    package static let accountCount = 64
    /// How many storage slots per address the small blocks touch.
    package static let slotCount = 16
    /// The chain id the transactions are signed for.
    package static let chainID: UInt64 = 0x6d6f7465

    /// The `i`-th synthetic address.
    package static func address(_ i: Int) -> Address {
        i < accountCount ? addresses[i] : makeAddress(i)
    }

    /// The `i`-th synthetic storage slot.
    package static func slot(_ i: Int) -> Hash32 {
        i < slotCount ? slots[i] : makeSlot(i)
    }

    private static let addresses = (0..<accountCount).map(makeAddress)
    private static let slots = (0..<slotCount).map(makeSlot)
    private static func makeAddress(_ i: Int) -> Address { Address(suffixOf: Keccak256.hash(utf8: "synthetic address \(i)")) }
    private static func makeSlot(_ i: Int) -> Hash32 { Keccak256.hash(utf8: "synthetic slot \(i)") }

    /// Four signing keys, made once.
    private static let keys: [Secp256k1.PrivateKey] = (0..<4).map { i in
        try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "synthetic key \(i)").bytes)
    }

    /// The flat-state changes block `height` makes, in the order they apply.
    package static func changes(atHeight height: UInt64) -> (
        accounts: [(address: Address, account: Account?)], storage: [(address: Address, slot: Hash32, value: [UInt8]?)]
    ) {
        let n = UInt64(accountCount)
        let a = Int(height % n), b = Int((height &* 7 &+ 3) % n), c = Int((height &* 13 &+ 5) % n)
        var accounts: [(address: Address, account: Account?)] = [
            (address(a), Account(nonce: height, balance: UInt256(height) * 1_000 + 1)),
            (address(b), Account(nonce: height + 1, balance: UInt256(height) * 3)),
        ]
        // Every third block deletes an account.
        accounts.append((address(c), height % 3 == 0 ? nil : Account(nonce: 0, balance: UInt256(height))))
        var storage: [(address: Address, slot: Hash32, value: [UInt8]?)] = [
            (address(a), slot(Int(height % UInt64(slotCount))), height.minimalBigEndianBytes + [0x01])
        ]
        // Every fourth block deletes a slot.
        if height % 4 == 0 { storage.append((address(b), slot(Int(height / 4 % UInt64(slotCount))), nil)) }
        return (accounts, storage)
    }

    /// The flat state after block `height`: every change of blocks 0 through `height`, applied.
    package static func state(atHeight height: UInt64) -> (accounts: [Address: Account], storage: [SlotKey: [UInt8]]) {
        var accounts: [Address: Account] = [:]
        var storage: [SlotKey: [UInt8]] = [:]
        for h in 0...height {
            let changes = changes(atHeight: h)
            for change in changes.accounts { accounts[change.address] = change.account }
            for change in changes.storage { storage[SlotKey(address: change.address, slot: change.slot)] = change.value }
        }
        return (accounts, storage)
    }

    /// An address and one of its storage slots.
    package struct SlotKey: Hashable, Sendable {
        package var address: Address
        package var slot: Hash32
        package init(address: Address, slot: Hash32) {
            self.address = address
            self.slot = slot
        }
    }

    /// The invented state root of block `height`.
    package static func stateRoot(atHeight height: UInt64) -> Hash32 {
        Keccak256.hash(utf8: "synthetic state root \(height)")
    }

    /// The small block at `height` (0 to 3 transactions, a few state changes, two trie nodes),
    /// as a commit. `parentHash` is the hash of block `height - 1` (anything for genesis).
    package static func commit(atHeight height: UInt64, parentHash: Hash32) -> BlockCommit {
        let changes = changes(atHeight: height)
        let transactions = (0..<Int(height % 4)).map { j in
            transaction(nonce: height, to: address(j), value: UInt256(height), key: keys[(Int(height % 4) + j) % 4])
        }
        let nodes = (0..<2).map { j in trieNode(height: height, index: UInt64(j)) }
        return assemble(
            height: height, parentHash: parentHash, transactions: transactions, trieNodes: nodes,
            accounts: changes.accounts, storage: changes.storage)
    }

    /// A large block at `height` for benchmarks: `accounts` account writes, `trieNodes` new
    /// nodes, `storageSlots` slot writes and `transactions` signed transactions (signing is the
    /// slow part of building it).
    package static func largeCommit(
        atHeight height: UInt64, parentHash: Hash32, accounts: Int, trieNodes: Int, storageSlots: Int, transactions: Int
    ) -> BlockCommit {
        let txs = (0..<transactions).map { j in
            transaction(nonce: UInt64(j), to: address(j), value: UInt256(height), key: keys[j % 4])
        }
        let nodes = (0..<trieNodes).map { j in trieNode(height: height, index: UInt64(j)) }
        let accountChanges: [(address: Address, account: Account?)] = (0..<accounts).map { j in
            (Address(suffixOf: Keccak256.hash(utf8: "bench account \(height) \(j)")),
                Account(nonce: height, balance: UInt256(UInt64(j)) * 1_000_000_007))
        }
        let slotChanges: [(address: Address, slot: Hash32, value: [UInt8]?)] = (0..<storageSlots).map { j in
            (address(j % accountCount), Keccak256.hash(utf8: "bench slot \(height) \(j)"), UInt64(j).minimalBigEndianBytes)
        }
        return assemble(
            height: height, parentHash: parentHash, transactions: txs, trieNodes: nodes, accounts: accountChanges,
            storage: slotChanges)
    }

    private static func transaction(nonce: UInt64, to: Address, value: UInt256, key: Secp256k1.PrivateKey) -> SignedTransaction {
        Transaction.legacy(
            chainID: chainID, nonce: nonce, gasPrice: 1_000_000_000, gasLimit: 21_000, to: to, value: value, data: []
        ).signed(with: key)
    }

    /// A made-up trie node of about 100 bytes, named by its Keccak-256.
    private static func trieNode(height: UInt64, index: UInt64) -> (hash: Hash32, rlp: [UInt8]) {
        let rlp = RLP.encode(.list([
            .uint(height), .uint(index), .hash(Keccak256.hash(utf8: "node \(height) \(index)")),
            .bytes([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 40)),
        ]))
        return (Keccak256.hash(rlp), rlp)
    }

    private static func assemble(
        height: UInt64, parentHash: Hash32, transactions: [SignedTransaction], trieNodes: [(hash: Hash32, rlp: [UInt8])],
        accounts: [(address: Address, account: Account?)], storage: [(address: Address, slot: Hash32, value: [UInt8]?)]
    ) -> BlockCommit {
        var cumulative: UInt64 = 0
        let receipts = transactions.enumerated().map { j, tx in
            cumulative += 21_000
            let logs = j == 0 ? [Log(address: tx.sender, topics: [tx.hash], data: Array("synthetic".utf8))] : []
            return Receipt(
                kind: .legacy, succeeded: j % 5 != 4, cumulativeGasUsed: cumulative, gasUsed: 21_000,
                effectiveGasPrice: 1_000_000_000, logs: logs, failureReason: j % 5 == 4 ? "synthetic failure" : nil)
        }
        var bloom = Bloom()
        for receipt in receipts { bloom.formUnion(receipt.bloom) }
        let header = BlockHeader(
            parentHash: parentHash, height: height, timestamp: 1_700_000_000 + height * 5,
            producer: address(Int(height % 4)), epoch: height / 720, stateRoot: stateRoot(atHeight: height),
            transactionsRoot: Keccak256.hash(utf8: "synthetic transactions \(height)"),
            receiptsRoot: Keccak256.hash(utf8: "synthetic receipts \(height)"), logsBloom: bloom, gasUsed: cumulative,
            gasLimit: 30_000_000, baseFee: 1_000_000_000)
        let block = Block(header: header, transactions: transactions)
        let minted = UInt256(height) * 10
        let burned = UInt256(height) * 3
        let head = ChainHead(
            height: height, hash: block.hash, stateRoot: header.stateRoot,
            totalSupply: UInt256(1_000_000) + minted - burned, minted: minted, burned: burned)
        return BlockCommit(
            block: block, receipts: receipts, head: head, trieNodes: trieNodes, accounts: accounts, storage: storage)
    }
}
