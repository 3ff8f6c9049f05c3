import Foundation

/// The built `mote` executable that CLI and process tests run.
public enum MoteBinary {
    /// `$MOTE_BINARY`, else `mote` beside the test runner (same build folder, whatever the
    /// scratch path), else `<package root>/.build/debug/mote`.
    public static let url: URL = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["MOTE_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        // Linux: the test runner is `<build>/debug/MotePackageTests.xctest`.
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        // macOS: `<build>/debug/MotePackageTests.xctest/Contents/MacOS/...`, loaded by xctest.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        for directory in candidates {
            let binary = directory.appendingPathComponent("mote")
            if fileManager.isExecutableFile(atPath: binary.path) { return binary }
        }
        return Vectors.packageRoot.appendingPathComponent(".build/debug/mote")
    }()
}
