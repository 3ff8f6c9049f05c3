import MoteCrypto
import MotePrimitives

/// Strict field readers for consensus encodings: every failure names the field.
extension RLPItem {
    func consensusList(_ what: String, count: Int) throws(ConsensusError) -> [RLPItem] {
        guard case .list(let items) = self else { throw ConsensusError(.malformed("\(what): expected a list")) }
        guard items.count == count else {
            throw ConsensusError(.malformed("\(what): expected \(count) fields, found \(items.count)"))
        }
        return items
    }

    func consensusUInt64(_ what: String) throws(ConsensusError) -> UInt64 {
        do { return try uint64Value() } catch { throw ConsensusError(.malformed("\(what): \(error)")) }
    }

    func consensusUInt32(_ what: String) throws(ConsensusError) -> UInt32 {
        let value = try consensusUInt64(what)
        guard let narrow = UInt32(exactly: value) else { throw ConsensusError(.malformed("\(what): above 2^32")) }
        return narrow
    }

    func consensusBytes(_ what: String, count: Int? = nil) throws(ConsensusError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw ConsensusError(.malformed("\(what): expected bytes")) }
        if let count, bytes.count != count {
            throw ConsensusError(.malformed("\(what): expected \(count) bytes, found \(bytes.count)"))
        }
        return bytes
    }

    func consensusHash(_ what: String) throws(ConsensusError) -> Hash32 {
        Hash32(bytes: try consensusBytes(what, count: 32))!
    }

    /// A hash, or nil encoded as the empty string.
    func consensusOptionalHash(_ what: String) throws(ConsensusError) -> Hash32? {
        let bytes = try consensusBytes(what)
        if bytes.isEmpty { return nil }
        guard let hash = Hash32(bytes: bytes) else {
            throw ConsensusError(.malformed("\(what): expected 0 or 32 bytes, found \(bytes.count)"))
        }
        return hash
    }

    func consensusAddress(_ what: String) throws(ConsensusError) -> Address {
        Address(bytes: try consensusBytes(what, count: 20))!
    }

    func consensusUInt256(_ what: String) throws(ConsensusError) -> UInt256 {
        do { return try uint256Value() } catch { throw ConsensusError(.malformed("\(what): \(error)")) }
    }

    static func optionalHash(_ hash: Hash32?) -> RLPItem { .bytes(hash?.bytes ?? []) }
}

extension Secp256k1.RecoverableSignature {
    /// `[r, s, v]` as three RLP items.
    var consensusItems: [RLPItem] { [.uint(r), .uint(s), .uint(UInt64(recoveryID))] }

    /// Reads `[r, s, v]` from three RLP items, rejecting values a signature cannot have.
    init(consensusItems items: ArraySlice<RLPItem>, what: String) throws(ConsensusError) {
        let i = items.startIndex
        let r = try items[i].consensusUInt256("\(what) r")
        let s = try items[i + 1].consensusUInt256("\(what) s")
        let v = try items[i + 2].consensusUInt64("\(what) v")
        guard v <= 1 else { throw ConsensusError(.malformed("\(what) v: must be 0 or 1")) }
        self.init(r: r, s: s, recoveryID: UInt8(v))
        guard hasValidValues, isLowS else { throw ConsensusError(.malformed("\(what): r or s out of range")) }
    }
}

/// Decodes RLP with a size cap checked before parsing.
func decodeConsensusRLP(_ bytes: [UInt8], what: String, limit: Int) throws(ConsensusError) -> RLPItem {
    guard bytes.count <= limit else { throw ConsensusError(.tooLarge(what, limit: limit)) }
    do { return try RLP.decode(bytes) } catch { throw ConsensusError(.malformed("\(what): \(error)")) }
}

/// Recovers the signer of `hash` and checks it is `expected`.
func checkSignature(
    _ signature: Secp256k1.RecoverableSignature, over hash: Hash32, by expected: Address, what: String
) throws(ConsensusError) {
    guard signature.isLowS else { throw ConsensusError(.badSignature("\(what): high s")) }
    let key: Secp256k1.PublicKey
    do { key = try Secp256k1.recover(hash: hash, signature: signature) } catch {
        throw ConsensusError(.badSignature("\(what): \(error)"))
    }
    guard key.address == expected else {
        throw ConsensusError(.badSignature("\(what): signed by \(key.address), not \(expected)"))
    }
}
