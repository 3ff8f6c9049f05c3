// Stand-in until BN254.swift lands (deleted in the same commit).
enum BN254Precompiles {
    static func add(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
    static func mul(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
    static func pairing(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
}
