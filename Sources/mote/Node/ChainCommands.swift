import ArgumentParser
import Foundation
import MoteChain
import MoteContracts
import MoteLedger
import MotePrimitives
import MoteStorage

/// `--datadir DIR`, shared by the commands that open a node's data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("datadir"), help: "The node's data directory (default: $MOTE_DATADIR or ~/.mote/data).")
    var path: String?

    var resolved: String {
        let environment = ProcessInfo.processInfo.environment
        if let path { return (path as NSString).expandingTildeInPath }
        if let path = environment["MOTE_DATADIR"], !path.isEmpty { return (path as NSString).expandingTildeInPath }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.mote/data"
    }

    var genesisPath: String { resolved + "/genesis.json" }

    /// Opens the data directory's chain with the genesis stored there.
    func openLedger() -> Ledger {
        let genesis = readGenesis(genesisPath, context: "data directory \(resolved) is not initialised (run mote init)")
        let store = failOnError { () throws(StorageError) in try LMDBChainStore(dataDirectory: resolved) }
        return failOnError { () throws(LedgerError) in try Ledger(store: store, genesis: genesis) }
    }
}

/// Reads and parses a genesis file, or exits with a JSON error.
func readGenesis(_ path: String, context: String? = nil) -> Genesis {
    guard FileManager.default.fileExists(atPath: path) else { JSONOutput.fail(context ?? "no genesis file at \(path)") }
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
        let size = (attributes[.size] as? NSNumber)?.intValue, size <= Genesis.maxFileSize
    else { JSONOutput.fail("genesis file \(path) is unreadable or over \(Genesis.maxFileSize) bytes") }
    guard let data = FileManager.default.contents(atPath: path) else { JSONOutput.fail("cannot read \(path)") }
    return failOnError { () throws(ChainDecodingError) in try Genesis(json: data) }
}

/// `mote init --genesis FILE --datadir DIR`.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a node's data directory from a genesis file (idempotent).")

    @OptionGroup var datadir: DataDirectoryOption
    @Option(help: "The genesis file (JSON; format in docs/GENESIS.md).") var genesis: String

    func run() throws {
        let parsed = readGenesis(genesis)
        let directory = datadir.resolved
        let storedGenesis = datadir.genesisPath
        let bytes = FileManager.default.contents(atPath: genesis)!
        if let existing = FileManager.default.contents(atPath: storedGenesis) {
            let existingGenesis = failOnError { () throws(ChainDecodingError) in try Genesis(json: existing) }
            let a = failOnError { () throws(LedgerError) in try Ledger.genesisCommit(existingGenesis) }.block.hash
            let b = failOnError { () throws(LedgerError) in try Ledger.genesisCommit(parsed) }.block.hash
            guard a == b else { JSONOutput.fail("\(directory) already holds another chain (genesis \(a.hex))") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let temporary = storedGenesis + ".tmp"
                try Data(bytes).write(to: URL(fileURLWithPath: temporary))
                try FileManager.default.moveItem(atPath: temporary, toPath: storedGenesis)
            } catch { JSONOutput.fail("cannot write \(storedGenesis): \(error.localizedDescription)") }
        }
        let ledger = datadir.openLedger()
        JSONOutput.print([
            "datadir": directory, "chainId": NSNumber(value: parsed.chainID),
            "genesisHash": failOnError { () throws(StorageError) in try ledger.store.blockHash(atHeight: 0) }!.hex,
            "head": NSNumber(value: ledger.head.height), "stateRoot": ledger.head.stateRoot.hex,
            "accounts": parsed.allocations.count, "totalSupply": ledger.head.totalSupply.description,
        ])
    }
}

/// `mote status --datadir DIR`: the head of a data directory, read without changing it: the
/// chain store is opened read-only (no lock), so it works beside a running node, and a folder
/// that holds no chain is refused rather than given an empty one.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the head block of a data directory (read-only; works beside a running node).")

    @OptionGroup var datadir: DataDirectoryOption

    func run() throws {
        let directory = datadir.resolved
        let genesis = readGenesis(datadir.genesisPath, context: "\(directory) holds no chain: no genesis.json (run mote init)")
        guard FileManager.default.fileExists(atPath: directory + "/chain") else {
            JSONOutput.fail("\(directory) holds no chain: no chain/ folder (run mote init, or start a node on it)")
        }
        let store = failOnError { () throws(StorageError) in try LMDBChainStore(readOnlyDataDirectory: directory) }
        let expected = failOnError { () throws(LedgerError) in try Ledger.genesisCommit(genesis) }.block.hash
        let read = failOnError { () throws(StorageError) -> (ChainHead, BlockHeader, Hash32?)? in
            guard let head = try store.head(), let header = try store.header(atHeight: head.height) else { return nil }
            return (head, header, try store.blockHash(atHeight: 0))
        }
        guard let (head, header, genesisHash) = read else { JSONOutput.fail("\(directory) holds no committed block") }
        guard genesisHash == expected else {
            JSONOutput.fail("\(directory) holds another chain than its genesis.json (genesis \(genesisHash?.hex ?? "none"), expected \(expected.hex))")
        }
        JSONOutput.print([
            "chainId": NSNumber(value: genesis.chainID), "height": NSNumber(value: head.height), "hash": head.hash.hex,
            "stateRoot": head.stateRoot.hex, "totalSupply": head.totalSupply.description, "burned": head.burned.description,
            "minted": head.minted.description,
            "baseFee": FeeMarket.nextBaseFee(parent: header, parameters: genesis.parameters).description,
        ])
    }
}

/// `mote contracts list|abi NAME`: the system contracts and their ABI JSON.
struct ContractsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts", abstract: "System contracts: addresses and ABI JSON.", subcommands: [List.self, ABI.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the system contracts and their addresses.")
        func run() throws {
            JSONOutput.print(SystemContracts.listed.all.map { ["name": $0.name, "address": $0.address.checksummed] })
        }
    }

    struct ABI: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a system contract's ABI JSON (for web3 clients).")
        @Argument(help: "The contract's name, e.g. NodeRegistry.") var name: String
        func run() throws {
            guard let contract = SystemContracts.listed.contract(named: name) else {
                JSONOutput.fail("no system contract named \(name.prefix(64)); see mote contracts list")
            }
            JSONOutput.print(contract.abiJSON)
        }
    }
}
