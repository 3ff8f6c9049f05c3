import MoteCrypto
import MotePrimitives
import MoteWitness
import Testing

/// The attestation's encodings and signature.
@Suite struct WitnessAttestationTests {
    static let key = try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "attestation key").bytes)
    static let seed = Keccak256.hash(utf8: "epoch seed")
    static let blockHash = Keccak256.hash(utf8: "block 12")

    static func sample(chainID: UInt64 = 7, height: UInt64 = 12) -> WitnessAttestation {
        let proof = ECVRF.prove(secretKey: key, alpha: WitnessSortition.vrfInput(seed: seed, height: height), suite: .tai)
        return WitnessAttestation.make(key: key, chainID: chainID, height: height, blockHash: blockHash, proof: proof)
    }

    @Test func binaryRoundTripsAtTheFixedLayout() throws {
        let attestation = Self.sample()
        let binary = attestation.binary
        #expect(binary.count == 216)
        #expect(Array(binary[0..<8]) == [0, 0, 0, 0, 0, 0, 0, 12])
        #expect(Array(binary[8..<40]) == Self.blockHash.bytes)
        #expect(Array(binary[40..<72]) == Self.key.publicKey.bytes)
        #expect(Array(binary[72..<152]) == attestation.vrfProof.bytes)
        #expect(Array(binary[152..<216]) == attestation.signature)
        #expect(try WitnessAttestation(binary: binary) == attestation)
    }

    @Test func binaryOfAnotherLengthOrABadKeyIsRefused() {
        let binary = Self.sample().binary
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(binary: binary.dropLast()) }
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(binary: binary + [0]) }
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(binary: []) }
        var badKey = binary
        for i in 40..<72 { badKey[i] = 0xff }  // y ≥ p: not a canonical point
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(binary: badKey) }
        var smallOrder = binary
        for i in 40..<72 { smallOrder[i] = 0 }
        smallOrder[40] = 1  // the identity point
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(binary: smallOrder) }
    }

    @Test func signatureBindsChainHeightHashAndProof() throws {
        let attestation = Self.sample()
        #expect(attestation.signatureIsValid(chainID: 7))
        #expect(!attestation.signatureIsValid(chainID: 8), "another chain")
        var moved = attestation
        moved.height = 13
        #expect(!moved.signatureIsValid(chainID: 7))
        var rehashed = attestation
        rehashed.blockHash = Keccak256.hash(utf8: "other block")
        #expect(!rehashed.signatureIsValid(chainID: 7))
        var reproved = attestation
        reproved.vrfProof = Self.sample(height: 13).vrfProof
        #expect(!reproved.signatureIsValid(chainID: 7))
        var otherKey = attestation
        otherKey.witnessKey = try ECVRF.SecretKey(seed: Keccak256.hash(utf8: "other").bytes).publicKey.bytes
        #expect(!otherKey.signatureIsValid(chainID: 7))
        var flipped = attestation
        flipped.signature[5] ^= 1
        #expect(!flipped.signatureIsValid(chainID: 7))
        var short = attestation
        short.signature.removeLast()
        #expect(!short.signatureIsValid(chainID: 7))
    }

    @Test func digestIsTheDocumentedConcatenation() {
        let attestation = Self.sample()
        let digest = attestation.signingDigest(chainID: 0x0102)
        let expected = Array("MOTE-ATTESTATION-V1".utf8) + [0, 0, 0, 0, 0, 0, 1, 2] + [0, 0, 0, 0, 0, 0, 0, 12]
            + Self.blockHash.bytes + attestation.vrfProof.bytes
        #expect(digest == expected)
        let signer = try! Ed25519.PrivateKey(seed: Self.key.seed)
        #expect(signer.publicKey.bytes == attestation.witnessKey, "one key both proves and signs")
    }

    @Test func proofVerifiesForTheAttestedHeight() throws {
        let attestation = Self.sample()
        let publicKey = try #require(attestation.vrfPublicKey)
        let assignment = WitnessSortition.Assignment(height: attestation.height, proof: attestation.vrfProof)
        #expect(WitnessSortition.verify(assignment, publicKey: publicKey, seed: Self.seed, weight: 1, totalWeight: 1, expected: 1))
    }

    @Test func jsonRoundTripsAndRefusesBadMembers() throws {
        let attestation = Self.sample()
        let json = attestation.json
        #expect(json["height"]?.stringValue == "0xc")
        #expect(try WitnessAttestation(json: json) == attestation)
        #expect(try WitnessAttestation(json: JSON.parse(json.text)) == attestation)
        guard case .object(var object) = json else { Issue.record("not an object"); return }
        var extra = object
        extra["extra"] = .string("x")
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(json: .object(extra)) }
        for (member, bad) in [
            ("height", "12"), ("height", "0x00c"), ("height", "0x10000000000000000"), ("blockHash", "0x12"),
            ("witnessKey", String(repeating: "ab", count: 32)), ("proof", "0x" + String(repeating: "ab", count: 79)),
            ("signature", "0x" + String(repeating: "zz", count: 64)),
        ] {
            var broken = object
            broken[member] = .string(bad)
            #expect(throws: WitnessAttestationError.self, "\(member) = \(bad)") { try WitnessAttestation(json: .object(broken)) }
        }
        object.removeValue(forKey: "signature")
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(json: .object(object)) }
        #expect(throws: WitnessAttestationError.self) { try WitnessAttestation(json: .string("x")) }
    }
}
