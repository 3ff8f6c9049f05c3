/// The decoders `mote fuzz` and the test suite run.
public enum FuzzTargets {
    /// Every target's name, in the order `mote fuzz --list` prints them.
    public static let names = ["rlp", "transaction", "p2p-frame", "telemetry-envelope", "jsonrpc", "mqtt-frame", "block", "consensus"]

    /// The target called `name`, or nil. The JSON-RPC target builds its in-memory chain here.
    public static func named(_ name: String) throws -> FuzzTarget? {
        switch name {
        case "rlp": .rlp
        case "transaction": .transaction
        case "p2p-frame": .p2pFrame
        case "telemetry-envelope": .telemetryEnvelope
        case "jsonrpc": try .jsonRPC()
        case "mqtt-frame": .mqttFrame
        case "block": .block
        case "consensus": .consensus
        default: nil
        }
    }
}
