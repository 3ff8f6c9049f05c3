import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// The eight points of small order, canonically encoded (identity, order 2, two of order 4,
/// four of order 8).
private let smallOrderPoints: [String] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]

/// Encodings that RFC 8032 §5.1.3 decoding must refuse.
private let undecodable: [(String, String)] = [
    ("y = p (non-canonical identity)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("y = p + 1 (non-canonical identity)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("y = 2^255 - 1", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("identity with the sign bit set (x = 0)", "0100000000000000000000000000000000000000000000000000000000000080"),
    ("y = -1 with the sign bit set (x = 0)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    ("y = 2: not on the curve", "0200000000000000000000000000000000000000000000000000000000000000"),
]

private func suiteNamed(_ name: String) -> ECVRF.Suite? {
    ECVRF.Suite.allCases.first { $0.name == name }
}

/// Verifies, turning any rejection (of the key, of the proof's length, or by `verify`) into nil.
private func verifyBytes(publicKey: [UInt8], alpha: [UInt8], proof: [UInt8], suite: ECVRF.Suite) -> [UInt8]? {
    guard let key = try? ECVRF.PublicKey(bytes: publicKey), let pi = try? ECVRF.Proof(bytes: proof) else {
        return nil
    }
    return try? ECVRF.verify(publicKey: key, alpha: alpha, proof: pi, suite: suite)
}

@Suite struct ECVRFTests {
    // MARK: Conformance

    /// RFC 9381 Appendix B.3 (TAI) and B.4 (ELL2): prove gives pi exactly, verify gives beta,
    /// and every pinned intermediate matches.
    @Test func rfc9381Vectors() throws {
        let root = try #require(try Vectors.json("ecvrf/rfc9381_ecvrf_edwards25519.json") as? [String: Any])
        let suites = try #require(root["suites"] as? [[String: Any]])
        var summary: [String] = []
        var total = 0
        for entry in suites {
            let name = try #require(entry["suite"] as? String)
            let suite = try #require(suiteNamed(name), "unknown suite \(name)")
            #expect(try Hex.decode(try #require(entry["suite_string"] as? String)) == [suite.rawValue])
            let tests = try #require(entry["tests"] as? [[String: Any]])
            var passed = 0
            for test in tests {
                let id = "\(name) tcId \(test["tcId"] ?? "?")"
                func field(_ key: String) throws -> [UInt8] { try Hex.decode(try #require(test[key] as? String)) }
                let key = try ECVRF.SecretKey(seed: field("sk"))
                let alpha = try field("alpha")
                #expect(key.publicKey.bytes == (try field("pk")), "\(id): pk")

                let trace = ECVRF.trace(secretKey: key, alpha: alpha, suite: suite)
                #expect(trace.x == (try field("x")), "\(id): x")
                if let counter = test["try_and_increment_ctr"] as? Int { #expect(trace.counter == counter, "\(id): ctr") }
                #expect(trace.h == (try field("H")), "\(id): H")
                #expect(trace.k == (try field("k")), "\(id): k")
                #expect(trace.u == (try field("U")), "\(id): U")
                #expect(trace.v == (try field("V")), "\(id): V")
                #expect(trace.gamma == (try field("gamma")), "\(id): gamma")
                #expect(trace.c == (try field("c")), "\(id): c")
                #expect(trace.s == (try field("s")), "\(id): s")

                let pi = ECVRF.prove(secretKey: key, alpha: alpha, suite: suite)
                let expectedPi = try field("pi")
                let expectedBeta = try field("beta")
                #expect(pi.bytes == expectedPi, "\(id): pi")
                let publicKey = try ECVRF.PublicKey(bytes: field("pk"))
                let beta = try ECVRF.verify(
                    publicKey: publicKey, alpha: alpha, proof: ECVRF.Proof(bytes: expectedPi), suite: suite)
                #expect(beta == expectedBeta, "\(id): beta from verify")
                #expect(try ECVRF.proofToHash(pi, suite: suite) == expectedBeta, "\(id): proof_to_hash")
                if pi.bytes == expectedPi && beta == expectedBeta { passed += 1 }
            }
            #expect(passed == tests.count)
            total += passed
            summary.append("\(name) \(passed)/\(tests.count)")
        }
        #expect(total == 6)
        print("ecvrf rfc9381_ecvrf_edwards25519.json: \(summary.joined(separator: ", ")) passed")
    }

    /// The 48 derived must-fail cases, each checked against the suite it is listed under.
    @Test func derivedInvalidVectors() throws {
        let root = try #require(try Vectors.json("ecvrf/derived_invalid_ecvrf_edwards25519.json") as? [String: Any])
        let suites = try #require(root["suites"] as? [[String: Any]])
        var summary: [String] = []
        var total = 0
        for entry in suites {
            let name = try #require(entry["suite"] as? String)
            let suite = try #require(suiteNamed(name), "unknown suite \(name)")
            let tests = try #require(entry["tests"] as? [[String: Any]])
            var rejected = 0
            for test in tests {
                let id = "\(name) tcId \(test["tcId"] ?? "?"): \(test["comment"] ?? "")"
                #expect(test["result"] as? String == "invalid")
                let pk = try Hex.decode(try #require(test["pk"] as? String))
                let alpha = try Hex.decode(try #require(test["alpha"] as? String))
                let pi = try Hex.decode(try #require(test["pi"] as? String))
                let beta = verifyBytes(publicKey: pk, alpha: alpha, proof: pi, suite: suite)
                #expect(beta == nil, "\(id): accepted")
                if beta == nil { rejected += 1 }
            }
            total += rejected
            summary.append("\(name) \(rejected)/\(tests.count) rejected")
        }
        #expect(total == 48)
        print("ecvrf derived_invalid_ecvrf_edwards25519.json: \(summary.joined(separator: ", "))")
    }

    // MARK: Properties

    /// Random keys and messages in both suites: verify accepts and returns proof_to_hash;
    /// another alpha, another key or the other suite is refused.
    @Test func roundTrips() throws {
        var rng = SplitMix64(seed: 0x9381)
        var count = 0
        for round in 0..<24 {
            let key = try ECVRF.SecretKey(seed: rng.bytes(32))
            let other = try ECVRF.SecretKey(seed: rng.bytes(32))
            let alpha = rng.bytes(Int(rng.next() % 300))
            for suite in ECVRF.Suite.allCases {
                let pi = ECVRF.prove(secretKey: key, alpha: alpha, suite: suite)
                #expect(pi.bytes.count == ECVRF.proofLength)
                #expect(ECVRF.prove(secretKey: key, alpha: alpha, suite: suite) == pi, "deterministic")
                let beta = try ECVRF.verify(publicKey: key.publicKey, alpha: alpha, proof: pi, suite: suite)
                #expect(beta.count == ECVRF.outputLength)
                #expect(try ECVRF.proofToHash(pi, suite: suite) == beta)
                #expect(throws: CryptoError.self, "round \(round): other alpha") {
                    try ECVRF.verify(publicKey: key.publicKey, alpha: alpha + [0], proof: pi, suite: suite)
                }
                #expect(throws: CryptoError.self, "round \(round): other key") {
                    try ECVRF.verify(publicKey: other.publicKey, alpha: alpha, proof: pi, suite: suite)
                }
                let otherSuite: ECVRF.Suite = suite == .tai ? .ell2 : .tai
                #expect(throws: CryptoError.self, "round \(round): other suite") {
                    try ECVRF.verify(publicKey: key.publicKey, alpha: alpha, proof: pi, suite: otherSuite)
                }
                count += 1
            }
        }
        let fresh = ECVRF.SecretKey.generate()
        #expect(fresh.seed.count == 32)
        let pi = ECVRF.prove(secretKey: fresh, alpha: Array("hello".utf8), suite: .tai)
        #expect((try? ECVRF.verify(publicKey: fresh.publicKey, alpha: Array("hello".utf8), proof: pi, suite: .tai)) != nil)
        print("ecvrf round trips: \(count) passed")
    }

    /// The VRF public key of a seed is its Ed25519 public key.
    @Test func publicKeyIsTheEd25519Key() throws {
        var rng = SplitMix64(seed: 8032)
        for _ in 0..<16 {
            let seed = rng.bytes(32)
            #expect(try ECVRF.SecretKey(seed: seed).publicKey.bytes == Ed25519.PrivateKey(seed: seed).publicKey.bytes)
        }
    }

    /// Every bit of every byte of a valid proof, flipped in turn, makes it fail (640 × 2 suites).
    @Test func tamperedProofsFail() throws {
        let key = try ECVRF.SecretKey(seed: [UInt8](repeating: 7, count: 32))
        let alpha = Array("tamper".utf8)
        var rejected = 0
        for suite in ECVRF.Suite.allCases {
            let pi = ECVRF.prove(secretKey: key, alpha: alpha, suite: suite).bytes
            for index in 0..<pi.count {
                for bit in 0..<8 {
                    var bad = pi
                    bad[index] ^= 1 << bit
                    let beta = verifyBytes(publicKey: key.publicKey.bytes, alpha: alpha, proof: bad, suite: suite)
                    #expect(beta == nil, "\(suite.name): byte \(index) bit \(bit)")
                    if beta == nil { rejected += 1 }
                }
            }
        }
        #expect(rejected == 2 * 640)
        print("ecvrf tampered proofs: \(rejected)/\(2 * 640) rejected")
    }

    // MARK: Malformed input

    @Test func wrongLengthsThrow() throws {
        for length in [0, 1, 31, 33, 64] {
            #expect(throws: CryptoError.self) { try ECVRF.SecretKey(seed: [UInt8](repeating: 1, count: length)) }
            #expect(throws: CryptoError.self) { try ECVRF.PublicKey(bytes: [UInt8](repeating: 1, count: length)) }
        }
        for length in [0, 32, 79, 81, 128] {
            #expect(throws: CryptoError.self) { try ECVRF.Proof(bytes: [UInt8](repeating: 1, count: length)) }
        }
    }

    @Test func invalidPublicKeysThrow() throws {
        for hex in smallOrderPoints {
            let bytes = try Hex.decode(hex)
            #expect(ECVRF.Point(decoding: bytes) != nil, "\(hex) decodes")
            #expect(throws: CryptoError.self, "small order \(hex)") { try ECVRF.PublicKey(bytes: bytes) }
        }
        for (why, hex) in undecodable {
            #expect(ECVRF.Point(decoding: try Hex.decode(hex)) == nil, "\(why)")
            #expect(throws: CryptoError.self, "\(why)") { try ECVRF.PublicKey(bytes: Hex.decode(hex)) }
        }
    }

    /// Gamma that does not decode, s ≥ L, and Gamma of small order: refused, no crash.
    @Test func invalidProofsThrow() throws {
        let key = try ECVRF.SecretKey(seed: [UInt8](repeating: 3, count: 32))
        let alpha: [UInt8] = [1, 2, 3]
        for suite in ECVRF.Suite.allCases {
            let pi = ECVRF.prove(secretKey: key, alpha: alpha, suite: suite).bytes
            let s = ECVRF.Scalar(pi[48..<80])
            var candidates: [(String, [UInt8])] = []
            for (why, hex) in undecodable { candidates.append(("Gamma \(why)", try Hex.decode(hex) + pi[32..<80])) }
            for hex in smallOrderPoints { candidates.append(("Gamma small order \(hex)", try Hex.decode(hex) + pi[32..<80])) }
            candidates.append(("s = L", Array(pi[0..<48]) + ECVRF.Scalar.order))
            candidates.append(("s = 2^256 - 1", Array(pi[0..<48]) + [UInt8](repeating: 0xff, count: 32)))
            candidates.append(("s + L", Array(pi[0..<48]) + add(s.bytes, ECVRF.Scalar.order)))
            candidates.append(("all zero", [UInt8](repeating: 0, count: 80)))
            candidates.append(("identity, c = 0, s = 0", ECVRF.Point.identity.bytes + [UInt8](repeating: 0, count: 48)))
            for (why, bytes) in candidates {
                #expect(throws: CryptoError.self, "\(suite.name): \(why)") {
                    try ECVRF.verify(publicKey: key.publicKey, alpha: alpha, proof: ECVRF.Proof(bytes: bytes), suite: suite)
                }
            }
            #expect(throws: CryptoError.self) { try ECVRF.proofToHash(ECVRF.Proof(bytes: candidates[0].1), suite: suite) }
        }
    }

    // MARK: Group arithmetic beyond libsodium's prime-order subgroup

    /// n·P through the torsion split equals double-and-add, for small-order and mixed points.
    @Test func multiplicationOfAnyPoint() throws {
        var rng = SplitMix64(seed: 25519)
        let generator = ECVRF.Point.base(times: ECVRF.Scalar([9]))
        var points = try smallOrderPoints.map { try #require(ECVRF.Point(decoding: Hex.decode($0))) }
        points += points.map { $0 + generator }  // mixed order (and generator itself)
        let scalars = [ECVRF.Scalar([0]), ECVRF.Scalar([1]), ECVRF.Scalar([7]), ECVRF.Scalar([8])]
            + (0..<3).map { _ in ECVRF.Scalar(rng.bytes(16)) } + [ECVRF.Scalar(ECVRF.Scalar.order)]
        for point in points {
            for n in scalars {
                #expect(point.multiplied(by: n) == doubleAndAdd(point, n.bytes), "\(Hex.encode(point.bytes)) × \(Hex.encode(n.bytes))")
            }
        }
    }

    /// RFC 9381 accepts public keys and Gamma with a torsion component; a prover who grinds
    /// c ≡ 0 (mod 8) gets such proofs through. beta is still 8·Gamma's hash, so unique.
    @Test func mixedOrderKeyAndGammaFollowTheRFC() throws {
        let key = try ECVRF.SecretKey(seed: [UInt8](repeating: 5, count: 32))
        let torsion = try #require(ECVRF.Point(decoding: Hex.decode(smallOrderPoints[4])))
        let alpha = Array("mixed".utf8)
        var rng = SplitMix64(seed: 99)
        for suite in ECVRF.Suite.allCases {
            // A mixed-order public key Y' = Y + T: validate_key accepts it.
            let y = key.publicKey.point + torsion
            let publicKey = try ECVRF.PublicKey(bytes: y.bytes)
            let h = try #require(ECVRF.encodeToCurve(suite: suite, salt: y.bytes, alpha: alpha))
            let gamma = h.multiplied(by: key.scalar)
            var accepted = 0
            var refused = 0
            while accepted < 1 || refused < 1 {
                let k = ECVRF.Scalar(reducing: rng.bytes(64))
                let c = ECVRF.challenge(suite: suite, y, h, gamma, .base(times: k), h.multiplied(by: k))
                let s = k + ECVRF.Scalar(c) * key.scalar
                let proof = try ECVRF.Proof(bytes: gamma.bytes + c + s.bytes)
                // U = s·B − c·Y' = k·B − c·T: right only when 8 | c.
                if c[0] & 7 == 0 {
                    let beta = try ECVRF.verify(publicKey: publicKey, alpha: alpha, proof: proof, suite: suite)
                    #expect(beta == (try ECVRF.proofToHash(proof, suite: suite)))
                    accepted += 1
                } else {
                    #expect(throws: CryptoError.self) { try ECVRF.verify(publicKey: publicKey, alpha: alpha, proof: proof, suite: suite) }
                    refused += 1
                }
            }

            // Gamma' = x·H + T under the honest key: same beta as the honest proof.
            let honestH = try #require(ECVRF.encodeToCurve(suite: suite, salt: key.publicKey.bytes, alpha: alpha))
            let honestGamma = honestH.multiplied(by: key.scalar)
            let skewed = honestGamma + torsion
            let honestBeta = try ECVRF.proofToHash(ECVRF.prove(secretKey: key, alpha: alpha, suite: suite), suite: suite)
            while true {
                let k = ECVRF.Scalar(reducing: rng.bytes(64))
                let c = ECVRF.challenge(
                    suite: suite, key.publicKey.point, honestH, skewed, .base(times: k), honestH.multiplied(by: k))
                guard c[0] & 7 == 0 else { continue }
                let s = k + ECVRF.Scalar(c) * key.scalar
                let proof = try ECVRF.Proof(bytes: skewed.bytes + c + s.bytes)
                let beta = try ECVRF.verify(publicKey: key.publicKey, alpha: alpha, proof: proof, suite: suite)
                #expect(beta == honestBeta)
                break
            }
        }
    }

    /// ELL2's field arithmetic against libsodium: the map's output is always on the curve
    /// (Point(x:y:) traps otherwise) and of prime order after cofactor clearing.
    @Test func ell2OutputsArePrimeOrder() throws {
        var rng = SplitMix64(seed: 9380)
        let order = ECVRF.Scalar.order
        for _ in 0..<64 {
            let alpha = rng.bytes(Int(rng.next() % 64))
            let h = try #require(ECVRF.encodeToCurve(suite: .ell2, salt: [], alpha: alpha))
            #expect(!h.isIdentity)
            #expect(doubleAndAdd(h, order) == .identity)
        }
    }
}

/// n·P by double-and-add with point addition only (the reference for ``ECVRF/Point/multiplied(by:)``).
private func doubleAndAdd(_ point: ECVRF.Point, _ n: [UInt8]) -> ECVRF.Point {
    var result = ECVRF.Point.identity
    for byte in n.reversed() {
        for bit in stride(from: 7, through: 0, by: -1) {
            result = result + result
            if (byte >> UInt8(bit)) & 1 == 1 { result = result + point }
        }
    }
    return result
}

/// a + b as 32-byte little-endian integers (no reduction; the tests keep it below 2^256).
private func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var carry = 0
    for i in 0..<32 {
        let sum = Int(a[i]) + Int(b[i]) + carry
        out[i] = UInt8(sum & 0xff)
        carry = sum >> 8
    }
    return out
}
