import Dispatch
import Foundation
import MotePrimitives
@_spi(Fuzzing) import WasmKit

/// One run of an applet: a fresh engine and store, the host functions bound to this run's
/// inputs, the watchdog for the optional timeout. Used once, on one thread.
final class AppletExecution {
    let module: Module
    let messages: [AppletMessage]
    let params: [UInt8]
    let limits: AppletLimits
    let store: Store
    /// The instance's exported memory, bound after instantiation.
    var memory: Memory?
    var result: [UInt8]?
    let deadline: ContinuousClock.Instant?

    init(module: Module, messages: [AppletMessage], params: [UInt8], limits: AppletLimits) {
        self.module = module
        self.messages = messages
        self.params = params
        self.limits = limits
        // Eager translation: every body is validated and fuel-instrumented before anything runs.
        let engine = Engine(configuration: EngineConfiguration(compilationMode: .eager, fuelMetering: true))
        store = Store(engine: engine)
        store.resourceLimiter = PageLimiter(maxBytes: max(0, limits.memoryPages) * 65536)
        store.fuel = Fuel(remaining: limits.fuel)
        deadline = limits.timeout.map { ContinuousClock.now.advanced(by: $0) }
    }

    /// Instantiates and checks `run`'s type, without calling it.
    func instantiateForValidation() throws(AppletError) {
        do {
            _ = try instantiate()
        } catch {
            throw classify(error, watchdog: nil)
        }
    }

    func run() throws(AppletError) -> AppletOutcome {
        let watchdog = deadline.map { Watchdog(store: store, deadline: $0) }
        watchdog?.arm()
        do {
            let run = try instantiate()
            let returned = try run.invoke([])
            if let watchdog, watchdog.finish() { throw AppletError(.timeout, "the run took longer than \(limits.timeout!)") }
            let code = Int32(bitPattern: returned.first?.i32 ?? 1)
            guard code == 0 else { throw AppletError(.exitCode(code), "run returned \(code)") }
            guard let result else { throw AppletError(.noResult, "run returned 0 without calling write_result") }
            let remaining = store.fuel?.remaining ?? 0
            return AppletOutcome(result: result, fuelUsed: limits.fuel - min(remaining, limits.fuel))
        } catch {
            let timedOut = watchdog?.finish() ?? false
            throw classify(error, watchdog: timedOut)
        }
    }

    /// Instantiates the module with the host functions and returns its `run`.
    private func instantiate() throws -> Function {
        let instance = try module.instantiate(store: store, imports: hostImports())
        guard let memory = instance.exports[memory: "memory"] else {
            throw AppletError(.missingExport, "the module exports no memory \"memory\"")
        }
        guard let run = instance.exports[function: "run"] else {
            throw AppletError(.missingExport, "the module exports no function \"run\"")
        }
        guard run.type.parameters.isEmpty, run.type.results == [.i32] else {
            throw AppletError(.missingExport, "\"run\" must have type () -> i32, not \(run.type)")
        }
        self.memory = memory
        return run
    }

    /// Turns whatever stopped the run into an ``AppletError``.
    private func classify(_ error: any Error, watchdog timedOut: Bool?) -> AppletError {
        if timedOut == true { return AppletError(.timeout, "the run took longer than \(limits.timeout!)") }
        if let error = error as? AppletError { return error }
        if error is PageLimiter.Exceeded {
            return AppletError(.memoryLimit, "the memory would grow past \(limits.memoryPages) pages of 64 KiB")
        }
        let text = String(describing: error)
        if text.contains("out of fuel") { return AppletError(.outOfFuel, "the run used its \(limits.fuel) fuel") }
        let firstLine = text.split(separator: "\n").first.map(String.init) ?? text
        if error is Trap { return AppletError(.trap, firstLine) }
        return AppletError(.invalidModule, firstLine)
    }

    // MARK: The host interface

    private func hostImports() -> Imports {
        var imports = Imports()
        func define(_ name: String, _ body: @escaping ([Value]) throws -> [Value]) {
            let type = HostInterface.signatures[name]!
            imports.define(module: HostInterface.moduleName, name: name, Function(store: store, type: type) { _, args in try body(args) })
        }
        define("message_count") { [unowned self] _ in
            try charge(0)
            return [.i32(UInt32(messages.count))]
        }
        define("message_sequence") { [unowned self] args in
            try charge(0)
            return [.i64(try message(args[0]).sequence)]
        }
        define("message_timestamp") { [unowned self] args in
            try charge(0)
            return [.i64(try message(args[0]).timestamp)]
        }
        define("message_length") { [unowned self] args in
            try charge(0)
            return [.i32(UInt32(try message(args[0]).payload.count))]
        }
        define("read_message") { [unowned self] args in
            let payload = try message(args[0]).payload
            try copyOut(payload, to: args[1].i32, capacity: args[2].i32, call: "read_message")
            return [.i32(UInt32(payload.count))]
        }
        define("params_length") { [unowned self] _ in
            try charge(0)
            return [.i32(UInt32(params.count))]
        }
        define("read_params") { [unowned self] args in
            try copyOut(params, to: args[0].i32, capacity: args[1].i32, call: "read_params")
            return [.i32(UInt32(params.count))]
        }
        define("write_result") { [unowned self] args in
            let (pointer, length) = (Int(args[0].i32), Int(args[1].i32))
            try charge(UInt64(length))
            guard result == nil else { throw AppletError(.trap, "write_result may be called once") }
            guard length <= limits.maxResultBytes else {
                throw AppletError(.resultTooLarge, "write_result of \(length) bytes; at most \(limits.maxResultBytes) are allowed")
            }
            let memory = try boundMemory()
            guard pointer + length <= memory.byteCount else {
                throw AppletError(.trap, "write_result: [\(pointer), \(pointer + length)) lies outside memory")
            }
            result = memory.withUnsafeBufferPointer(offset: UInt(pointer), count: length) { Array($0) }
            return []
        }
        return imports
    }

    /// The message at a guest index, or a trap.
    private func message(_ index: Value) throws -> AppletMessage {
        let position = Int(Int32(bitPattern: index.i32))
        guard messages.indices.contains(position) else {
            throw AppletError(.trap, "message index \(position) is out of range (\(messages.count) messages)")
        }
        return messages[position]
    }

    /// Copies min(count, capacity) bytes of `bytes` to guest memory at `pointer`.
    @discardableResult
    private func copyOut(_ bytes: [UInt8], to pointer: UInt32, capacity: UInt32, call: String) throws -> Int {
        let count = min(bytes.count, Int(capacity))
        try charge(UInt64(count))
        let memory = try boundMemory()
        let start = Int(pointer)
        guard start + count <= memory.byteCount else {
            throw AppletError(.trap, "\(call): [\(start), \(start + count)) lies outside memory")
        }
        guard count > 0 else { return 0 }
        memory.withUnsafeMutableBufferPointer(offset: UInt(start), count: count) { target in
            bytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return count
    }

    private func boundMemory() throws -> Memory {
        guard let memory else { throw AppletError(.trap, "host call before the instance exists") }
        return memory
    }

    /// Charges a host call: ``HostInterface/callFuel`` plus one unit per
    /// ``HostInterface/bytesPerFuel`` bytes moved. Also where a passed deadline stops a guest
    /// that keeps calling the host.
    private func charge(_ bytes: UInt64) throws {
        if let deadline, ContinuousClock.now >= deadline {
            throw AppletError(.timeout, "the run took longer than \(limits.timeout!)")
        }
        let cost = HostInterface.callFuel + (bytes + HostInterface.bytesPerFuel - 1) / HostInterface.bytesPerFuel
        let remaining = store.fuel?.remaining ?? 0
        guard remaining >= cost else {
            store.fuel = Fuel(remaining: 0)
            throw AppletError(.outOfFuel, "the run used its \(limits.fuel) fuel")
        }
        store.fuel = Fuel(remaining: remaining - cost)
    }
}

/// Refuses memory beyond a byte limit by throwing, so the run stops with `.memoryLimit`
/// instead of `memory.grow` quietly returning -1.
final class PageLimiter: ResourceLimiter {
    struct Exceeded: Error {}
    let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= maxBytes else { throw Exceeded() }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 10_000 }
}

/// Stops a run at its deadline by emptying the store's fuel: the interpreter charges fuel
/// through the store's fuel cell before every metered region, so the next charge traps.
///
/// @unchecked Sendable: `store` is touched from the timer queue only under `lock` and only
/// while the run has not finished; the one write that races with the interpreter is the
/// aligned 64-bit store of zero into the fuel cell, which the interpreter reads as either the
/// old value or zero. The write is repeated every few milliseconds in case a host call
/// overwrote it.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private let store: Store
    private let deadline: ContinuousClock.Instant
    private var finished = false
    private var timedOut = false

    init(store: Store, deadline: ContinuousClock.Instant) {
        self.store = store
        self.deadline = deadline
    }

    func arm() {
        let delay = ContinuousClock.now.duration(to: deadline)
        let nanoseconds = max(0, delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { self.fire() }
    }

    private func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        timedOut = true
        store.fuel = Fuel(remaining: 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) { self.fire() }
    }

    /// Marks the run finished and says whether the deadline had passed.
    func finish() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        finished = true
        return timedOut
    }
}
