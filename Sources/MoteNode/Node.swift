import Foundation
import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MoteLedger
import MoteMempool
import MoteP2P
import MotePrimitives
import MoteRPC
import MoteStorage
import MoteTransactions
import ServiceLifecycle

/// A trusted node: the ledger, the transaction pool, the consensus state machine with its
/// vote WAL, and the p2p network, driven by one actor.
///
/// The actor is the single routine that mutates consensus state (as CometBFT's receive
/// routine is): network messages, timers and the application's answers all become events of
/// `ConsensusStateMachine`, and its actions are carried out here in order — a vote reaches
/// the WAL (fsynced) before it is broadcast. A proposal travels with its block; a decided
/// block is committed to the ledger with one LMDB write, and its commit certificate goes into
/// the next block's header. A node that is behind (new, restarted, partitioned) fetches
/// finalized blocks with their certificates from peers, checks them and catches up.
///
/// Its seams are injected: the stores (`NodeStorage`), the keys (`NodeKeys`), the network
/// (`NetworkFactory`: `P2PNode`, or `InMemoryNetwork` in tests) and the clocks (`NodeClock`);
/// blocks are built, judged, executed and committed through `ConsensusApplication`, validity
/// being `BlockValidator`'s, beside the ledger. It is a `Service`: `run()` returns on graceful
/// shutdown or cancellation, and throws the fatal error that stopped it. The p2p network, the
/// RPC servers and the stream node run beside it as sibling services (`NodeServices`).
public actor Node: Service {
    public let config: NodeConfig
    public let genesis: Genesis
    let ledger: Ledger
    let pool: TransactionPool
    let p2p: any NodeNetwork
    let wal: VoteWAL?
    /// Bodies of blocks this node signed for at heights not yet committed, and the last
    /// decision before its commit (a file store beside the WAL for a delegate).
    let pendingBlocks: any PendingBlockStore
    let key: Secp256k1.PrivateKey?
    /// This delegate's ECVRF key, for the proof in the headers it proposes.
    let vrfKey: ECVRF.SecretKey?
    /// The sender of this delegate's own transactions (its operator key).
    let operatorAccount: OperatorAccount?
    /// The block-validity rules (with the delegates' ECVRF public keys).
    let validator: BlockValidator
    /// The application seam consensus drives (prepare and process proposals, finalize,
    /// commit): the ledger with `validator`.
    let application: any ConsensusApplication
    /// Where double-signing evidence is appended.
    let evidenceLog: EvidenceLog
    /// The clock of the consensus timers and catch-up polls, and the wall clock of block
    /// timestamps and pool arrivals.
    let clock: NodeClock
    let schedule: EpochSchedule
    let consensusConfig: ConsensusConfig
    var machine: ConsensusStateMachine
    /// Blocks seen for the height being decided, by hash (proposed, built, or fetched).
    var blocks: [Hash32: Block] = [:]
    /// The block hash of each round's proposal at the height being decided: one block per
    /// round, taken only from that round's proposer with a valid signature.
    var proposalBlocks: [UInt32: Hash32] = [:]
    /// Proposals (with their encoded blocks, undecoded) for the height after the one being
    /// decided, signature checked, one per round: replayed once this node reaches that height.
    var earlyProposals: [UInt32: (proposal: Proposal, bytes: [UInt8])] = [:]
    static let maxEarlyProposals = 4
    /// Admission control for clients' transactions (`submit`).
    var admission: AdmissionControl
    /// Why the node stopped, once a fatal error (a failed disk write) stopped it.
    var fatal: NodeConfigError?
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation
    /// Blocks executed and ready to commit, by hash.
    var checked: [Hash32: BlockCommit] = [:]
    /// Commit certificates of recent heights (the newest is not yet in any header).
    var certificates: [UInt64: CommitCertificate] = [:]
    /// The newest block's certificate, for serving that block to syncing peers.
    nonisolated let newestCertificate = NewestCertificate()
    var timers: [ConsensusStateMachine.Timeout: Task<Void, Never>] = [:]
    var syncing = false
    /// A decision whose block had not arrived yet; committed as soon as it does.
    var pendingDecision: (height: UInt64, blockHash: Hash32, certificate: CommitCertificate)?
    /// The last height whose certificate was sent to each lagging peer (sent once per height).
    var lagging: [Address: UInt64] = [:]
    let output: @Sendable (String) -> Void
    /// Finalized blocks and pooled transactions, for RPC subscriptions and filters.
    public nonisolated let events = ChainEvents()
    public nonisolated let metrics = NodeMetrics()
    /// Whether the last catch-up round fetched blocks (the node was behind its peers).
    var behind = false
    /// When this node first had a block for the height being decided (for the finality metric).
    var heightStarted: ContinuousClock.Instant?
    /// Attestations devices sent, waiting for this node's next `submitAttestations` (a
    /// delegate with an operator key only; made by `attestationIntake()`).
    var attestationPool: AttestationPool?
    /// The WitnessPool's parameters, read once (genesis parameters).
    var witnessParametersCache: WitnessParameters?
    /// The start of the network, shared by everyone who needs it started.
    var networkStart: Task<Int, any Error>?
    var networkAnnounced = false
    /// Whether a `NetworkService` stops the network (else `run()` does, when it ends).
    var networkIsService = false
    /// The RPC ports bound (HTTP, WebSocket), once the RPC service listens.
    public private(set) var rpcPorts: (http: Int, ws: Int?)?

    /// Opens the data directory (created by `mote init`: the genesis, the LMDB chain store, and
    /// for a delegate the vote WAL and the bodies it signed for), reads the key files, and
    /// prepares every part on the network `network` makes; `run()` starts them.
    public init(
        config: NodeConfig, network: NetworkFactory = .p2p, clock: NodeClock = .system,
        output: @escaping @Sendable (String) -> Void = { print($0) }
    ) throws {
        let genesisPath = config.datadir + "/genesis.json"
        guard let data = FileManager.default.contents(atPath: genesisPath) else {
            throw NodeConfigError("data directory \(config.datadir) is not initialised (run mote init)")
        }
        let genesis = try Genesis(json: data)
        let chain = try LMDBChainStore(dataDirectory: config.datadir)
        let keys = try NodeKeys(config: config)
        try self.init(
            config: config, genesis: genesis, storage: try NodeStorage(chain: chain, datadir: config.datadir, delegate: keys.operatorKey != nil),
            keys: keys, network: network, clock: clock, output: output)
    }

    /// A node on stores, keys and a network its caller opened. `config` gives the timeouts,
    /// pool sizes, p2p settings and name; its file paths are not read here.
    public init(
        config: NodeConfig, genesis: Genesis, storage: NodeStorage, keys: NodeKeys, network: NetworkFactory,
        clock: NodeClock = .system, output: @escaping @Sendable (String) -> Void = { print($0) }
    ) throws {
        self.config = config
        self.genesis = genesis
        self.output = output
        self.clock = clock
        let store = storage.chain
        ledger = try Ledger(store: store, genesis: genesis)
        key = keys.operatorKey
        vrfKey = keys.vrfKey
        operatorAccount = keys.operatorKey.map { OperatorAccount(key: $0, chainID: genesis.chainID) }
        guard !genesis.delegates.isEmpty else { throw NodeConfigError("the genesis has no delegates") }
        validator = try BlockValidator(genesis: genesis)
        if let key, let vrfKey, let registered = validator.vrfKeys[key.address], registered != vrfKey.publicKey {
            throw NodeConfigError("vrf_key_file does not match the VRF key the genesis registers for this delegate")
        }
        evidenceLog = storage.evidence
        application = LedgerApplication(ledger: ledger, validator: validator)
        schedule = ledger.schedule
        consensusConfig = ConsensusConfig(
            chainID: genesis.chainID, propose: .milliseconds(Int(config.proposeTimeoutMs)),
            proposeDelta: .milliseconds(Int(config.roundTimeoutDeltaMs)), prevote: .milliseconds(Int(config.voteTimeoutMs)),
            prevoteDelta: .milliseconds(Int(config.roundTimeoutDeltaMs)), precommit: .milliseconds(Int(config.voteTimeoutMs)),
            precommitDelta: .milliseconds(Int(config.roundTimeoutDeltaMs)), commit: .milliseconds(Int(config.blockIntervalMs)))
        wal = storage.wal
        pendingBlocks = storage.pendingBlocks
        (stopSignal, stopContinuation) = AsyncStream<Void>.makeStream()
        admission = AdmissionControl(blockIntervalMs: config.blockIntervalMs)
        // The head's certificate, stored with it: the next block's `parentCommit`, and what
        // lets this node serve the head to peers right after a restart.
        if let bytes = try store.seenCommit() {
            let certificate = try CommitCertificate(decoding: bytes)
            guard certificate.height == ledger.head.height, certificate.blockHash == ledger.head.hash else {
                throw NodeConfigError("the stored certificate is for block \(certificate.height) \(certificate.blockHash), not the head")
            }
            certificates[certificate.height] = certificate
            newestCertificate.set(certificate)
        }
        // A decision taken before the last stop but not committed (a crash or a full disk
        // mid-commit): commit it now from the stored body, or fetch the block from peers.
        if let decision = try pendingBlocks.decision(), decision.height == ledger.head.height + 1 {
            let certificate = try CommitCertificate(decoding: decision.certificate)
            let body = try pendingBlocks.bodies(atHeight: decision.height).first { $0.hash == decision.blockHash }
            if let body, let block = try? Block(storageEncoding: body.bytes), block.hash == decision.blockHash {
                var commit = try application.finalizeBlock(block)
                commit.certificate = decision.certificate
                try application.commit(commit)
                certificates[decision.height] = certificate
                newestCertificate.set(certificate)
                output("committed block \(decision.height) \(decision.blockHash.hex), decided before the last stop")
            } else {
                pendingDecision = (decision.height, decision.blockHash, certificate)
            }
        }
        try pendingBlocks.prune(belowHeight: ledger.head.height + 1)
        // Bodies of blocks this node proposed or voted for at the height it resumes.
        for body in try pendingBlocks.bodies(atHeight: ledger.head.height + 1) {
            if let block = try? Block(storageEncoding: body.bytes), block.hash == body.hash { blocks[block.hash] = block }
        }
        // The proposer order of the epoch being decided.
        let producers = try ValidatorSet(ledger.producers(ofEpoch: schedule.epoch(ofHeight: ledger.head.height + 1)))
        machine = ConsensusStateMachine(
            config: consensusConfig, validators: producers, key: key, signedHistory: wal?.records ?? [])
        var poolConfig = PoolConfig(rules: ledger.rules, capacity: config.poolCapacity, accountCapacity: config.poolAccountCapacity)
        let blockGasLimit = genesis.gasLimit
        poolConfig.executionCheck = { tx in
            BlockExecutor.permanentRefusal(tx, blockGasLimit: blockGasLimit).map { ($0.code, $0.description) }
        }
        pool = TransactionPool(config: poolConfig, state: StorePoolState(store: store))
        var p2pConfig = P2PConfig(chainID: genesis.chainID, genesisHash: try store.blockHash(atHeight: 0) ?? .zero)
        p2pConfig.listenHost = config.p2pListen.host
        p2pConfig.listenPort = config.p2pListen.port
        p2pConfig.staticPeers = config.peers.map { PeerEndpoint(host: $0.host, port: $0.port) }
        p2pConfig.bootnodes = config.bootnodes.map { PeerEndpoint(host: $0.host, port: $0.port) }
        p2pConfig.maxPeers = config.maxPeers
        p2pConfig.banHosts = false
        // The delegates (their node ids are their operator addresses) keep their slots under a
        // flood of unknown connections.
        p2pConfig.preferredPeers = Set(genesis.delegates.map(\.operatorAddress))
        // Peer connects, disconnects, unreachable peers and sync that moved blocks; the
        // routine catch-up polls (every 2 s to every peer, usually empty) are left out.
        p2pConfig.log = { line in
            if line.contains("sync: request"), line.contains(" asks ") || line.contains("with 0 blocks") {
                return
            }
            output(line)
        }
        let provider = BlockProvider(store: store, newest: newestCertificate)
        p2p = network.make(key ?? Secp256k1.PrivateKey.generate(), p2pConfig) { from, count in
            provider.blocks(from: from, count: count)
        }
    }

    /// Starts the network and consensus and runs until graceful shutdown (a `ServiceGroup`'s)
    /// or cancellation; then stops consensus (timers, event handling, catch-up) and leaves the
    /// network. Throws what stopped it otherwise: a network that cannot start, or a fatal
    /// error (`fail(_:)`).
    public func run() async throws {
        try await startNetwork()
        metrics.height.record(Int64(ledger.head.height))
        _ = attestationIntake()
        let events = p2p.events
        let listener = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        }
        let pollClock = clock.timers
        let syncer = Task { [weak self] in
            while !Task.isCancelled {
                try? await pollClock.sleep(for: .seconds(2))
                await self?.catchUp()
            }
        }
        perform(machine.handle(.start(height: ledger.head.height + 1)))
        await catchUp()
        // Until graceful shutdown, cancellation, or a fatal error stops the node.
        let stopSignal = self.stopSignal
        let stop = self.stopContinuation
        await withGracefulShutdownHandler {
            for await _ in stopSignal {}
        } onGracefulShutdown: {
            stop.finish()
        }
        listener.cancel()
        syncer.cancel()
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        if !networkIsService { await p2p.shutdown() }
        _ = await listener.result
        _ = await syncer.result
        attestationPool = nil  // its chain view holds the node
        if let fatal { throw fatal }
    }

    /// Stops the node after an error it cannot go on from (a failed durable write): nothing
    /// more is signed or committed, and `run()` returns by throwing `message`. What was made
    /// durable before lets the node resume once restarted.
    func fail(_ message: String) {
        guard fatal == nil else { return }
        output("fatal: \(message)")
        fatal = NodeConfigError(message)
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        stopContinuation.finish()
    }

    /// Starts the network once, however many callers ask (`run()` and `NetworkService`).
    func startNetwork() async throws {
        if networkStart == nil {
            let p2p = self.p2p
            networkStart = Task { try await p2p.start() }
        }
        let port: Int
        do { port = try await networkStart!.value } catch {
            throw NodeConfigError("cannot listen for peers on \(config.p2pListen.host):\(config.p2pListen.port): \(error)")
        }
        guard !networkAnnounced else { return }
        networkAnnounced = true
        output("node \(config.name): p2p on \(config.p2pListen.host):\(port), head \(ledger.head.height), "
            + (key.map { "delegate \($0.address.checksummed)" } ?? "follower"))
    }

    /// The node's p2p network as a service of its own, for a group that lists it before the
    /// node: started with the node, and stopped only after it (the node no longer stops it).
    public func makeNetworkService() -> NetworkService {
        networkIsService = true
        return NetworkService(node: self)
    }

    /// Leaves the network.
    func stopNetwork() async { await p2p.shutdown() }

    /// Whether a fatal error stopped the node (`run()` throws it).
    var failed: Bool { fatal != nil }

    /// The pool of attestations devices send to this delegate (nil for a follower), made once.
    func attestationIntake() -> AttestationPool? {
        guard key != nil else { return nil }
        if let attestationPool { return attestationPool }
        let made = AttestationPool(
            chainID: genesis.chainID,
            view: NodeAttestationView(node: self, store: ledger.store, schedule: EpochScheduleView(epochLength: schedule.epochLength)))
        attestationPool = made
        return made
    }

    /// This node's JSON-RPC servers (HTTP with `/health` and `/metrics`, and WebSocket), nil
    /// when `[rpc]` is off. `NodeServices` runs them beside the node.
    public func makeRPCServer() -> RPCServer? {
        guard config.rpcEnabled else { return nil }
        return RPCServer(
            service: RPCService(
                backend: NodeBackend(node: self, store: ledger.store, attestationIntake: attestationIntake()), limits: config.rpcLimits,
                metrics: metrics),
            httpHost: config.rpcListen.host, httpPort: config.rpcListen.port, wsHost: config.wsListen.host, wsPort: config.wsListen.port)
    }

    /// The RPC servers listen on `ports` (what `mote_nodeInfo` reports).
    func rpcListening(_ ports: (http: Int, ws: Int?)) { rpcPorts = ports }

    /// The newest finalized height.
    public var height: UInt64 { ledger.head.height }

    /// The hash of the finalized block at `height`, nil past the head.
    public func blockHash(atHeight height: UInt64) -> Hash32? { (try? ledger.store.blockHash(atHeight: height)) ?? nil }

    /// The balance of `address` at the head.
    public func balance(of address: Address) -> UInt256 { ((try? ledger.account(address)) ?? Account()).balance }

    // MARK: Network events

    func handle(_ event: P2PEvent) async {
        switch event {
        case .gossip(let message, let peer):
            switch message {
            case .proposal(let bytes): receiveProposal(bytes, from: peer)
            case .vote(let bytes):
                guard let vote = try? Vote(decoding: bytes) else { return await p2p.reportMisbehaviour(peer) }
                perform(machine.handle(.voteReceived(vote)))
            case .block(let bytes): receiveFinalized(bytes)
            case .transactions(let raws):
                let batch = Array(raws.prefix(10_000))
                let results = pool.add(rawTransactions: batch, now: clock.unixTime())
                let added = results.compactMap { try? $0.get() }
                if !added.isEmpty {
                    events.publish(.pendingTransactions(added))
                    // Pass on only what this pool accepted.
                    let accepted = zip(batch, results).compactMap { raw, result in (try? result.get()).map { _ in raw } }
                    let p2p = self.p2p
                    Task { await p2p.broadcast(.transactions(accepted), except: [peer]) }
                }
                metrics.poolSize.record(Int64(pool.count))
            default: break
            }
        case .peerConnected:
            metrics.peers.record(Int64(await p2p.connectedPeers().count))
            await catchUp()
        case .peerDisconnected:
            metrics.peers.record(Int64(await p2p.connectedPeers().count))
        default:
            break
        }
    }

    func receiveProposal(_ bytes: [UInt8], from peer: Address) {
        perform(proposalActions(bytes))
    }

    /// A proposal with its block. The proposal is checked first (height, round window, the
    /// round's proposer, its signature) and only then is the block decoded (its senders
    /// recovered): one block per round, from the one delegate allowed to propose it.
    func proposalActions(_ bytes: [UInt8]) -> [ConsensusStateMachine.Action] {
        guard fatal == nil, let fields = try? RLP.decode(bytes).listValue(), fields.count == 2,
            let proposal = try? Proposal(decoding: fields[0].bytesValue()),
            let blockBytes = try? fields[1].bytesValue()
        else { return [] }
        let next = ledger.head.height + 1
        if proposal.height == next + 1 {
            // One height early (this node is still committing): keep it, block and all, for
            // when this node gets there; the proposer's re-broadcasts are deduplicated away.
            guard earlyProposals[proposal.round] == nil, earlyProposals.count < Self.maxEarlyProposals,
                machine.validators.contains(proposal.proposer), (try? proposal.verify(chainID: genesis.chainID)) != nil
            else { return [] }
            earlyProposals[proposal.round] = (proposal, bytes)
            return []
        }
        guard proposal.height == next, proposal.round <= machine.round &+ consensusConfig.maxRoundsAhead,
            proposalBlocks[proposal.round] == nil,
            proposal.proposer == machine.validators.proposer(height: next, round: proposal.round),
            (try? proposal.verify(chainID: genesis.chainID)) != nil
        else { return [] }
        guard let block = blocks[proposal.blockHash]
                ?? (try? Block(encoded: blockBytes, rules: ledger.rules, knownSender: { [pool] in pool.transaction($0)?.sender })),
            block.hash == proposal.blockHash, block.height == next
        else { return [] }
        blocks[block.hash] = block
        proposalBlocks[proposal.round] = block.hash
        if heightStarted == nil { heightStarted = .now }
        return machine.handle(.proposalReceived(proposal))
    }

    /// A finalized block with its certificate (sent to a lagging node, or fetched by sync).
    /// Only the next height is wanted: anything else is dropped before any sender is recovered.
    func receiveFinalized(_ bytes: [UInt8]) {
        guard let fields = try? RLP.decode(bytes).listValue(), fields.count == 2,
            let blockBytes = try? fields[0].bytesValue(),
            let header = try? Block.header(ofEncoded: blockBytes), header.height == ledger.head.height + 1
        else { return }
        guard let (block, certificate) = try? Self.decodeFinalized(bytes, rules: ledger.rules, pool: pool),
            block.height == ledger.head.height + 1, certificate.blockHash == block.hash,
            let validators = validatorSet(forHeight: block.height),
            (try? certificate.verify(validators: validators, chainID: genesis.chainID)) != nil
        else { return }
        blocks[block.hash] = block
        if let pending = pendingDecision, pending.height == block.height, pending.blockHash == block.hash {
            pendingDecision = nil
            perform(decide(height: pending.height, blockHash: pending.blockHash, certificate: pending.certificate))
            return
        }
        perform(machine.handle(.certificateReceived(certificate)))
    }

    /// Fetches finalized blocks from peers while they have newer ones.
    func catchUp() async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        var fetched = false
        for peer in await p2p.connectedPeers() {
            while true {
                let from = ledger.head.height + 1
                guard let batch = try? await p2p.requestBlocks(from: from, count: 64, peer: peer.nodeID), !batch.isEmpty else { break }
                let before = ledger.head.height
                for bytes in batch { receiveFinalized(bytes) }
                if ledger.head.height == before { break }
                fetched = true
                behind = batch.count == 64
            }
        }
        if !fetched { behind = false }
    }

    // MARK: Actions

    func perform(_ actions: [ConsensusStateMachine.Action]) {
        var queue = actions[...]
        while fatal == nil, let action = queue.popFirst() {
            queue += run(action)
        }
    }

    /// Carries out one action; returns the actions of any event it fed back to the machine.
    func run(_ action: ConsensusStateMachine.Action) -> [ConsensusStateMachine.Action] {
        switch action {
        case .writeAheadLog(let record):
            // The body of a block this node signs for is durable before the signature is.
            var signedFor: Hash32?
            switch record.message {
            case .proposal(let proposal): signedFor = proposal.blockHash
            case .vote(let vote) where vote.signer == key?.address: signedFor = vote.blockHash
            case .vote: signedFor = nil
            }
            do {
                if let hash = signedFor, let block = blocks[hash] {
                    try pendingBlocks.saveBody(height: block.height, hash: hash, bytes: block.storageEncoding)
                }
                try wal?.append(record)
            } catch {
                fail("vote WAL write failed: \(error)")
            }
            return []
        case .broadcastProposal(let proposal), .relayProposal(let proposal):
            guard let block = blocks[proposal.blockHash] else { return [] }
            let bytes = RLP.encode(.list([.bytes(proposal.encoded()), .bytes(block.encoded)]))
            let p2p = self.p2p
            Task { await p2p.broadcast(.proposal(bytes)) }
            return []
        case .broadcastVote(let vote), .relayVote(let vote):
            let p2p = self.p2p
            let bytes = vote.encoded()
            Task { await p2p.broadcast(.vote(bytes)) }
            return []
        case .requestBlock(let height, let round):
            guard height == ledger.head.height + 1, let key else { return [] }
            let candidates = pool.select(baseFee: ledger.nextBaseFee, gasLimit: genesis.gasLimit, maxCount: 10_000)
            do {
                let epoch = schedule.epoch(ofHeight: height)
                let seed = try ledger.seed(ofEpoch: epoch)
                let vrfProof = vrfKey.map {
                    ECVRF.prove(secretKey: $0, alpha: EpochSchedule.vrfInput(seed: seed, height: height), suite: .tai).bytes
                } ?? []
                let built = try application.prepareProposal(
                    candidates: candidates, producer: key.address, timestamp: clock.unixTime(),
                    epoch: epoch, parentCommit: certificates[height - 1]?.encoded() ?? [], vrfProof: vrfProof)
                blocks[built.block.hash] = built.block
                checked[built.block.hash] = built.commit
                if heightStarted == nil { heightStarted = .now }
                return machine.handle(.blockBuilt(height: height, round: round, blockHash: built.block.hash))
            } catch {
                output("could not build block \(height): \(error)")
                return []
            }
        case .validateBlock(let height, let blockHash):
            guard height == ledger.head.height + 1, let block = blocks[blockHash] else { return [] }
            return machine.handle(.blockValidated(height: height, blockHash: blockHash, isValid: validate(block)))
        case .scheduleTimeout(let timeout, let delay):
            timers[timeout]?.cancel()
            let clock = self.clock.timers
            timers[timeout] = Task { [weak self] in
                try? await clock.sleep(for: delay)
                guard !Task.isCancelled else { return }
                await self?.fire(timeout)
            }
            return []
        case .decide(let height, let blockHash, let certificate):
            return decide(height: height, blockHash: blockHash, certificate: certificate)
        case .recordEvidence(let evidence):
            do { try evidenceLog.append(evidence) } catch { output("evidence not logged: \(error)") }
            output("evidence: double signing by \(evidence.first.signer.checksummed) at height \(evidence.first.height)")
            reportOnChain(evidence)
            return []
        case .peerLagging(let peer, let height):
            guard lagging[peer] != height else { return [] }
            lagging[peer] = height
            guard let bytes = BlockProvider(store: ledger.store, newest: newestCertificate).finalized(height: height, latest: certificates[height]) else { return [] }
            let p2p = self.p2p
            Task { await p2p.send(.block(bytes), to: peer) }
            return []
        }
    }

    func fire(_ timeout: ConsensusStateMachine.Timeout) {
        timers[timeout] = nil
        perform(machine.handle(.timeout(timeout)))
    }

    /// Whether a proposed block may be voted for (`BlockValidator`); its execution is kept
    /// for the commit.
    func validate(_ block: Block) -> Bool {
        if checked[block.hash] != nil { return true }
        guard let commit = try? application.processProposal(block) else { return false }
        checked[block.hash] = commit
        return true
    }

    func decide(height: UInt64, blockHash: Hash32, certificate: CommitCertificate) -> [ConsensusStateMachine.Action] {
        guard height == ledger.head.height + 1 else { return [] }
        var commit = checked[blockHash]
        if commit == nil, let block = blocks[blockHash] { commit = try? application.finalizeBlock(block) }
        guard var commit else {
            output("decided block \(blockHash) at \(height) is unknown here; fetching it from peers")
            pendingDecision = (height, blockHash, certificate)
            Task { [weak self] in await self?.catchUp() }
            return []
        }
        // The decision and its block are durable before the commit: a commit that fails
        // (a full disk) or is cut short is finished at the next start, without any peer.
        commit.certificate = certificate.encoded()
        do {
            try pendingBlocks.saveBody(height: height, hash: blockHash, bytes: commit.block.storageEncoding)
            try pendingBlocks.saveDecision(PendingDecision(height: height, blockHash: blockHash, certificate: commit.certificate))
            try application.commit(commit)
        } catch {
            fail("commit of block \(height) failed: \(error) (it resumes from the stored decision once restarted)")
            return []
        }
        pool.blockCommitted(commit.block.transactions)
        admission.committed(transactions: commit.block.transactions.count)
        events.publish(.block(commit.block, commit.receipts))
        metrics.height.record(Int64(height))
        metrics.poolSize.record(Int64(pool.count))
        metrics.transactions.increment(by: Int64(commit.block.transactions.count))
        if let started = heightStarted { metrics.finality.record(ContinuousClock.now - started) }
        heightStarted = nil
        certificates[height] = certificate
        newestCertificate.set(certificate)
        if height > 3 { certificates[height - 3] = nil }
        blocks.removeAll()
        checked.removeAll()
        proposalBlocks.removeAll()
        do {
            try wal?.prune(belowHeight: height)
            try pendingBlocks.prune(belowHeight: height + 1)
        } catch {
            fail("vote WAL prune failed: \(error)")
            return []
        }
        output("finalized \(height) \(blockHash.hex) txs=\(commit.block.transactions.count) round=\(certificate.round)")
        includeAttestations(after: height)
        // The last block of an epoch: the next epoch's proposer order, from the VRF outputs.
        var next: ValidatorSet? = nil
        let epoch = schedule.epoch(ofHeight: height)
        if height == schedule.lastHeight(ofEpoch: epoch) {
            // Every node derives the same order from committed state: failing to is a local
            // fault, and going on with the old order would split this node from the rest.
            do {
                let order = try ledger.producers(ofEpoch: epoch + 1)
                next = try ValidatorSet(order)
                output("epoch \(epoch + 1) producers \(order.map(\.checksummed).joined(separator: ","))")
                // Delegates elected after genesis get the same protected p2p slots.
                let p2p = self.p2p
                let preferred = Set(order).union(genesis.delegates.map(\.operatorAddress))
                Task { await p2p.setPreferredPeers(preferred) }
            } catch {
                fail("cannot derive the producers of epoch \(epoch + 1): \(error)")
                return []
            }
        }
        var actions = machine.handle(.committed(height: height, nextValidators: next))
        // Proposals that arrived one height early, now for the height being decided.
        let early = earlyProposals.sorted { $0.key < $1.key }
        earlyProposals.removeAll()
        for (_, item) in early { actions += proposalActions(item.bytes) }
        return actions
    }

    /// A delegate reports double signing to the Staking contract in a transaction of its own
    /// (paying the gas, earning the reporter's share of the slash).
    func reportOnChain(_ evidence: DoubleSignEvidence) {
        guard let operatorAccount, let calldata = try? StakingABI.reportDoubleSign.abi.encodeCall([.bytes(evidence.encoded())]),
            let raw = operatorAccount.call(
                StakingABI.address, data: calldata, gas: 1_000_000, nonce: pool.nonce(for: operatorAccount.address),
                nextBaseFee: ledger.nextBaseFee)
        else { return }
        Task { [weak self] in
            guard let self else { return }
            if case .failure(let error) = await self.submit([raw], fromClient: false)[0] { self.output("evidence report not sent: \(error)") }
        }
    }

    /// Submits raw transactions as if received from a client; `fromClient: false` (this node's
    /// own evidence reports and attestation batches) bypasses admission control.
    public func submit(_ raws: [[UInt8]], fromClient: Bool = true) async -> [Result<Hash32, PoolError>] {
        guard fromClient else { return await admit(raws) }
        // Admission control: only what the pool can hand to the chain within about 1.5 block
        // intervals is taken; the rest is refused now, not queued.
        let limit = admission.limit
        let room = max(0, limit - pool.count)
        guard room < raws.count else { return await admit(raws) }
        let admitted = await admit(Array(raws.prefix(room)))
        let pooled = pool.count
        return admitted + Array(repeating: .failure(PoolError.overloaded(pooled: pooled, limit: limit)), count: raws.count - room)
    }

    private func admit(_ raws: [[UInt8]]) async -> [Result<Hash32, PoolError>] {
        guard !raws.isEmpty else { return [] }
        let results = pool.add(rawTransactions: raws, now: clock.unixTime())
        let accepted = zip(raws, results).compactMap { raw, result in (try? result.get()).map { _ in raw } }
        if !accepted.isEmpty {
            events.publish(.pendingTransactions(results.compactMap { try? $0.get() }))
            metrics.poolSize.record(Int64(pool.count))
            await p2p.broadcast(.transactions(accepted))
        }
        return results
    }

    /// The producers of the epoch of `height`, who sign its certificates; nil if unknown.
    func validatorSet(forHeight height: UInt64) -> ValidatorSet? { validator.validators(forHeight: height, ledger: ledger) }

    /// A finalized block and its certificate; senders the pool already recovered are reused.
    static func decodeFinalized(_ bytes: [UInt8], rules: TransactionRules, pool: TransactionPool) throws -> (Block, CommitCertificate) {
        let fields = try RLP.decode(bytes).listValue()
        guard fields.count == 2 else { throw NodeConfigError("finalized block: expected [block, certificate]") }
        let certificate = try CommitCertificate(decoding: try fields[1].bytesValue())
        let block = try Block(encoded: try fields[0].bytesValue(), rules: rules, knownSender: { pool.transaction($0)?.sender })
        return (block, certificate)
    }
}

/// Serves finalized blocks with their certificates to peers: the certificate of block h is in
/// the header of block h + 1 (`parentCommit`), or, for the newest block, kept by the node.
struct BlockProvider: Sendable {
    let store: any ChainStore
    /// The certificate of the newest block, which no header holds yet.
    let newest: NewestCertificate

    func blocks(from: UInt64, count: UInt32) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var height = from
        while out.count < Int(min(count, 128)), let bytes = finalized(height: height, latest: newest.certificate(forHeight: height)) {
            out.append(bytes)
            height += 1
        }
        return out
    }

    func finalized(height: UInt64, latest: CommitCertificate?) -> [UInt8]? {
        guard height >= 1, let block = try? store.block(atHeight: height) else { return nil }
        let certificate: [UInt8]
        if let next = try? store.header(atHeight: height + 1), !next.parentCommit.isEmpty {
            certificate = next.parentCommit
        } else if let latest {
            certificate = latest.encoded()
        } else {
            return nil
        }
        return RLP.encode(.list([.bytes(block.encoded), .bytes(certificate)]))
    }
}

/// The newest commit certificate the node has, shared with the thread that serves sync: a
/// node that fell behind (or was not a delegate until now) fetches the newest block with it.
final class NewestCertificate: @unchecked Sendable {
    private let lock = NSLock()
    private var newest: CommitCertificate?

    func set(_ certificate: CommitCertificate) {
        lock.lock()
        defer { lock.unlock() }
        if newest.map({ $0.height < certificate.height }) ?? true { newest = certificate }
    }

    func certificate(forHeight height: UInt64) -> CommitCertificate? {
        lock.lock()
        defer { lock.unlock() }
        return newest?.height == height ? newest : nil
    }
}

/// The pool's view of the latest committed state, read from the node's store.
public struct StorePoolState: PoolStateView {
    let store: any ChainStore

    public init(store: any ChainStore) { self.store = store }

    public func account(_ address: Address) -> Account { ((try? store.account(address)) ?? nil) ?? Account() }
}
