/// Why a consensus message, certificate or evidence was rejected.
///
/// A struct around a private enum so that new reasons can be added without breaking callers.
public struct ConsensusError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case malformed(String)
        case tooLarge(String, limit: Int)
        case badSignature(String)
        case notADelegate(String)
        case duplicateSigner(String)
        case insufficientQuorum(have: Int, need: Int)
        case inconsistent(String)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .malformed(let why): return "consensus: malformed \(why)"
        case .tooLarge(let what, let limit): return "consensus: \(what) larger than \(limit) bytes"
        case .badSignature(let why): return "consensus: bad signature: \(why)"
        case .notADelegate(let who): return "consensus: \(who) is not a delegate of this set"
        case .duplicateSigner(let who): return "consensus: \(who) signed twice"
        case .insufficientQuorum(let have, let need):
            return "consensus: \(have) signature(s), more than 2/3 of the delegates needs \(need)"
        case .inconsistent(let why): return "consensus: \(why)"
        }
    }
}
