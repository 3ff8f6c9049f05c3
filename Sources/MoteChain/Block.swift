import MoteCrypto
import MotePrimitives
import MoteTransactions

/// A block: a header and its transactions, in execution order.
public struct Block: Hashable, Sendable {
    public var header: BlockHeader
    public var transactions: [SignedTransaction]

    public init(header: BlockHeader, transactions: [SignedTransaction]) {
        self.header = header
        self.transactions = transactions
    }

    public var hash: Hash32 { header.hash }
    public var height: UInt64 { header.height }

    /// The wire form: `rlp([header, [rawTransaction…]])`; senders are recovered by the receiver.
    public var encoded: [UInt8] {
        RLP.encode(.list([header.rlpItem, .list(transactions.map { .bytes($0.rawBytes) })]))
    }

    /// Decodes the wire form; every transaction is checked against `rules` and its sender
    /// recovered — unless `knownSender` already knows it by transaction hash (a node's pool has
    /// recovered the senders of the transactions it admitted).
    public init(
        encoded bytes: [UInt8], rules: TransactionRules, knownSender: (Hash32) -> Address? = { _ in nil }
    ) throws(ChainDecodingError) {
        let f = try RLP.decode(bytes, "block").fields(2, "block")
        let header = try BlockHeader(item: f[0])
        var transactions: [SignedTransaction] = []
        for (i, item) in try f[1].list("block transactions").enumerated() {
            do {
                let unverified = try UnverifiedTransaction(decoding: try item.bytes("transaction \(i)"), rules: rules)
                if let sender = knownSender(unverified.hash) {
                    transactions.append(unverified.verified(sender: sender))
                } else {
                    transactions.append(try unverified.verified())
                }
            } catch {
                throw ChainDecodingError("transaction \(i): \(error)")
            }
        }
        self.init(header: header, transactions: transactions)
    }

    /// The header of a block in wire form, without decoding its transactions (cheap: to
    /// decide whether the block is wanted before recovering any sender).
    public static func header(ofEncoded bytes: [UInt8]) throws(ChainDecodingError) -> BlockHeader {
        try BlockHeader(item: try RLP.decode(bytes, "block").fields(2, "block")[0])
    }

    /// The stored form: the wire form plus each transaction's sender, so reading a block back
    /// from our own database needs no signature recovery.
    public var storageEncoding: [UInt8] {
        RLP.encode(.list([
            header.rlpItem, .list(transactions.map { .bytes($0.rawBytes) }),
            .list(transactions.map { .address($0.sender) }),
        ]))
    }

    /// Decodes `storageEncoding`, trusting the stored senders.
    public init(storageEncoding bytes: [UInt8]) throws(ChainDecodingError) {
        let f = try RLP.decode(bytes, "stored block").fields(3, "stored block")
        let header = try BlockHeader(item: f[0])
        let raws = try f[1].list("stored block transactions")
        let senders = try f[2].list("stored block senders")
        guard raws.count == senders.count else { throw ChainDecodingError("stored block: senders do not match transactions") }
        var transactions: [SignedTransaction] = []
        transactions.reserveCapacity(raws.count)
        let rules = TransactionRules(chainID: nil, maxEncodedSize: .max)
        for (i, (raw, sender)) in zip(raws, senders).enumerated() {
            do {
                let unverified = try UnverifiedTransaction(decoding: try raw.bytes("transaction \(i)"), rules: rules, checkRules: false)
                transactions.append(unverified.verified(sender: try sender.address("sender \(i)")))
            } catch let error as ChainDecodingError {
                throw error
            } catch {
                throw ChainDecodingError("stored transaction \(i): \(error)")
            }
        }
        self.init(header: header, transactions: transactions)
    }
}
