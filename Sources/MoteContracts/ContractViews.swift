import MoteCrypto
import MotePrimitives
import MoteTelemetry

/// A value read from a system contract: built from a view's ABI outputs (in the ledger, the
/// RPC server, or a remote caller's `eth_call`). Views that the RPC server also serves as
/// `mote_…` JSON write and read that JSON here, so the server and its clients share one shape.
public protocol ContractView: Sendable {
    /// The view's outputs, checked: a wrong count or a value of the wrong type throws.
    init(_ values: [ABIValue]) throws(ContractViewError)
}

/// A view's answer that does not have the expected shape.
public struct ContractViewError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Typed reads of a view's outputs by position, each a `ContractViewError` when the value is
/// missing or of another type.
public struct ABIOutputs: Sendable {
    public let values: [ABIValue]
    public let what: String

    public init(_ values: [ABIValue], _ what: String, count: Int) throws(ContractViewError) {
        guard values.count == count else { throw ContractViewError("\(what): \(values.count) values, expected \(count)") }
        (self.values, self.what) = (values, what)
    }

    private func wrong(_ i: Int, _ type: String) -> ContractViewError { ContractViewError("\(what): output \(i) is not \(type)") }

    public func uint(_ i: Int) throws(ContractViewError) -> UInt256 {
        guard case .uint(let v) = values[i] else { throw wrong(i, "an unsigned integer") }
        return v
    }

    public func uint64(_ i: Int) throws(ContractViewError) -> UInt64 {
        guard let v = try uint(i).uint64 else { throw wrong(i, "a 64-bit integer") }
        return v
    }

    public func address(_ i: Int) throws(ContractViewError) -> Address {
        guard case .address(let a) = values[i] else { throw wrong(i, "an address") }
        return a
    }

    public func bool(_ i: Int) throws(ContractViewError) -> Bool {
        guard case .bool(let b) = values[i] else { throw wrong(i, "a bool") }
        return b
    }

    public func string(_ i: Int) throws(ContractViewError) -> String {
        guard case .string(let s) = values[i] else { throw wrong(i, "a string") }
        return s
    }

    public func bytes(_ i: Int) throws(ContractViewError) -> [UInt8] {
        switch values[i] {
        case .bytes(let b), .fixedBytes(let b): return b
        default: throw wrong(i, "bytes")
        }
    }

    public func hash(_ i: Int) throws(ContractViewError) -> Hash32 {
        guard let hash = Hash32(bytes: try bytes(i)) else { throw wrong(i, "32 bytes") }
        return hash
    }

    public func addresses(_ i: Int) throws(ContractViewError) -> [Address] {
        guard case .array(let items) = values[i] else { throw wrong(i, "an array") }
        var out: [Address] = []
        for item in items {
            guard case .address(let a) = item else { throw wrong(i, "an address[]") }
            out.append(a)
        }
        return out
    }
}

// MARK: JSON reads shared by the views

/// Reads of a `mote_…` JSON object's members, each a `ContractViewError` naming the member.
struct JSONFields {
    let json: JSON
    let what: String

    func string(_ key: String) throws(ContractViewError) -> String {
        guard let s = json[key]?.stringValue else { throw ContractViewError("\(what): \(key) is missing or not a string") }
        return s
    }

    func quantity(_ key: String) throws(ContractViewError) -> UInt256 {
        guard let q = json[key]?.quantity else { throw ContractViewError("\(what): \(key) is not a 0x quantity") }
        return q
    }

    func quantity64(_ key: String) throws(ContractViewError) -> UInt64 {
        guard let q = try quantity(key).uint64 else { throw ContractViewError("\(what): \(key) is over 64 bits") }
        return q
    }

    func address(_ key: String) throws(ContractViewError) -> Address {
        guard let a = json[key]?.addressValue else { throw ContractViewError("\(what): \(key) is not an address") }
        return a
    }

    /// An address, or nil for JSON null.
    func optionalAddress(_ key: String) throws(ContractViewError) -> Address? {
        guard let value = json[key] else { throw ContractViewError("\(what): \(key) is missing") }
        if value == .null { return nil }
        guard let a = value.addressValue else { throw ContractViewError("\(what): \(key) is not an address") }
        return a
    }
}
