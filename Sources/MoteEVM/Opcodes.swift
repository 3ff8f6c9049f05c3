import MoteTransactions

/// The instruction set: each opcode's base gas and stack use, per fork.
struct OpcodeInfo {
    /// Gas charged before the instruction runs (dynamic costs are charged by the instruction).
    var baseGas: Int32 = 0
    /// Stack items the instruction needs.
    var minStack: Int16 = 0
    /// The most items the stack may hold before the instruction (1024 − growth).
    var maxStack: Int16 = 1024
    var defined = false
    var name = "INVALID"
}

enum Opcodes {
    /// The 256-entry table for `fork`, allocated once and kept for the process's lifetime.
    static func table(for fork: Fork) -> UnsafePointer<OpcodeInfo> {
        switch fork {
        case .cancun: return cancun
        case .shanghai: return shanghai
        default: return paris  // earlier forks never reach here (EVM.supports)
        }
    }

    nonisolated(unsafe) private static let paris = build(.paris)
    nonisolated(unsafe) private static let shanghai = build(.shanghai)
    nonisolated(unsafe) private static let cancun = build(.cancun)

    /// Names for traces and errors.
    static func name(_ op: UInt8) -> String { cancun[Int(op)].name }

    private static func build(_ fork: Fork) -> UnsafePointer<OpcodeInfo> {
        let table = UnsafeMutablePointer<OpcodeInfo>.allocate(capacity: 256)
        table.initialize(repeating: OpcodeInfo(), count: 256)
        func define(_ op: Int, _ name: String, _ gas: Int32, _ pops: Int16, _ pushes: Int16) {
            table[op] = OpcodeInfo(baseGas: gas, minStack: pops, maxStack: 1024 - max(0, pushes - pops), defined: true, name: name)
        }
        define(0x00, "STOP", 0, 0, 0)
        define(0x01, "ADD", 3, 2, 1)
        define(0x02, "MUL", 5, 2, 1)
        define(0x03, "SUB", 3, 2, 1)
        define(0x04, "DIV", 5, 2, 1)
        define(0x05, "SDIV", 5, 2, 1)
        define(0x06, "MOD", 5, 2, 1)
        define(0x07, "SMOD", 5, 2, 1)
        define(0x08, "ADDMOD", 8, 3, 1)
        define(0x09, "MULMOD", 8, 3, 1)
        define(0x0a, "EXP", 10, 2, 1)
        define(0x0b, "SIGNEXTEND", 5, 2, 1)
        define(0x10, "LT", 3, 2, 1)
        define(0x11, "GT", 3, 2, 1)
        define(0x12, "SLT", 3, 2, 1)
        define(0x13, "SGT", 3, 2, 1)
        define(0x14, "EQ", 3, 2, 1)
        define(0x15, "ISZERO", 3, 1, 1)
        define(0x16, "AND", 3, 2, 1)
        define(0x17, "OR", 3, 2, 1)
        define(0x18, "XOR", 3, 2, 1)
        define(0x19, "NOT", 3, 1, 1)
        define(0x1a, "BYTE", 3, 2, 1)
        define(0x1b, "SHL", 3, 2, 1)
        define(0x1c, "SHR", 3, 2, 1)
        define(0x1d, "SAR", 3, 2, 1)
        define(0x20, "KECCAK256", 30, 2, 1)
        define(0x30, "ADDRESS", 2, 0, 1)
        define(0x31, "BALANCE", 0, 1, 1)
        define(0x32, "ORIGIN", 2, 0, 1)
        define(0x33, "CALLER", 2, 0, 1)
        define(0x34, "CALLVALUE", 2, 0, 1)
        define(0x35, "CALLDATALOAD", 3, 1, 1)
        define(0x36, "CALLDATASIZE", 2, 0, 1)
        define(0x37, "CALLDATACOPY", 3, 3, 0)
        define(0x38, "CODESIZE", 2, 0, 1)
        define(0x39, "CODECOPY", 3, 3, 0)
        define(0x3a, "GASPRICE", 2, 0, 1)
        define(0x3b, "EXTCODESIZE", 0, 1, 1)
        define(0x3c, "EXTCODECOPY", 0, 4, 0)
        define(0x3d, "RETURNDATASIZE", 2, 0, 1)
        define(0x3e, "RETURNDATACOPY", 3, 3, 0)
        define(0x3f, "EXTCODEHASH", 0, 1, 1)
        define(0x40, "BLOCKHASH", 20, 1, 1)
        define(0x41, "COINBASE", 2, 0, 1)
        define(0x42, "TIMESTAMP", 2, 0, 1)
        define(0x43, "NUMBER", 2, 0, 1)
        define(0x44, "PREVRANDAO", 2, 0, 1)
        define(0x45, "GASLIMIT", 2, 0, 1)
        define(0x46, "CHAINID", 2, 0, 1)
        define(0x47, "SELFBALANCE", 5, 0, 1)
        define(0x48, "BASEFEE", 2, 0, 1)
        if fork >= .cancun {
            define(0x49, "BLOBHASH", 3, 1, 1)
            define(0x4a, "BLOBBASEFEE", 2, 0, 1)
        }
        define(0x50, "POP", 2, 1, 0)
        define(0x51, "MLOAD", 3, 1, 1)
        define(0x52, "MSTORE", 3, 2, 0)
        define(0x53, "MSTORE8", 3, 2, 0)
        define(0x54, "SLOAD", 0, 1, 1)
        define(0x55, "SSTORE", 0, 2, 0)
        define(0x56, "JUMP", 8, 1, 0)
        define(0x57, "JUMPI", 10, 2, 0)
        define(0x58, "PC", 2, 0, 1)
        define(0x59, "MSIZE", 2, 0, 1)
        define(0x5a, "GAS", 2, 0, 1)
        define(0x5b, "JUMPDEST", 1, 0, 0)
        if fork >= .cancun {
            define(0x5c, "TLOAD", 100, 1, 1)
            define(0x5d, "TSTORE", 100, 2, 0)
            define(0x5e, "MCOPY", 3, 3, 0)
        }
        if fork >= .shanghai { define(0x5f, "PUSH0", 2, 0, 1) }
        for n in 1...32 { define(0x5f + n, "PUSH\(n)", 3, 0, 1) }
        for n in 1...16 { define(0x7f + n, "DUP\(n)", 3, Int16(n), Int16(n + 1)) }
        for n in 1...16 { define(0x8f + n, "SWAP\(n)", 3, Int16(n + 1), Int16(n + 1)) }
        for n in 0...4 { define(0xa0 + n, "LOG\(n)", Int32(375 * (n + 1)), Int16(n + 2), 0) }
        define(0xf0, "CREATE", 32000, 3, 1)
        define(0xf1, "CALL", 0, 7, 1)
        define(0xf2, "CALLCODE", 0, 7, 1)
        define(0xf3, "RETURN", 0, 2, 0)
        define(0xf4, "DELEGATECALL", 0, 6, 1)
        define(0xf5, "CREATE2", 32000, 4, 1)
        define(0xfa, "STATICCALL", 0, 6, 1)
        define(0xfd, "REVERT", 0, 2, 0)
        table[0xfe].name = "INVALID"
        define(0xff, "SELFDESTRUCT", 5000, 1, 0)
        return UnsafePointer(table)
    }
}

/// Gas constants of the Cancun schedule that instructions charge beyond their base gas.
enum GasCost {
    static let warmAccess = 100
    static let coldAccountAccess = 2600
    static let coldSload = 2100
    static let storageSet = 20000
    static let storageUpdate = 5000
    static let storageClearRefund: Int64 = 4800
    static let callValue = 9000
    static let callStipend = 2300
    static let newAccount = 25000
    static let selfDestructNewAccount = 25000
    static let codeDeposit = 200
    static let copyWord = 3
    static let keccakWord = 6
    static let logByte = 8
    static let expByte = 50
    static let initCodeWord = 2
    static let memoryWord = 3
    static let maxCodeSize = 24576
    static let maxInitCodeSize = 49152
    static let maxCallDepth = 1024
}
