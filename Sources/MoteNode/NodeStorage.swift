import Foundation
import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteStorage

/// What a node keeps on disk, opened by its caller: the chain store, and for a delegate the
/// vote WAL and the bodies of the blocks it signed for (`PendingBlockStore`), and the evidence
/// log. A test passes in-memory ones, or a temporary data directory's.
public struct NodeStorage {
    /// The blocks, state and indexes.
    public var chain: any ChainStore
    /// Every vote and proposal this node signed, fsynced before it is sent (a delegate's).
    public var wal: VoteWAL?
    /// Bodies of blocks this node signed for, and the last decision before its commit.
    public var pendingBlocks: any PendingBlockStore
    /// Double-signing evidence this node saw.
    public var evidence: EvidenceLog

    /// Stores from their parts.
    public init(chain: any ChainStore, wal: VoteWAL?, pendingBlocks: any PendingBlockStore, evidence: EvidenceLog) {
        self.chain = chain
        self.wal = wal
        self.pendingBlocks = pendingBlocks
        self.evidence = evidence
    }

    /// The stores in data directory `datadir` beside `chain`: `consensus.wal` and
    /// `consensus-blocks` for a delegate (a follower signs nothing and keeps them in memory),
    /// and `evidence.log`.
    public init(chain: any ChainStore, datadir: String, delegate: Bool) throws {
        self.chain = chain
        if delegate {
            wal = try VoteWAL(path: datadir + "/consensus.wal")
            pendingBlocks = try FilePendingBlockStore(path: datadir + "/consensus-blocks")
        } else {
            wal = nil
            pendingBlocks = InMemoryPendingBlockStore()
        }
        evidence = EvidenceLog(path: datadir + "/evidence.log")
    }
}

/// A node's keys: a delegate's operator key (it signs votes, proposals and its own
/// transactions) and ECVRF key (the proof in the headers it proposes); none for a follower.
public struct NodeKeys: Sendable {
    public var operatorKey: Secp256k1.PrivateKey?
    public var vrfKey: ECVRF.SecretKey?

    /// Keys from their values.
    public init(operatorKey: Secp256k1.PrivateKey?, vrfKey: ECVRF.SecretKey?) {
        self.operatorKey = operatorKey
        self.vrfKey = vrfKey
    }

    /// The keys in the files `config` names (`[delegate] key_file`, `vrf_key_file`): hex, one
    /// line each.
    public init(config: NodeConfig) throws {
        operatorKey = try config.operatorKeyFile.map { path in try Secp256k1.PrivateKey(bytes: try Self.readHex(path)) }
        vrfKey = try config.vrfKeyFile.map { path in try ECVRF.SecretKey(seed: try Self.readHex(path)) }
    }

    private static func readHex(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1_024 else {
            throw NodeConfigError("cannot read key file \(path)")
        }
        return try [UInt8](hex: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Double-signing evidence, one hex-encoded `DoubleSignEvidence` a line, appended and
/// fsynced before the node acts on it (reports it on chain). No path: nothing is kept.
public struct EvidenceLog: Sendable {
    /// The file, created on the first append.
    public let path: String?

    public init(path: String?) { self.path = path }

    /// Appends `evidence` and makes it durable.
    public func append(_ evidence: DoubleSignEvidence) throws {
        guard let path else { return }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NodeConfigError("cannot open \(path): errno \(errno)") }
        defer { close(descriptor) }
        let line = Array((Hex.encode(evidence.encoded()) + "\n").utf8)
        var written = 0
        while written < line.count {
            let count = line[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw NodeConfigError("cannot write \(path): errno \(errno)") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw NodeConfigError("cannot fsync \(path): errno \(errno)") }
    }

    /// The evidence in the log, oldest first.
    public func read() throws -> [DoubleSignEvidence] {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            try DoubleSignEvidence(decoding: try [UInt8](hex: String(line)))
        }
    }
}

/// A node's time: the monotonic clock of its round timers and catch-up polls, and the wall
/// clock (Unix seconds) of the timestamps of the blocks it proposes and of pool arrivals.
public struct NodeClock: Sendable {
    public var timers: any Clock<Duration>
    public var unixTime: @Sendable () -> UInt64

    public init(timers: any Clock<Duration>, unixTime: @escaping @Sendable () -> UInt64) {
        self.timers = timers
        self.unixTime = unixTime
    }

    /// The system's clocks.
    public static let system = NodeClock(timers: ContinuousClock(), unixTime: { UInt64(Date().timeIntervalSince1970) })
}
