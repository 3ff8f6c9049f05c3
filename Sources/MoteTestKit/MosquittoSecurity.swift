import Foundation
import MoteMQTT

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mosquitto 2.x broker locked down for Mote (docs/STREAM.md#securing-the-broker): no
/// anonymous clients, a password file, an ACL that lets each device publish only to its own
/// topics and read only its own acks, and a packet size limit. Used by `mote devnet` and by
/// the tests' `MosquittoBroker`.
///
/// A device's MQTT user name is its device id (`0x` and 40 lowercase hex digits), a witness's
/// its witness key (`0x` and 64), a gateway's its sender id; the ACL's `%u` patterns tie each
/// to its own topics.
public enum MosquittoSecurity {
    /// The ACL: the stream node's user reads every device topic and writes every ack topic;
    /// everybody else (`pattern`, `%u` = the user name) writes only its own telemetry, batch and
    /// attestation topics and reads only its own ack topic.
    public static func acl(streamUser: String) -> String {
        """
        # Mote: the stream node reads what devices send and answers on their ack topics.
        user \(streamUser)
        topic read mote/v1/telemetry/+
        topic read mote/v1/batch/+
        topic read mote/v1/attest/+
        topic write mote/v1/ack/+

        # Every client (user name = device id, gateway id or witness key): its own topics only.
        pattern write mote/v1/telemetry/%u
        pattern write mote/v1/batch/%u
        pattern write mote/v1/attest/%u
        pattern read mote/v1/ack/%u

        """
    }

    /// mosquitto.conf lines for a listener with authentication, the ACL and the packet limit.
    /// Run as root, mosquitto would switch to the `mosquitto` user, which cannot read files in
    /// a private (0700) folder: then `user root` keeps it as the user that started it.
    public static func config(
        host: String = "127.0.0.1", port: Int, passwordFile: String, aclFile: String, maxPacketSize: Int, extra: [String] = []
    ) -> String {
        var lines = [
            "listener \(port) \(host)",
            "allow_anonymous false",
            "password_file \(passwordFile)",
            "acl_file \(aclFile)",
            // Larger packets are refused by the broker, which disconnects their sender.
            "max_packet_size \(maxPacketSize)",
        ]
        if geteuid() == 0 { lines.append("user root") }
        return (lines + extra).joined(separator: "\n") + "\n"
    }

    /// Whether `name` can be an MQTT user name in a password file and an ACL pattern: 1 to 128
    /// of `A–Z a–z 0–9 . _ -`.
    public static func isValidUser(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Whether `password` can go into a password file: 8 to 256 printable ASCII characters.
    public static func isValidPassword(_ password: String) -> Bool {
        (8...256).contains(password.utf8.count) && password.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// A random password: 32 hex digits (128 bits).
    public static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// `mosquitto_passwd` (beside mosquitto, on PATH or in /usr/bin).
    public static var passwdExecutable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let candidate = folder + "/mosquitto_passwd"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Adds the users the password file does not have yet (each line `user:$7$…`, hashed with
    /// PBKDF2-SHA512 by `mosquitto_passwd -U`); creates the file (mode 0600) if missing.
    /// Returns how many were added. A running broker sees them after `reload(pid:)`.
    @discardableResult
    public static func addUsers(_ users: [(name: String, password: String)], toPasswordFile path: String) throws(MQTTError) -> Int {
        for user in users {
            guard isValidUser(user.name) else { throw MQTTError(.invalidArgument, "invalid MQTT user name \"\(user.name.prefix(80))\"") }
            guard isValidPassword(user.password) else { throw MQTTError(.invalidArgument, "the password of \(user.name) must be 8 to 256 printable ASCII characters") }
        }
        // One writer at a time (two fleets may provision into one devnet at once).
        let lock = open(path + ".lock", O_CREAT | O_RDWR, 0o600)
        guard lock >= 0 else { throw MQTTError(.invalidArgument, "cannot open \(path).lock") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        let existingText = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let existing = Set(existingText.split(separator: "\n").compactMap { $0.split(separator: ":", maxSplits: 1).first.map(String.init) })
        var seen = existing
        let missing = users.filter { seen.insert($0.name).inserted }
        if missing.isEmpty, FileManager.default.fileExists(atPath: path) { return 0 }
        let hashed = try hash(missing)
        var text = existingText
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += hashed
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
            rename(temporary, path) == 0
        else {
            unlink(temporary)
            throw MQTTError(.invalidArgument, "cannot write the password file \(path)")
        }
        return missing.count
    }

    /// Asks a running mosquitto to reload its password and ACL files (SIGHUP).
    public static func reload(pid: Int32) throws(MQTTError) {
        guard pid > 1, kill(pid, SIGHUP) == 0 else { throw MQTTError(.notConnected, "cannot signal the broker (pid \(pid)): \(String(cString: strerror(errno)))") }
    }

    /// `user:password` lines hashed by `mosquitto_passwd -U` (in a private temporary file).
    static func hash(_ users: [(name: String, password: String)]) throws(MQTTError) -> String {
        guard !users.isEmpty else { return "" }
        guard let tool = passwdExecutable else { throw MQTTError(.notConnected, "mosquitto_passwd is not installed (apt-get install mosquitto)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mote-passwd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("passwd").path
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw MQTTError(.invalidArgument, "cannot create a temporary folder: \(error)")
        }
        let plain = users.map { "\($0.name):\($0.password)\n" }.joined()
        guard FileManager.default.createFile(atPath: file, contents: Data(plain.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw MQTTError(.invalidArgument, "cannot write a temporary password file")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-U", file]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw MQTTError(.notConnected, "cannot run \(tool): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: file) else {
            throw MQTTError(.invalidArgument, "mosquitto_passwd -U failed (exit \(process.terminationStatus))")
        }
        let hashed = String(decoding: data, as: UTF8.self)
        guard hashed.split(separator: "\n").count == users.count, hashed.contains("$7$") || hashed.contains("$6$") else {
            throw MQTTError(.invalidArgument, "mosquitto_passwd -U wrote an unexpected file")
        }
        return hashed.hasSuffix("\n") ? hashed : hashed + "\n"
    }
}
