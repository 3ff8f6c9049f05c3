/// Precompile 0x09 (EIP-152): the BLAKE2b compression function `F` with a caller-chosen
/// number of rounds. Input is exactly 213 bytes: rounds (4, big-endian) ‖ h (64) ‖ m (128)
/// ‖ t (16) ‖ final flag (1, 0 or 1), words little-endian. Gas is one per round.
public enum Blake2FPrecompile {
    /// The only accepted input length.
    static let inputLength = 213

    /// Runs the precompile; fails on a wrong length, a flag other than 0 or 1, or rounds > gasLimit.
    public static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard input.count == inputLength else { return .failure }
        let finalFlag = input[212]
        guard finalFlag <= 1 else { return .failure }
        let rounds = input[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard UInt64(rounds) <= gasLimit else { return .failure }

        var state = (0..<8).map { littleEndianWord(input, at: 4 + 8 * $0) }
        let message = (0..<16).map { littleEndianWord(input, at: 68 + 8 * $0) }
        let offsetCounter = (littleEndianWord(input, at: 196), littleEndianWord(input, at: 204))
        compress(state: &state, message: message, offsetCounter: offsetCounter, isFinal: finalFlag == 1, rounds: rounds)

        var output = [UInt8]()
        output.reserveCapacity(64)
        for word in state {
            for shift in stride(from: 0, to: 64, by: 8) { output.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return .success(gasUsed: UInt64(rounds), output: output)
    }

    /// The BLAKE2b initialization vector (RFC 7693 §2.6).
    static let initializationVector: [UInt64] = [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ]

    /// The message word permutations (RFC 7693 §2.7); round `i` uses row `i % 10`.
    static let messageSchedule: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    /// The compression function F (RFC 7693 §3.2) with a variable round count.
    static func compress(state: inout [UInt64], message: [UInt64], offsetCounter: (UInt64, UInt64), isFinal: Bool, rounds: UInt32) {
        var work = state + initializationVector
        work[12] ^= offsetCounter.0
        work[13] ^= offsetCounter.1
        if isFinal { work[14] = ~work[14] }
        var round: UInt32 = 0
        while round < rounds {
            let schedule = messageSchedule[Int(round % 10)]
            mix(&work, 0, 4, 8, 12, message[schedule[0]], message[schedule[1]])
            mix(&work, 1, 5, 9, 13, message[schedule[2]], message[schedule[3]])
            mix(&work, 2, 6, 10, 14, message[schedule[4]], message[schedule[5]])
            mix(&work, 3, 7, 11, 15, message[schedule[6]], message[schedule[7]])
            mix(&work, 0, 5, 10, 15, message[schedule[8]], message[schedule[9]])
            mix(&work, 1, 6, 11, 12, message[schedule[10]], message[schedule[11]])
            mix(&work, 2, 7, 8, 13, message[schedule[12]], message[schedule[13]])
            mix(&work, 3, 4, 9, 14, message[schedule[14]], message[schedule[15]])
            round += 1
        }
        for index in 0..<8 { state[index] ^= work[index] ^ work[index + 8] }
    }

    /// The mixing function G (RFC 7693 §3.1).
    @inline(__always)
    static func mix(_ v: inout [UInt64], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotateRight(v[d] ^ v[a], 32)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 24)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotateRight(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 63)
    }

    @inline(__always)
    static func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 { value >> count | value << (64 - count) }

    /// The little-endian 64-bit word at `offset` (the caller guarantees 8 bytes are there).
    static func littleEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << UInt64(8 * $1) }
    }
}
