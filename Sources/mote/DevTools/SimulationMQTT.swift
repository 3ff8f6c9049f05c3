import Foundation
import MoteCrypto
import MoteMQTT
import MotePrimitives
import MoteTestKit

/// How simulated devices reach a secured broker (docs/SDK.md#mqtt-credentials): each device
/// logs in with its device id as user name and a password of its own, kept beside its key in
/// `--dir` (`device-i.mqtt-password`, a witness's `witness-i.mqtt-password`); acks count only
/// when signed by the stream node's ack key.
struct SimulationBroker: Sendable {
    var host: String
    var port: Int
    /// The stream node's ack key (streaming; nil for micro-mining, which gets no acks).
    var ackKey: Ed25519.PublicKey?
    /// MQTT user name → password.
    var passwords: [String: String] = [:]

    /// The password kept in `file`, made (random, mode 0600) if missing.
    static func password(in file: URL) throws -> String {
        if let data = FileManager.default.contents(atPath: file.path) {
            let text = String(decoding: data.prefix(1_024), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard MosquittoSecurity.isValidPassword(text) else {
                throw WalletInputError("\(file.path) must hold an MQTT password: 8 to 256 printable ASCII characters")
            }
            return text
        }
        let fresh = MosquittoSecurity.randomPassword()
        guard FileManager.default.createFile(atPath: file.path, contents: Data((fresh + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw WalletInputError("cannot write \(file.path)")
        }
        return fresh
    }

    /// Adds the users to a broker folder that `mote devnet` made (its `mosquitto.passwd`) and
    /// makes the broker (pid in `mosquitto.pid`) reload it; returns how many were new.
    static func provision(_ users: [String: String], brokerFolder: String) throws -> Int {
        let passwordFile = brokerFolder + "/mosquitto.passwd"
        guard FileManager.default.fileExists(atPath: passwordFile) else {
            throw WalletInputError("no mosquitto.passwd in \(brokerFolder) (--mqtt-provision takes the devnet's <datadir>/stream folder)")
        }
        let added = try MosquittoSecurity.addUsers(users.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, toPasswordFile: passwordFile)
        if added > 0 {
            guard let data = FileManager.default.contents(atPath: brokerFolder + "/mosquitto.pid"),
                let pid = Int32(String(decoding: data.prefix(32), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw WalletInputError("no broker pid in \(brokerFolder)/mosquitto.pid: is the devnet running?") }
            try MosquittoSecurity.reload(pid: pid)
            // mosquitto reloads on its next loop pass.
            Thread.sleep(forTimeInterval: 0.3)
        }
        return added
    }

    /// The stream node's ack key: `--ack-key`, else its `/health` (`ackKey`).
    static func ackKey(_ text: String?, stream: URL, output: WalletOutput) -> Ed25519.PublicKey {
        let hex: String
        if let text {
            hex = text
        } else {
            let health = DeviceCommand.DataExport.get(stream.appendingPathComponent("health"), output: output)
            guard let key = health["ackKey"]?.stringValue else {
                output.fail("the stream node at \(stream.absoluteString) reports no ackKey (is MQTT configured there?); pass --ack-key")
            }
            hex = key
        }
        guard let bytes = try? Hex.decode(hex), let key = try? Ed25519.PublicKey(bytes: bytes) else {
            output.fail("invalid ack key \"\(hex.prefix(80))\": expected 32 bytes of hex")
        }
        return key
    }
}
