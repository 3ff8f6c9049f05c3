import ArgumentParser

/// The `mote` command: node, wallet and developer tools for the Mote IoT blockchain.
@main
struct Mote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mote",
        abstract: "Mote: a blockchain for machines that sign what they measure.",
        version: "0.1.0",
        subcommands: [
            InitCommand.self, NodeCommand.self, DevnetCommand.self, StatusCommand.self, BalanceCommand.self, TransferCommand.self,
            BlockCommand.self, TxCommand.self, StakeCommand.self, CandidateCommand.self, DeviceCommand.self, ProjectCommand.self, RewardsCommand.self, KeysCommand.self, ContractsCommand.self, VRFCommand.self, WitnessCommand.self,
            HashCommand.self, EVMCommand.self, StreamCommand.self, SimulateCommand.self, BenchCommand.self, FuzzCommand.self, DebugCommand.self,
        ]
    )
}
