import MoteCrypto
import MotePrimitives

/// An account in the world state: what the state trie stores under keccak(address).
///
/// Encoded as Ethereum encodes it, `rlp([nonce, balance, storageRoot, codeHash])`, so
/// `eth_getProof` clients can check Mote's proofs.
public struct Account: Hashable, Sendable {
    public var nonce: UInt64
    public var balance: UInt256
    /// Root of the account's storage trie (empty until an EVM or a system contract stores data).
    public var storageRoot: Hash32
    /// Keccak-256 of the account's code (of nothing, for a plain account).
    public var codeHash: Hash32

    /// Root of an empty trie: keccak(rlp("")).
    public static let emptyTrieRoot = try! Hash32(hex: "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    /// Keccak-256 of empty code.
    public static let emptyCodeHash = try! Hash32(hex: "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")

    public init(nonce: UInt64 = 0, balance: UInt256 = .zero, storageRoot: Hash32 = Account.emptyTrieRoot, codeHash: Hash32 = Account.emptyCodeHash) {
        self.nonce = nonce
        self.balance = balance
        self.storageRoot = storageRoot
        self.codeHash = codeHash
    }

    /// True for an account with no nonce, balance, code or storage (EIP-161: not kept in the trie).
    public var isEmpty: Bool {
        nonce == 0 && balance.isZero && codeHash == Account.emptyCodeHash && storageRoot == Account.emptyTrieRoot
    }

    /// `rlp([nonce, balance, storageRoot, codeHash])`.
    public var encoded: [UInt8] {
        // Written directly (this runs for every touched account of every block).
        let nonceBytes = nonce.minimalBigEndianBytes
        let balanceBytes = balance.minimalBigEndianBytes
        func itemLength(_ bytes: [UInt8]) -> Int { bytes.count == 1 && bytes[0] < 0x80 ? 1 : 1 + bytes.count }
        let payload = itemLength(nonceBytes) + itemLength(balanceBytes) + 33 + 33
        var out = [UInt8]()
        out.reserveCapacity(payload + 3)
        RLP.appendHeader(payload, offset: 0xc0, to: &out)
        RLP.appendBytes(nonceBytes, to: &out)
        RLP.appendBytes(balanceBytes, to: &out)
        out.append(0xa0)
        storageRoot.withUnsafeBytes { out.append(contentsOf: $0) }
        out.append(0xa0)
        codeHash.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Decodes the trie encoding; strict.
    public init(encoded bytes: [UInt8]) throws(ChainDecodingError) {
        let fields = try RLP.decode(bytes, "account").fields(4, "account")
        self.init(
            nonce: try fields[0].uint64("account nonce"), balance: try fields[1].uint256("account balance"),
            storageRoot: try fields[2].hash32("account storage root"), codeHash: try fields[3].hash32("account code hash"))
    }
}

/// Stored or received chain data that does not decode, with the reason.
public struct ChainDecodingError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
