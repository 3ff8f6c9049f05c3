import Crypto
import MotePrimitives

/// SHA-256 (FIPS 180-4) through swift-crypto.
public enum SHA256Digest {
    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Hash32 {
        Hash32(bytes: Array(Crypto.SHA256.hash(data: bytes)))!
    }
}
