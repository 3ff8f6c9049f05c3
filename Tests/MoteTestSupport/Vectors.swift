import Foundation

/// Locates the shared conformance vectors (`../shared/vectors` beside the checkout, or `$MOTE_VECTORS`).
public enum Vectors {
    /// The vectors folder.
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["MOTE_VECTORS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        // Tests/MoteTestSupport/Vectors.swift → package root → ../shared/vectors
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }()

    /// The package root (for tests that run the built `mote` binary).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The URL of a file under the vectors folder.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// The bytes of a vector file; fails loudly if the vectors are missing.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// A vector file parsed as JSON.
    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(relativePath), options: [.fragmentsAllowed])
    }

    /// Relative paths of all `.json` files under a folder of the vectors, sorted.
    public static func jsonFiles(under folder: String) throws -> [String] {
        let base = url(folder)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var out: [String] = []
        for case let file as URL in enumerator where file.pathExtension == "json" {
            out.append(folder + "/" + file.path.dropFirst(base.path.count + 1))
        }
        return out.sorted()
    }
}
