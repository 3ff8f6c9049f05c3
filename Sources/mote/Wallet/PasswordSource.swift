import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--password-file FILE` and `--password-env NAME`: where a keystore's password comes from.
struct PasswordOptions: ParsableArguments {
    @Option(name: .customLong("password-file"), help: "Read the password from the first line of FILE.")
    var file: String?

    @Option(
        name: .customLong("password-env"),
        help: "Read the password from environment variable NAME (default: MOTE_PASSWORD).")
    var environmentName: String?

    func validate() throws {
        if file != nil && environmentName != nil {
            throw ValidationError("give --password-file or --password-env, not both")
        }
    }

    /// The source these options select, falling back to `MOTE_PASSWORD`, then to the terminal.
    var source: PasswordSource {
        PasswordSource(file: file, environmentName: environmentName, defaultEnvironmentName: "MOTE_PASSWORD")
    }
}

/// Where a password is read from, in order: a file (its first line), an environment variable,
/// or a prompt on the controlling terminal with echo off.
///
/// A password is never taken from a command-line argument: other users see those in `ps`.
/// Without a file, a variable or a terminal (a script, a service), reading fails with an error
/// that names the options, rather than hanging or reading standard input.
struct PasswordSource {
    /// `--password-file`: the first line of this file, without its line ending.
    var file: String?
    /// `--password-env`: this variable must be set.
    var environmentName: String?
    /// Used when neither of the above is given and it is set (`MOTE_PASSWORD`); nil for none.
    var defaultEnvironmentName: String?

    /// The longest password file read.
    static let maxFileSize = 64 * 1024

    /// The password as bytes (geth and eth-account use the UTF-8 of the text as is).
    ///
    /// `prompt` is shown on the terminal; with `confirm`, the terminal asks twice and the two
    /// answers must match (for a new key). Files and variables are read once, never confirmed.
    func read(prompt: String, confirm: Bool = false) throws(PasswordError) -> [UInt8] {
        if let file {
            let bytes: [UInt8]
            do { bytes = try SmallFile.read(file, limit: Self.maxFileSize) } catch {
                throw PasswordError("cannot read password file: \(error)")
            }
            return Self.firstLine(bytes)
        }
        let environment = ProcessInfo.processInfo.environment
        if let name = environmentName {
            guard let value = environment[name] else {
                throw PasswordError("environment variable \(name) (from --password-env) is not set")
            }
            return Array(value.utf8)
        }
        if let name = defaultEnvironmentName, let value = environment[name] {
            return Array(value.utf8)
        }
        let first = try Terminal.readHidden(prompt: prompt)
        if confirm {
            let second = try Terminal.readHidden(prompt: "Repeat password: ")
            guard first == second else { throw PasswordError("passwords do not match") }
        }
        return first
    }

    /// The bytes up to the first newline, with a trailing carriage return dropped.
    static func firstLine(_ bytes: [UInt8]) -> [UInt8] {
        var line = bytes.prefix { $0 != 0x0a }
        if line.last == 0x0d { line = line.dropLast() }
        return Array(line)
    }
}

/// A password that could not be read, with the reason.
struct PasswordError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reading a secret from the controlling terminal (`/dev/tty`), not from standard input, so
/// that standard input stays free for data (a private key piped to `mote keys import`).
enum Terminal {
    /// The longest line read.
    static let maxLineLength = 4096

    /// Shows `prompt` on the terminal and reads one line with echo off.
    static func readHidden(prompt: String) throws(PasswordError) -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PasswordError(
                "no password given and no terminal to ask on: use --password-file FILE, "
                    + "the MOTE_PASSWORD environment variable or --password-env NAME")
        }
        defer { close(fd) }
        posixWrite(fd, prompt)

        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            EchoGuard.begin(fd: fd, saved: saved)
            _ = tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                _ = tcsetattr(fd, TCSAFLUSH, &saved)
                EchoGuard.end()
                posixWrite(fd, "\n")
            }
        }

        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = posixRead(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1, byte != 0x0a else { break }
            guard line.count < maxLineLength else { throw PasswordError("input line over \(maxLineLength) bytes") }
            line.append(byte)
        }
        if line.last == 0x0d { line.removeLast() }
        return line
    }
}

/// Puts the terminal's echo back if SIGINT or SIGTERM arrive while a password is being typed.
///
/// The handler may only touch plain global state (async-signal safety), so the saved terminal
/// settings live in globals written before the handler is installed and cleared after.
private enum EchoGuard {
    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) static var saved = termios()

    static func begin(fd: Int32, saved: termios) {
        Self.saved = saved
        Self.fd = fd
        signal(SIGINT, echoGuardHandler)
        signal(SIGTERM, echoGuardHandler)
    }

    static func end() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        fd = -1
    }
}

/// Restores the terminal, then dies of the same signal (tcsetattr, signal and raise are async-signal safe).
private func echoGuardHandler(_ signo: Int32) {
    if EchoGuard.fd >= 0 { _ = tcsetattr(EchoGuard.fd, TCSAFLUSH, &EchoGuard.saved) }
    signal(signo, SIG_DFL)
    raise(signo)
}

/// Reading small files (passwords, keys, keystores) without trusting their size.
enum SmallFile {
    /// The file's bytes; throws if it cannot be read or is larger than `limit`.
    static func read(_ path: String, limit: Int) throws(PasswordError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PasswordError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = posixRead(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw PasswordError("\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return out }
            out += chunk[0..<n]
            guard out.count <= limit else { throw PasswordError("\(path) is larger than \(limit) bytes") }
        }
    }
}

// File-scope wrappers: inside a type, a member named `read` hides the C function.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func posixWrite(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
