/// What a stream node signs, with its Ed25519 ack key, for each acknowledgement it publishes on
/// `mote/v1/ack/{deviceId}`, and what a device checks before it believes one
/// (docs/STREAM.md#signed-acks). Shared here because both sides (MoteStream, MoteDeviceSDK)
/// speak MQTT.
///
///     "MOTE-ACK-V1" ‖ device (20 bytes) ‖ seq (u64 BE) ‖ 0x00 | 0x01 ‖ hash (32 bytes, only after 0x01)
///       ‖ status (0x01 accepted, 0x00 rejected) ‖ len(code) (u8) ‖ code (ASCII; empty when accepted)
///
/// The signature goes into the ack's JSON as `"sig": "0x…"` (64 bytes, hex).
public enum StreamAckSignature {
    public static let domain: [UInt8] = Array("MOTE-ACK-V1".utf8)

    /// The bytes signed for one outcome; nil when `device` is not 20 bytes, `hash` (if any) not
    /// 32 bytes, or `code` over 255 bytes.
    public static func message(device: [UInt8], sequence: UInt64, hash: [UInt8]?, accepted: Bool, code: String?) -> [UInt8]? {
        let codeBytes = Array((code ?? "").utf8)
        guard device.count == 20, hash.map({ $0.count == 32 }) ?? true, codeBytes.count <= 255 else { return nil }
        var out = domain
        out.reserveCapacity(domain.count + 20 + 8 + 33 + 2 + codeBytes.count)
        out += device
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: sequence >> UInt64(shift))) }
        if let hash {
            out.append(1)
            out += hash
        } else {
            out.append(0)
        }
        out.append(accepted ? 1 : 0)
        out.append(UInt8(codeBytes.count))
        out += codeBytes
        return out
    }
}
