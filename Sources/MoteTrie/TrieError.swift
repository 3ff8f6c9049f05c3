import MotePrimitives

/// Why a trie operation, a node decode or a proof check failed.
///
/// A struct wrapping a private kind, so new cases can be added without breaking callers.
public struct TrieError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        /// The node source has no node under this hash.
        case missingNode(Hash32)
        /// The source returned bytes whose Keccak-256 is not the hash they were asked for.
        case hashMismatch(expected: Hash32, actual: Hash32)
        /// The bytes are not a canonical trie node.
        case malformedNode(Hash32?, String)
        /// A proof lacks the node under this hash.
        case proofNodeMissing(Hash32)
        /// Hex-prefix bytes that are not a valid compact path.
        case invalidHexPrefix
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// True when the error is a node absent from the node source (or from a proof).
    public var isMissingNode: Bool {
        switch kind {
        case .missingNode, .proofNodeMissing: return true
        default: return false
        }
    }

    /// The hash of the node that was absent, if this is a missing-node error.
    public var missingNodeHash: Hash32? {
        switch kind {
        case .missingNode(let hash), .proofNodeMissing(let hash): return hash
        default: return nil
        }
    }

    /// A one-line explanation.
    public var description: String {
        switch kind {
        case .missingNode(let hash):
            return "trie: node \(hash.hex) is missing from the node source"
        case .hashMismatch(let expected, let actual):
            return "trie: node stored under \(expected.hex) hashes to \(actual.hex)"
        case .malformedNode(let hash, let reason):
            return "trie: malformed node\(hash.map { " \($0.hex)" } ?? ""): \(reason)"
        case .proofNodeMissing(let hash):
            return "trie: proof lacks node \(hash.hex)"
        case .invalidHexPrefix:
            return "trie: invalid hex-prefix (compact) path encoding"
        }
    }

    /// A malformed-node error with a fixed reason.
    static func malformed(_ reason: String, _ hash: Hash32? = nil) -> TrieError {
        TrieError(.malformedNode(hash, reason))
    }
}
