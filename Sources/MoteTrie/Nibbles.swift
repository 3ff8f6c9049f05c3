/// A run of nibbles (half-bytes) over packed bytes, high nibble first.
///
/// Slicing never copies: a path shares the key array it came from (a leaf's path is the tail of
/// the key that created it) or the compact bytes it was decoded from, with a nibble window
/// `start..<end` over it.
struct Nibbles {
    /// Packed nibbles, two per byte, high nibble first.
    private(set) var storage: [UInt8]
    /// The first nibble's index in `storage`.
    private(set) var start: Int
    /// One past the last nibble's index in `storage`.
    private(set) var end: Int

    /// The empty path.
    static let empty = Nibbles(storage: [], start: 0, end: 0)

    /// Every nibble of `bytes`.
    init(_ bytes: [UInt8]) {
        storage = bytes
        start = 0
        end = bytes.count * 2
    }

    /// The nibbles `start..<end` of `storage`.
    init(storage: [UInt8], start: Int, end: Int) {
        self.storage = storage
        self.start = start
        self.end = end
    }

    /// The number of nibbles.
    var count: Int { end - start }
    /// True for the empty path.
    var isEmpty: Bool { start == end }

    /// The nibble at `i` (0-based from the start of this path).
    @inline(__always)
    subscript(i: Int) -> Int {
        let j = start + i
        let byte = storage[j >> 1]
        return Int(j & 1 == 0 ? byte >> 4 : byte & 0x0f)
    }

    /// The path without its first `n` nibbles.
    @inline(__always)
    func dropFirst(_ n: Int) -> Nibbles { Nibbles(storage: storage, start: start + n, end: end) }

    /// The first `n` nibbles.
    @inline(__always)
    func prefix(_ n: Int) -> Nibbles { Nibbles(storage: storage, start: start, end: start + n) }

    /// The length of the longest common prefix of `self` and `other`.
    func commonPrefixLength(with other: Nibbles) -> Int {
        let limit = Swift.min(count, other.count)
        let aStart = start, bStart = other.start
        return storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                var i = 0
                if (aStart ^ bStart) & 1 == 0 {
                    // Same alignment: compare whole bytes after an odd leading nibble.
                    if aStart & 1 == 1, limit > 0 {
                        if a[aStart >> 1] & 0x0f != b[bStart >> 1] & 0x0f { return 0 }
                        i = 1
                    }
                    while i + 2 <= limit {
                        let x = a[(aStart + i) >> 1], y = b[(bStart + i) >> 1]
                        if x != y { return x >> 4 == y >> 4 ? i + 1 : i }
                        i += 2
                    }
                }
                while i < limit {
                    let ja = aStart + i, jb = bStart + i
                    let x = ja & 1 == 0 ? a[ja >> 1] >> 4 : a[ja >> 1] & 0x0f
                    let y = jb & 1 == 0 ? b[jb >> 1] >> 4 : b[jb >> 1] & 0x0f
                    if x != y { return i }
                    i += 1
                }
                return i
            }
        }
    }

    /// True when `self` begins with `prefix`.
    @inline(__always)
    func hasPrefix(_ prefix: Nibbles) -> Bool {
        prefix.count <= count && commonPrefixLength(with: prefix) == prefix.count
    }

    /// True when both paths hold the same nibbles.
    @inline(__always)
    func matches(_ other: Nibbles) -> Bool {
        count == other.count && commonPrefixLength(with: other) == count
    }

    /// `head` followed by `tail`, in fresh storage.
    static func joined(_ head: Nibbles, _ tail: Nibbles) -> Nibbles {
        var out = NibbleWriter(capacity: head.count + tail.count)
        for i in 0..<head.count { out.append(head[i]) }
        for i in 0..<tail.count { out.append(tail[i]) }
        return out.nibbles
    }

    /// `nibble` followed by `tail`, in fresh storage.
    static func joined(_ nibble: Int, _ tail: Nibbles) -> Nibbles {
        var out = NibbleWriter(capacity: 1 + tail.count)
        out.append(nibble)
        for i in 0..<tail.count { out.append(tail[i]) }
        return out.nibbles
    }

    // MARK: Hex-prefix (compact) form

    /// The length of the compact encoding.
    var compactLength: Int { count / 2 + 1 }

    /// Appends the hex-prefix (compact) encoding, flagged as a leaf when `isLeaf`.
    func appendCompact(isLeaf: Bool, to out: inout [UInt8]) {
        let flag: UInt8 = isLeaf ? 0x20 : 0x00
        var i = 0
        if count & 1 == 1 {
            out.append(flag | 0x10 | UInt8(self[0]))
            i = 1
        } else {
            out.append(flag)
        }
        if (start + i) & 1 == 0 {
            out.append(contentsOf: storage[(start + i) >> 1 ..< end >> 1])
        } else {
            while i < count {
                out.append(UInt8(self[i] << 4 | self[i + 1]))
                i += 2
            }
        }
    }

    /// The path and leaf flag of compact bytes, or nil when they are not valid hex-prefix.
    /// The path keeps `bytes` as its storage.
    static func fromCompact(_ bytes: [UInt8]) -> (Nibbles, isLeaf: Bool)? {
        guard let first = bytes.first else { return nil }
        let flag = first >> 4
        guard flag <= 3 else { return nil }
        let odd = flag & 1 == 1
        if !odd, first & 0x0f != 0 { return nil }
        return (Nibbles(storage: bytes, start: odd ? 1 : 2, end: bytes.count * 2), flag & 2 != 0)
    }
}

/// Builds packed nibbles one at a time.
private struct NibbleWriter {
    var bytes: [UInt8]
    var count = 0

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity((capacity + 1) / 2)
    }

    mutating func append(_ nibble: Int) {
        if count & 1 == 0 {
            bytes.append(UInt8(nibble) << 4)
        } else {
            bytes[bytes.count - 1] |= UInt8(nibble)
        }
        count += 1
    }

    var nibbles: Nibbles { Nibbles(storage: bytes, start: 0, end: count) }
}
