import ArgumentParser
import Foundation
import MoteContracts
import MotePrimitives
import MoteRPCClient

/// The CLI's handle on the shared `JSONRPCClient`: the same calls, blocking (a command has
/// nothing else to do meanwhile).
struct RPCClient {
    let shared: JSONRPCClient

    init(_ shared: JSONRPCClient) { self.shared = shared }

    var url: URL { shared.url }
    /// Seconds one call may take, connecting included.
    var timeout: TimeInterval { shared.timeout }

    /// Calls `method` with positional `params`; returns the `result` member.
    func call(_ method: String, _ params: [JSON] = [], timeout: TimeInterval? = nil) throws(RPCClientError) -> JSON {
        try shared.callBlocking(method, params, timeout: timeout)
    }

    /// A system contract's view (`eth_call` at the head), decoded by its ABI.
    func view(_ function: SystemFunction, of contract: any SystemContractABI.Type, _ arguments: [ABIValue] = []) throws(RPCClientError) -> [ABIValue] {
        let caller = ContractCaller(client: shared)
        let address = contract.address
        return try JSONRPCClient.blocking { () async throws(RPCClientError) -> [ABIValue] in
            try await caller.call(function, at: address, arguments)
        }
    }
}

/// `--rpc URL`: the node a wallet command talks to.
struct RPCOptions: ParsableArguments {
    @Option(
        name: .customLong("rpc"),
        help: ArgumentHelp("The node's JSON-RPC URL (default: $MOTE_RPC, else http://127.0.0.1:8545).", valueName: "url"))
    var url: String?

    /// The URL used when neither `--rpc` nor `MOTE_RPC` gives one.
    static let defaultURL = RPCEndpoint.defaultURL

    /// The client for the URL chosen: `--rpc`, then `MOTE_RPC`, then the default.
    func client() throws(RPCClientError) -> RPCClient {
        let environment = ProcessInfo.processInfo.environment
        let (text, source): (String, String)
        if let url {
            (text, source) = (url, "--rpc")
        } else if let value = environment["MOTE_RPC"], !value.isEmpty {
            (text, source) = (value, "MOTE_RPC")
        } else {
            (text, source) = (Self.defaultURL, "the default")
        }
        return RPCClient(JSONRPCClient(url: try Self.validate(text, source: source)))
    }

    /// `text` as an http or https URL with a host, or an error that names where it came from.
    static func validate(_ text: String, source: String) throws(RPCClientError) -> URL {
        try RPCEndpoint.validate(text, source: source)
    }
}
