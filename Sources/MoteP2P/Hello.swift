import MoteCrypto
import MotePrimitives

/// The first message each side sends: who it is, which chain it follows, and a fresh nonce
/// for the other side to sign.
///
/// Wire form (payload of message type `hello`): the RLP list
/// `[protocolVersion, chainID, genesisHash(32), nodeID(20), listenPort, nonce(32)]`.
public struct Hello: Hashable, Sendable {
    /// The wire protocol version; peers must match exactly.
    public var protocolVersion: UInt32
    /// The chain id; peers must match.
    public var chainID: UInt64
    /// The genesis block hash; peers must match.
    public var genesisHash: Hash32
    /// The node's identity: the address of its secp256k1 node key.
    public var nodeID: Address
    /// The TCP port the node listens on (0 if it does not listen).
    public var listenPort: UInt16
    /// A random challenge; the other side signs it in its `auth` message.
    public var nonce: Hash32

    /// A hello with all fields given.
    public init(protocolVersion: UInt32, chainID: UInt64, genesisHash: Hash32, nodeID: Address, listenPort: UInt16, nonce: Hash32) {
        self.protocolVersion = protocolVersion
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.nodeID = nodeID
        self.listenPort = listenPort
        self.nonce = nonce
    }

    /// The domain tag that keeps handshake signatures apart from every other signature.
    public static let authDomain = Array("mote-p2p/hello-auth/v1".utf8)

    /// What the sender of this hello signs to prove it holds `nodeID`'s key:
    /// `keccak256(authDomain || rlp(self) || peerNonce)`, where `peerNonce` is the nonce from the
    /// other side's hello (so the signature cannot be replayed to another connection).
    public func authHash(peerNonce: Hash32) -> Hash32 {
        Keccak256.hash(Self.authDomain + RLP.encode(rlp) + peerNonce.bytes)
    }

    /// The RLP item for this hello.
    public var rlp: RLPItem {
        .list([
            .uint(UInt64(protocolVersion)), .uint(chainID), .hash(genesisHash), .address(nodeID),
            .uint(UInt64(listenPort)), .hash(nonce),
        ])
    }

    /// Decodes the RLP form strictly (exact field count and sizes).
    public init(rlp item: RLPItem) throws(RLPError) {
        let fields = try item.listValue()
        guard fields.count == 6 else { throw .wrongShape }
        let version = try fields[0].uint64Value()
        let port = try fields[4].uint64Value()
        guard version <= UInt64(UInt32.max), port <= UInt64(UInt16.max),
            let genesis = Hash32(bytes: try fields[2].bytesValue()),
            let node = Address(bytes: try fields[3].bytesValue()),
            let nonce = Hash32(bytes: try fields[5].bytesValue())
        else { throw .wrongShape }
        self.init(
            protocolVersion: UInt32(version), chainID: try fields[1].uint64Value(), genesisHash: genesis,
            nodeID: node, listenPort: UInt16(port), nonce: nonce)
    }
}
