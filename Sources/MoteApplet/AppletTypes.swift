import MoteTelemetry
import MotePrimitives

/// One stored telemetry message as an applet sees it: the envelope's sequence, device timestamp
/// (Unix seconds) and payload bytes.
public struct AppletMessage: Sendable, Equatable {
    public var sequence: UInt64
    public var timestamp: UInt64
    public var payload: [UInt8]

    public init(sequence: UInt64, timestamp: UInt64, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.payload = payload
    }
}

/// What one applet run may use.
public struct AppletLimits: Sendable, Equatable {
    /// The fuel budget: about one unit per WebAssembly operator, plus the host calls' charges
    /// (docs/APPLETS.md).
    public var fuel: UInt64
    /// The most 64 KiB pages the applet's memory may hold, initial size included.
    public var memoryPages: Int
    /// The most bytes `write_result` accepts.
    public var maxResultBytes: Int
    /// The most parameter bytes a run accepts.
    public var maxParamsBytes: Int
    /// A wall-clock limit, or nil. Consensus runs pass nil and rely on fuel alone, so that
    /// every node reaches the same outcome.
    public var timeout: Duration?

    /// Fuel 50 000 000, 16 pages (1 MiB), results up to 256 bytes, params up to 1024, 2 s.
    public static let standard = AppletLimits(
        fuel: 50_000_000, memoryPages: 16, maxResultBytes: 256, maxParamsBytes: 1024, timeout: .seconds(2))

    public init(fuel: UInt64, memoryPages: Int, maxResultBytes: Int, maxParamsBytes: Int, timeout: Duration?) {
        self.fuel = fuel
        self.memoryPages = memoryPages
        self.maxResultBytes = maxResultBytes
        self.maxParamsBytes = maxParamsBytes
        self.timeout = timeout
    }
}

/// A successful run: the result bytes the applet wrote and the fuel it burnt.
public struct AppletOutcome: Sendable, Equatable {
    public var result: [UInt8]
    public var fuelUsed: UInt64

    public init(result: [UInt8], fuelUsed: UInt64) {
        self.result = result
        self.fuelUsed = fuelUsed
    }
}

/// Why an applet was rejected or a run failed.
public struct AppletError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable, CustomStringConvertible {
        /// The bytes are not a valid WebAssembly module, or too large.
        case invalidModule
        /// `run` or `memory` is not exported with the right type.
        case missingExport
        /// An import outside the `mote` host interface, or with the wrong type.
        case forbiddenImport
        /// The fuel budget ran out.
        case outOfFuel
        /// The memory would grow past the page limit.
        case memoryLimit
        /// The wall-clock limit passed.
        case timeout
        /// The applet trapped (unreachable, out-of-bounds access, bad host call, …).
        case trap
        /// `run` returned 0 without writing a result.
        case noResult
        /// The result or the params are larger than the limits allow.
        case resultTooLarge
        /// `run` returned this non-zero code.
        case exitCode(Int32)

        public var description: String {
            switch self {
            case .invalidModule: "invalid module"
            case .missingExport: "missing export"
            case .forbiddenImport: "forbidden import"
            case .outOfFuel: "out of fuel"
            case .memoryLimit: "memory limit"
            case .timeout: "timeout"
            case .trap: "trap"
            case .noResult: "no result"
            case .resultTooLarge: "result too large"
            case .exitCode(let code): "exit code \(code)"
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension AppletMessage {
    /// The message an applet sees for a stored envelope: its sequence, its timestamp as signed
    /// (milliseconds since 1970) and its payload. The poster and the on-chain re-run both build
    /// messages with this, so they agree byte for byte.
    public init(envelope: TelemetryEnvelope) {
        self.init(sequence: envelope.sequence, timestamp: envelope.timestamp, payload: envelope.payload)
    }
}
