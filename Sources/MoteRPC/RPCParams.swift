import MotePrimitives

/// Which block a request reads: a tag, a number, or a hash (EIP-1898).
public enum BlockTag: Equatable, Sendable {
    case latest, earliest, pending, safe, finalized
    case number(UInt64)
    case hash(Hash32)
}

/// The positional parameters of one request, read with Ethereum's strict encodings: quantities
/// are `0x`-prefixed hex without leading zeros, data is `0x`-prefixed hex of even length.
/// Every failure names the argument, as go-ethereum does (`invalid argument 1: …`).
struct Params {
    let values: [JSON]

    /// The largest data parameter accepted (calldata, raw transactions), in bytes.
    static let maxDataBytes = 512 * 1024

    init(_ params: JSON?) throws(RPCError) {
        switch params {
        case nil, .null?: values = []
        case .array(let items)?: values = items
        default: throw RPCError.invalidParams("params must be an array")
        }
    }

    /// Refuses too many parameters or too few required ones.
    func expect(_ range: ClosedRange<Int>) throws(RPCError) {
        guard values.count <= range.upperBound else {
            throw RPCError.invalidParams("too many arguments, want at most \(range.upperBound)")
        }
        guard values.count >= range.lowerBound else {
            throw RPCError.invalidParams("missing value for required argument \(values.count)")
        }
    }

    func value(_ i: Int) -> JSON? {
        guard i < values.count, values[i] != .null else { return nil }
        return values[i]
    }

    func required(_ i: Int) throws(RPCError) -> JSON {
        guard let value = value(i) else { throw RPCError.invalidParams("missing value for required argument \(i)") }
        return value
    }

    func string(_ i: Int) throws(RPCError) -> String {
        guard let text = try required(i).stringValue else { throw Self.invalid(i, "expected a string") }
        return text
    }

    func address(_ i: Int) throws(RPCError) -> Address {
        do { return try Self.address(try string(i)) } catch { throw Self.invalid(i, error.message) }
    }

    func hash(_ i: Int) throws(RPCError) -> Hash32 {
        do { return try Self.hash(try string(i)) } catch { throw Self.invalid(i, error.message) }
    }

    func data(_ i: Int) throws(RPCError) -> [UInt8] {
        do { return try Self.data(try string(i)) } catch { throw Self.invalid(i, error.message) }
    }

    func quantity(_ i: Int) throws(RPCError) -> UInt64 {
        do { return try Self.quantity64(try string(i)) } catch { throw Self.invalid(i, error.message) }
    }

    func bool(_ i: Int, default fallback: Bool) throws(RPCError) -> Bool {
        guard let value = value(i) else { return fallback }
        guard let flag = value.boolValue else { throw Self.invalid(i, "expected true or false") }
        return flag
    }

    func object(_ i: Int) throws(RPCError) -> [String: JSON] {
        guard let object = try required(i).objectValue else { throw Self.invalid(i, "expected an object") }
        return object
    }

    func blockTag(_ i: Int, default fallback: BlockTag = .latest) throws(RPCError) -> BlockTag {
        guard let value = value(i) else { return fallback }
        do { return try Self.blockTag(value) } catch { throw Self.invalid(i, error.message) }
    }

    static func invalid(_ i: Int, _ detail: String) -> RPCError { RPCError.invalidParams("invalid argument \(i): \(detail)") }

    // MARK: Encodings

    static func blockTag(_ value: JSON) throws(RPCError) -> BlockTag {
        switch value {
        case .string(let text):
            switch text {
            case "latest": return .latest
            case "earliest": return .earliest
            case "pending": return .pending
            case "safe": return .safe
            case "finalized": return .finalized
            default:
                if text.count == 66 { return .hash(try hash(text)) }
                return .number(try quantity64(text))
            }
        case .object(let members):
            // EIP-1898: {"blockNumber": "0x…"} or {"blockHash": "0x…", "requireCanonical": bool}.
            for key in members.keys where !["blockNumber", "blockHash", "requireCanonical"].contains(key) {
                throw RPCError.invalidParams("unknown block selector field \(key.prefix(32))")
            }
            if let number = members["blockNumber"]?.stringValue, members["blockHash"] == nil { return try blockTag(.string(number)) }
            if let text = members["blockHash"]?.stringValue, members["blockNumber"] == nil { return .hash(try hash(text)) }
            throw RPCError.invalidParams("a block selector needs exactly one of blockNumber and blockHash")
        default:
            throw RPCError.invalidParams("expected a block number, tag or hash")
        }
    }

    static func hexDigits(_ text: String) throws(RPCError) -> Substring.UTF8View {
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else { throw RPCError.invalidParams("hex string without 0x prefix") }
        return Substring(text).dropFirst(2).utf8
    }

    static func quantity64(_ text: String) throws(RPCError) -> UInt64 {
        let digits = try hexDigits(text)
        guard !digits.isEmpty else { throw RPCError.invalidParams("hex string \"0x\"") }
        guard digits.count == 1 || digits.first != UInt8(ascii: "0") else {
            throw RPCError.invalidParams("hex number with leading zero digits")
        }
        guard digits.count <= 16, let value = UInt64(String(Substring(digits)), radix: 16) else {
            throw RPCError.invalidParams(digits.count > 16 ? "hex number > 64 bits" : "invalid hex string")
        }
        return value
    }

    static func quantity256(_ text: String) throws(RPCError) -> UInt256 {
        let digits = try hexDigits(text)
        guard !digits.isEmpty else { throw RPCError.invalidParams("hex string \"0x\"") }
        guard digits.count == 1 || digits.first != UInt8(ascii: "0") else {
            throw RPCError.invalidParams("hex number with leading zero digits")
        }
        guard digits.count <= 64, let value = UInt256(hexQuantity: Substring(digits)) else {
            throw RPCError.invalidParams(digits.count > 64 ? "hex number > 256 bits" : "invalid hex string")
        }
        return value
    }

    static func data(_ text: String) throws(RPCError) -> [UInt8] {
        let digits = try hexDigits(text)
        guard digits.count <= 2 * maxDataBytes else { throw RPCError.invalidParams("data over \(maxDataBytes) bytes") }
        guard digits.count % 2 == 0 else { throw RPCError.invalidParams("hex string of odd length") }
        do { return try Hex.decode(Substring(digits)) } catch { throw RPCError.invalidParams("invalid hex string") }
    }

    static func address(_ text: String) throws(RPCError) -> Address {
        let bytes = try data(text)
        guard bytes.count == 20, let address = Address(bytes: bytes) else {
            throw RPCError.invalidParams("hex string has length \(bytes.count * 2), want 40 for an address")
        }
        return address
    }

    static func hash(_ text: String) throws(RPCError) -> Hash32 {
        let bytes = try data(text)
        guard bytes.count == 32, let hash = Hash32(bytes: bytes) else {
            throw RPCError.invalidParams("hex string has length \(bytes.count * 2), want 64 for a hash")
        }
        return hash
    }
}
