import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport

/// A deterministic world for consensus tests: N nodes, each a `ConsensusStateMachine` with a
/// small application, a manual clock whose timers fire in virtual-time order, and a network
/// that delays, drops and reorders messages, all drawn from one seeded `SplitMix64`.
///
/// Blocks and certificates are first-class, as in the node: a block exists only where it was
/// built or received (proposals travel with their block), carries its parent's certificate
/// (valid only if that certificate verifies and names the node's head), and a node that
/// decides a block it lacks fetches it, with its certificate, from peers. What a node keeps
/// across a crash is what the real node makes durable: its chain with the head's certificate
/// (the seen commit), the vote WAL, and the pending block store (bodies of blocks it signed
/// for, and a decision before its commit). Everything else is lost.
final class Simulation {
    /// How a node behaves.
    enum Behaviour: Equatable {
        case honest
        /// Never starts, never sends.
        case crashed
        /// Proposes two blocks and votes two ways, to different halves of the network.
        case equivocating
        /// Proposes two blocks, and besides its own vote signs one for every block it has
        /// seen proposed at that height, each sent to a random subset: it lends its weight to
        /// whatever could form a quorum, which turns any flaw in the locking rules into a fork.
        case amplifying
    }

    /// A block: its height, its parent's certificate (nil at height 1) and a salt that makes
    /// each built block distinct. The hash covers all three.
    struct Block: Hashable {
        let height: UInt64
        let parentCommit: CommitCertificate?
        let salt: UInt64

        var hash: Hash32 {
            Keccak256.hash(RLP.encode(.list([.uint(height), .bytes(parentCommit?.encoded() ?? []), .uint(salt)])))
        }
        var encoded: [UInt8] { RLP.encode(.list([.uint(height), .bytes(parentCommit?.encoded() ?? []), .uint(salt)])) }

        init(height: UInt64, parentCommit: CommitCertificate?, salt: UInt64) {
            self.height = height
            self.parentCommit = parentCommit
            self.salt = salt
        }

        init?(encoded bytes: [UInt8]) {
            guard let f = try? RLP.decode(bytes).listValue(), f.count == 3, let height = try? f[0].uint64Value(),
                let commit = try? f[1].bytesValue(), let salt = try? f[2].uint64Value()
            else { return nil }
            self.init(height: height, parentCommit: commit.isEmpty ? nil : try? CommitCertificate(decoding: commit), salt: salt)
        }
    }

    /// A message on the simulated wire.
    enum Message {
        /// A proposal with its block (nil when the sender does not have it).
        case proposal(Proposal, Block?)
        case vote(Vote)
        /// A finalized block with its certificate (to a lagging node, or a sync answer).
        case finalized(CommitCertificate, Block)
        /// A request for the finalized block at a height.
        case syncRequest(height: UInt64)
    }

    /// Crash every node at random moments, over and over: each node goes down within
    /// `spread` of each `every` mark and comes back after 100 to 1,000 ms (sometimes in the
    /// middle of committing a block: after its decision is durable, before the commit).
    struct WholeNetworkCrashes {
        var cycles: Int
        var every: Int64 = 4_000
        var spread: Int64 = 400
    }

    /// A cut between two groups of nodes for a stretch of virtual time.
    struct Partition {
        var sideA: Set<Int>
        var from: Int64
        var until: Int64
    }

    struct Settings {
        var nodeCount = 4
        var seed: UInt64 = 1
        var dropRate = 0.05
        var minDelay: Int64 = 2
        var maxDelay: Int64 = 60
        var behaviours: [Int: Behaviour] = [:]
        /// Byzantine nodes' messages take at most a few milliseconds.
        var fastByzantine = false
        var partition: Partition?
        /// Node index whose WAL crashes on its `crashAtWrite`-th append (0-based), cut mid-record.
        var crashNode: Int?
        var crashAtWrite = 0
        var restartDelay: Int64 = 300
        var crashes: WholeNetworkCrashes?
        /// How often an up node asks a random peer for the block after its head.
        var syncInterval: Int64 = 1_000
        var consensus = ConsensusConfig(
            chainID: 4690, propose: .milliseconds(300), proposeDelta: .milliseconds(150),
            prevote: .milliseconds(150), prevoteDelta: .milliseconds(75), precommit: .milliseconds(150),
            precommitDelta: .milliseconds(75), commit: .milliseconds(40), rebroadcast: .milliseconds(500))
    }

    final class Node {
        let index: Int
        let key: Secp256k1.PrivateKey
        let behaviour: Behaviour
        var machine: ConsensusStateMachine
        var storage: CrashingWALStorage
        var wal: VoteWAL
        var incarnation = 0
        var isDown = false
        /// Decided blocks (the application's chain), with the virtual time of each decision.
        var decisions: [UInt64: Hash32] = [:]
        var decisionTimes: [UInt64: Int64] = [:]
        /// Durable: the chain's blocks and certificates (the head's is the seen commit).
        var certificates: [UInt64: CommitCertificate] = [:]
        var chainBlocks: [UInt64: Block] = [:]
        /// Durable: bodies of blocks signed for, and a decision before its commit.
        let pending = InMemoryPendingBlockStore()
        /// Lost at a crash: blocks seen at the height being decided, and a decision whose
        /// block has not arrived.
        var blocks: [Hash32: Block] = [:]
        var awaiting: (height: UInt64, blockHash: Hash32, certificate: CommitCertificate)?
        /// When the node last came back up (for the resumption check).
        var startedAt: Int64 = 0
        var evidence: [DoubleSignEvidence] = []
        var walWrites = 0
        var crashes = 0

        init(index: Int, key: Secp256k1.PrivateKey, behaviour: Behaviour, machine: ConsensusStateMachine, storage: CrashingWALStorage, wal: VoteWAL) {
            self.index = index
            self.key = key
            self.behaviour = behaviour
            self.machine = machine
            self.storage = storage
            self.wal = wal
        }

        var committedHeight: UInt64 { UInt64(decisions.count) }
    }

    private enum Scheduled {
        case deliver(from: Int, to: Int, Message)
        case timeout(node: Int, incarnation: Int, ConsensusStateMachine.Timeout)
        case restart(node: Int)
        case crash(node: Int, midCommit: Bool)
        case sync(node: Int, incarnation: Int)
    }

    /// The time of the last scheduled whole-network restart (0 if none).
    private(set) var lastRestart: Int64 = 0
    /// Crashes injected in the middle of a commit (decision durable, block not yet committed).
    private(set) var midCommitCrashes = 0
    private var crashBeforeCommit: Set<Int> = []

    let settings: Settings
    let validators: ValidatorSet
    private(set) var nodes: [Node] = []
    private(set) var now: Int64 = 0
    private var rng: SplitMix64
    private var queue = EventQueue<Scheduled>()
    /// Every vote each node released to the network, by slot: the double-signing check.
    private(set) var released: [Int: [VoteSlot: Set<Vote>]] = [:]
    private(set) var deliveredMessages = 0
    /// Blocks the Byzantine node has seen proposed, per height.
    private var knownBlocks: [UInt64: Set<Hash32>] = [:]
    /// The Byzantine node's second proposal per (height, round), and its extra votes: signed
    /// once, re-sent with every rebroadcast.
    private var alternativeProposals: [[UInt64]: Proposal] = [:]
    private var extraVotes: [VoteSlot: [Hash32: Vote]] = [:]
    private var alternativeBlocks: [Hash32: Block] = [:]

    struct VoteSlot: Hashable {
        let height: UInt64
        let round: UInt32
        let kind: VoteKind
    }

    init(_ settings: Settings) {
        self.settings = settings
        rng = SplitMix64(seed: settings.seed)
        let keys = (0..<settings.nodeCount).map { i in
            try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "mote sim delegate \(i)").bytes)
        }
        validators = try! ValidatorSet(keys.map(\.address))
        for (i, key) in keys.enumerated() {
            let storage = CrashingWALStorage()
            if settings.crashNode == i { storage.crashOnAppend = settings.crashAtWrite }
            let wal = try! VoteWAL(storage: storage)
            let machine = ConsensusStateMachine(config: settings.consensus, validators: validators, key: key)
            nodes.append(Node(
                index: i, key: key, behaviour: settings.behaviours[i] ?? .honest, machine: machine, storage: storage, wal: wal))
        }
    }

    var honestNodes: [Node] { nodes.filter { $0.behaviour == .honest } }

    /// Runs until every honest node has committed `height`, or virtual time passes `deadline`.
    func run(untilHeight height: UInt64, deadline: Int64 = 600_000) {
        startIfNeeded()
        while let (time, event) = queue.popFirst() {
            now = time
            dispatch(event)
            if honestNodes.allSatisfy({ $0.committedHeight >= height }) || now > deadline { return }
        }
    }

    /// Runs until virtual time `time`.
    func run(until time: Int64) {
        startIfNeeded()
        while let next = queue.peekTime(), next <= time {
            let (t, event) = queue.popFirst()!
            now = t
            dispatch(event)
        }
        now = time
    }

    private var started = false

    private func startIfNeeded() {
        guard !started else { return }
        started = true
        for node in nodes where node.behaviour != .crashed {
            feed(node, .start(height: 1))
            queue.insert(.sync(node: node.index, incarnation: node.incarnation), at: settings.syncInterval)
        }
        if let crashes = settings.crashes {
            for cycle in 1...max(1, crashes.cycles) {
                let mark = Int64(cycle) * crashes.every
                for node in nodes where node.behaviour == .honest {
                    let at = mark + Int64(rng.next() % UInt64(crashes.spread))
                    queue.insert(.crash(node: node.index, midCommit: rng.next() % 3 == 0), at: at)
                    lastRestart = max(lastRestart, at + 1_000)
                }
            }
        }
    }

    private func dispatch(_ event: Scheduled) {
        switch event {
        case .deliver(let from, let to, let message):
            let node = nodes[to]
            guard !node.isDown, node.behaviour != .crashed, !partitioned(from, to) else { return }
            deliveredMessages += 1
            switch message {
            case .proposal(let proposal, let block):
                if node.behaviour == .amplifying { knownBlocks[proposal.height, default: []].insert(proposal.blockHash) }
                if let block, block.hash == proposal.blockHash, block.height == node.committedHeight + 1 {
                    node.blocks[block.hash] = block
                }
                feed(node, .proposalReceived(proposal))
            case .vote(let vote): feed(node, .voteReceived(vote))
            case .finalized(let certificate, let block):
                receiveFinalized(node, certificate, block)
            case .syncRequest(let height):
                if let block = node.chainBlocks[height], let certificate = node.certificates[height] {
                    send(from: to, to: from, .finalized(certificate, block))
                }
            }
        case .timeout(let index, let incarnation, let timeout):
            let node = nodes[index]
            guard !node.isDown, node.incarnation == incarnation else { return }
            feed(node, .timeout(timeout))
        case .restart(let index):
            restart(nodes[index])
        case .crash(let index, let midCommit):
            let node = nodes[index]
            guard !node.isDown else { return }
            if midCommit {
                // Armed: the node dies at its next decision, after making it durable.
                crashBeforeCommit.insert(index)
            } else {
                crash(node, after: 100 + Int64(rng.next() % 900))
            }
        case .sync(let index, let incarnation):
            let node = nodes[index]
            guard !node.isDown, node.incarnation == incarnation else { return }
            let peers = nodes.indices.filter { $0 != index }
            let peer = peers[Int(rng.next() % UInt64(peers.count))]
            send(from: index, to: peer, .syncRequest(height: node.committedHeight + 1))
            queue.insert(.sync(node: index, incarnation: incarnation), at: now + settings.syncInterval)
        }
    }

    /// A finalized block with its certificate: taken only for the next height, and only if
    /// the certificate verifies and names the block.
    private func receiveFinalized(_ node: Node, _ certificate: CommitCertificate, _ block: Block) {
        guard block.height == node.committedHeight + 1, certificate.height == block.height, certificate.blockHash == block.hash,
            (try? certificate.verify(validators: validators, chainID: settings.consensus.chainID)) != nil
        else { return }
        node.blocks[block.hash] = block
        if let awaiting = node.awaiting, awaiting.blockHash == block.hash {
            node.awaiting = nil
            commit(node, block, awaiting.certificate)
            feed(node, .committed(height: block.height, nextValidators: nil))
            return
        }
        feed(node, .certificateReceived(certificate))
    }

    /// Whether `block` may be voted for by `node`: it extends the node's head, with a parent
    /// certificate that verifies and names the head.
    private func isValid(_ block: Block, at node: Node) -> Bool {
        guard block.height == node.committedHeight + 1 else { return false }
        guard block.height > 1 else { return block.parentCommit == nil }
        guard let parent = block.parentCommit, parent.height == block.height - 1,
            parent.blockHash == node.decisions[block.height - 1],
            (try? parent.verify(validators: validators, chainID: settings.consensus.chainID)) != nil
        else { return false }
        return true
    }

    /// Commits a decided block to the node's chain (atomically with its certificate).
    private func commit(_ node: Node, _ block: Block, _ certificate: CommitCertificate) {
        let height = block.height
        precondition(node.decisions[height] == nil, "node \(node.index) decided height \(height) twice")
        node.decisions[height] = block.hash
        node.decisionTimes[height] = now
        node.certificates[height] = certificate
        node.chainBlocks[height] = block
        node.blocks = [:]
        try! node.pending.prune(belowHeight: height + 1)
        if height % 3 == 0 { try! node.wal.prune(belowHeight: height + 1) }
    }

    /// Restart after a crash, as the node does: reopen the WAL (truncating a torn tail),
    /// finish a decision made durable before the crash, reload the bodies of blocks signed
    /// for at the next height, and rebuild the machine from the WAL at that height.
    private func restart(_ node: Node) {
        node.storage.crashOnAppend = nil
        node.wal = try! VoteWAL(storage: node.storage)
        node.blocks = [:]
        node.awaiting = nil
        if let decision = try! node.pending.decision(), decision.height == node.committedHeight + 1 {
            let certificate = try! CommitCertificate(decoding: decision.certificate)
            if let body = try! node.pending.bodies(atHeight: decision.height).first(where: { $0.hash == decision.blockHash }),
                let block = Block(encoded: body.bytes)
            {
                commit(node, block, certificate)
            } else {
                node.awaiting = (decision.height, decision.blockHash, certificate)
            }
        }
        for body in try! node.pending.bodies(atHeight: node.committedHeight + 1) {
            if let block = Block(encoded: body.bytes), block.hash == body.hash { node.blocks[body.hash] = block }
        }
        node.machine = ConsensusStateMachine(
            config: settings.consensus, validators: validators, key: node.key, signedHistory: node.wal.records)
        node.incarnation += 1
        node.isDown = false
        node.startedAt = now
        feed(node, .start(height: node.committedHeight + 1))
        queue.insert(.sync(node: node.index, incarnation: node.incarnation), at: now + 50)
    }

    private func crash(_ node: Node, after delay: Int64? = nil) {
        node.isDown = true
        node.crashes += 1
        queue.insert(.restart(node: node.index), at: now + (delay ?? settings.restartDelay))
    }

    /// Hands `event` to the node's machine and performs the actions, feeding the application's
    /// answers back in order. A failed WAL append is a crash: nothing after it is performed.
    private func feed(_ node: Node, _ event: ConsensusStateMachine.Event) {
        var pending = [event]
        while !pending.isEmpty, !node.isDown {
            let actions = node.machine.handle(pending.removeFirst())
            for action in actions {
                switch action {
                case .writeAheadLog(let record):
                    node.walWrites += 1
                    // As the node does: the body of a block it signs for is durable first.
                    var signedFor: Hash32?
                    switch record.message {
                    case .proposal(let proposal): signedFor = proposal.blockHash
                    case .vote(let vote) where vote.signer == node.key.address: signedFor = vote.blockHash
                    case .vote: signedFor = nil
                    }
                    if let hash = signedFor, let block = node.blocks[hash] {
                        try! node.pending.saveBody(height: block.height, hash: hash, bytes: block.encoded)
                    }
                    do { try node.wal.append(record) } catch {
                        crash(node)
                        return
                    }
                case .broadcastProposal(let proposal):
                    broadcast(from: node, .proposal(proposal, node.blocks[proposal.blockHash]))
                case .broadcastVote(let vote):
                    released[node.index, default: [:]][VoteSlot(height: vote.height, round: vote.round, kind: vote.kind), default: []].insert(vote)
                    broadcast(from: node, .vote(vote))
                case .relayVote(let vote):
                    for to in nodes.indices where to != node.index { send(from: node.index, to: to, .vote(vote)) }
                case .relayProposal(let proposal):
                    let block = node.blocks[proposal.blockHash]
                    for to in nodes.indices where to != node.index { send(from: node.index, to: to, .proposal(proposal, block)) }
                case .requestBlock(let height, let round):
                    // The parent's certificate comes from the node's durable chain.
                    let block = Block(height: height, parentCommit: node.certificates[height - 1], salt: rng.next())
                    node.blocks[block.hash] = block
                    pending.append(.blockBuilt(height: height, round: round, blockHash: block.hash))
                case .validateBlock(let height, let blockHash):
                    // Without the block there is nothing to judge: the machine times out.
                    if let block = node.blocks[blockHash] {
                        pending.append(.blockValidated(height: height, blockHash: blockHash, isValid: isValid(block, at: node)))
                    }
                case .scheduleTimeout(let timeout, let after):
                    let ms = after.components.seconds * 1000 + after.components.attoseconds / 1_000_000_000_000_000
                    queue.insert(.timeout(node: node.index, incarnation: node.incarnation, timeout), at: now + ms)
                case .decide(let height, let blockHash, let certificate):
                    guard let block = node.blocks[blockHash] else {
                        // Decided a block it never received: fetch it with its certificate.
                        node.awaiting = (height, blockHash, certificate)
                        for to in nodes.indices where to != node.index { send(from: node.index, to: to, .syncRequest(height: height)) }
                        continue
                    }
                    try! node.pending.saveBody(height: height, hash: blockHash, bytes: block.encoded)
                    try! node.pending.saveDecision(PendingDecision(height: height, blockHash: blockHash, certificate: certificate.encoded()))
                    if crashBeforeCommit.remove(node.index) != nil {
                        midCommitCrashes += 1
                        crash(node, after: 100 + Int64(rng.next() % 900))
                        return
                    }
                    commit(node, block, certificate)
                    pending.append(.committed(height: height, nextValidators: nil))
                case .recordEvidence(let evidence):
                    node.evidence.append(evidence)
                case .peerLagging(let peer, let height):
                    if let certificate = node.certificates[height], let block = node.chainBlocks[height],
                        let to = validators.index(of: peer)
                    {
                        send(from: node.index, to: to, .finalized(certificate, block))
                    }
                }
            }
        }
    }

    private func broadcast(from node: Node, _ message: Message) {
        let others = (0..<nodes.count).filter { $0 != node.index }
        if node.behaviour == .amplifying, case .vote(let v) = message {
            for to in others { send(from: node.index, to: to, message) }
            let slot = VoteSlot(height: v.height, round: v.round, kind: v.kind)
            for hash in (knownBlocks[v.height] ?? []).sorted() where hash != v.blockHash {
                let extra = extraVotes[slot, default: [:]][hash] ?? Vote(
                    kind: v.kind, height: v.height, round: v.round, blockHash: hash, chainID: settings.consensus.chainID,
                    signingWith: node.key)
                extraVotes[slot, default: [:]][hash] = extra
                for to in others where rng.next() % 2 == 0 { send(from: node.index, to: to, .vote(extra)) }
            }
            return
        }
        guard node.behaviour == .equivocating || node.behaviour == .amplifying else {
            for to in others { send(from: node.index, to: to, message) }
            return
        }
        // Half the peers get the real message, the other half a conflicting one; now and then
        // one of the first half gets both.
        let half = others.count / 2
        let (first, second) = (Array(others[..<half]), Array(others[half...]))
        let conflicting: Message
        switch message {
        case .proposal(let p, let block):
            // A second, equally valid block on the same parent.
            let alternative = Block(height: p.height, parentCommit: block?.parentCommit ?? node.certificates[p.height - 1], salt: rng.next())
            let other = alternativeProposals[[p.height, UInt64(p.round)]] ?? Proposal(
                height: p.height, round: p.round, blockHash: alternative.hash, polRound: p.polRound,
                chainID: settings.consensus.chainID, signingWith: node.key)
            if alternativeProposals[[p.height, UInt64(p.round)]] == nil { alternativeBlocks[other.blockHash] = alternative }
            alternativeProposals[[p.height, UInt64(p.round)]] = other
            knownBlocks[p.height, default: []].formUnion([p.blockHash, other.blockHash])
            conflicting = .proposal(other, alternativeBlocks[other.blockHash])
        case .vote(let v):
            let other: Hash32? = v.blockHash == nil || rng.next() % 2 == 0 ? Hash32(bytes: rng.bytes(32))! : nil
            conflicting = .vote(Vote(
                kind: v.kind, height: v.height, round: v.round, blockHash: other, chainID: settings.consensus.chainID,
                signingWith: node.key))
        case .finalized, .syncRequest:
            conflicting = message
        }
        for to in first { send(from: node.index, to: to, message) }
        for to in second { send(from: node.index, to: to, conflicting) }
        if rng.next() % 3 == 0, let extra = first.randomElement(using: &rng) {
            send(from: node.index, to: extra, conflicting)
        }
    }

    private func send(from: Int, to: Int, _ message: Message) {
        guard !partitioned(from, to) else { return }
        if Double(rng.next() % 10_000) / 10_000 < settings.dropRate { return }
        // A Byzantine node with a fast link: its messages arrive in a few milliseconds, while
        // honest ones crawl, which widens the windows in which honest views differ.
        let fast = settings.fastByzantine && nodes[from].behaviour != .honest
        let maxDelay = fast ? settings.minDelay + 8 : settings.maxDelay
        let delay = settings.minDelay + Int64(rng.next() % UInt64(maxDelay - settings.minDelay + 1))
        queue.insert(.deliver(from: from, to: to, message), at: now + delay)
    }

    private func partitioned(_ a: Int, _ b: Int) -> Bool {
        guard let p = settings.partition, now >= p.from, now < p.until else { return false }
        return p.sideA.contains(a) != p.sideA.contains(b)
    }

    // MARK: - Checks

    /// Heights on which two honest nodes decided different blocks.
    func disagreements() -> [UInt64] {
        var decided: [UInt64: Hash32] = [:]
        var bad: Set<UInt64> = []
        for node in honestNodes {
            for (height, hash) in node.decisions {
                if let other = decided[height], other != hash { bad.insert(height) }
                decided[height] = hash
            }
        }
        return bad.sorted()
    }

    /// Slots where an honest node released two different votes.
    func doubleSigns() -> [(node: Int, slot: VoteSlot)] {
        var out: [(Int, VoteSlot)] = []
        for node in honestNodes {
            for (slot, votes) in released[node.index] ?? [:] where Set(votes.map(\.blockHash)).count > 1 {
                out.append((node.index, slot))
            }
        }
        return out
    }
}

/// A min-queue of events by (time, insertion order): same-time events keep their order.
struct EventQueue<Element> {
    private var heap: [(time: Int64, seq: UInt64, element: Element)] = []
    private var seq: UInt64 = 0

    mutating func insert(_ element: Element, at time: Int64) {
        seq += 1
        heap.append((time, seq, element))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    func peekTime() -> Int64? { heap.first?.time }

    mutating func popFirst() -> (Int64, Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, less(l, m) { m = l }
            if r < heap.count, less(r, m) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.element)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].seq < heap[b].seq
    }
}

/// An in-memory WAL store that crashes on a chosen append, keeping only part of that write
/// (a torn record), as a power cut in the middle of `write` would.
final class CrashingWALStorage: WALStorage {
    var bytes: [UInt8] = []
    var appends = 0
    /// The 0-based append that crashes; nil never crashes.
    var crashOnAppend: Int?

    func readAll() throws(WALError) -> [UInt8] { bytes }

    func append(_ new: [UInt8]) throws(WALError) {
        defer { appends += 1 }
        if appends == crashOnAppend {
            // Keep a prefix of the record whose length depends on which write this is.
            // Every fourth crash keeps the whole record: durable, but the node dies before
            // releasing the signature.
            let kept = appends % 4 == 3 ? new.count : (appends * 7) % new.count
            bytes += new[..<kept]
            throw WALError.injected("simulated crash in append \(appends) after \(kept) of \(new.count) bytes")
        }
        bytes += new
    }

    func sync() throws(WALError) {}
    func truncate(to length: Int) throws(WALError) { bytes.removeSubrange(min(length, bytes.count)...) }
    func replaceAll(with bytes: [UInt8]) throws(WALError) { self.bytes = bytes }
}

extension Simulation {
    /// One line per node: where its machine stands (for failure messages).
    func describe() -> String {
        nodes.map { n in
            let m = n.machine
            return "node \(n.index) \(n.behaviour) committed \(n.committedHeight) h\(m.height) r\(m.round) \(m.step) locked \(m.lockedValue.map { String($0.hex.prefix(8)) } ?? "-")@\(m.lockedRound) valid \(m.validValue.map { String($0.hex.prefix(8)) } ?? "-")@\(m.validRound)"
        }.joined(separator: "\n")
    }
}
