/// What a precompiled contract returns: its output and the gas it used, or a failure
/// (invalid input or too little gas), which consumes all the gas the call was given.
public enum PrecompileResult: Equatable, Sendable {
    case success(gasUsed: UInt64, output: [UInt8])
    case failure
}
