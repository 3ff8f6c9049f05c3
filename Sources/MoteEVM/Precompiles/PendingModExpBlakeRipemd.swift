// Stand-ins until RIPEMD160.swift, ModExp.swift and Blake2F.swift land (deleted in the same commit).
enum RIPEMD160Precompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
enum ModExpPrecompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
enum Blake2FPrecompile { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
