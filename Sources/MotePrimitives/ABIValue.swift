/// A value to encode as, or decoded from, a Solidity ABI type.
///
/// Each case matches the `ABIType` cases of the same name; `.array` serves both `T[]` and
/// `T[k]`. Signed integers are carried as `.int(UInt256)` in 256-bit two's complement
/// (sign-extended, exactly as the ABI word); `.int(-5)` and `.int(negative:magnitude:)` build
/// them and `signedMagnitude` reads them back. Note that `.string` compares with Swift's
/// `String` equality (Unicode canonical equivalence), while its encoding keeps the exact bytes.
public enum ABIValue: Hashable, Sendable, CustomStringConvertible {
    /// `uint<M>`.
    case uint(UInt256)
    /// `int<M>`, in 256-bit two's complement.
    case int(UInt256)
    /// `address`.
    case address(Address)
    /// `bool`.
    case bool(Bool)
    /// `bytes<M>`: exactly M bytes.
    case fixedBytes([UInt8])
    /// `bytes`.
    case bytes([UInt8])
    /// `string`.
    case string(String)
    /// `T[]` or `T[k]`.
    case array([ABIValue])
    /// `(T1,T2,…)`.
    case tuple([ABIValue])

    /// Readable text: decimal numbers, hex bytes and addresses, quoted strings.
    public var description: String {
        switch self {
        case .uint(let v): return v.description
        case .int(let v):
            let (negative, magnitude) = ABIValue.split(v)
            return (negative ? "-" : "") + magnitude.description
        case .address(let a): return a.hex
        case .bool(let b): return b ? "true" : "false"
        case .fixedBytes(let b), .bytes(let b): return Hex.encode(b)
        case .string(let s): return "\"" + s + "\""
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .tuple(let items): return "(" + items.map(\.description).joined(separator: ", ") + ")"
        }
    }

    /// The case name, for error messages.
    package var kindName: String {
        switch self {
        case .uint: return "uint"
        case .int: return "int"
        case .address: return "address"
        case .bool: return "bool"
        case .fixedBytes(let b): return "bytes\(b.count) value"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let items): return "array of \(items.count)"
        case .tuple(let items): return "tuple of \(items.count)"
        }
    }
}

// MARK: - Signed integers

extension ABIValue {
    private static let signBit = UInt256.one << 255

    /// A signed integer value from a Swift `Int`.
    public static func int(_ value: Int) -> ABIValue {
        value >= 0 ? .int(UInt256(UInt64(value))) : .int(.zero &- UInt256(UInt64(value.magnitude)))
    }

    /// `-magnitude` if `negative`, else `magnitude`; nil if outside the int256 range.
    public static func int(negative: Bool, magnitude: UInt256) -> ABIValue? {
        if negative {
            guard magnitude <= signBit else { return nil }
            return .int(.zero &- magnitude)
        }
        guard magnitude < signBit else { return nil }
        return .int(magnitude)
    }

    /// Sign and magnitude of an `.int` value; nil for other cases.
    public var signedMagnitude: (negative: Bool, magnitude: UInt256)? {
        guard case .int(let v) = self else { return nil }
        return ABIValue.split(v)
    }

    private static func split(_ v: UInt256) -> (negative: Bool, magnitude: UInt256) {
        v.bit(255) ? (true, .zero &- v) : (false, v)
    }
}

// MARK: - Reading values

extension ABIValue {
    /// The number of a `.uint`; nil otherwise.
    public var uintValue: UInt256? { if case .uint(let v) = self { v } else { nil } }
    /// The address of an `.address`; nil otherwise.
    public var addressValue: Address? { if case .address(let v) = self { v } else { nil } }
    /// The flag of a `.bool`; nil otherwise.
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    /// The bytes of a `.bytes` or `.fixedBytes`; nil otherwise.
    public var bytesValue: [UInt8]? {
        switch self {
        case .bytes(let b), .fixedBytes(let b): return b
        default: return nil
        }
    }
    /// The text of a `.string`; nil otherwise.
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    /// The items of an `.array` or `.tuple`; nil otherwise.
    public var elements: [ABIValue]? {
        switch self {
        case .array(let items), .tuple(let items): return items
        default: return nil
        }
    }
}
