import ArgumentParser

/// `mote bench crypto` (being written).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure Mote's speed.")
}
