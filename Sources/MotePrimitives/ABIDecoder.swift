/// Reads ABI encodings strictly, treating the input as hostile.
///
/// Every position it computes stays within `0...data.count`: offsets and lengths are read as
/// at most `data.count`, and a region is checked to fit before it is read or allocated.
/// Callers validate the types first (`ABIType.validate()`), which bounds the recursion.
struct ABIDecoder {
    let data: [UInt8]
    /// Elements still allowed in this decode; see `ABI`.
    private var budget: Int
    private let limit: Int

    init(data: [UInt8]) {
        self.data = data
        self.limit = data.count + 64
        self.budget = limit
    }

    /// Decodes `count` values whose heads start at `base`, the i-th of type `typeAt(i)`.
    /// The caller has checked that all the heads fit in the data.
    mutating func decodeSequence(
        count: Int, at base: Int, depth: Int, typeAt: (Int) -> ABIType
    ) throws(ABIError) -> [ABIValue] {
        guard count <= budget else { throw ABIError(.tooManyElements(limit: limit)) }
        var values: [ABIValue] = []
        values.reserveCapacity(count)
        var head = base
        for i in 0..<count {
            let type = typeAt(i)
            if type.isDynamic {
                let offset = try readCount(at: head, error: .offsetOutOfRange(at: head))
                let target = base + offset
                guard target <= data.count else { throw ABIError(.offsetOutOfRange(at: head)) }
                values.append(try decode(type, at: target, depth: depth))
                head += 32
            } else {
                values.append(try decode(type, at: head, depth: depth))
                head += try type.headSize()
            }
        }
        return values
    }

    private mutating func decode(_ type: ABIType, at pos: Int, depth: Int) throws(ABIError) -> ABIValue {
        guard depth <= ABIType.maxDepth else { throw ABIError(.tooDeep(limit: ABIType.maxDepth)) }
        guard budget > 0 else { throw ABIError(.tooManyElements(limit: limit)) }
        budget -= 1
        switch type {
        case .uint(let bits):
            let w = try word(at: pos)
            guard w.bitLength <= bits else { throw ABIError(.invalidWord(type.canonicalName, at: pos)) }
            return .uint(w)
        case .int(let bits):
            let w = try word(at: pos)
            guard ABIEncoder.fitsSigned(w, bits: bits) else { throw ABIError(.invalidWord(type.canonicalName, at: pos)) }
            return .int(w)
        case .address:
            let w = try word(at: pos)
            guard w.bitLength <= 160 else { throw ABIError(.invalidWord("address", at: pos)) }
            return .address(Address(bytes: data[pos + 12 ..< pos + 32])!)
        case .bool:
            let w = try word(at: pos)
            guard w.isZero || w == .one else { throw ABIError(.invalidWord("bool", at: pos)) }
            return .bool(w == .one)
        case .fixedBytes(let n):
            try need(32, at: pos)
            try checkZero(pos + n ..< pos + 32)
            return .fixedBytes(Array(data[pos ..< pos + n]))
        case .bytes:
            return .bytes(Array(data[try lengthPrefixed(at: pos)]))
        case .string:
            let range = try lengthPrefixed(at: pos)
            let text = String(decoding: data[range], as: UTF8.self)
            guard text.utf8.elementsEqual(data[range]) else { throw ABIError(.invalidUTF8(at: pos)) }
            return .string(text)
        case .array(let element):
            let count = try readCount(at: pos, error: .lengthOutOfRange(at: pos))
            let start = pos + 32
            let stride = max(1, try element.headSize())
            guard count <= (data.count - start) / stride else { throw ABIError(.lengthOutOfRange(at: pos)) }
            return .array(try decodeSequence(count: count, at: start, depth: depth + 1) { _ in element })
        case .fixedArray(let element, let k):
            try need(try type.ownHeadsSize(), at: pos)
            return .array(try decodeSequence(count: k, at: pos, depth: depth + 1) { _ in element })
        case .tuple(let components):
            try need(try type.ownHeadsSize(), at: pos)
            return .tuple(try decodeSequence(count: components.count, at: pos, depth: depth + 1) { components[$0] })
        }
    }

    /// The byte range of a length-prefixed `bytes`/`string` at `pos`, after checking that its
    /// zero padding is present, and charging its words to the budget.
    private mutating func lengthPrefixed(at pos: Int) throws(ABIError) -> Range<Int> {
        let length = try readCount(at: pos, error: .lengthOutOfRange(at: pos))
        let start = pos + 32
        let padded = (length + 31) / 32 * 32
        guard padded <= data.count - start else { throw ABIError(.lengthOutOfRange(at: pos)) }
        guard padded / 32 <= budget else { throw ABIError(.tooManyElements(limit: limit)) }
        budget -= padded / 32
        try checkZero(start + length ..< start + padded)
        return start ..< start + length
    }

    /// A word holding a count or offset, which must be at most `data.count`.
    private func readCount(at pos: Int, error: ABIError.Kind) throws(ABIError) -> Int {
        let w = try word(at: pos)
        guard let n = w.uint64, n <= UInt64(data.count) else { throw ABIError(error) }
        return Int(n)
    }

    private func need(_ size: Int, at pos: Int) throws(ABIError) {
        guard pos >= 0, pos <= data.count, size <= data.count - pos else {
            throw ABIError(.truncated(at: pos, needed: size, available: max(0, data.count - max(0, pos))))
        }
    }

    private func word(at pos: Int) throws(ABIError) -> UInt256 {
        try need(32, at: pos)
        return UInt256(limbs: limb(pos + 24), limb(pos + 16), limb(pos + 8), limb(pos))
    }

    private func limb(_ p: Int) -> UInt64 {
        var x: UInt64 = 0
        for i in p ..< p + 8 { x = x << 8 | UInt64(data[i]) }
        return x
    }

    private func checkZero(_ range: Range<Int>) throws(ABIError) {
        for i in range where data[i] != 0 { throw ABIError(.nonZeroPadding(at: range.lowerBound)) }
    }
}
