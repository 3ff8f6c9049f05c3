import MotePrimitives
import MoteTransactions

/// MoteEVM runs the rules of `Fork.paris` and later (`MoteTransactions.Fork`, one list of forks
/// for the whole project); older forks are refused by `EVM.supports(_:)`.
extension Fork {
    /// The fork named by `name` as the state tests spell it (`Cancun`, `Shanghai`, `Paris`, `Merge`).
    public init?(testName name: String) {
        if name == "Merge" { self = .paris; return }
        self.init(rawValue: name)
    }
}

/// What the block tells the code that runs in it.
public struct BlockEnvironment: Sendable {
    public var coinbase: Address
    public var number: UInt64
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var baseFee: UInt256
    /// PREVRANDAO (the beacon chain's randomness), also DIFFICULTY since the Merge.
    public var prevRandao: UInt256
    /// The excess blob gas of the block (EIP-4844); sets the blob base fee.
    public var excessBlobGas: UInt64 { didSet { blobBaseFee = BlobGas.price(excessBlobGas: excessBlobGas) } }
    public var chainID: UInt256
    /// The hash of block `n` for BLOCKHASH; nil when unknown.
    public var blockHash: @Sendable (UInt64) -> Hash32?

    public init(
        coinbase: Address = .zero, number: UInt64 = 1, timestamp: UInt64 = 1, gasLimit: UInt64 = 30_000_000,
        baseFee: UInt256 = .zero, prevRandao: UInt256 = .zero, excessBlobGas: UInt64 = 0, chainID: UInt256 = 1,
        blockHash: @escaping @Sendable (UInt64) -> Hash32? = { _ in nil }
    ) {
        self.coinbase = coinbase
        self.number = number
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.baseFee = baseFee
        self.prevRandao = prevRandao
        self.excessBlobGas = excessBlobGas
        self.blobBaseFee = BlobGas.price(excessBlobGas: excessBlobGas)
        self.chainID = chainID
        self.blockHash = blockHash
    }

    /// The blob base fee (EIP-4844): fake_exponential(1, excessBlobGas, 3338477). Computed when
    /// the excess is set: BLOBBASEFEE reads it, and the series is not free.
    public private(set) var blobBaseFee: UInt256 = .one
}

/// EIP-4844 blob gas accounting.
public enum BlobGas {
    public static let perBlob: UInt64 = 1 << 17
    public static let maxPerBlock: UInt64 = 786_432
    public static let updateFraction: UInt64 = 3_338_477
    public static let versionedHashVersion: UInt8 = 0x01

    /// factor × e^(numerator / denominator), approximated by the Taylor series of EIP-4844.
    public static func price(excessBlobGas: UInt64) -> UInt256 {
        fakeExponential(factor: 1, numerator: excessBlobGas, denominator: updateFraction)
    }

    /// EIP-4844's fake_exponential with unbounded intermediates (as the spec's Python integers):
    /// terms may pass 2^256 while the result still fits. A result of 2^256 or more is 2^256 − 1.
    static func fakeExponential(factor: UInt64, numerator: UInt64, denominator: UInt64) -> UInt256 {
        guard denominator != 0 else { return .max }
        var output: [UInt64] = [0]
        var (high, low) = factor.multipliedFullWidth(by: denominator)
        var accumulator: [UInt64] = high == 0 ? [low] : [low, high]
        var i: UInt64 = 1
        while accumulator.contains(where: { $0 != 0 }) {
            Self.add(&output, accumulator)
            // Past 2^320 the result (output / denominator, denominator < 2^64) cannot fit 256 bits.
            if output.count > 5 { return .max }
            let (divisor, overflow) = denominator.multipliedReportingOverflow(by: i)
            if overflow { return .max }
            Self.multiply(&accumulator, by: numerator)
            Self.divide(&accumulator, by: divisor)
            i += 1
        }
        Self.divide(&output, by: denominator)
        while output.count > 1 && output.last == 0 { output.removeLast() }
        if output.count > 4 { return .max }
        while output.count < 4 { output.append(0) }
        return UInt256(limbs: output[0], output[1], output[2], output[3])
    }

    private static func add(_ a: inout [UInt64], _ b: [UInt64]) {
        var carry: UInt64 = 0
        for i in 0..<max(a.count, b.count) {
            if i == a.count { a.append(0) }
            let (s1, o1) = a[i].addingReportingOverflow(i < b.count ? b[i] : 0)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            a[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        if carry != 0 { a.append(carry) }
    }

    private static func multiply(_ a: inout [UInt64], by m: UInt64) {
        var carry: UInt64 = 0
        for i in 0..<a.count {
            let (high, low) = a[i].multipliedFullWidth(by: m)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            a[i] = sum
            carry = high &+ (overflow ? 1 : 0)
        }
        if carry != 0 { a.append(carry) }
    }

    private static func divide(_ a: inout [UInt64], by d: UInt64) {
        var remainder: UInt64 = 0
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            (a[i], remainder) = d.dividingFullWidth((remainder, a[i]))
        }
        while a.count > 1 && a.last == 0 { a.removeLast() }
    }
}

/// A transaction as the EVM runs it: sender already recovered, fee fields resolved.
public struct EVMTransaction: Sendable {
    /// The envelope type: 0 legacy, 1 access list, 2 dynamic fee, 3 blob.
    public var type: UInt8
    public var sender: Address
    /// The recipient; nil creates a contract.
    public var to: Address?
    public var nonce: UInt64
    public var gasLimit: UInt64
    public var value: UInt256
    public var data: [UInt8]
    /// The fee cap (the gas price of legacy and type-1 transactions).
    public var maxFeePerGas: UInt256
    /// The tip cap (the gas price of legacy and type-1 transactions).
    public var maxPriorityFeePerGas: UInt256
    public var accessList: [(address: Address, storageKeys: [UInt256])]
    public var maxFeePerBlobGas: UInt256
    public var blobVersionedHashes: [Hash32]

    public init(
        type: UInt8 = 2, sender: Address, to: Address?, nonce: UInt64, gasLimit: UInt64, value: UInt256 = .zero,
        data: [UInt8] = [], maxFeePerGas: UInt256 = .zero, maxPriorityFeePerGas: UInt256 = .zero,
        accessList: [(address: Address, storageKeys: [UInt256])] = [], maxFeePerBlobGas: UInt256 = .zero,
        blobVersionedHashes: [Hash32] = []
    ) {
        self.type = type
        self.sender = sender
        self.to = to
        self.nonce = nonce
        self.gasLimit = gasLimit
        self.value = value
        self.data = data
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.accessList = accessList
        self.maxFeePerBlobGas = maxFeePerBlobGas
        self.blobVersionedHashes = blobVersionedHashes
    }
}

/// A log entry (LOG0…LOG4).
public struct EVMLog: Hashable, Sendable {
    public var address: Address
    public var topics: [Hash32]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash32], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }
}

/// Why a frame stopped other than by STOP, RETURN or REVERT. Every one consumes the frame's gas.
public enum ExceptionalHalt: String, Error, Sendable {
    case outOfGas = "out of gas"
    case stackUnderflow = "stack underflow"
    case stackOverflow = "stack overflow"
    case invalidOpcode = "invalid opcode"
    case invalidJump = "invalid jump destination"
    case writeInStaticContext = "state change in a static call"
    case returnDataOutOfBounds = "return data out of bounds"
    case invalidContractPrefix = "contract code starts with 0xEF"
    case codeSizeExceeded = "contract code exceeds 24576 bytes"
    case addressCollision = "contract address collision"
    case precompileFailure = "precompile failed"
    case callDepthExceeded = "call depth exceeded"
}

/// How a transaction's execution ended.
public enum ExecutionStatus: Equatable, Sendable {
    case success
    case reverted
    case halted(ExceptionalHalt)

    public var isSuccess: Bool { self == .success }
}

/// Why a transaction cannot be included at all (the state does not change).
public struct InvalidTransaction: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case intrinsicGasTooLow = "intrinsic gas too low"
        case nonceTooHigh = "nonce too high"
        case nonceTooLow = "nonce too low"
        case nonceMax = "nonce is 2^64-1"
        case gasLimitExceedsBlock = "gas limit exceeds the block's"
        case insufficientFunds = "insufficient funds for gas * price + value"
        case feeCapBelowBaseFee = "max fee per gas below the base fee"
        case tipAboveFeeCap = "max priority fee per gas above max fee per gas"
        case senderHasCode = "sender is not an externally owned account"
        case initCodeTooLarge = "initcode exceeds 49152 bytes"
        case blobCreation = "a blob transaction cannot create a contract"
        case noBlobs = "a blob transaction needs at least one blob"
        case tooManyBlobs = "too many blobs"
        case invalidBlobVersion = "blob versioned hash has the wrong version"
        case blobFeeCapTooLow = "max fee per blob gas below the blob base fee"
        case typeNotSupported = "transaction type not supported by this fork"
        case malformed = "a field does not fit its type"
        case forkNotImplemented = "MoteEVM implements Paris and later forks only"
    }

    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }
    public var description: String { kind.rawValue }
}

/// What running a transaction produced.
public struct TransactionOutcome: Sendable {
    public var status: ExecutionStatus
    /// Gas charged after the refund.
    public var gasUsed: UInt64
    /// Gas used before the refund.
    public var gasUsedBeforeRefund: UInt64
    public var refund: UInt64
    /// RETURN data, or REVERT data.
    public var output: [UInt8]
    public var logs: [EVMLog]
    /// The new contract's address for a creation (also when it failed).
    public var createdAddress: Address?
    public var effectiveGasPrice: UInt256
    public var blobGasUsed: UInt64
}
