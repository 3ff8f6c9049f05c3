import MoteCrypto
import MotePrimitives

/// A witness's signed statement that the block at `height` has hash `blockHash`, carrying the
/// VRF proof that it was assigned to witness that block (docs/WITNESSING.md).
///
/// One 32-byte witness key (an Ed25519 seed, also the ECVRF secret key with the same public
/// key) both proves the assignment and signs. The proof is on
/// `WitnessSortition.vrfInput(seed: seed of epoch(height), height:)`.
///
/// Binary form (216 bytes, fixed): height (8, big-endian) ‖ blockHash (32) ‖ witnessKey (32) ‖
/// vrfProof (80) ‖ signature (64). The signature is Ed25519 over ``signingDigest(chainID:)``:
/// `"MOTE-ATTESTATION-V1"` ‖ chainId (8 BE) ‖ height (8 BE) ‖ blockHash ‖ vrfProof.
/// An attestation is identified, for deduplication, by (witnessKey, height).
public struct WitnessAttestation: Equatable, Hashable, Sendable {
    /// Bytes in the binary form.
    public static let binaryLength = 216
    /// The domain tag that starts the signing digest.
    public static let signingTag = Array("MOTE-ATTESTATION-V1".utf8)

    /// The height of the attested block.
    public var height: UInt64
    /// The hash the witness attests for that height.
    public var blockHash: Hash32
    /// The witness's public key (Ed25519 = ECVRF public key), 32 bytes.
    public var witnessKey: [UInt8]
    /// The ECVRF (TAI) proof of the witness's assignment for `height`.
    public var vrfProof: ECVRF.Proof
    /// The Ed25519 signature over ``signingDigest(chainID:)``, 64 bytes.
    public var signature: [UInt8]

    /// An attestation from its parts (unchecked; see ``signatureIsValid(chainID:)``).
    public init(height: UInt64, blockHash: Hash32, witnessKey: [UInt8], vrfProof: ECVRF.Proof, signature: [UInt8]) {
        self.height = height
        self.blockHash = blockHash
        self.witnessKey = witnessKey
        self.vrfProof = vrfProof
        self.signature = signature
    }

    /// A signed attestation by the holder of `key`.
    public static func make(
        key: ECVRF.SecretKey, chainID: UInt64, height: UInt64, blockHash: Hash32, proof: ECVRF.Proof
    ) -> WitnessAttestation {
        let signer = try! Ed25519.PrivateKey(seed: key.seed)  // a 32-byte seed, checked by SecretKey
        let digest = signingDigest(chainID: chainID, height: height, blockHash: blockHash, proof: proof)
        return WitnessAttestation(
            height: height, blockHash: blockHash, witnessKey: key.publicKey.bytes, vrfProof: proof,
            signature: signer.signature(for: digest).bytes)
    }

    /// The bytes the witness signs.
    public static func signingDigest(chainID: UInt64, height: UInt64, blockHash: Hash32, proof: ECVRF.Proof) -> [UInt8] {
        signingTag + chainID.bigEndianBytes8 + height.bigEndianBytes8 + blockHash.bytes + proof.bytes
    }

    /// The bytes this attestation's signature covers on chain `chainID`.
    public func signingDigest(chainID: UInt64) -> [UInt8] {
        Self.signingDigest(chainID: chainID, height: height, blockHash: blockHash, proof: vrfProof)
    }

    /// Whether the signature is a valid Ed25519 signature by `witnessKey` on chain `chainID`.
    public func signatureIsValid(chainID: UInt64) -> Bool {
        guard let key = try? Ed25519.PublicKey(bytes: witnessKey), let signature = try? Ed25519.Signature(bytes: signature) else {
            return false
        }
        return key.isValidSignature(signature, for: signingDigest(chainID: chainID))
    }

    /// The witness key as an ECVRF public key, or nil if it is not a valid one.
    public var vrfPublicKey: ECVRF.PublicKey? { try? ECVRF.PublicKey(bytes: witnessKey) }

    // MARK: Binary form

    /// The 216-byte binary form.
    public var binary: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.binaryLength)
        out += height.bigEndianBytes8
        out += blockHash.bytes
        out += witnessKey
        out += vrfProof.bytes
        out += signature
        return out
    }

    /// Reads the binary form; refuses any other length, or a key that is not a valid
    /// edwards25519 public key.
    public init(binary bytes: some Collection<UInt8>) throws(WitnessAttestationError) {
        let bytes = Array(bytes)
        guard bytes.count == Self.binaryLength else {
            throw WitnessAttestationError("an attestation is \(Self.binaryLength) bytes, got \(bytes.count)")
        }
        let height = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let blockHash = Hash32(bytes: bytes[8..<40])!
        let key = Array(bytes[40..<72])
        guard (try? ECVRF.PublicKey(bytes: key)) != nil else { throw WitnessAttestationError("the witness key is not a valid Ed25519 public key") }
        guard let proof = try? ECVRF.Proof(bytes: bytes[72..<152]) else { throw WitnessAttestationError("the VRF proof does not decode") }
        self.init(height: height, blockHash: blockHash, witnessKey: key, vrfProof: proof, signature: Array(bytes[152..<216]))
    }

    // MARK: JSON form

    /// `{"height":"0x…","blockHash":"0x…","witnessKey":"0x…","proof":"0x…","signature":"0x…"}`.
    public var json: JSON {
        .object([
            "height": .string(UInt256(height).hexQuantity), "blockHash": .string(blockHash.hex),
            "witnessKey": .string(Hex.encode(witnessKey)), "proof": .string(Hex.encode(vrfProof.bytes)),
            "signature": .string(Hex.encode(signature)),
        ])
    }

    /// Reads the JSON form; unknown members, missing ones, wrong types and wrong lengths are refused.
    public init(json value: JSON) throws(WitnessAttestationError) {
        guard let object = value.objectValue else { throw WitnessAttestationError("an attestation is a JSON object") }
        let known: Set<String> = ["height", "blockHash", "witnessKey", "proof", "signature"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw WitnessAttestationError("unknown member \"\(unknown.prefix(32))\"")
        }
        func fixedHex(_ name: String, _ count: Int) throws(WitnessAttestationError) -> [UInt8] {
            guard let text = object[name]?.stringValue, text.utf8.count == 2 + 2 * count, text.hasPrefix("0x"),
                let bytes = try? Hex.decode(text), bytes.count == count
            else { throw WitnessAttestationError("\"\(name)\" must be 0x-prefixed hex of \(count) bytes") }
            return bytes
        }
        guard let heightText = object["height"]?.stringValue, let height = Self.parseQuantity(heightText) else {
            throw WitnessAttestationError("\"height\" must be a 0x-prefixed hex quantity below 2^64")
        }
        var binary = height.bigEndianBytes8
        binary += try fixedHex("blockHash", 32)
        binary += try fixedHex("witnessKey", 32)
        binary += try fixedHex("proof", ECVRF.proofLength)
        binary += try fixedHex("signature", 64)
        try self.init(binary: binary)
    }

    /// A JSON-RPC quantity: `0x` then 1…16 hex digits, no leading zero (except `0x0`).
    static func parseQuantity(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        let digits = text.dropFirst(2)
        guard (1...16).contains(digits.count), digits == "0" || !digits.hasPrefix("0") else { return nil }
        return UInt64(digits, radix: 16)
    }
}

/// Why an attestation's encoding is refused.
public struct WitnessAttestationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
