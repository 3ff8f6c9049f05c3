import MotePrimitives
import MoteStreamStore
import MoteTelemetry

/// Made-up messages whose every byte is a pure function of (device index, sequence), for
/// exercising stores: `mote debug store-writer` appends them for the crash test, which
/// recomputes them to check what survived, and `mote bench store` times them. Signatures are
/// filler, not real.
package enum SyntheticTelemetry {
    /// The `index`-th synthetic device: `d0` then the index, big-endian.
    package static func device(_ index: Int) -> Address {
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[0] = 0xD0
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes.replaceSubrange(12..<20, with: $0) }
        return Address(bytes: bytes)!
    }

    /// Device `index`'s message `sequence`: a small JSON payload (40 to 100 bytes).
    package static func message(device index: Int, sequence: UInt64) -> StoredMessage {
        var noise = sequence &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index) &* 0xBF58_476D_1CE4_E5B9
        func next() -> UInt64 {
            noise ^= noise << 13
            noise ^= noise >> 7
            noise ^= noise << 17
            return noise
        }
        let padding = String(repeating: "0", count: Int(next() % 40))
        let payload = Array("{\"d\":\(index),\"seq\":\(sequence),\"t\":\(next() % 10_000),\"p\":\"\(padding)\"}".utf8)
        let signature = (0..<8).flatMap { _ in withUnsafeBytes(of: next()) { Array($0) } }
        let envelope = TelemetryEnvelope(
            deviceID: device(index), sequence: sequence, timestamp: 1_700_000_000_000 &+ sequence &* 1_000,
            contentType: "application/json", payload: payload, signature: signature)
        return StoredMessage(envelope: envelope, receivedAt: 1_700_000_000_000 &+ sequence &* 1_000 &+ 7)
    }
}
