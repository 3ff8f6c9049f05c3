/// Solidity ABI encoding and decoding of argument lists, return values and event data.
///
/// Encoding follows the head/tail layout of the Solidity ABI spec. Decoding is strict and
/// safe on hostile input: every offset and length is bounds-checked before use, array
/// lengths are checked against the bytes left before anything is allocated, each word must
/// be in range for its type (no dirty high bits in `uint8`, `bool` only 0 or 1, `address`
/// with zero upper 12 bytes, zero padding after `bytes<M>`, `bytes` and `string`, strings
/// valid UTF-8), types nest at most `ABIType.maxDepth` deep, and one decode yields at most
/// `data.count + 64` elements (each 32-byte word of `bytes` or `string` counting as one), so
/// offsets that alias the same tail many times cannot blow up time or memory.
public enum ABI {
    /// The `values` encoded as the tuple `types` (an argument or return list, no selector).
    /// Throws if a type is malformed or a value does not fit its type.
    public static func encode(_ values: [ABIValue], as types: [ABIType]) throws(ABIError) -> [UInt8] {
        for type in types { try type.validate() }
        guard values.count == types.count else {
            throw ABIError(.wrongCount("argument list", expected: types.count, actual: values.count))
        }
        var encoder = ABIEncoder()
        try encoder.encodeSequence(values) { types[$0] }
        return encoder.out
    }

    /// The values of the tuple `types` encoded in `data`.
    ///
    /// Bytes after the encoded values are ignored, and offsets may point anywhere in bounds,
    /// as in Solidity. With `canonical: true` the data must also be exactly what `encode`
    /// produces for the decoded values (no trailing bytes, no reordered or shared tails), so
    /// each value list has one accepted encoding.
    public static func decode(
        _ types: [ABIType], from data: [UInt8], canonical: Bool = false
    ) throws(ABIError) -> [ABIValue] {
        var headSize = 0
        for type in types {
            try type.validate()
            let (sum, overflow) = headSize.addingReportingOverflow(try type.headSize())
            guard !overflow else { throw ABIError(.typeTooLarge(type.canonicalName)) }
            headSize = sum
        }
        guard headSize <= data.count else {
            throw ABIError(.truncated(at: 0, needed: headSize, available: data.count))
        }
        var decoder = ABIDecoder(data: data)
        let values = try decoder.decodeSequence(count: types.count, at: 0, depth: 1) { types[$0] }
        if canonical {
            guard try encode(values, as: types) == data else { throw ABIError(.nonCanonical) }
        }
        return values
    }
}
