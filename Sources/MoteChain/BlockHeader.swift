import MoteCrypto
import MotePrimitives

/// A block header. Its hash (Keccak-256 of its RLP) names the block.
///
/// Fields, in encoding order: parent hash, height, timestamp (seconds), producer, epoch,
/// state root, transactions root, receipts root, logs bloom, gas used, gas limit, base fee,
/// the commit certificate that finalized the parent (opaque here; consensus defines it),
/// and the producer's VRF proof (empty or 80 bytes).
public struct BlockHeader: Hashable, Sendable {
    public var parentHash: Hash32
    public var height: UInt64
    /// Seconds since the Unix epoch, never below the parent's.
    public var timestamp: UInt64
    /// The delegate's operator address that produced the block.
    public var producer: Address
    public var epoch: UInt64
    public var stateRoot: Hash32
    public var transactionsRoot: Hash32
    public var receiptsRoot: Hash32
    public var logsBloom: Bloom
    public var gasUsed: UInt64
    public var gasLimit: UInt64
    public var baseFee: UInt256
    /// The encoded commit certificate of the parent block (empty for genesis and height 1).
    public var parentCommit: [UInt8]
    /// The producer's ECVRF proof over the epoch seed (empty, or 80 bytes).
    public var vrfProof: [UInt8]

    /// The largest `parentCommit` accepted, in bytes.
    public static let maxParentCommitSize = 64 * 1024

    public init(
        parentHash: Hash32, height: UInt64, timestamp: UInt64, producer: Address, epoch: UInt64,
        stateRoot: Hash32, transactionsRoot: Hash32, receiptsRoot: Hash32, logsBloom: Bloom,
        gasUsed: UInt64, gasLimit: UInt64, baseFee: UInt256, parentCommit: [UInt8] = [], vrfProof: [UInt8] = []
    ) {
        self.parentHash = parentHash
        self.height = height
        self.timestamp = timestamp
        self.producer = producer
        self.epoch = epoch
        self.stateRoot = stateRoot
        self.transactionsRoot = transactionsRoot
        self.receiptsRoot = receiptsRoot
        self.logsBloom = logsBloom
        self.gasUsed = gasUsed
        self.gasLimit = gasLimit
        self.baseFee = baseFee
        self.parentCommit = parentCommit
        self.vrfProof = vrfProof
    }

    var rlpItem: RLPItem {
        .list([
            .hash(parentHash), .uint(height), .uint(timestamp), .address(producer), .uint(epoch),
            .hash(stateRoot), .hash(transactionsRoot), .hash(receiptsRoot), .bytes(logsBloom.bytes),
            .uint(gasUsed), .uint(gasLimit), .uint(baseFee), .bytes(parentCommit), .bytes(vrfProof),
        ])
    }

    /// The RLP encoding.
    public var encoded: [UInt8] { RLP.encode(rlpItem) }

    /// The block hash: Keccak-256 of the encoding.
    public var hash: Hash32 { Keccak256.hash(encoded) }

    /// Decodes a header; strict.
    public init(encoded bytes: [UInt8]) throws(ChainDecodingError) {
        try self.init(item: try RLP.decode(bytes, "header"))
    }

    init(item: RLPItem) throws(ChainDecodingError) {
        let f = try item.fields(14, "header")
        guard let bloom = Bloom(bytes: try f[8].bytes("header logs bloom")) else {
            throw ChainDecodingError("header logs bloom: expected 256 bytes")
        }
        let parentCommit = try f[12].bytes("header parent commit")
        guard parentCommit.count <= Self.maxParentCommitSize else {
            throw ChainDecodingError("header parent commit: over \(Self.maxParentCommitSize) bytes")
        }
        let vrfProof = try f[13].bytes("header VRF proof")
        guard vrfProof.isEmpty || vrfProof.count == 80 else {
            throw ChainDecodingError("header VRF proof: expected 0 or 80 bytes, got \(vrfProof.count)")
        }
        self.init(
            parentHash: try f[0].hash32("header parent hash"), height: try f[1].uint64("header height"),
            timestamp: try f[2].uint64("header timestamp"), producer: try f[3].address("header producer"),
            epoch: try f[4].uint64("header epoch"), stateRoot: try f[5].hash32("header state root"),
            transactionsRoot: try f[6].hash32("header transactions root"),
            receiptsRoot: try f[7].hash32("header receipts root"), logsBloom: bloom,
            gasUsed: try f[9].uint64("header gas used"), gasLimit: try f[10].uint64("header gas limit"),
            baseFee: try f[11].uint256("header base fee"), parentCommit: parentCommit, vrfProof: vrfProof)
    }
}
