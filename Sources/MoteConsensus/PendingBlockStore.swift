#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MotePrimitives

/// The durable companion of the vote WAL: the bodies of blocks this node proposed or voted
/// for at heights not yet committed, and the last decision (block hash and certificate)
/// before its block is committed, as CometBFT's WAL keeps its block parts.
///
/// The node writes a block's body here (fsynced) before it signs anything for that block,
/// and a decision before it commits the block, so that after any crash — even a full disk
/// mid-commit — it can re-propose its locked block and finish committing on its own, without
/// a peer. Blocks are opaque bytes: the node decodes and checks them.
public protocol PendingBlockStore: AnyObject {
    /// Stores the body of block `hash` at `height` durably (idempotent).
    func saveBody(height: UInt64, hash: Hash32, bytes: [UInt8]) throws(WALError)
    /// The bodies stored for `height`.
    func bodies(atHeight height: UInt64) throws(WALError) -> [(hash: Hash32, bytes: [UInt8])]
    /// Stores a decision durably, replacing the previous one.
    func saveDecision(_ decision: PendingDecision) throws(WALError)
    /// The stored decision, if any.
    func decision() throws(WALError) -> PendingDecision?
    /// Drops bodies and a decision of heights below `height` (after `height - 1` was committed).
    func prune(belowHeight height: UInt64) throws(WALError)
}

/// A decided block not yet known to be committed: its height, hash and encoded certificate.
public struct PendingDecision: Hashable, Sendable {
    public var height: UInt64
    public var blockHash: Hash32
    public var certificate: [UInt8]

    public init(height: UInt64, blockHash: Hash32, certificate: [UInt8]) {
        self.height = height
        self.blockHash = blockHash
        self.certificate = certificate
    }

    /// `rlp([height, blockHash, certificate])`.
    public func encoded() -> [UInt8] {
        RLP.encode(.list([.uint(height), .bytes(blockHash.bytes), .bytes(certificate)]))
    }

    /// Decodes `encoded()`.
    public init(decoding bytes: [UInt8]) throws(WALError) {
        guard let fields = try? RLP.decode(bytes).listValue(), fields.count == 3,
            let height = try? fields[0].uint64Value(), let hashBytes = try? fields[1].bytesValue(),
            let hash = Hash32(bytes: hashBytes), let certificate = try? fields[2].bytesValue()
        else { throw WALError(.corrupt("pending decision: malformed")) }
        self.init(height: height, blockHash: hash, certificate: certificate)
    }
}

/// A `PendingBlockStore` in a folder: one file per body, `<height>-<hash>.block`, and
/// `decision`; each written to a temporary file, fsynced and renamed into place, the folder
/// fsynced after.
public final class FilePendingBlockStore: PendingBlockStore {
    /// The folder.
    public let path: String

    /// Opens (creating if needed) the folder at `path`.
    public init(path: String) throws(WALError) {
        self.path = path
        if mkdir(path, 0o700) != 0, errno != EEXIST { throw WALError(.io("mkdir \(path)", errno)) }
    }

    private func bodyName(_ height: UInt64, _ hash: Hash32) -> String { "\(height)-\(hash.hex).block" }

    public func saveBody(height: UInt64, hash: Hash32, bytes: [UInt8]) throws(WALError) {
        let name = bodyName(height, hash)
        if access(path + "/" + name, F_OK) == 0 { return }
        try writeDurably(name, bytes)
    }

    public func bodies(atHeight height: UInt64) throws(WALError) -> [(hash: Hash32, bytes: [UInt8])] {
        var out: [(hash: Hash32, bytes: [UInt8])] = []
        for name in try entries() where name.hasPrefix("\(height)-") && name.hasSuffix(".block") {
            let hex = name.dropFirst("\(height)-".count).dropLast(".block".count)
            guard let bytes = try? [UInt8](hex: String(hex)), let hash = Hash32(bytes: bytes) else { continue }
            out.append((hash, try contents(of: name)))
        }
        return out.sorted { $0.hash < $1.hash }
    }

    public func saveDecision(_ decision: PendingDecision) throws(WALError) {
        try writeDurably("decision", decision.encoded())
    }

    public func decision() throws(WALError) -> PendingDecision? {
        guard access(path + "/decision", F_OK) == 0 else { return nil }
        return try PendingDecision(decoding: try contents(of: "decision"))
    }

    public func prune(belowHeight height: UInt64) throws(WALError) {
        for name in try entries() {
            if name.hasSuffix(".block"), let dash = name.firstIndex(of: "-"), let h = UInt64(name[..<dash]), h < height {
                unlink(path + "/" + name)
            } else if name.hasSuffix(".tmp") {
                unlink(path + "/" + name)
            }
        }
        if let decision = try? decision(), decision.height < height { unlink(path + "/decision") }
    }

    // MARK: Files

    private func entries() throws(WALError) -> [String] {
        guard let dir = opendir(path) else { throw WALError(.io("opendir \(path)", errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func contents(of name: String) throws(WALError) -> [UInt8] {
        let file = path + "/" + name
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WALError(.io("open \(file)", errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw WALError(.io("read \(file)", errno))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    private func writeDurably(_ name: String, _ bytes: [UInt8]) throws(WALError) {
        let file = path + "/" + name
        try writeSynced(bytes, to: file + ".tmp")
        guard rename(file + ".tmp", file) == 0 else {
            let code = errno
            unlink(file + ".tmp")
            throw WALError(.io("rename \(file).tmp", code))
        }
        syncDirectory(holding: file)
    }
}

/// A `PendingBlockStore` in memory (tests, and nodes that do not sign).
public final class InMemoryPendingBlockStore: PendingBlockStore {
    private var stored: [UInt64: [Hash32: [UInt8]]] = [:]
    private var storedDecision: PendingDecision?

    public init() {}

    public func saveBody(height: UInt64, hash: Hash32, bytes: [UInt8]) throws(WALError) { stored[height, default: [:]][hash] = bytes }
    public func bodies(atHeight height: UInt64) throws(WALError) -> [(hash: Hash32, bytes: [UInt8])] {
        (stored[height] ?? [:]).map { ($0.key, $0.value) }.sorted { $0.hash < $1.hash }
    }
    public func saveDecision(_ decision: PendingDecision) throws(WALError) { storedDecision = decision }
    public func decision() throws(WALError) -> PendingDecision? { storedDecision }
    public func prune(belowHeight height: UInt64) throws(WALError) {
        stored = stored.filter { $0.key >= height }
        if let d = storedDecision, d.height < height { storedDecision = nil }
    }
}
