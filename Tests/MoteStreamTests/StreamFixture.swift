import Foundation
import MotePrimitives
import MoteStream
import MoteStreamStore
import MoteTelemetry

/// Devices on every curve in every status, a store, a directory and a pipeline with a fixed clock.
struct StreamFixture {
    static let chainID: UInt64 = 4_689
    static let now: UInt64 = 1_763_769_600_000

    let p256 = DevicePrivateKey.generate(.p256)
    let ed25519 = DevicePrivateKey.generate(.ed25519)
    let secp256k1 = DevicePrivateKey.generate(.secp256k1)
    let suspended = DevicePrivateKey.generate(.p256)
    let revoked = DevicePrivateKey.generate(.ed25519)
    let stranger = DevicePrivateKey.generate(.ed25519)
    let store = InMemoryTelemetryStore()
    let directory: StaticDeviceDirectory
    let pipeline: IngestPipeline

    init(limits: IngestLimits = IngestLimits()) {
        directory = StaticDeviceDirectory([
            DeviceRecord(key: p256.publicKey, status: .active, retentionDays: 30),
            DeviceRecord(key: ed25519.publicKey, status: .active, retentionDays: 1),
            DeviceRecord(key: secp256k1.publicKey, status: .active, retentionDays: 0),
            DeviceRecord(key: suspended.publicKey, status: .suspended, retentionDays: 30),
            DeviceRecord(key: revoked.publicKey, status: .revoked, retentionDays: 30),
        ])
        pipeline = IngestPipeline(chainID: Self.chainID, directory: directory, store: store, limits: limits, now: { Self.now })
    }

    func message(_ key: DevicePrivateKey, _ sequence: UInt64, timestamp: UInt64 = StreamFixture.now, payload: [UInt8]? = nil) -> TelemetryEnvelope {
        TelemetryEnvelope.signed(
            by: key, chainID: Self.chainID, sequence: sequence, timestamp: timestamp, contentType: "application/json",
            payload: payload ?? Array(#"{"t":\#(sequence)}"#.utf8))
    }
}
