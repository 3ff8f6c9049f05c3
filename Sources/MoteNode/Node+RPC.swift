import Foundation
import MoteChain
import MoteConsensus
import MoteLedger
import MoteMempool
import MotePrimitives
import MoteRPC
import MoteStorage

/// The node as the RPC layer sees it: finalized data straight from the store, everything
/// else through the node's actor.
struct NodeBackend: RPCBackend {
    let node: Node
    let chainID: UInt64
    let genesis: Genesis
    let store: any ChainStore
    let pool: TransactionPool
    let events: ChainEvents
    let attestationIntake: (any AttestationIntake)?
    /// When this node last committed a block (from its start), for `/health`'s stall check.
    let finality: FinalityClock
    /// The consensus block interval (`[consensus] block_interval_ms`).
    let blockInterval: Duration

    init(node: Node, store: any ChainStore, attestationIntake: (any AttestationIntake)? = nil) {
        self.node = node
        self.attestationIntake = attestationIntake
        finality = FinalityClock(events: node.events)
        blockInterval = .milliseconds(Int64(clamping: node.config.blockIntervalMs))
        genesis = node.genesis
        chainID = node.genesis.chainID
        self.store = store
        pool = node.pool
        events = node.events
    }

    var clientVersion: String { Node.clientVersion }

    func submit(_ raw: [UInt8]) async -> Result<Hash32, PoolError> { await node.submit([raw])[0] }

    func call(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        try await node.rpcCall(from: from, to: to, data: data, gasLimit: gasLimit)
    }

    func simulate(from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Ledger.Simulation {
        try await node.rpcSimulate(from: from, to: to, value: value, data: data, gasLimit: gasLimit)
    }

    func proof(_ address: Address, slots: [Hash32]) async throws(LedgerError) -> (stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]]) {
        try await node.rpcProof(address, slots: slots)
    }

    func isSyncing() async -> Bool { await node.behind }

    func peers() async -> [RPCPeer] {
        await node.p2p.connectedPeers().map {
            RPCPeer(nodeID: $0.nodeID, remoteAddress: $0.remoteAddress, inbound: $0.direction == .inbound, listenPort: $0.listenPort)
        }
    }

    func chainInfo() async -> RPCChainInfo { await node.rpcChainInfo() }

    func producers(ofEpoch epoch: UInt64) async -> [Address]? { await node.rpcProducers(epoch) }

    func epochSeed(ofEpoch epoch: UInt64) async -> Hash32? { await node.rpcEpochSeed(epoch) }

    func nodeInfo() async -> RPCNodeInfo { await node.rpcNodeInfo() }

    func liveness() async -> RPCLiveness? { RPCLiveness(lastFinalized: finality.lastFinalized, blockInterval: blockInterval) }
}

extension Node {
    /// `Mote/v<version>/<os>-<arch>/swift<version>`, as `web3_clientVersion` reports it.
    public static let clientVersion: String = {
        #if arch(x86_64)
        let arch = "x86_64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        #if os(Linux)
        let os = "linux"
        #else
        let os = "darwin"
        #endif
        return "Mote/v\(version)/\(os)-\(arch)/swift6"
    }()

    /// The release version.
    public static let version = "0.1.0"

    func rpcCall(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) throws(LedgerError) -> Result<[UInt8], SystemContractRevert> {
        try application.query(from: from, to: to, data: data, gasLimit: gasLimit)
    }

    func rpcSimulate(from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64) throws(LedgerError) -> Ledger.Simulation {
        try ledger.simulate(from: from, to: to, value: value, data: data, gasLimit: gasLimit)
    }

    func rpcProof(_ address: Address, slots: [Hash32]) throws(LedgerError) -> (stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]]) {
        let proof = try ledger.proof(address, slots: slots)
        return (ledger.head.stateRoot, try ledger.account(address), proof.accountProof, proof.storageProofs)
    }

    func rpcChainInfo() -> RPCChainInfo {
        let height = ledger.head.height
        let epoch = schedule.epoch(ofHeight: height + 1)
        let producers = (try? ledger.producers(ofEpoch: epoch)) ?? []
        let delegates = (try? ledger.delegates(ofEpoch: epoch))?.map(\.operatorAddress) ?? []
        return RPCChainInfo(
            height: height, epoch: epoch, epochLength: schedule.epochLength, epochFirstHeight: schedule.firstHeight(ofEpoch: epoch),
            nextEpochHeight: schedule.checkedLastHeight(ofEpoch: epoch).flatMap { $0 < .max ? $0 + 1 : nil } ?? .max,
            delegates: delegates, producers: producers)
    }

    func rpcProducers(_ epoch: UInt64) -> [Address]? { try? ledger.producers(ofEpoch: epoch) }

    /// The seed of `epoch`, once the committed chain fixes it (the previous epoch has ended).
    func rpcEpochSeed(_ epoch: UInt64) -> Hash32? {
        // Checked: the epoch comes from a client (`mote_epochSeed`), and one past the last epoch
        // whose heights fit 64 bits has no seed.
        guard epoch >= 1 else { return nil }
        if epoch > 1 {
            guard let previousEnd = ledger.schedule.checkedLastHeight(ofEpoch: epoch - 1), previousEnd <= ledger.head.height else { return nil }
        }
        return try? ledger.seed(ofEpoch: epoch)
    }

    func rpcNodeInfo() -> RPCNodeInfo {
        let ports = rpcPorts
        return RPCNodeInfo(
            name: config.name, delegate: key?.address, p2pListen: config.p2pListen.description,
            httpListen: "\(config.rpcListen.host):\(ports?.http ?? config.rpcListen.port)",
            wsListen: "\(config.wsListen.host):\(ports?.ws ?? config.wsListen.port)")
    }
}
