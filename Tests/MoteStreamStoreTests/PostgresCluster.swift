import Foundation
import MoteStreamStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster from Debian's package: `initdb` into a temporary directory,
/// `pg_ctl start` on a free loopback port (TCP only, trust authentication), stopped and
/// deleted by `stop()`. PostgreSQL refuses to run as root, so as root every server command
/// runs as the system user `motepg` (created if missing) through `runuser`.
final class PostgresCluster: Sendable {
    /// The cluster's superuser.
    static let superuser = "postgres"
    /// The system user the server runs as when the tests run as root.
    static let systemUser = "motepg"

    let port: Int
    let directory: String
    private let binDirectory: String
    private let runAs: String?

    private init(port: Int, directory: String, binDirectory: String, runAs: String?) {
        self.port = port
        self.directory = directory
        self.binDirectory = binDirectory
        self.runAs = runAs
    }

    /// The cluster that `PostgresClusterTrait` started for the running suite, or why it could not.
    @TaskLocal static var current: Result<PostgresCluster, ClusterError>?

    /// Why there is no cluster to test against.
    struct ClusterError: Error, CustomStringConvertible {
        let description: String
    }

    /// The directory with `initdb` and `pg_ctl`: `$MOTE_POSTGRES_BIN`, else the newest
    /// `/usr/lib/postgresql/<version>/bin`.
    static func findBinaries() throws(ClusterError) -> String {
        if let path = ProcessInfo.processInfo.environment["MOTE_POSTGRES_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: "\(path)/initdb") else {
                throw ClusterError(description: "MOTE_POSTGRES_BIN=\(path) holds no initdb")
            }
            return path
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/initdb"),
                FileManager.default.isExecutableFile(atPath: "\(bin)/pg_ctl")
            {
                return bin
            }
        }
        throw ClusterError(
            description: """
                PostgreSQL server binaries not found (no initdb and pg_ctl in \(root)/<version>/bin, \
                and MOTE_POSTGRES_BIN is not set): install Debian's postgresql package \
                (`make deps` does, and `make test` runs it first)
                """)
    }

    /// Creates and starts a cluster.
    static func start() throws(ClusterError) -> PostgresCluster {
        let binDirectory = try findBinaries()
        let runAs: String? = geteuid() == 0 ? systemUser : nil
        if let runAs { try ensureSystemUser(runAs) }
        var lastError = ClusterError(description: "the cluster did not start")
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mote-pg-\(UUID().uuidString)").path
            let cluster = PostgresCluster(port: freePort(), directory: directory, binDirectory: binDirectory, runAs: runAs)
            do throws(ClusterError) {
                try cluster.initializeAndStart()
                return cluster
            } catch {
                lastError = error
                cluster.stop()
            }
        }
        throw lastError
    }

    private func initializeAndStart() throws(ClusterError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ClusterError(description: "cannot create \(directory): \(error)")
        }
        if let runAs { try Self.run("/bin/chown", [runAs, directory]) }
        let data = "\(directory)/data"
        try runServerCommand(
            "initdb", ["-D", data, "-U", Self.superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        let settings = """

            # Added by the Mote tests.
            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = 500
            """
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/postgresql.conf"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(settings.utf8))
            try handle.close()
        } catch {
            throw ClusterError(description: "cannot configure the cluster: \(error)")
        }
        try runServerCommand("pg_ctl", ["-D", data, "-l", "\(directory)/server.log", "-w", "-t", "60", "start"])
    }

    /// Stops the server (immediately: the data is thrown away) and deletes the directory.
    func stop() {
        if FileManager.default.fileExists(atPath: "\(directory)/data/postmaster.pid") {
            try? runServerCommand("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new, empty database on the cluster, and how the store connects to it.
    func createDatabase() throws(ClusterError) -> PostgresStoreConfiguration {
        let name = "mote_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try runServerCommand("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, name])
        return PostgresStoreConfiguration(host: "127.0.0.1", port: port, user: Self.superuser, database: name, maximumConnections: 8)
    }

    /// Runs one of PostgreSQL's programs, as `runAs` when set.
    private func runServerCommand(_ program: String, _ arguments: [String]) throws(ClusterError) {
        let path = "\(binDirectory)/\(program)"
        if let runAs {
            try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", path] + arguments, in: directory)
        } else {
            try Self.run(path, arguments, in: directory)
        }
    }

    /// Creates the system user `name` if it does not exist.
    private static func ensureSystemUser(_ name: String) throws(ClusterError) {
        if (try? run("/usr/bin/id", ["-u", name])) != nil { return }
        try run("/usr/sbin/useradd", ["-r", "-M", "-s", "/usr/sbin/nologin", name])
    }

    /// Runs a program to its end; throws with its output if it fails.
    ///
    /// Through `posix_spawn` and `waitpid`, not Foundation's `Process`: `Process` did not notice
    /// `runuser pg_ctl start` exiting (it leaves the server running) and waited forever.
    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws(ClusterError) -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("mote-pg-output-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // `env -C` runs it in `directory` (where the server's user may read).
        var command = [executable] + arguments
        if let directory, FileManager.default.fileExists(atPath: directory) {
            command = ["/usr/bin/env", "-C", directory] + command
        }
        let argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw ClusterError(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, spelled out for Swift).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw ClusterError(description: "\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    /// A loopback TCP port that was free a moment ago.
    private static func freePort() -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socketFD, raw, length) == 0 && getsockname(socketFD, raw, &length) == 0
            }
        }
        guard bound else { return 20_000 + Int.random(in: 0..<20_000) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Starts a `PostgresCluster` once around a suite and stops it afterwards; its tests read it
/// from `PostgresCluster.current`. A cluster that cannot start fails the PostgreSQL cases only.
struct PostgresClusterTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let cluster: Result<PostgresCluster, PostgresCluster.ClusterError>
        do throws(PostgresCluster.ClusterError) {
            cluster = .success(try PostgresCluster.start())
        } catch {
            cluster = .failure(error)
        }
        defer { if case .success(let running) = cluster { running.stop() } }
        try await PostgresCluster.$current.withValue(cluster) { try await function() }
    }
}

extension Trait where Self == PostgresClusterTrait {
    /// A throwaway PostgreSQL cluster around the suite.
    static var postgresCluster: Self { PostgresClusterTrait() }
}
