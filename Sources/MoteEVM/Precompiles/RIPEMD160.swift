/// Precompile 0x03: RIPEMD-160 of the input, left-padded with 12 zero bytes to 32 bytes.
/// Gas is 600 plus 120 per 32-byte word of input.
public enum RIPEMD160Precompile {
    /// Runs the precompile; fails only when the gas limit is below the cost.
    public static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let words = UInt64(input.count) / 32 + (input.count % 32 == 0 ? 0 : 1)
        let (wordCost, overflow) = words.multipliedReportingOverflow(by: 120)
        guard !overflow, wordCost <= gasLimit, 600 <= gasLimit - wordCost else { return .failure }
        let cost = 600 + wordCost
        return .success(gasUsed: cost, output: [UInt8](repeating: 0, count: 12) + RIPEMD160.hash(input))
    }
}

/// The RIPEMD-160 hash function (Dobbertin, Bosselaers, Preneel, 1996).
enum RIPEMD160 {
    /// The 20-byte digest of `message`.
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var state: [UInt32] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0]
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 0, to: 64, by: 8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var block = [UInt32](repeating: 0, count: 16)
        for blockStart in stride(from: 0, to: padded.count, by: 64) {
            for index in 0..<16 {
                let base = blockStart + 4 * index
                block[index] = UInt32(padded[base]) | UInt32(padded[base + 1]) << 8 | UInt32(padded[base + 2]) << 16 | UInt32(padded[base + 3]) << 24
            }
            compress(state: &state, block: block)
        }
        var digest = [UInt8]()
        digest.reserveCapacity(20)
        for word in state {
            for shift in stride(from: 0, to: 32, by: 8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    static let leftWordOrder: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
        3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
        1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
        4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
    ]
    static let rightWordOrder: [Int] = [
        5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
        6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
        15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
        8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
        12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
    ]
    static let leftRotations: [UInt32] = [
        11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
        7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
        11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
        11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
        9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
    ]
    static let rightRotations: [UInt32] = [
        8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
        9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
        9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
        15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
        8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
    ]
    static let leftConstants: [UInt32] = [0, 0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xa953_fd4e]
    static let rightConstants: [UInt32] = [0x50a2_8be6, 0x5c4d_d124, 0x6d70_3ef3, 0x7a6d_76e9, 0]

    /// The nonlinear function of round group `group` (0…4).
    @inline(__always)
    static func boolean(_ group: Int, _ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 {
        switch group {
        case 0: return x ^ y ^ z
        case 1: return (x & y) | (~x & z)
        case 2: return (x | ~y) ^ z
        case 3: return (x & z) | (y & ~z)
        default: return x ^ (y | ~z)
        }
    }

    @inline(__always)
    static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 { value << count | value >> (32 - count) }

    /// Folds one 16-word block into the state: two parallel lines of 80 steps each.
    static func compress(state: inout [UInt32], block: [UInt32]) {
        var (al, bl, cl, dl, el) = (state[0], state[1], state[2], state[3], state[4])
        var (ar, br, cr, dr, er) = (al, bl, cl, dl, el)
        for step in 0..<80 {
            let group = step / 16
            var t = rotateLeft(al &+ boolean(group, bl, cl, dl) &+ block[leftWordOrder[step]] &+ leftConstants[group], leftRotations[step]) &+ el
            (al, el, dl, cl, bl) = (el, dl, rotateLeft(cl, 10), bl, t)
            t = rotateLeft(ar &+ boolean(4 - group, br, cr, dr) &+ block[rightWordOrder[step]] &+ rightConstants[group], rightRotations[step]) &+ er
            (ar, er, dr, cr, br) = (er, dr, rotateLeft(cr, 10), br, t)
        }
        let combined = state[1] &+ cl &+ dr
        state[1] = state[2] &+ dl &+ er
        state[2] = state[3] &+ el &+ ar
        state[3] = state[4] &+ al &+ br
        state[4] = state[0] &+ bl &+ cr
        state[0] = combined
    }
}
