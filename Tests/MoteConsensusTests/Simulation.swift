import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport

/// A deterministic world for consensus tests: N nodes, each a `ConsensusStateMachine` with a
/// trivial application (blocks are random hashes, always valid), a manual clock whose timers
/// fire in virtual-time order, and a network that delays, drops and reorders messages, all
/// drawn from one seeded `SplitMix64`.
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

    /// A message on the simulated wire.
    enum Message {
        case proposal(Proposal)
        case vote(Vote)
        case certificate(CommitCertificate)
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
        var certificates: [UInt64: CommitCertificate] = [:]
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
    }

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
        if now == 0 {
            for node in nodes where node.behaviour != .crashed { feed(node, .start(height: 1)) }
        }
        while let (time, event) = queue.popFirst() {
            now = time
            dispatch(event)
            if honestNodes.allSatisfy({ $0.committedHeight >= height }) || now > deadline { return }
        }
    }

    /// Runs until virtual time `time`.
    func run(until time: Int64) {
        if now == 0 {
            for node in nodes where node.behaviour != .crashed { feed(node, .start(height: 1)) }
        }
        while let next = queue.peekTime(), next <= time {
            let (t, event) = queue.popFirst()!
            now = t
            dispatch(event)
        }
        now = time
    }

    private func dispatch(_ event: Scheduled) {
        switch event {
        case .deliver(let from, let to, let message):
            let node = nodes[to]
            guard !node.isDown, node.behaviour != .crashed, !partitioned(from, to) else { return }
            deliveredMessages += 1
            switch message {
            case .proposal(let proposal):
                if node.behaviour == .amplifying { knownBlocks[proposal.height, default: []].insert(proposal.blockHash) }
                feed(node, .proposalReceived(proposal))
            case .vote(let vote): feed(node, .voteReceived(vote))
            case .certificate(let certificate): feed(node, .certificateReceived(certificate))
            }
        case .timeout(let index, let incarnation, let timeout):
            let node = nodes[index]
            guard !node.isDown, node.incarnation == incarnation else { return }
            feed(node, .timeout(timeout))
        case .restart(let index):
            restart(nodes[index])
        }
    }

    /// Restart after a crash: reopen the WAL (truncating a torn tail) and rebuild the machine
    /// from what it holds, at the height after the application's last committed block.
    private func restart(_ node: Node) {
        node.storage.crashOnAppend = nil
        node.wal = try! VoteWAL(storage: node.storage)
        node.machine = ConsensusStateMachine(
            config: settings.consensus, validators: validators, key: node.key, signedHistory: node.wal.records)
        node.incarnation += 1
        node.isDown = false
        feed(node, .start(height: node.committedHeight + 1))
    }

    private func crash(_ node: Node) {
        node.isDown = true
        node.crashes += 1
        queue.insert(.restart(node: node.index), at: now + settings.restartDelay)
    }

    /// Hands `event` to the node's machine and performs the actions, feeding the application's
    /// answers back in order. A failed WAL append is a crash: nothing after it is performed.
    private func feed(_ node: Node, _ event: ConsensusStateMachine.Event) {
        var pending = [event]
        while !pending.isEmpty {
            let actions = node.machine.handle(pending.removeFirst())
            for action in actions {
                switch action {
                case .writeAheadLog(let record):
                    node.walWrites += 1
                    do { try node.wal.append(record) } catch {
                        crash(node)
                        return
                    }
                case .broadcastProposal(let proposal):
                    broadcast(from: node, .proposal(proposal))
                case .broadcastVote(let vote):
                    released[node.index, default: [:]][VoteSlot(height: vote.height, round: vote.round, kind: vote.kind), default: []].insert(vote)
                    broadcast(from: node, .vote(vote))
                case .relayVote(let vote):
                    for to in nodes.indices where to != node.index { send(from: node.index, to: to, .vote(vote)) }
                case .relayProposal(let proposal):
                    for to in nodes.indices where to != node.index { send(from: node.index, to: to, .proposal(proposal)) }
                case .requestBlock(let height, let round):
                    pending.append(.blockBuilt(height: height, round: round, blockHash: Hash32(bytes: rng.bytes(32))!))
                case .validateBlock(let height, let blockHash):
                    pending.append(.blockValidated(height: height, blockHash: blockHash, isValid: true))
                case .scheduleTimeout(let timeout, let after):
                    let ms = after.components.seconds * 1000 + after.components.attoseconds / 1_000_000_000_000_000
                    queue.insert(.timeout(node: node.index, incarnation: node.incarnation, timeout), at: now + ms)
                case .decide(let height, let blockHash, let certificate):
                    precondition(node.decisions[height] == nil, "node \(node.index) decided height \(height) twice")
                    node.decisions[height] = blockHash
                    node.decisionTimes[height] = now
                    node.certificates[height] = certificate
                    pending.append(.committed(height: height, nextValidators: nil))
                    if height % 3 == 0 { try! node.wal.prune(belowHeight: height + 1) }
                case .recordEvidence(let evidence):
                    node.evidence.append(evidence)
                case .peerLagging(let peer, let height):
                    if let certificate = node.certificates[height], let to = validators.index(of: peer) {
                        send(from: node.index, to: to, .certificate(certificate))
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
        case .proposal(let p):
            let other = alternativeProposals[[p.height, UInt64(p.round)]] ?? Proposal(
                height: p.height, round: p.round, blockHash: Hash32(bytes: rng.bytes(32))!, polRound: p.polRound,
                chainID: settings.consensus.chainID, signingWith: node.key)
            alternativeProposals[[p.height, UInt64(p.round)]] = other
            knownBlocks[p.height, default: []].formUnion([p.blockHash, other.blockHash])
            conflicting = .proposal(other)
        case .vote(let v):
            let other: Hash32? = v.blockHash == nil || rng.next() % 2 == 0 ? Hash32(bytes: rng.bytes(32))! : nil
            conflicting = .vote(Vote(
                kind: v.kind, height: v.height, round: v.round, blockHash: other, chainID: settings.consensus.chainID,
                signingWith: node.key))
        case .certificate:
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
