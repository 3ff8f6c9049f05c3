/// A frame's memory: a byte array that grows in 32-byte words and is zero where never written.
/// Buffers are reused across frames at the same call depth.
final class Memory {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private var capacity: Int

    init() {
        capacity = 4096
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 32)
    }

    deinit { base.deallocate() }

    func reset() { count = 0 }

    /// Words in use.
    var words: Int { count / 32 }

    /// Grows to `newCount` bytes (a multiple of 32), zero-filling the new part.
    func grow(to newCount: Int) {
        if newCount <= count { return }
        if newCount > capacity {
            var newCapacity = capacity * 2
            while newCapacity < newCount { newCapacity *= 2 }
            let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 32)
            newBase.copyMemory(from: base, byteCount: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: newCount - count)
        count = newCount
    }

    /// A copy of `size` bytes at `offset` (already expanded).
    func bytes(at offset: Int, count size: Int) -> [UInt8] {
        if size == 0 { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: base + offset, count: size))
    }

    /// Writes `source[sourceOffset..<sourceOffset+size]` at `offset`, zero-filling past the source's end.
    func write(_ source: UnsafeRawBufferPointer, sourceOffset: UInt256, at offset: Int, count size: Int) {
        if size == 0 { return }
        let available: Int
        let start: Int
        if let s = sourceOffset.intBelow(UInt64(source.count)) {
            start = s
            available = min(size, source.count - s)
        } else {
            start = 0
            available = 0
        }
        if available > 0, let src = source.baseAddress {
            (base + offset).copyMemory(from: src + start, byteCount: available)
        }
        if available < size {
            (base + offset + available).initializeMemory(as: UInt8.self, repeating: 0, count: size - available)
        }
    }

    /// The gas that memory of `words` words costs in total: 3·w + w²/512.
    @inline(__always) static func cost(words: Int) -> Int {
        GasCost.memoryWord &* words &+ (words &* words) / 512
    }
}

/// The positions of valid JUMPDESTs in a code (not inside PUSH data), as a bitmap.
final class JumpTable {
    private let bits: [UInt64]

    init(code: UnsafeBufferPointer<UInt8>) {
        var bits = [UInt64](repeating: 0, count: code.count / 64 + 1)
        var i = 0
        let n = code.count
        while i < n {
            let op = code[i]
            if op == 0x5b {
                bits[i >> 6] |= 1 << UInt64(i & 63)
            } else if op >= 0x60 && op <= 0x7f {
                i += Int(op - 0x5f)
            }
            i += 1
        }
        self.bits = bits
    }

    @inline(__always) func isValid(_ destination: Int) -> Bool {
        (bits[destination >> 6] >> UInt64(destination & 63)) & 1 == 1
    }
}

import MotePrimitives
