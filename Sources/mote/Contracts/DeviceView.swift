import Foundation
import MoteContracts
import MoteCrypto
import MotePrimitives

extension DeviceInfo {
    /// For `--json`: addresses checksummed (null when none), the stake as a decimal string in wei.
    var object: [String: Any] {
        [
            "deviceId": deviceID.checksummed, "curve": curve.description, "publicKey": Hex.encode(publicKey),
            "owner": owner?.checksummed ?? NSNull(), "manufacturer": manufacturer?.checksummed ?? NSNull(),
            "manufacturerName": manufacturerName, "model": model, "status": status.description,
            "registeredAt": NSNumber(value: registeredAt), "retentionDays": NSNumber(value: retentionDays), "stake": stake.description,
        ]
    }

    /// For `mote device show`: one `label  value` row per field.
    var fields: [(String, String?)] {
        [
            ("device", deviceID.checksummed), ("curve", curve.description), ("public key", Hex.encode(publicKey)),
            ("status", status.description), ("owner", owner?.checksummed ?? "none (unclaimed)"),
            ("manufacturer", manufacturerName.isEmpty ? nil : manufacturerName), ("pre-registered by", manufacturer?.checksummed),
            ("model", model),
            ("registered", iso8601(registeredAt)), ("retention", "\(retentionDays) days"), ("stake", Amount.describe(stake)),
        ]
    }
}
