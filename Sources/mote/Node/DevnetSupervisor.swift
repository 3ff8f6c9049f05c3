import Foundation

/// The processes `mote devnet` runs (nodes, the stream node, the broker): it forwards their
/// output line by line, keeps the last lines of each, waits until each one's port answers,
/// and notices when one exits. A service that exits (or never opens its port) while the
/// devnet is not stopping makes the devnet say which, show the end of its output, stop the
/// others and exit 1: a devnet never runs on with a part missing.
///
/// `@unchecked Sendable`: its mutable state (`services`, `stopping`, `ready`) is guarded by
/// `lock`; `Process` callbacks arrive on Foundation's threads.
final class DevnetSupervisor: @unchecked Sendable {
    /// One supervised process.
    final class Service: @unchecked Sendable {
        let name: String
        let process: Process
        /// The port that answers once the service is up (nil: none is checked).
        let port: Int?
        fileprivate let tail = OutputTail()

        init(name: String, process: Process, port: Int?) {
            self.name = name
            self.process = process
            self.port = port
        }
    }

    private let lock = NSLock()
    private var services: [Service] = []
    private var stopping = false
    private var ready = false
    /// How long a service may take to open its port.
    let startupTimeout: TimeInterval

    init(startupTimeout: TimeInterval = 120) {
        self.startupTimeout = startupTimeout
    }

    /// Starts `process` with its output piped through the devnet (forwarded line by line and
    /// remembered) and supervises it.
    func launch(_ process: Process, name: String, port: Int?) throws {
        let service = Service(name: name, process: process, port: port)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        service.tail.forward(out.fileHandleForReading, to: .standardOutput)
        service.tail.forward(err.fileHandleForReading, to: .standardError)
        try adopt(service)
    }

    /// Clears this thread's blocked-signal mask, which a child started from it inherits: a
    /// devnet started by a process whose thread blocks SIGTERM (a test runner, a service
    /// manager's worker) must not pass that on to the broker, which would never see SIGTERM.
    static func unblockSignals() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
    }

    /// Supervises a process started elsewhere (its output is not captured), or starts it.
    func adopt(_ process: Process, name: String, port: Int?) throws {
        try adopt(Service(name: name, process: process, port: port))
    }

    private func adopt(_ service: Service) throws {
        service.process.terminationHandler = { [weak self] _ in
            // A Ctrl-C reaches the whole process group: give the devnet's own signal handler
            // a moment to mark the stop before calling the exit a failure.
            DispatchQueue.main.asyncAfter(deadline: .now() + 0.5) { self?.exited(service) }
        }
        lock.withLock { services.append(service) }
        if !service.process.isRunning { try service.process.run() }
    }

    /// Waits (off the main thread) until every service's port answers, then calls `onReady`
    /// on the main queue; a port still closed after `startupTimeout` seconds is a failure.
    func waitUntilReady(_ onReady: @escaping @Sendable () -> Void) {
        DispatchQueue.global().async { [self] in
            let deadline = Date().addingTimeInterval(startupTimeout)
            var pending = lock.withLock { services.filter { $0.port != nil } }
            while !pending.isEmpty {
                if lock.withLock({ stopping }) { return }
                pending.removeAll { PortProbe.accepts(host: "127.0.0.1", port: $0.port!) }
                if pending.isEmpty { break }
                guard Date() < deadline else {
                    let service = pending[0]
                    DispatchQueue.main.async {
                        self.fail(service, "has not opened port \(service.port!) within \(Int(self.startupTimeout)) s")
                    }
                    return
                }
                usleep(100_000)
            }
            let go = lock.withLock { () -> Bool in
                guard !stopping else { return false }
                ready = true
                return true
            }
            if go { DispatchQueue.main.async(execute: onReady) }
        }
    }

    /// Stops every service: Ctrl-C or SIGTERM to the devnet.
    func stopAll() {
        let all = lock.withLock { () -> [Service] in
            stopping = true
            return services
        }
        Self.stop(all.map(\.process))
    }

    /// SIGTERM to each process, up to `grace` seconds for all to exit, then SIGKILL to any
    /// left (a child that inherited SIGTERM blocked would otherwise hold the devnet forever).
    static func stop(_ processes: [Process], grace: TimeInterval = 10) {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }

    private func exited(_ service: Service) {
        let (isStopping, isReady) = lock.withLock { (stopping, ready) }
        guard !isStopping else { return }
        let process = service.process
        let how = process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        fail(service, "\(how) \(isReady ? "while the devnet was running" : "during start-up")")
    }

    /// Says that `service` failed, shows the end of its output, stops the rest and exits 1.
    private func fail(_ service: Service, _ what: String) {
        guard lock.withLock({ () -> Bool in
            if stopping { return false }
            stopping = true
            return true
        }) else { return }
        var text = "devnet: \(service.name) \(what)"
        let lines = service.tail.lines
        if lines.isEmpty {
            text += " (no output)\n"
        } else {
            text += "; its last output:\n" + lines.map { "  | \($0)\n" }.joined()
        }
        text += "devnet: stopping the other services\n"
        FileHandle.standardError.write(Data(text.utf8))
        Self.stop(lock.withLock { services }.map(\.process))
        FileHandle.standardError.write(Data("devnet: failed\n".utf8))
        Foundation.exit(1)
    }
}

/// Forwards a child's output line by line and keeps its last lines (at most 20 lines of at
/// most 1,000 bytes each; a longer line is cut), for the failure report.
final class OutputTail: @unchecked Sendable {
    static let maxLines = 20
    static let maxLineBytes = 1_000

    private let lock = NSLock()
    private var kept: [String] = []

    var lines: [String] { lock.withLock { kept } }

    /// Reads `source` until end of file, writing each complete line to `sink` at once (one
    /// write per line, so lines from several children do not interleave).
    func forward(_ source: FileHandle, to sink: FileHandle) {
        let partial = Partial()
        source.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                if !partial.bytes.isEmpty { self?.emit(partial.take(), to: sink) }
                return
            }
            partial.bytes.append(contentsOf: data)
            while let newline = partial.bytes.firstIndex(of: 0x0A) {
                let line = Array(partial.bytes[..<newline])
                partial.bytes.removeSubrange(...newline)
                self?.emit(line, to: sink)
            }
            if partial.bytes.count > Self.maxLineBytes * 64 { self?.emit(partial.take(), to: sink) }
        }
    }

    private func emit(_ line: [UInt8], to sink: FileHandle) {
        sink.write(Data(line + [0x0A]))
        let text = String(decoding: line.prefix(Self.maxLineBytes), as: UTF8.self)
        lock.withLock {
            kept.append(text)
            if kept.count > Self.maxLines { kept.removeFirst(kept.count - Self.maxLines) }
        }
    }

    /// The bytes of a line not yet ended; only touched by one readability handler at a time.
    private final class Partial: @unchecked Sendable {
        var bytes: [UInt8] = []
        func take() -> [UInt8] {
            defer { bytes = [] }
            return bytes
        }
    }
}

extension DevnetSupervisor {
    /// Whether `process` is one of the supervised ones.
    func supervises(_ process: Process) -> Bool {
        lock.withLock { services.contains { $0.process === process } }
    }
}
