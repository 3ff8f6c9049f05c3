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
        // Written directly into one array (this runs for every touched account of every block).
        let nonceLength = (UInt64.bitWidth - nonce.leadingZeroBitCount + 7) / 8
        let balanceLength = balance.byteLength
        let nonceIsOneByte = nonce > 0 && nonce < 0x80
        let balanceIsOneByte = balanceLength == 1 && balance < UInt256(0x80)
        let payload = (nonceIsOneByte ? 1 : 1 + nonceLength) + (balanceIsOneByte ? 1 : 1 + balanceLength) + 33 + 33
        var out = [UInt8]()
        out.reserveCapacity(payload + 3)
        RLP.appendHeader(payload, offset: 0xc0, to: &out)
        if !nonceIsOneByte { out.append(0x80 + UInt8(nonceLength)) }
        for i in stride(from: nonceLength - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: nonce >> UInt64(8 * i))) }
        if !balanceIsOneByte { out.append(0x80 + UInt8(balanceLength)) }
        balance.appendMinimalBigEndianBytes(to: &out)
        out.append(0xa0)
        storageRoot.withUnsafeBytes { out.append(contentsOf: $0) }
        out.append(0xa0)
        codeHash.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Decodes the trie encoding; strict.
    public init(encoded bytes: [UInt8]) throws(ChainDecodingError) {
        if let account = Self.decodeCanonical(bytes) {
            self = account
            return
        }
        let fields = try RLP.decode(bytes, "account").fields(4, "account")
        self.init(
            nonce: try fields[0].uint64("account nonce"), balance: try fields[1].uint256("account balance"),
            storageRoot: try fields[2].hash32("account storage root"), codeHash: try fields[3].hash32("account code hash"))
    }
}

extension Account {
    /// The common case without building an RLP tree: a short list header, two canonical
    /// integers and two 32-byte strings, exactly filling the input. Anything else → nil (the
    /// general decoder then decides, with a precise error).
    static func decodeCanonical(_ bytes: [UInt8]) -> Account? {
        bytes.withUnsafeBufferPointer { b -> Account? in
            var i = 0
            guard b.count >= 1 else { return nil }
            if b[0] >= 0xc0, b[0] <= 0xf7 {
                guard Int(b[0] - 0xc0) == b.count - 1 else { return nil }
                i = 1
            } else if b[0] == 0xf8 {
                guard b.count >= 2, b[1] >= 56, Int(b[1]) == b.count - 2 else { return nil }
                i = 2
            } else {
                return nil
            }
            func integer(_ maxBytes: Int) -> [UInt8]? {
                guard i < b.count else { return nil }
                let p = b[i]
                if p < 0x80 { i += 1; return p == 0 ? nil : [p] }
                guard p <= 0xb7 else { return nil }
                let n = Int(p - 0x80)
                guard n <= maxBytes, i + 1 + n <= b.count, n != 1 || b[i + 1] >= 0x80, n == 0 || b[i + 1] != 0 else { return nil }
                defer { i += 1 + n }
                return Array(b[(i + 1)..<(i + 1 + n)])
            }
            func hash() -> Hash32? {
                guard i + 33 <= b.count, b[i] == 0xa0 else { return nil }
                defer { i += 33 }
                return Hash32(copying: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[(i + 1)..<(i + 33)]))
            }
            guard let nonceBytes = integer(8), let balanceBytes = integer(32),
                let storageRoot = hash(), let codeHash = hash(), i == b.count
            else { return nil }
            return Account(
                nonce: nonceBytes.reduce(0) { $0 << 8 | UInt64($1) }, balance: UInt256(bigEndian: balanceBytes)!,
                storageRoot: storageRoot, codeHash: codeHash)
        }
    }
}

/// Stored or received chain data that does not decode, with the reason.
public struct ChainDecodingError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
