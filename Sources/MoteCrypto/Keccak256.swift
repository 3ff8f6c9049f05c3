import MotePrimitives

/// Keccak-256 as Ethereum uses it (original Keccak padding `0x01`, not SHA3's `0x06`).
///
/// Our own implementation: the permutation keeps all 25 lanes in registers and is fully
/// unrolled. `hash` is one-shot; `Keccak256.Hasher` absorbs input in pieces.
public enum Keccak256 {
    /// Rate in bytes (1600 − 2·256 bits).
    static let rate = 136

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Hash32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of the bytes in `buffer`. Allocation-free: full blocks are absorbed in
    /// place and the padded last block is built on the stack.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> Hash32 {
        var state = State()
        var offset = 0
        let count = buffer.count
        if let base = buffer.baseAddress {
            while count - offset >= rate {
                state.absorb(base + offset)
                offset += rate
            }
        }
        var block: State.Block = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &block) { raw in
            if count > offset, let base = buffer.baseAddress {
                raw.baseAddress!.copyMemory(from: base + offset, byteCount: count - offset)
            }
            raw[count - offset] ^= 0x01
            raw[rate - 1] ^= 0x80
            state.absorb(raw.baseAddress!)
        }
        return state.digest()
    }

    /// The digest of UTF-8 text.
    public static func hash(utf8 text: String) -> Hash32 { hash(Array(text.utf8)) }

    /// An incremental Keccak-256: `update` any number of times, then `finalize` once.
    public struct Hasher: Sendable {
        private var state = State()
        private var buffered = [UInt8](repeating: 0, count: 136)
        private var bufferedCount = 0

        public init() {}

        /// Absorbs more input.
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Absorbs more input.
        public mutating func update(_ input: UnsafeRawBufferPointer) {
            var offset = 0
            let count = input.count
            if bufferedCount > 0 {
                let take = min(rate - bufferedCount, count)
                buffered.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.advanced(by: bufferedCount).copyMemory(from: input.baseAddress!, byteCount: take)
                }
                bufferedCount += take
                offset = take
                if bufferedCount < rate { return }
                buffered.withUnsafeBytes { state.absorb($0.baseAddress!) }
                bufferedCount = 0
            }
            while count - offset >= rate {
                state.absorb(input.baseAddress!.advanced(by: offset))
                offset += rate
            }
            if offset < count {
                let rest = count - offset
                buffered.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.copyMemory(from: input.baseAddress!.advanced(by: offset), byteCount: rest)
                }
                bufferedCount = rest
            }
        }

        /// Pads, squeezes and returns the digest.
        public mutating func finalize() -> Hash32 {
            for i in bufferedCount..<rate { buffered[i] = 0 }
            buffered[bufferedCount] ^= 0x01
            buffered[rate - 1] ^= 0x80
            buffered.withUnsafeBytes { state.absorb($0.baseAddress!) }
            bufferedCount = 0
            return state.digest()
        }
    }

    /// The 1600-bit sponge state.
    struct State: Sendable {
        var lanes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))

        /// XORs one 136-byte block into the state and permutes.
        @inline(__always)
        mutating func absorb(_ block: UnsafeRawPointer) {
            withUnsafeMutableBytes(of: &lanes) { raw in
                let s = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
                for i in 0..<17 {
                    s[i] ^= UInt64(littleEndian: block.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                }
                Keccak256.permute(s)
            }
        }

        /// The first 32 bytes of the state, lanes little-endian: the digest.
        func digest() -> Hash32 {
            var out = (lanes.0.littleEndian, lanes.1.littleEndian, lanes.2.littleEndian, lanes.3.littleEndian)
            return withUnsafeBytes(of: &out) { Hash32(copying: $0) }
        }

        /// One 136-byte block of input, on the stack.
        typealias Block = (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        )
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 - n)) }

    static let roundConstants: [UInt64] = [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
        0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
        0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ]

    /// Keccak-f[1600] on 25 lanes, unrolled into locals (generated; see the Keccak reference).
    @inline(__always)
    static func permute(_ s: UnsafeMutablePointer<UInt64>) {
        var a0 = s[0]
        var a1 = s[1]
        var a2 = s[2]
        var a3 = s[3]
        var a4 = s[4]
        var a5 = s[5]
        var a6 = s[6]
        var a7 = s[7]
        var a8 = s[8]
        var a9 = s[9]
        var a10 = s[10]
        var a11 = s[11]
        var a12 = s[12]
        var a13 = s[13]
        var a14 = s[14]
        var a15 = s[15]
        var a16 = s[16]
        var a17 = s[17]
        var a18 = s[18]
        var a19 = s[19]
        var a20 = s[20]
        var a21 = s[21]
        var a22 = s[22]
        var a23 = s[23]
        var a24 = s[24]
        for round in 0..<24 {
            let c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
            let c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
            let c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
            let c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
            let c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
            let d0 = c4 ^ rotl(c1, 1)
            let d1 = c0 ^ rotl(c2, 1)
            let d2 = c1 ^ rotl(c3, 1)
            let d3 = c2 ^ rotl(c4, 1)
            let d4 = c3 ^ rotl(c0, 1)
            a0 ^= d0
            a1 ^= d1
            a2 ^= d2
            a3 ^= d3
            a4 ^= d4
            a5 ^= d0
            a6 ^= d1
            a7 ^= d2
            a8 ^= d3
            a9 ^= d4
            a10 ^= d0
            a11 ^= d1
            a12 ^= d2
            a13 ^= d3
            a14 ^= d4
            a15 ^= d0
            a16 ^= d1
            a17 ^= d2
            a18 ^= d3
            a19 ^= d4
            a20 ^= d0
            a21 ^= d1
            a22 ^= d2
            a23 ^= d3
            a24 ^= d4
            let b0 = a0
            let b1 = rotl(a6, 44)
            let b2 = rotl(a12, 43)
            let b3 = rotl(a18, 21)
            let b4 = rotl(a24, 14)
            let b5 = rotl(a3, 28)
            let b6 = rotl(a9, 20)
            let b7 = rotl(a10, 3)
            let b8 = rotl(a16, 45)
            let b9 = rotl(a22, 61)
            let b10 = rotl(a1, 1)
            let b11 = rotl(a7, 6)
            let b12 = rotl(a13, 25)
            let b13 = rotl(a19, 8)
            let b14 = rotl(a20, 18)
            let b15 = rotl(a4, 27)
            let b16 = rotl(a5, 36)
            let b17 = rotl(a11, 10)
            let b18 = rotl(a17, 15)
            let b19 = rotl(a23, 56)
            let b20 = rotl(a2, 62)
            let b21 = rotl(a8, 55)
            let b22 = rotl(a14, 39)
            let b23 = rotl(a15, 41)
            let b24 = rotl(a21, 2)
            a0 = b0 ^ (~b1 & b2)
            a1 = b1 ^ (~b2 & b3)
            a2 = b2 ^ (~b3 & b4)
            a3 = b3 ^ (~b4 & b0)
            a4 = b4 ^ (~b0 & b1)
            a5 = b5 ^ (~b6 & b7)
            a6 = b6 ^ (~b7 & b8)
            a7 = b7 ^ (~b8 & b9)
            a8 = b8 ^ (~b9 & b5)
            a9 = b9 ^ (~b5 & b6)
            a10 = b10 ^ (~b11 & b12)
            a11 = b11 ^ (~b12 & b13)
            a12 = b12 ^ (~b13 & b14)
            a13 = b13 ^ (~b14 & b10)
            a14 = b14 ^ (~b10 & b11)
            a15 = b15 ^ (~b16 & b17)
            a16 = b16 ^ (~b17 & b18)
            a17 = b17 ^ (~b18 & b19)
            a18 = b18 ^ (~b19 & b15)
            a19 = b19 ^ (~b15 & b16)
            a20 = b20 ^ (~b21 & b22)
            a21 = b21 ^ (~b22 & b23)
            a22 = b22 ^ (~b23 & b24)
            a23 = b23 ^ (~b24 & b20)
            a24 = b24 ^ (~b20 & b21)
            a0 ^= roundConstants[round]
        }
        s[0] = a0
        s[1] = a1
        s[2] = a2
        s[3] = a3
        s[4] = a4
        s[5] = a5
        s[6] = a6
        s[7] = a7
        s[8] = a8
        s[9] = a9
        s[10] = a10
        s[11] = a11
        s[12] = a12
        s[13] = a13
        s[14] = a14
        s[15] = a15
        s[16] = a16
        s[17] = a17
        s[18] = a18
        s[19] = a19
        s[20] = a20
        s[21] = a21
        s[22] = a22
        s[23] = a23
        s[24] = a24
    }
}
