import MoteCrypto
import MotePrimitives
import MoteTransactions

/// The precompiled contracts at addresses 0x01–0x0a (0x0a, KZG point evaluation, from Cancun).
enum Precompiles {
    /// The precompile number (1…10) of `address` under `fork`, or nil.
    static func number(of address: Address, fork: Fork) -> Int? {
        let last: Int? = address.withUnsafeBytes { raw in
            for i in 0..<19 where raw[i] != 0 { return nil }
            return Int(raw[19])
        }
        guard let n = last, n >= 1 else { return nil }
        return n <= (fork >= .cancun ? 10 : 9) ? n : nil
    }

    /// All precompile addresses of `fork` (warm from the start of every transaction, EIP-2929).
    static func addresses(fork: Fork) -> [Address] {
        fork >= .cancun ? allAddresses : Array(allAddresses.dropLast())
    }

    /// 0x01…0x0a.
    private static let allAddresses: [Address] = (1...10).map { n in
        Address(bytes: [UInt8](repeating: 0, count: 19) + [UInt8(n)])!
    }

    static func run(_ number: Int, input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        switch number {
        case 1: return ecrecover(input: input, gasLimit: gasLimit)
        case 2: return sha256(input: input, gasLimit: gasLimit)
        case 3: return RIPEMD160Precompile.run(input: input, gasLimit: gasLimit)
        case 4: return identity(input: input, gasLimit: gasLimit)
        case 5: return ModExpPrecompile.run(input: input, gasLimit: gasLimit)
        case 6: return BN254Precompiles.add(input: input, gasLimit: gasLimit)
        case 7: return BN254Precompiles.mul(input: input, gasLimit: gasLimit)
        case 8: return BN254Precompiles.pairing(input: input, gasLimit: gasLimit)
        case 9: return Blake2FPrecompile.run(input: input, gasLimit: gasLimit)
        case 10: return KZGPointEvaluation.run(input: input, gasLimit: gasLimit)
        default: return .failure
        }
    }

    /// Gas for a per-word priced precompile: base + perWord × ⌈count/32⌉.
    static func wordPriced(base: UInt64, perWord: UInt64, count: Int) -> UInt64 {
        base + perWord * UInt64((count + 31) / 32)
    }

    /// 0x01: the address that signed a hash (v 27 or 28, r and s in 1…n−1); empty output if none.
    static func ecrecover(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let gas: UInt64 = 3000
        guard gas <= gasLimit else { return .failure }
        var data = input.count >= 128 ? Array(input[0..<128]) : input
        if data.count < 128 { data += [UInt8](repeating: 0, count: 128 - data.count) }
        let hash = Hash32(bytes: data[0..<32])!
        let v = UInt256(bigEndian: data[32..<64])!
        let r = UInt256(bigEndian: data[64..<96])!
        let s = UInt256(bigEndian: data[96..<128])!
        guard v == UInt256(27) || v == UInt256(28),
              !r.isZero, !s.isZero, r < Secp256k1.order, s < Secp256k1.order
        else { return .success(gasUsed: gas, output: []) }
        let signature = Secp256k1.RecoverableSignature(r: r, s: s, recoveryID: UInt8(v.l0 - 27))
        guard let key = try? Secp256k1.recover(hash: hash, signature: signature) else {
            return .success(gasUsed: gas, output: [])
        }
        return .success(gasUsed: gas, output: [UInt8](repeating: 0, count: 12) + key.address.bytes)
    }

    /// 0x02: SHA-256.
    static func sha256(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let gas = wordPriced(base: 60, perWord: 12, count: input.count)
        guard gas <= gasLimit else { return .failure }
        return .success(gasUsed: gas, output: SHA256Digest.hash(input).bytes)
    }

    /// 0x04: the input, unchanged.
    static func identity(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        let gas = wordPriced(base: 15, perWord: 3, count: input.count)
        guard gas <= gasLimit else { return .failure }
        return .success(gasUsed: gas, output: input)
    }
}
