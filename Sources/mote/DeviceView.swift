import Foundation
import MoteCrypto
import MotePrimitives
import MoteRPC

/// A device as `mote_device` and `mote_devices` report it.
struct DeviceView {
    let deviceID: Address
    let curve: String
    let publicKey: String
    let owner: Address?
    let manufacturer: Address?
    let manufacturerName: String
    let model: String
    let status: String
    let registeredAt: UInt64
    let retentionDays: UInt64
    let stake: UInt256

    /// Nil when `json` lacks a field or has one of the wrong kind.
    init?(_ json: JSON) {
        func address(_ key: String) -> Address?? {
            guard let value = json[key] else { return nil }
            if value == .null { return .some(nil) }
            guard let address = value.stringValue.flatMap({ try? Address(hex: $0) }) else { return nil }
            return .some(address)
        }
        guard let id = address("deviceId") ?? nil, let owner = address("owner"), let manufacturer = address("manufacturer"),
            let curve = json["curve"]?.stringValue, let key = json["publicKey"]?.stringValue,
            let manufacturerName = json["manufacturerName"]?.stringValue, let model = json["model"]?.stringValue,
            let status = json["status"]?.stringValue, let registeredAt = json["registeredAt"]?.quantity64,
            let retention = json["retentionDays"]?.quantity64, let stake = json["stake"]?.quantity
        else { return nil }
        (deviceID, self.curve, publicKey, self.owner, self.manufacturer, self.manufacturerName) = (id, curve, key, owner, manufacturer, manufacturerName)
        (self.model, self.status, self.registeredAt, retentionDays, self.stake) = (model, status, registeredAt, retention, stake)
    }

    /// For `--json`: addresses checksummed (null when none), the stake as a decimal string in wei.
    var object: [String: Any] {
        [
            "deviceId": deviceID.checksummed, "curve": curve, "publicKey": publicKey, "owner": owner?.checksummed ?? NSNull(),
            "manufacturer": manufacturer?.checksummed ?? NSNull(), "manufacturerName": manufacturerName, "model": model,
            "status": status, "registeredAt": NSNumber(value: registeredAt), "retentionDays": NSNumber(value: retentionDays),
            "stake": stake.description,
        ]
    }

    /// For `mote device show`: one `label  value` row per field.
    var fields: [(String, String?)] {
        [
            ("device", deviceID.checksummed), ("curve", curve), ("public key", publicKey), ("status", status),
            ("owner", owner?.checksummed ?? "none (unclaimed)"),
            ("manufacturer", manufacturerName.isEmpty ? nil : manufacturerName), ("pre-registered by", manufacturer?.checksummed),
            ("model", model),
            ("registered", iso8601(registeredAt)), ("retention", "\(retentionDays) days"), ("stake", Amount.describe(stake)),
        ]
    }
}
