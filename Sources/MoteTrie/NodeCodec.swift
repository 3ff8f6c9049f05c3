import MoteCrypto
import MotePrimitives

/// The RLP form of trie nodes: encoding into a reused buffer, and strict decoding.
///
/// Leaf: `[compact(path, leaf), value]`. Extension: `[compact(path), childRef]`.
/// Branch: `[ref0, …, ref15, value]`, an absent child being the empty string. A child reference
/// is the 32-byte hash as a string, or the child's own RLP inline when that is under 32 bytes.
enum NodeCodec {
    // MARK: Encoding

    /// Appends the RLP of `node`. The references of its children must already be cached.
    static func append(_ node: TrieNode, to out: inout [UInt8]) {
        switch node.kind {
        case .leaf:
            let leaf = unsafeDowncast(node, to: LeafNode.self)
            let pathLength = leaf.path.compactLength
            let pathItem = pathLength == 1 ? 1 : headerLength(pathLength) + pathLength
            appendHeader(pathItem + stringLength(leaf.value), offset: 0xc0, to: &out)
            if pathLength != 1 { appendHeader(pathLength, offset: 0x80, to: &out) }
            leaf.path.appendCompact(isLeaf: true, to: &out)
            appendString(leaf.value, to: &out)
        case .extension:
            let ext = unsafeDowncast(node, to: ExtensionNode.self)
            let childRef = ext.child.ref!
            let pathLength = ext.path.compactLength
            let pathItem = pathLength == 1 ? 1 : headerLength(pathLength) + pathLength
            appendHeader(pathItem + childRef.encodedLength, offset: 0xc0, to: &out)
            if pathLength != 1 { appendHeader(pathLength, offset: 0x80, to: &out) }
            ext.path.appendCompact(isLeaf: false, to: &out)
            appendRef(childRef, to: &out)
        case .branch:
            let branch = unsafeDowncast(node, to: BranchNode.self)
            var payload = stringLength(branch.value)
            for child in branch.children {
                payload += child.map { $0.ref!.encodedLength } ?? 1
            }
            appendHeader(payload, offset: 0xc0, to: &out)
            for child in branch.children {
                if let child { appendRef(child.ref!, to: &out) } else { out.append(0x80) }
            }
            appendString(branch.value, to: &out)
        case .unresolved:
            preconditionFailure("an unresolved node has no encoding here")
        }
    }

    /// The size of a string or list header for a payload of `length` bytes.
    @inline(__always)
    static func headerLength(_ length: Int) -> Int {
        length < 56 ? 1 : 1 + (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
    }

    /// Appends a header for a payload of `length` bytes (`offset` 0x80 for strings, 0xc0 for lists).
    @inline(__always)
    static func appendHeader(_ length: Int, offset: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let byteCount = (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
            out.append(offset + 55 + UInt8(byteCount))
            for i in stride(from: byteCount - 1, through: 0, by: -1) {
                out.append(UInt8(truncatingIfNeeded: length >> (8 * i)))
            }
        }
    }

    /// The encoded size of `bytes` as an RLP string.
    @inline(__always)
    static func stringLength(_ bytes: [UInt8]) -> Int {
        if bytes.count == 1, bytes[0] < 0x80 { return 1 }
        return headerLength(bytes.count) + bytes.count
    }

    /// Appends `bytes` as an RLP string.
    @inline(__always)
    static func appendString(_ bytes: [UInt8], to out: inout [UInt8]) {
        if bytes.count == 1, bytes[0] < 0x80 {
            out.append(bytes[0])
        } else {
            appendHeader(bytes.count, offset: 0x80, to: &out)
            out.append(contentsOf: bytes)
        }
    }

    /// Appends a child reference as its parent encodes it.
    @inline(__always)
    static func appendRef(_ ref: NodeRef, to out: inout [UInt8]) {
        switch ref {
        case .hash(let hash):
            out.append(0xa0)
            hash.withUnsafeBytes { out.append(contentsOf: $0) }
        case .embedded(let rlp):
            out.append(contentsOf: rlp)
        }
    }

    // MARK: Decoding

    /// Decodes the RLP of a stored node (loaded under `hash`). Strict: non-canonical RLP, wrong
    /// item counts, bad compact paths, empty leaf values, embedded children of 32 bytes or more,
    /// and branches with fewer than two entries are all rejected.
    static func decode(_ rlp: [UInt8], hash: Hash32?) throws(TrieError) -> TrieNode {
        let ref: NodeRef = rlp.count < 32 ? .embedded(rlp) : .hash(hash ?? Keccak256.hash(rlp))
        return try rlp.withUnsafeBufferPointer { buffer throws(TrieError) in
            try decodeNode(UnsafeRawBufferPointer(buffer), 0..<buffer.count, hash: hash, ref: ref)
        }
    }

    private static func decodeNode(
        _ raw: UnsafeRawBufferPointer, _ range: Range<Int>, hash: Hash32?, ref: NodeRef
    ) throws(TrieError) -> TrieNode {
        var outer = RLPCursor(raw, range)
        let head = try outer.next(hash)
        guard head.isList, head.end == range.upperBound else {
            throw .malformed("a node is exactly one RLP list", hash)
        }
        var counter = RLPCursor(raw, head.payloadStart..<head.end)
        var count = 0
        while !counter.isAtEnd, count <= 17 {
            _ = try counter.next(hash)
            count += 1
        }
        var items = RLPCursor(raw, head.payloadStart..<head.end)
        switch count {
        case 2:
            let pathItem = try items.next(hash)
            guard !pathItem.isList,
                  let (path, isLeaf) = Nibbles.fromCompact(Array(raw[pathItem.payloadStart..<pathItem.end]))
            else { throw .malformed("bad hex-prefix path", hash) }
            let second = try items.next(hash)
            if isLeaf {
                guard !second.isList, second.end > second.payloadStart else {
                    throw .malformed("a leaf holds a non-empty string value", hash)
                }
                let value = Array(raw[second.payloadStart..<second.end])
                return LeafNode(path: path, value: value, ref: ref, isPersisted: true)
            }
            guard !path.isEmpty else { throw .malformed("an extension has an empty path", hash) }
            guard let child = try decodeChild(raw, second, hash: hash) else {
                throw .malformed("an extension has no child", hash)
            }
            guard child.kind == .branch || child.kind == .unresolved else {
                throw .malformed("an extension leads to a branch", hash)
            }
            return ExtensionNode(path: path, child: child, ref: ref, isPersisted: true)
        case 17:
            var children = BranchNode.noChildren
            var entries = 0
            for i in 0..<16 {
                children[i] = try decodeChild(raw, try items.next(hash), hash: hash)
                if children[i] != nil { entries += 1 }
            }
            let valueItem = try items.next(hash)
            guard !valueItem.isList else { throw .malformed("a branch value is a string", hash) }
            let value = Array(raw[valueItem.payloadStart..<valueItem.end])
            if !value.isEmpty { entries += 1 }
            guard entries >= 2 else { throw .malformed("a branch holds at least two entries", hash) }
            return BranchNode(children: children, value: value, ref: ref, isPersisted: true)
        default:
            throw .malformed("a node has 2 or 17 items", hash)
        }
    }

    /// A child reference: nil for the empty string, an unresolved node for a 32-byte hash, or a
    /// decoded embedded node.
    private static func decodeChild(
        _ raw: UnsafeRawBufferPointer, _ item: RLPCursor.Item, hash: Hash32?
    ) throws(TrieError) -> TrieNode? {
        if item.isList {
            guard item.end - item.start < 32 else {
                throw .malformed("an embedded node is 32 bytes or more", hash)
            }
            let rlp = Array(raw[item.start..<item.end])
            return try decodeNode(raw, item.start..<item.end, hash: hash, ref: .embedded(rlp))
        }
        switch item.end - item.payloadStart {
        case 0: return nil
        case 32: return UnresolvedNode(Hash32(copying: UnsafeRawBufferPointer(rebasing: raw[item.payloadStart..<item.end])))
        default: throw .malformed("a child reference is empty, a 32-byte hash or an embedded node", hash)
        }
    }
}

/// A strict RLP item reader over a byte range (canonical headers only).
struct RLPCursor {
    /// One item: where it starts (header included), where its payload starts, and its end.
    struct Item {
        var isList: Bool
        var start: Int
        var payloadStart: Int
        var end: Int
    }

    private let raw: UnsafeRawBufferPointer
    private var offset: Int
    private let end: Int

    init(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.raw = raw
        offset = range.lowerBound
        end = range.upperBound
    }

    /// True when every item has been read.
    var isAtEnd: Bool { offset >= end }

    /// Reads the next item's header and skips its payload.
    mutating func next(_ hash: Hash32?) throws(TrieError) -> Item {
        guard offset < end else { throw .malformed("RLP ends early", hash) }
        let start = offset
        let prefix = raw[offset]
        offset += 1
        var isList = false
        let length: Int
        switch prefix {
        case 0x00...0x7f:
            return Item(isList: false, start: start, payloadStart: start, end: offset)
        case 0x80...0xb7:
            length = Int(prefix - 0x80)
            if length == 1 {
                guard offset < end, raw[offset] >= 0x80 else {
                    throw .malformed("non-canonical single-byte RLP string", hash)
                }
            }
        case 0xb8...0xbf:
            length = try longLength(Int(prefix - 0xb7), hash)
        case 0xc0...0xf7:
            isList = true
            length = Int(prefix - 0xc0)
        default:
            isList = true
            length = try longLength(Int(prefix - 0xf7), hash)
        }
        guard length <= end - offset else { throw .malformed("RLP item overruns its container", hash) }
        let payloadStart = offset
        offset += length
        return Item(isList: isList, start: start, payloadStart: payloadStart, end: offset)
    }

    private mutating func longLength(_ count: Int, _ hash: Hash32?) throws(TrieError) -> Int {
        guard count <= end - offset, count <= 4 else { throw .malformed("RLP length overruns its container", hash) }
        guard raw[offset] != 0 else { throw .malformed("RLP length with a leading zero", hash) }
        var length = 0
        for i in 0..<count { length = length << 8 | Int(raw[offset + i]) }
        offset += count
        guard length >= 56 else { throw .malformed("RLP long-form length under 56", hash) }
        return length
    }
}
