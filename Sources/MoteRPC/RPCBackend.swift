import Foundation
import MoteChain
import MoteLedger
import MoteMempool
import MotePrimitives
import MoteStorage
import NIOConcurrencyHelpers

/// What the RPC layer needs from a node: the seam between the API and the node's parts.
///
/// Finalized data is read straight from `store` (LMDB reads run concurrently with the node);
/// what needs the ledger's in-memory state or the node's actor is asked for asynchronously.
public protocol RPCBackend: Sendable {
    var chainID: UInt64 { get }
    /// `Mote/v0.1.0/linux-x86_64/swift6.3`, for `web3_clientVersion`.
    var clientVersion: String { get }
    var genesis: Genesis { get }
    /// Finalized blocks, receipts, indexes and the latest state.
    var store: any ChainStore { get }
    /// Pending transactions and pending nonces.
    var pool: TransactionPool { get }
    /// New blocks and new pooled transactions, for subscriptions and filters.
    var events: ChainEvents { get }

    /// Admits a raw transaction into the pool and gossips it.
    func submit(_ raw: [UInt8]) async -> Result<Hash32, PoolError>
    /// A read-only call against the latest state (`eth_call`).
    func call(from: Address, to: Address, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Result<[UInt8], SystemContractRevert>
    /// A call run as a transaction would run in the next block, changes discarded (`eth_estimateGas`).
    func simulate(from: Address, to: Address?, value: UInt256, data: [UInt8], gasLimit: UInt64) async throws(LedgerError) -> Ledger.Simulation
    /// An account proof and storage proofs at the head (`eth_getProof`).
    func proof(_ address: Address, slots: [Hash32]) async throws(LedgerError) -> (stateRoot: Hash32, account: Account, accountProof: [[UInt8]], storageProofs: [[[UInt8]]])
    /// Whether the node is catching up with its peers.
    func isSyncing() async -> Bool
    func peers() async -> [RPCPeer]
    func chainInfo() async -> RPCChainInfo
    /// The block producers of `epoch` in proposer order, once known.
    func producers(ofEpoch epoch: UInt64) async -> [Address]?
    /// The seed of `epoch` (witness sortition, producer order), once the committed chain fixes it.
    func epochSeed(ofEpoch epoch: UInt64) async -> Hash32?
    func nodeInfo() async -> RPCNodeInfo
    /// Where `mote_submitAttestation` hands attestations; nil on a node that takes none.
    var attestationIntake: (any AttestationIntake)? { get }
    /// When this node last saw a block finalized and how often blocks are due, for `/health`
    /// ("stalled"); nil when the backend cannot tell (no stall check).
    func liveness() async -> RPCLiveness?
    /// The code at `address` at the head (`eth_getCode`).
    func code(at address: Address) async -> [UInt8]
}

extension RPCBackend {
    /// No stall check unless the backend reports its liveness.
    public func liveness() async -> RPCLiveness? { nil }

    /// The code at `address` (`eth_getCode`): the chain's call router decides, so a system
    /// contract shows its marker.
    public func code(at address: Address) async -> [UInt8] { CallRouter(contracts: .standard(genesis)).code(at: address) }
}

/// Whether blocks are still being finalized, for `/health`. Not part of consensus: wall clock.
public struct RPCLiveness: Sendable, Equatable {
    /// When the newest block was finalized here (or, before any, when the node started).
    public var lastFinalized: Date
    /// The interval at which blocks are due.
    public var blockInterval: Duration

    public init(lastFinalized: Date, blockInterval: Duration) {
        self.lastFinalized = lastFinalized
        self.blockInterval = blockInterval
    }
}

/// Records the wall-clock time of each finalized block announced on `events` (starting from
/// its creation), for `RPCBackend.liveness()`.
public final class FinalityClock: Sendable {
    private let last: NIOLockedValueBox<Date>
    private let observer: NIOLockedValueBox<(ChainEvents, UInt64)?> = NIOLockedValueBox(nil)

    public init(events: ChainEvents, now: Date = Date()) {
        let last = NIOLockedValueBox(now)
        self.last = last
        let id = events.observe { event in
            guard case .block = event else { return }
            let now = Date()
            last.withLockedValue { $0 = max($0, now) }
        }
        observer.withLockedValue { $0 = (events, id) }
    }

    deinit {
        if let (events, id) = observer.withLockedValue({ $0 }) { events.cancel(id) }
    }

    /// When the newest block was finalized (or the clock was created, before any).
    public var lastFinalized: Date { last.withLockedValue { $0 } }

    /// Sets the time of the last finalization (tests, or a node that knows better).
    public func record(_ date: Date) { last.withLockedValue { $0 = date } }
}

/// A connected peer, for `mote_peers`.
public struct RPCPeer: Sendable {
    public var nodeID: Address
    public var remoteAddress: String
    public var inbound: Bool
    public var listenPort: UInt16

    public init(nodeID: Address, remoteAddress: String, inbound: Bool, listenPort: UInt16) {
        self.nodeID = nodeID
        self.remoteAddress = remoteAddress
        self.inbound = inbound
        self.listenPort = listenPort
    }
}

/// The chain's epoch state, for `mote_chainInfo`.
public struct RPCChainInfo: Sendable {
    public var height: UInt64
    public var epoch: UInt64
    public var epochLength: UInt64
    public var epochFirstHeight: UInt64
    public var nextEpochHeight: UInt64
    /// The consensus delegates of the epoch.
    public var delegates: [Address]
    /// This epoch's block producers, in proposer order.
    public var producers: [Address]

    public init(
        height: UInt64, epoch: UInt64, epochLength: UInt64, epochFirstHeight: UInt64, nextEpochHeight: UInt64,
        delegates: [Address], producers: [Address]
    ) {
        self.height = height
        self.epoch = epoch
        self.epochLength = epochLength
        self.epochFirstHeight = epochFirstHeight
        self.nextEpochHeight = nextEpochHeight
        self.delegates = delegates
        self.producers = producers
    }
}

/// This node, for `mote_nodeInfo`.
public struct RPCNodeInfo: Sendable {
    public var name: String
    /// The operator address of a delegate; nil for a follower.
    public var delegate: Address?
    public var p2pListen: String
    public var httpListen: String
    public var wsListen: String

    public init(name: String, delegate: Address?, p2pListen: String, httpListen: String, wsListen: String) {
        self.name = name
        self.delegate = delegate
        self.p2pListen = p2pListen
        self.httpListen = httpListen
        self.wsListen = wsListen
    }
}
