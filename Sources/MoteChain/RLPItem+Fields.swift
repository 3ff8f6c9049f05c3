import MotePrimitives

/// Field accessors that name the field in every error, for decoding chain structures.
extension RLPItem {
    func fields(_ count: Int, _ what: String) throws(ChainDecodingError) -> [RLPItem] {
        let items = try list(what)
        guard items.count == count else { throw ChainDecodingError("\(what): expected \(count) fields, got \(items.count)") }
        return items
    }

    func list(_ what: String) throws(ChainDecodingError) -> [RLPItem] {
        do { return try listValue() } catch { throw ChainDecodingError("\(what): \(error)") }
    }

    func bytes(_ what: String) throws(ChainDecodingError) -> [UInt8] {
        do { return try bytesValue() } catch { throw ChainDecodingError("\(what): \(error)") }
    }

    func uint64(_ what: String) throws(ChainDecodingError) -> UInt64 {
        do { return try uint64Value() } catch { throw ChainDecodingError("\(what): \(error)") }
    }

    func uint256(_ what: String) throws(ChainDecodingError) -> UInt256 {
        do { return try uint256Value() } catch { throw ChainDecodingError("\(what): \(error)") }
    }

    func hash32(_ what: String) throws(ChainDecodingError) -> Hash32 {
        guard let hash = Hash32(bytes: try bytes(what)) else { throw ChainDecodingError("\(what): expected 32 bytes") }
        return hash
    }

    func address(_ what: String) throws(ChainDecodingError) -> Address {
        guard let address = Address(bytes: try bytes(what)) else { throw ChainDecodingError("\(what): expected 20 bytes") }
        return address
    }
}

extension RLP {
    /// Decodes bytes, naming `what` in the error.
    static func decode(_ bytes: [UInt8], _ what: String) throws(ChainDecodingError) -> RLPItem {
        do { return try RLP.decode(bytes) } catch { throw ChainDecodingError("\(what): \(error)") }
    }
}
