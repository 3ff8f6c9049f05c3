import Foundation
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import MoteTestSupport
import Testing

/// The published envelope vectors (docs/vectors/telemetry.json) and the envelope's rules.
@Suite struct TelemetryVectorTests {
    struct Vector: Decodable {
        let curve, secret, publicKey, deviceId, sequence, timestamp, contentType, payload, digest, signature, binary, json, hash: String
        let chainId: UInt64
    }

    static let vectors: [Vector] = {
        let url = Vectors.packageRoot.appendingPathComponent("docs/vectors/telemetry.json")
        return try! JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
    }()

    @Test func everyVectorReproducesAndVerifies() throws {
        #expect(Self.vectors.count == 4)
        #expect(Set(Self.vectors.map(\.curve)) == ["p256", "secp256k1", "ed25519"])
        for v in Self.vectors {
            let curve = try #require(DeviceCurve(name: v.curve))
            let key = try DevicePrivateKey(curve: curve, secret: try [UInt8](hex: v.secret))
            #expect(Hex.encode(key.publicKey.bytes) == v.publicKey)
            #expect(key.publicKey.deviceID.hex == v.deviceId)
            let envelope = TelemetryEnvelope(
                deviceID: key.publicKey.deviceID, sequence: UInt64(v.sequence)!, timestamp: UInt64(v.timestamp)!,
                contentType: v.contentType, payload: try [UInt8](hex: v.payload), signature: try [UInt8](hex: v.signature))
            #expect(envelope.signingDigest(chainID: v.chainId).hex == v.digest)
            #expect(Hex.encode(envelope.binary) == v.binary)
            #expect(envelope.json.text == v.json)
            #expect(envelope.hash.hex == v.hash)
            #expect(envelope.isValidSignature(by: key.publicKey, chainID: v.chainId))
            // Both wire forms read back to the same envelope.
            #expect(try TelemetryEnvelope(binary: try [UInt8](hex: v.binary)) == envelope)
            #expect(try TelemetryEnvelope(json: try JSON.parse(v.json)) == envelope)
            // The signature binds the chain and every field.
            #expect(!envelope.isValidSignature(by: key.publicKey, chainID: v.chainId + 1))
            var tampered = envelope
            tampered.sequence += 1
            #expect(!tampered.isValidSignature(by: key.publicKey, chainID: v.chainId))
            tampered = envelope
            tampered.payload.append(0)
            #expect(!tampered.isValidSignature(by: key.publicKey, chainID: v.chainId))
            // Deterministic schemes sign the same bytes again.
            if curve != .p256 { #expect(key.sign(digest: envelope.signingDigest(chainID: v.chainId)) == envelope.signature) }
        }
    }

    @Test func signAndVerifyOnEveryCurve() throws {
        for curve in DeviceCurve.allCases {
            let key = DevicePrivateKey.generate(curve)
            let other = DevicePrivateKey.generate(curve)
            let envelope = TelemetryEnvelope.signed(by: key, chainID: 1, sequence: 9, timestamp: 5, contentType: "a", payload: [1, 2, 3])
            #expect(envelope.isValidSignature(by: key.publicKey, chainID: 1))
            #expect(!envelope.isValidSignature(by: other.publicKey, chainID: 1))
            #expect(try DevicePrivateKey(curve: curve, secret: key.secret).publicKey == key.publicKey)
        }
    }

    @Test func keysAreValidatedAndCanonical() throws {
        #expect(throws: TelemetryError.self) { try DevicePublicKey(curve: .p256, bytes: [UInt8](repeating: 7, count: 33)) }
        #expect(throws: TelemetryError.self) { try DevicePublicKey(curve: .ed25519, bytes: [1, 2, 3]) }
        let key = try P256Signing.PrivateKey(rawRepresentation: Keccak256.hash(utf8: "k").bytes)
        let fromUncompressed = try DevicePublicKey(curve: .p256, bytes: key.publicKey.uncompressed)
        #expect(fromUncompressed.bytes == key.publicKey.compressed)
    }

    @Test(arguments: [
        ([UInt8](), "malformed"), ([2], "unsupported_version"), ([1] + [UInt8](repeating: 0, count: 10), "malformed"),
    ])
    func malformedBinaryIsRefused(bytes: [UInt8], code: String) {
        #expect { try TelemetryEnvelope(binary: bytes) } throws: { ($0 as? TelemetryError)?.code.rawValue == code }
    }

    @Test func malformedJSONIsRefused() throws {
        let good = TelemetryEnvelope.signed(
            by: .generate(.ed25519), chainID: 1, sequence: 1, timestamp: 1, contentType: "t", payload: [9]).json
        guard case .object(var object) = good else { Issue.record("not an object"); return }
        for (key, bad) in [("seq", JSON.number("-1")), ("seq", .number("1.5")), ("device", .string("0x12")), ("payload", .string("***")),
                           ("sig", .string("zz")), ("v", .int(2)), ("extra", .int(1))] {
            var copy = object
            copy[key] = bad
            #expect(throws: TelemetryError.self) { try TelemetryEnvelope(json: .object(copy)) }
        }
        object["seq"] = nil
        #expect(throws: TelemetryError.self) { try TelemetryEnvelope(json: .object(object)) }
        // A truncated or extended binary form is refused.
        let binary = TelemetryEnvelope.signed(by: .generate(.p256), chainID: 1, sequence: 1, timestamp: 1, contentType: "t", payload: [9]).binary
        #expect(throws: TelemetryError.self) { try TelemetryEnvelope(binary: binary.dropLast()) }
        #expect(throws: TelemetryError.self) { try TelemetryEnvelope(binary: binary + [0]) }
    }
}
