import ArgumentParser

/// `mote tx decode` (being written).
struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tx", abstract: "Decode and create transactions.")
}
