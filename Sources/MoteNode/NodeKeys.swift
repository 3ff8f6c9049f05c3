import Foundation
import MoteCrypto
import MotePrimitives

/// A node's keys: a delegate's operator key (it signs votes, proposals and its own
/// transactions) and ECVRF key (the proof in the headers it proposes); none for a follower.
public struct NodeKeys: Sendable {
    public var operatorKey: Secp256k1.PrivateKey?
    public var vrfKey: ECVRF.SecretKey?

    /// Keys from their values.
    public init(operatorKey: Secp256k1.PrivateKey?, vrfKey: ECVRF.SecretKey?) {
        self.operatorKey = operatorKey
        self.vrfKey = vrfKey
    }

    /// The keys in the files `config` names (`[delegate] key_file`, `vrf_key_file`): hex, one
    /// line each.
    public init(config: NodeConfig) throws {
        operatorKey = try config.operatorKeyFile.map { path in try Secp256k1.PrivateKey(bytes: try Self.readHex(path)) }
        vrfKey = try config.vrfKeyFile.map { path in try ECVRF.SecretKey(seed: try Self.readHex(path)) }
    }

    private static func readHex(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1_024 else {
            throw NodeConfigError("cannot read key file \(path)")
        }
        return try [UInt8](hex: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
