import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteStream
import MoteTestKit

/// The devnet's mosquitto, locked down (docs/STREAM.md#securing-the-broker): no anonymous
/// clients, a password file holding the stream node's user (`mote-stream`, a random password)
/// and the devices added later (`mote simulate devices --mqtt-provision`), the Mote ACL (each
/// device publishes only to its own topics and reads only its own acks), a packet limit, and
/// the stream node's Ed25519 ack key. Files in `<devnet>/stream`: `mosquitto.conf`,
/// `mosquitto.passwd`, `mosquitto.acl`, `mosquitto.pid`, `mqtt-stream.password`,
/// `stream-ack.key`. A restarted devnet keeps the password file (its devices) and the ack key.
struct DevnetBroker {
    static let streamUser = "mote-stream"
    /// The largest MQTT packet the broker takes: the stream node's own frame limit (its largest
    /// batch, 4 MiB, + 1 KiB; `StreamMQTTBridge`), never more, so nothing the broker passes on can
    /// close the stream node's connection.
    static let maxPacketSize = IngestLimits().maxBatchBytes + 1_024

    let process: Process
    /// The `[mqtt]` section of the stream node's config.
    let streamSection: String  // ack_key_file is relative to stream.toml, which lives in the same folder

    /// Writes the broker's files (keeping existing users and keys), starts mosquitto on
    /// 127.0.0.1:`port`, records its pid, and prints where things are.
    static func start(mosquitto: String, folder: String, port: Int) throws -> DevnetBroker {
        // Absolute paths: mosquitto and the simulator may run from another folder.
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        let passwordFile = folder + "/mosquitto.passwd"
        let aclFile = folder + "/mosquitto.acl"
        let streamPassword = try secret(at: folder + "/mqtt-stream.password") { MosquittoSecurity.randomPassword() }
        let ackSeed = try secret(at: folder + "/stream-ack.key") { Hex.encode(Ed25519.PrivateKey.generate().seed) }
        let ackKey = try Ed25519.PrivateKey(seed: Hex.decode(ackSeed))
        do {
            try MosquittoSecurity.addUsers([(streamUser, streamPassword)], toPasswordFile: passwordFile)
        } catch {
            throw DevnetBrokerError("cannot write \(passwordFile): \(error.message)")
        }
        try MosquittoSecurity.acl(streamUser: streamUser).write(toFile: aclFile, atomically: true, encoding: .utf8)
        let config = MosquittoSecurity.config(
            port: port, passwordFile: passwordFile, aclFile: aclFile, maxPacketSize: maxPacketSize,
            extra: ["persistence false", "max_inflight_messages 0", "max_queued_messages 0", "log_type error", "log_type warning"])
        try config.write(toFile: folder + "/mosquitto.conf", atomically: true, encoding: .utf8)

        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: mosquitto)
        broker.arguments = ["-c", folder + "/mosquitto.conf"]
        broker.standardOutput = FileHandle.nullDevice
        try broker.run()
        try "\(broker.processIdentifier)\n".write(toFile: folder + "/mosquitto.pid", atomically: true, encoding: .utf8)

        print("  mqtt: 127.0.0.1:\(port) (mosquitto, no anonymous clients, ACL \(aclFile)); devices log in with their device id")
        print("        and publish to mote/v1/telemetry/<device id>; add devices: mote simulate devices --mqtt 127.0.0.1:\(port) --mqtt-provision \(folder)")
        print("        acks are signed by the stream node's ack key \(Hex.encode(ackKey.publicKey.bytes))")
        let section = """

            [mqtt]
            broker = "127.0.0.1:\(port)"
            client_id = "mote-stream-devnet"
            username = "\(streamUser)"
            password = "\(streamPassword)"
            ack_key_file = "stream-ack.key"

            """
        return DevnetBroker(process: broker, streamSection: section)
    }

    /// The trimmed content of a private file, made with `make()` (mode 0600) if missing.
    private static func secret(at path: String, make: () -> String) throws -> String {
        if let data = FileManager.default.contents(atPath: path) {
            return String(decoding: data.prefix(4_096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let value = make()
        guard FileManager.default.createFile(atPath: path, contents: Data((value + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DevnetBrokerError("cannot write \(path)")
        }
        return value
    }
}

struct DevnetBrokerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
