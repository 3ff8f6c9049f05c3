import MotePrimitives

/// A contract function's ABI: its canonical signature, 4-byte selector, and the encoding of
/// its calls and return values.
public struct ABIFunction: Hashable, Sendable {
    /// The function name.
    public let name: String
    /// Argument types.
    public let inputs: [ABIType]
    /// Return types.
    public let outputs: [ABIType]
    /// The first 4 bytes of the Keccak-256 of `signature`.
    public let selector: [UInt8]

    /// A function from its parts. The name is not checked; use `init(signature:outputs:)` for text.
    public init(name: String, inputs: [ABIType], outputs: [ABIType] = []) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.selector = Array(Keccak256.hash(utf8: ABIFunction.signature(name, inputs)).bytes.prefix(4))
    }

    /// A function from a signature such as `transfer(address,uint256)` (`uint` is accepted and
    /// canonicalized to `uint256`).
    public init(signature: String, outputs: [ABIType] = []) throws(ABIError) {
        let (name, inputs) = try ABIFunction.parse(signature)
        self.init(name: name, inputs: inputs, outputs: outputs)
    }

    /// The canonical signature, e.g. `transfer(address,uint256)`.
    public var signature: String { ABIFunction.signature(name, inputs) }

    /// Calldata: the selector followed by the encoded `arguments`.
    public func encodeCall(_ arguments: [ABIValue]) throws(ABIError) -> [UInt8] {
        selector + (try ABI.encode(arguments, as: inputs))
    }

    /// The arguments in `calldata`, after checking its selector. See `ABI.decode` for `canonical`.
    public func decodeCall(_ calldata: [UInt8], canonical: Bool = false) throws(ABIError) -> [ABIValue] {
        guard calldata.count >= 4, Array(calldata.prefix(4)) == selector else {
            throw ABIError(.selectorMismatch(expected: selector, actual: Array(calldata.prefix(4))))
        }
        return try ABI.decode(inputs, from: Array(calldata.dropFirst(4)), canonical: canonical)
    }

    /// Return data for `values`.
    public func encodeOutput(_ values: [ABIValue]) throws(ABIError) -> [UInt8] {
        try ABI.encode(values, as: outputs)
    }

    /// The values in return data.
    public func decodeOutput(_ data: [UInt8], canonical: Bool = false) throws(ABIError) -> [ABIValue] {
        try ABI.decode(outputs, from: data, canonical: canonical)
    }

    static func signature(_ name: String, _ types: [ABIType]) -> String {
        name + "(" + types.map(\.canonicalName).joined(separator: ",") + ")"
    }

    /// Splits `name(types…)` into a checked identifier and its parsed argument types.
    static func parse(_ signature: String) throws(ABIError) -> (String, [ABIType]) {
        guard let open = signature.firstIndex(of: "(") else { throw ABIError(.invalidSignature(signature)) }
        let name = signature[..<open]
        guard let first = name.utf8.first, !isDigit(first), name.utf8.allSatisfy({ isIdentifier($0) }) else {
            throw ABIError(.invalidSignature(signature))
        }
        return (String(name), try ABIType.parseList(signature[open...]))
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentifier(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f || c == 0x24
    }
}

/// A contract event's ABI: its signature, `topic0`, and how its values become log topics and data.
public struct ABIEvent: Hashable, Sendable {
    /// One event parameter.
    public struct Parameter: Hashable, Sendable {
        /// Its type.
        public var type: ABIType
        /// Whether it goes into a topic rather than the data.
        public var indexed: Bool
        /// A parameter of `type`, indexed or not.
        public init(_ type: ABIType, indexed: Bool = false) {
            self.type = type
            self.indexed = indexed
        }
    }

    /// The event name.
    public let name: String
    /// The parameters in declaration order.
    public let parameters: [Parameter]
    /// The Keccak-256 of `signature`: the first topic of every (non-anonymous) log.
    public let topic0: Hash32

    /// An event from its parts. Throws if more than 3 parameters are indexed.
    public init(name: String, parameters: [Parameter]) throws(ABIError) {
        let indexed = parameters.filter(\.indexed).count
        guard indexed <= 3 else { throw ABIError(.tooManyIndexed(indexed)) }
        self.name = name
        self.parameters = parameters
        self.topic0 = Keccak256.hash(utf8: ABIFunction.signature(name, parameters.map(\.type)))
    }

    /// The canonical signature, e.g. `Transfer(address,address,uint256)`.
    public var signature: String { ABIFunction.signature(name, parameters.map(\.type)) }

    /// The topics and data of a log of this event with `values`, one per parameter.
    ///
    /// An indexed value of a type that fits one word (integers, `address`, `bool`, `bytes<M>`)
    /// is its ABI word; any other indexed value (`bytes`, `string`, arrays, tuples) is the
    /// Keccak-256 of its in-place encoding, as the Solidity ABI spec defines.
    public func encodeLog(_ values: [ABIValue]) throws(ABIError) -> (topics: [Hash32], data: [UInt8]) {
        guard values.count == parameters.count else {
            throw ABIError(.wrongCount("event \(name)", expected: parameters.count, actual: values.count))
        }
        var topics = [topic0]
        var dataValues: [ABIValue] = []
        var dataTypes: [ABIType] = []
        for (parameter, value) in zip(parameters, values) {
            if parameter.indexed {
                topics.append(try ABIEvent.topic(value, as: parameter.type))
            } else {
                dataValues.append(value)
                dataTypes.append(parameter.type)
            }
        }
        return (topics, try ABI.encode(dataValues, as: dataTypes))
    }

    /// The topic for one indexed value.
    static func topic(_ value: ABIValue, as type: ABIType) throws(ABIError) -> Hash32 {
        switch type {
        case .uint, .int, .address, .bool, .fixedBytes:
            return Hash32(bytes: try ABI.encode([value], as: [type]))!
        default:
            try type.validate()
            var out: [UInt8] = []
            try inPlace(value, as: type, padded: false, into: &out)
            return Keccak256.hash(out)
        }
    }

    /// The in-place encoding of indexed event parameters: words for value types, raw contents
    /// for `bytes`/`string` (zero-padded to 32 bytes when inside an array or tuple), and the
    /// concatenation of the elements for arrays and tuples, with no lengths or offsets.
    private static func inPlace(
        _ value: ABIValue, as type: ABIType, padded: Bool, into out: inout [UInt8]
    ) throws(ABIError) {
        switch (type, value) {
        case (.bytes, .bytes(let b)):
            out += b
            if padded { out += [UInt8](repeating: 0, count: (32 - b.count % 32) % 32) }
        case (.string, .string(let s)):
            let b = Array(s.utf8)
            out += b
            if padded { out += [UInt8](repeating: 0, count: (32 - b.count % 32) % 32) }
        case (.array(let element), .array(let items)):
            for item in items { try inPlace(item, as: element, padded: true, into: &out) }
        case (.fixedArray(let element, let k), .array(let items)):
            guard items.count == k else {
                throw ABIError(.wrongCount(type.canonicalName, expected: k, actual: items.count))
            }
            for item in items { try inPlace(item, as: element, padded: true, into: &out) }
        case (.tuple(let components), .tuple(let items)):
            guard items.count == components.count else {
                throw ABIError(.wrongCount(type.canonicalName, expected: components.count, actual: items.count))
            }
            for (component, item) in zip(components, items) { try inPlace(item, as: component, padded: true, into: &out) }
        case (.uint, _), (.int, _), (.address, _), (.bool, _), (.fixedBytes, _):
            out += try ABI.encode([value], as: [type])
        default:
            throw ABIError(.valueMismatch(expected: type.canonicalName, got: value.kindName))
        }
    }
}
