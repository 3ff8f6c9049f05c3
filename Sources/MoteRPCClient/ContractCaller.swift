import MoteContracts
import MotePrimitives

/// Calls system contracts' views through a node (`eth_call` at a block, "latest" by default):
/// the arguments encoded and the answer decoded by the function's own ABI, so a caller never
/// writes a selector, an address or a type list.
public struct ContractCaller: Sendable {
    public let client: JSONRPCClient

    public init(client: JSONRPCClient) { self.client = client }

    /// `function` of `contract` with `arguments`, as `from` (zero by default) at `block`.
    public func call(
        _ function: SystemFunction, of contract: any SystemContractABI.Type, _ arguments: [ABIValue] = [], from: Address? = nil,
        block: String = "latest"
    ) async throws(RPCClientError) -> [ABIValue] {
        try await call(function, at: contract.address, arguments, from: from, block: block)
    }

    /// `function` of the contract at `address` with `arguments`.
    public func call(
        _ function: SystemFunction, at address: Address, _ arguments: [ABIValue] = [], from: Address? = nil, block: String = "latest"
    ) async throws(RPCClientError) -> [ABIValue] {
        let data: [UInt8]
        do { data = try function.abi.encodeCall(arguments) } catch {
            throw RPCClientError(.badResponse, "cannot encode \(function.name)(…): \(error)")
        }
        var call: [String: JSON] = ["to": .address(address), "data": .data(data)]
        if let from { call["from"] = .address(from) }
        let answer = try await client.call("eth_call", [.object(call), .string(block)])
        guard let bytes = answer.dataValue else { throw .badResponse("eth_call \(function.name) did not answer hex") }
        do { return try function.abi.decodeOutput(bytes) } catch {
            throw .badResponse("\(function.name) answered \(bytes.count) bytes that do not decode as its outputs: \(error)")
        }
    }

    /// A view's outputs as a typed value (`ContractView` in MoteContracts).
    public func view<View: ContractView>(
        _ type: View.Type, _ function: SystemFunction, of contract: any SystemContractABI.Type, _ arguments: [ABIValue] = []
    ) async throws(RPCClientError) -> View {
        let values = try await call(function, of: contract, arguments)
        do { return try View(values) } catch { throw .badResponse("\(function.name): \(error)") }
    }
}
