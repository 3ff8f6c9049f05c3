import Foundation

/// Checks a node's URL before anything is sent to it.
public enum RPCEndpoint {
    /// The URL used when nothing else names one.
    public static let defaultURL = "http://127.0.0.1:8545"

    /// `text` as a URL with a host and one of `schemes`, or an error that names where it came
    /// from (`--rpc`, `MOTE_RPC`, a config key).
    public static func validate(_ text: String, source: String, schemes: Set<String> = ["http", "https"]) throws(RPCClientError) -> URL {
        let expected = schemes.contains("ws") ? "ws://HOST:PORT" : "http://HOST:PORT or https://HOST[:PORT][/PATH]"
        let invalid = { (why: String) in
            RPCClientError(.invalidURL, "invalid RPC URL \"\(text.prefix(200))\" (from \(source)): \(why); expected \(expected)")
        }
        guard text.utf8.count <= 2048 else { throw invalid("longer than 2048 characters") }
        guard text.contains("://") else { throw invalid("no \(schemes.sorted().map { $0 + "://" }.joined(separator: " or ")) in front") }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw invalid("not a URL") }
        guard schemes.contains(scheme) else { throw invalid("the scheme \(scheme) is not supported") }
        guard let host = url.host, !host.isEmpty else { throw invalid("no host") }
        return url
    }
}
