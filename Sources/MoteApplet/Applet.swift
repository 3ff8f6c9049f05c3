import MoteCrypto
import MotePrimitives
@_spi(Fuzzing) import WasmKit

/// A MachineFi applet: a validated WebAssembly module that turns one device's window of
/// messages into result bytes (docs/APPLETS.md).
///
/// Each run gets a fresh engine, store and instance; the applet sees nothing but the `mote`
/// host interface (``HostInterface``). Fuel bounds the work, a page limit the memory, an
/// optional timeout the wall-clock time. The same applet with the same inputs yields the same
/// result bytes and the same `fuelUsed` on every machine.
public struct Applet: Sendable {
    /// The module's bytes, as deployed.
    public let code: [UInt8]
    /// keccak256(code).
    public let hash: Hash32
    let module: Module

    /// The most pages any run may grant; a module whose initial memory is larger is rejected.
    public static let maxMemoryPages = 256

    /// Parses and validates `code`: a WebAssembly module no larger than `maxCodeBytes` whose
    /// function bodies validate, which imports only `mote` host functions with their documented
    /// types, and which exports `run: () -> i32` and `memory`.
    public init(code: [UInt8], maxCodeBytes: Int = 64 * 1024) throws(AppletError) {
        guard !code.isEmpty, code.count <= maxCodeBytes else {
            throw AppletError(.invalidModule, "the module is \(code.count) bytes; 1 to \(maxCodeBytes) are allowed")
        }
        let module: Module
        do {
            module = try parseWasm(bytes: code)
        } catch {
            throw AppletError(.invalidModule, "not a valid WebAssembly module: \(error)")
        }
        try Self.checkImports(of: module)
        let exportNames = Set(module.exports.map(\.name))
        guard
            module.exports.contains(where: { if case .function = $0.descriptor { $0.name == "run" } else { false } })
        else { throw AppletError(.missingExport, "the module exports no function \"run\"") }
        guard
            module.exports.contains(where: { if case .memory = $0.descriptor { $0.name == "memory" } else { false } })
        else { throw AppletError(.missingExport, "the module exports no memory \"memory\" (exports: \(exportNames.sorted()))") }
        self.code = code
        self.hash = Keccak256.hash(code)
        self.module = module
        try validateByInstantiating()
    }

    /// Runs the applet over `messages` with `params` under `limits`.
    public func run(messages: [AppletMessage], params: [UInt8], limits: AppletLimits) throws(AppletError) -> AppletOutcome {
        guard params.count <= limits.maxParamsBytes else {
            throw AppletError(.resultTooLarge, "params are \(params.count) bytes; at most \(limits.maxParamsBytes) are allowed")
        }
        let execution = AppletExecution(module: module, messages: messages, params: params, limits: limits)
        return try execution.run()
    }

    /// Imports must be `mote` functions from ``HostInterface`` with exactly their types.
    static func checkImports(of module: Module) throws(AppletError) {
        for entry in module.imports {
            guard entry.module == HostInterface.moduleName else {
                throw AppletError(.forbiddenImport, "import \"\(entry.module)\".\"\(entry.name)\": only module \"mote\" may be imported")
            }
            guard case .function(let typeIndex) = entry.descriptor else {
                throw AppletError(.forbiddenImport, "import \"mote\".\"\(entry.name)\" is not a function")
            }
            guard let expected = HostInterface.signatures[entry.name] else {
                throw AppletError(.forbiddenImport, "import \"mote\".\"\(entry.name)\" is not part of the host interface")
            }
            guard let actual = module.functionType(at: typeIndex),
                actual.parameters == expected.parameters, actual.results == expected.results
            else {
                throw AppletError(.forbiddenImport, "import \"mote\".\"\(entry.name)\" has the wrong type; expected \(expected)")
            }
        }
    }

    /// Instantiates once (eagerly translating every body) to reject invalid code and a `run`
    /// of the wrong type before the applet is ever stored.
    func validateByInstantiating() throws(AppletError) {
        let limits = AppletLimits(
            fuel: AppletLimits.standard.fuel, memoryPages: Self.maxMemoryPages, maxResultBytes: 0, maxParamsBytes: 0, timeout: nil)
        let execution = AppletExecution(module: module, messages: [], params: [], limits: limits)
        try execution.instantiateForValidation()
    }
}

/// The `mote` import module: names and types (docs/APPLETS.md).
public enum HostInterface {
    /// The only module an applet may import from.
    public static let moduleName = "mote"
    /// A host call's base fuel charge.
    public static let callFuel: UInt64 = 10
    /// Host calls that copy bytes charge one more unit per this many bytes.
    public static let bytesPerFuel: UInt64 = 16

    /// Every host function with its parameter and result types.
    static let signatures: [String: FunctionType] = [
        "message_count": FunctionType(parameters: [], results: [.i32]),
        "message_sequence": FunctionType(parameters: [.i32], results: [.i64]),
        "message_timestamp": FunctionType(parameters: [.i32], results: [.i64]),
        "message_length": FunctionType(parameters: [.i32], results: [.i32]),
        "read_message": FunctionType(parameters: [.i32, .i32, .i32], results: [.i32]),
        "params_length": FunctionType(parameters: [], results: [.i32]),
        "read_params": FunctionType(parameters: [.i32, .i32], results: [.i32]),
        "write_result": FunctionType(parameters: [.i32, .i32], results: []),
    ]
}
