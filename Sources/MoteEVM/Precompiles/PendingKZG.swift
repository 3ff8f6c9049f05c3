// Stand-in until KZGPointEvaluation.swift lands (deleted in the same commit).
enum KZGPointEvaluation { static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult { .failure } }
