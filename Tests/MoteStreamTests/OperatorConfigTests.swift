import Foundation
import MoteCrypto
import MotePrimitives
import MoteStream
import Testing

/// The `[operator]` section: the result poster's key file and settings.
@Suite struct OperatorConfigTests {
    @Test func readsTheOperatorSection() throws {
        let config = try StreamConfig(toml: """
            [limits]
            timestamp_tolerance_ms = 60500
            [operator]
            key_file = "keys/operator.key"
            projects = [1, 3]
            poll_seconds = 2
            bond = "25000000000000000000"
            lookback_windows = 3
            """)
        let poster = try #require(config.resultPoster)
        #expect(poster.keyFile == "keys/operator.key")
        #expect(poster.settings.projects == [1, 3] && poster.settings.pollSeconds == 2 && poster.settings.lookbackWindows == 3)
        #expect(poster.settings.bond == UInt256(decimal: "25000000000000000000"))
        // Settling defaults to the timestamp tolerance, rounded up to seconds.
        #expect(poster.settings.settleSeconds == 61)
        // The dashed spellings, and an explicit settle time.
        let dashed = try StreamConfig(toml: "[operator]\nkey-file = \"k\"\npoll-seconds = 4\nsettle_seconds = 0\nbond = 5")
        #expect(dashed.resultPoster?.keyFile == "k" && dashed.resultPoster?.settings.pollSeconds == 4)
        #expect(dashed.resultPoster?.settings.settleSeconds == 0 && dashed.resultPoster?.settings.bond == UInt256(5))
        #expect(try StreamConfig(toml: "").resultPoster == nil)
        for bad in [
            "[operator]\nprojects = [1]", "[operator]\nkey_file = \"k\"\nprojects = [0]", "[operator]\nkey_file = \"k\"\npoll_seconds = 0",
            "[operator]\nkey_file = \"k\"\nbond = \"-1\"", "[operator]\nkey_file = \"k\"\nbond = 0", "[operator]\nkey_file = \"k\"\ncolour = 1",
            "[operator]\nkey_file = \"k\"\nprojects = \"all\"",
        ] {
            #expect(throws: StreamConfigError.self, "\(bad)") { try StreamConfig(toml: bad) }
        }
    }

    @Test func keyFilesAreRelativeToTheConfigAndChecked() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mote-operator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = Secp256k1.PrivateKey.generate()
        try (Hex.encode(key.bytes) + "\n").write(to: folder.appendingPathComponent("operator.key"), atomically: true, encoding: .utf8)
        try "[operator]\nkey_file = \"operator.key\"\n".write(to: folder.appendingPathComponent("stream.toml"), atomically: true, encoding: .utf8)
        let config = try StreamConfig(contentsOf: folder.appendingPathComponent("stream.toml").path)
        let path = try #require(config.resultPoster?.keyFile)
        #expect(path == folder.appendingPathComponent("operator.key").path)
        #expect(try OperatorKeyFile.load(path).address == key.address)
        try "not a key".write(to: folder.appendingPathComponent("bad.key"), atomically: true, encoding: .utf8)
        #expect(throws: StreamError.self) { try OperatorKeyFile.load(folder.appendingPathComponent("bad.key").path) }
        #expect(throws: StreamError.self) { try OperatorKeyFile.load(folder.appendingPathComponent("missing.key").path) }
    }
}
