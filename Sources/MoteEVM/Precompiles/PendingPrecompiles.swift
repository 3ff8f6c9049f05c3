// TEMPORARY, not committed: stands in until the precompile files land.
enum RIPEMD160Precompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
enum ModExpPrecompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
enum Blake2FPrecompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
enum BN254Precompiles {
    static func add(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
    static func mul(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
    static func pairing(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure }
}
enum KZGPointEvaluation { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
