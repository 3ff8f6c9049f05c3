/// A Solidity ABI type string that does not parse, a value that does not fit its type, or
/// encoded data that is malformed, out of bounds or not strictly valid.
public struct ABIError: Error, Equatable, CustomStringConvertible {
    /// What went wrong. `package` so that `MoteCrypto` and the tests can raise and match it.
    package enum Kind: Equatable {
        // Types.
        case invalidTypeString(String, reason: String)
        case invalidType(String, reason: String)
        case tooDeep(limit: Int)
        case typeTooLarge(String)
        // Encoding.
        case valueMismatch(expected: String, got: String)
        case valueOutOfRange(String)
        case wrongCount(String, expected: Int, actual: Int)
        // Decoding.
        case truncated(at: Int, needed: Int, available: Int)
        case offsetOutOfRange(at: Int)
        case lengthOutOfRange(at: Int)
        case invalidWord(String, at: Int)
        case nonZeroPadding(at: Int)
        case invalidUTF8(at: Int)
        case tooManyElements(limit: Int)
        case nonCanonical
        // Calls and events (raised by `MoteCrypto`).
        case invalidSignature(String)
        case selectorMismatch(expected: [UInt8], actual: [UInt8])
        case tooManyIndexed(Int)
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// What went wrong, in words.
    public var description: String {
        switch kind {
        case .invalidTypeString(let text, let reason):
            return "invalid ABI type string \"\(text)\": \(reason)"
        case .invalidType(let name, let reason):
            return "invalid ABI type \(name): \(reason)"
        case .tooDeep(let limit):
            return "ABI type nests deeper than \(limit) levels"
        case .typeTooLarge(let name):
            return "ABI type \(name) is too large to encode"
        case .valueMismatch(let expected, let got):
            return "ABI value \(got) does not match type \(expected)"
        case .valueOutOfRange(let name):
            return "ABI value out of range for \(name)"
        case .wrongCount(let name, let expected, let actual):
            return "\(name) needs \(expected) values, got \(actual)"
        case .truncated(let at, let needed, let available):
            return "ABI data truncated at byte \(at): needs \(needed) bytes, \(available) left"
        case .offsetOutOfRange(let at):
            return "ABI offset at byte \(at) points outside the data"
        case .lengthOutOfRange(let at):
            return "ABI length at byte \(at) is larger than the data"
        case .invalidWord(let name, let at):
            return "ABI word at byte \(at) is not a valid \(name)"
        case .nonZeroPadding(let at):
            return "ABI padding after byte \(at) is not zero"
        case .invalidUTF8(let at):
            return "ABI string at byte \(at) is not valid UTF-8"
        case .tooManyElements(let limit):
            return "ABI data decodes to more than \(limit) elements"
        case .nonCanonical:
            return "ABI data is not in canonical form"
        case .invalidSignature(let text):
            return "invalid ABI signature \"\(text)\""
        case .selectorMismatch(let expected, let actual):
            return "call selector \(Hex.encode(actual)) is not \(Hex.encode(expected))"
        case .tooManyIndexed(let n):
            return "an event has at most 3 indexed parameters, got \(n)"
        }
    }
}
