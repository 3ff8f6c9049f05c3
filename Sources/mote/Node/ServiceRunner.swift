import Foundation
import MoteNode
import ServiceLifecycle

/// How a long-running command (`mote node`, `mote stream`) runs: its services in one
/// `ServiceGroup` that shuts them down gracefully, in reverse order, on SIGINT or SIGTERM.
enum ServiceRunner {
    /// Runs the services `make` returns, then exits: 0 with `stopped` on stdout after a signal,
    /// 1 with `failure(error)` on stderr when one could not start or stopped with an error.
    static func runUntilStopped(
        _ make: @escaping @Sendable () async throws -> [any Service], failure: @escaping @Sendable (any Error) -> String,
        stopped: String
    ) -> Never {
        Task {
            do {
                try await NodeServices.run(try await make())
            } catch {
                FileHandle.standardError.write(Data((failure(error) + "\n").utf8))
                Foundation.exit(1)
            }
            FileHandle.standardOutput.write(Data((stopped + "\n").utf8))
            Foundation.exit(0)
        }
        dispatchMain()
    }
}
