/// A key, signature or ciphertext that cannot be used, with the reason.
public struct CryptoError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case invalidPrivateKey(String)
        case invalidPublicKey(String)
        case invalidSignature(String)
        case recoveryFailed(String)
        case keystore(String)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .invalidPrivateKey(let why): return "invalid private key: \(why)"
        case .invalidPublicKey(let why): return "invalid public key: \(why)"
        case .invalidSignature(let why): return "invalid signature: \(why)"
        case .recoveryFailed(let why): return "public key recovery failed: \(why)"
        case .keystore(let why): return "keystore: \(why)"
        }
    }
}
