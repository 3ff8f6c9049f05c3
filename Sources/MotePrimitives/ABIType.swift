/// A Solidity ABI type: what a value looks like in calldata, return data and event logs.
///
/// Parse one from its canonical text with `ABIType("(address,uint256[])[2]")`. Cases built by
/// hand are checked when used: `uint`/`int` widths are 8…256 in steps of 8, `fixedBytes`
/// 1…32, fixed arrays have at least one element and tuples at least one component
/// (Solidity accepts neither `T[0]` nor empty structs), and nesting is at most `maxDepth`.
public indirect enum ABIType: Hashable, Sendable, CustomStringConvertible {
    /// `uint<M>`, M bits.
    case uint(Int)
    /// `int<M>`, M bits, two's complement.
    case int(Int)
    /// `address`, 20 bytes.
    case address
    /// `bool`.
    case bool
    /// `bytes<M>`, M bytes left-aligned in one word.
    case fixedBytes(Int)
    /// `bytes`, dynamic.
    case bytes
    /// `string`, dynamic UTF-8.
    case string
    /// `T[]`, dynamic length.
    case array(ABIType)
    /// `T[k]`, k elements.
    case fixedArray(ABIType, Int)
    /// `(T1,T2,…)`.
    case tuple([ABIType])

    /// The deepest nesting accepted: a leaf counts 1, each array or tuple around it 1 more.
    public static let maxDepth = 32

    /// The canonical name used in signatures: `uint256`, `bytes32`, `(address,uint256)[]`.
    public var canonicalName: String {
        switch self {
        case .uint(let bits): return "uint\(bits)"
        case .int(let bits): return "int\(bits)"
        case .address: return "address"
        case .bool: return "bool"
        case .fixedBytes(let n): return "bytes\(n)"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let element): return element.canonicalName + "[]"
        case .fixedArray(let element, let k): return element.canonicalName + "[\(k)]"
        case .tuple(let components): return "(" + components.map(\.canonicalName).joined(separator: ",") + ")"
        }
    }

    /// The canonical name.
    public var description: String { canonicalName }

    /// True if values of this type are encoded out of line, behind an offset.
    public var isDynamic: Bool {
        switch self {
        case .bytes, .string, .array: return true
        case .fixedArray(let element, _): return element.isDynamic
        case .tuple(let components): return components.contains { $0.isDynamic }
        default: return false
        }
    }
}

// MARK: - Checks and sizes

extension ABIType {
    /// Throws unless this type and everything in it is well-formed and at most `maxDepth` deep.
    /// Stops descending past the limit, so it is safe on any hand-built type.
    package func validate() throws(ABIError) { try validate(depth: 1) }

    private func validate(depth: Int) throws(ABIError) {
        guard depth <= ABIType.maxDepth else { throw ABIError(.tooDeep(limit: ABIType.maxDepth)) }
        switch self {
        case .uint(let bits), .int(let bits):
            guard bits >= 8, bits <= 256, bits % 8 == 0 else {
                throw ABIError(.invalidType(shallowName, reason: "width must be 8…256 in steps of 8"))
            }
        case .fixedBytes(let n):
            guard n >= 1, n <= 32 else { throw ABIError(.invalidType(shallowName, reason: "size must be 1…32")) }
        case .address, .bool, .bytes, .string:
            break
        case .array(let element):
            try element.validate(depth: depth + 1)
        case .fixedArray(let element, let k):
            guard k >= 1 else { throw ABIError(.invalidType(shallowName, reason: "fixed array needs at least one element")) }
            try element.validate(depth: depth + 1)
        case .tuple(let components):
            guard !components.isEmpty else { throw ABIError(.invalidType("()", reason: "empty tuple")) }
            for component in components { try component.validate(depth: depth + 1) }
        }
    }

    /// A name for error messages that does not recurse (safe on malformed types).
    private var shallowName: String {
        switch self {
        case .uint(let bits): return "uint\(bits)"
        case .int(let bits): return "int\(bits)"
        case .fixedBytes(let n): return "bytes\(n)"
        case .fixedArray(_, let k): return "T[\(k)]"
        default: return "type"
        }
    }

    /// Bytes this type takes in a head: 32 for dynamic types (the offset), the full size for
    /// static ones. Throws if a size overflows `Int`.
    package func headSize() throws(ABIError) -> Int {
        isDynamic ? 32 : try ownHeadsSize()
    }

    /// Bytes of heads that a fixed array or tuple lays out at its own position: its full size
    /// if static, or 32 per dynamic component if it is itself the tail of a dynamic value.
    /// 32 for other types.
    func ownHeadsSize() throws(ABIError) -> Int {
        switch self {
        case .fixedArray(let element, let k):
            let (size, overflow) = try element.headSize().multipliedReportingOverflow(by: k)
            guard !overflow else { throw ABIError(.typeTooLarge(canonicalName)) }
            return size
        case .tuple(let components):
            var total = 0
            for component in components {
                let (sum, overflow) = total.addingReportingOverflow(try component.headSize())
                guard !overflow else { throw ABIError(.typeTooLarge(canonicalName)) }
                total = sum
            }
            return total
        default:
            return 32
        }
    }
}

// MARK: - Parsing

extension ABIType {
    /// Parses a type string: `uint256`, `bytes32`, `string`, `(address,uint256[])[2]`.
    /// `uint` and `int` mean `uint256` and `int256`. No spaces or leading zeros; array
    /// lengths have at most 9 digits; `fixed`/`ufixed`/`function` are not supported.
    public init(_ text: some StringProtocol) throws(ABIError) {
        var parser = TypeParser(text: Array(text.utf8), original: String(text))
        let (type, _) = try parser.parseType(nesting: 1)
        guard parser.index == parser.text.count else { throw parser.error("unexpected text after the type") }
        self = type
    }

    /// Parses a parenthesized list of types, `(address,uint256)`, or `()` for none: the argument
    /// list of a function or event signature.
    public static func parseList(_ text: some StringProtocol) throws(ABIError) -> [ABIType] {
        if text == "()" { return [] }
        let type = try ABIType(text)
        guard case .tuple(let components) = type else {
            throw ABIError(.invalidTypeString(String(text), reason: "expected a parenthesized list"))
        }
        return components
    }
}

/// A recursive-descent parser over the UTF-8 of a type string.
private struct TypeParser {
    let text: [UInt8]
    let original: String
    var index = 0

    func error(_ reason: String) -> ABIError { ABIError(.invalidTypeString(original, reason: reason)) }

    /// Parses one type at paren nesting `nesting`; returns it with its depth (leaf = 1).
    mutating func parseType(nesting: Int) throws(ABIError) -> (ABIType, Int) {
        guard nesting <= ABIType.maxDepth else { throw ABIError(.tooDeep(limit: ABIType.maxDepth)) }
        var (type, depth) = try parseBase(nesting: nesting)
        while index < text.count, text[index] == UInt8(ascii: "[") {
            index += 1
            let start = index
            while index < text.count, isDigit(text[index]) { index += 1 }
            let digits = text[start..<index]
            guard index < text.count, text[index] == UInt8(ascii: "]") else { throw error("unclosed '['") }
            index += 1
            depth += 1
            guard depth <= ABIType.maxDepth else { throw ABIError(.tooDeep(limit: ABIType.maxDepth)) }
            if digits.isEmpty {
                type = .array(type)
            } else {
                guard let k = number(digits), k >= 1 else { throw error("bad array length") }
                type = .fixedArray(type, k)
            }
        }
        return (type, depth)
    }

    private mutating func parseBase(nesting: Int) throws(ABIError) -> (ABIType, Int) {
        guard index < text.count else { throw error("missing type") }
        if text[index] == UInt8(ascii: "(") {
            index += 1
            var components: [ABIType] = []
            var depth = 1
            while true {
                let (component, d) = try parseType(nesting: nesting + 1)
                components.append(component)
                depth = max(depth, d + 1)
                guard depth <= ABIType.maxDepth else { throw ABIError(.tooDeep(limit: ABIType.maxDepth)) }
                guard index < text.count else { throw error("unclosed '('") }
                if text[index] == UInt8(ascii: ",") { index += 1; continue }
                if text[index] == UInt8(ascii: ")") { index += 1; break }
                throw error("expected ',' or ')'")
            }
            return (.tuple(components), depth)
        }
        let nameStart = index
        while index < text.count, isLetter(text[index]) { index += 1 }
        let name = String(decoding: text[nameStart..<index], as: UTF8.self)
        let digitStart = index
        while index < text.count, isDigit(text[index]) { index += 1 }
        let digits = text[digitStart..<index]
        let size: Int?
        if digits.isEmpty {
            size = nil
        } else {
            guard let n = number(digits) else { throw error("bad size in \(name)") }
            size = n
        }
        let type: ABIType
        switch (name, size) {
        case ("uint", nil): type = .uint(256)
        case ("int", nil): type = .int(256)
        case ("uint", let bits?): type = .uint(bits)
        case ("int", let bits?): type = .int(bits)
        case ("address", nil): type = .address
        case ("bool", nil): type = .bool
        case ("string", nil): type = .string
        case ("bytes", nil): type = .bytes
        case ("bytes", let n?): type = .fixedBytes(n)
        default: throw error(name.isEmpty ? "missing type" : "unknown type \(name)")
        }
        do {
            try type.validate()
        } catch {
            throw self.error("\(name)\(size.map(String.init) ?? "") is not a valid type")
        }
        return (type, 1)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private func isLetter(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) }

    /// A decimal number without leading zeros, at most 9 digits.
    private func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9, digits.first != 0x30 else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
