import Foundation
import MoteCrypto
import MotePrimitives

/// The genesis file: the chain id, the first block's fields, initial balances, the initial
/// delegates and the protocol parameters. The format is documented in docs/GENESIS.md.
public struct Genesis: Hashable, Sendable {
    /// The largest genesis file accepted.
    public static let maxFileSize = 64 * 1024 * 1024
    /// The most allocations a genesis may hold.
    public static let maxAllocations = 10_000_000

    public var chainID: UInt64
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var baseFee: UInt256
    /// Initial balances, sorted by address (so the genesis state is independent of file order).
    public var allocations: [(address: Address, balance: UInt256)] {
        get { allocationList }
        set { allocationList = newValue.sorted { $0.address < $1.address } }
    }
    private var allocationList: [Allocation]
    public var delegates: [Delegate]
    public var parameters: ProtocolParameters

    /// One initial balance.
    typealias Allocation = (address: Address, balance: UInt256)

    /// A delegate of the first epochs (until staking elects them).
    public struct Delegate: Hashable, Sendable {
        public var name: String
        /// The address that signs blocks and votes.
        public var operatorAddress: Address
        /// Where rewards go.
        public var rewardAddress: Address
        /// The ECVRF public key (32 bytes) whose proofs this delegate puts in its headers; empty if none.
        public var vrfPublicKey: [UInt8]

        public init(name: String, operatorAddress: Address, rewardAddress: Address, vrfPublicKey: [UInt8] = []) {
            self.name = name
            self.operatorAddress = operatorAddress
            self.rewardAddress = rewardAddress
            self.vrfPublicKey = vrfPublicKey
        }
    }

    public init(
        chainID: UInt64, timestamp: UInt64 = 0, gasLimit: UInt64 = 30_000_000, baseFee: UInt256 = 1_000_000_000,
        allocations: [(address: Address, balance: UInt256)], delegates: [Delegate] = [],
        parameters: ProtocolParameters = ProtocolParameters()
    ) {
        self.chainID = chainID
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.baseFee = baseFee
        self.allocationList = allocations.sorted { $0.address < $1.address }
        self.delegates = delegates
        self.parameters = parameters
    }

    public static func == (a: Genesis, b: Genesis) -> Bool {
        a.chainID == b.chainID && a.timestamp == b.timestamp && a.gasLimit == b.gasLimit && a.baseFee == b.baseFee
            && a.allocationList.map(\.address) == b.allocationList.map(\.address)
            && a.allocationList.map(\.balance) == b.allocationList.map(\.balance)
            && a.delegates == b.delegates && a.parameters == b.parameters
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(chainID)
        hasher.combine(allocationList.count)
    }

    /// The total supply at genesis: the sum of all allocations.
    public var totalSupply: UInt256 {
        allocationList.reduce(UInt256.zero) { $0 + $1.balance }
    }
}

/// A `UInt256` written in JSON as a decimal or 0x-hex string (or a small integer).
public struct UInt256Text: Hashable, Sendable, Codable {
    public var value: UInt256
    public init(_ value: UInt256) { self.value = value }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt64.self) {
            value = UInt256(number)
            return
        }
        let text = try container.decode(String.self)
        guard text.utf8.count <= 80, let parsed = UInt256(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a decimal or 0x-hex amount below 2^256: \(text.prefix(80))")
        }
        value = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.description)
    }
}

extension Genesis {
    /// Parses a genesis file (JSON); every field is checked and bounded.
    public init(json data: Data) throws(ChainDecodingError) {
        guard data.count <= Self.maxFileSize else { throw ChainDecodingError("genesis: file over \(Self.maxFileSize) bytes") }
        let file: GenesisFile
        do { file = try JSONDecoder().decode(GenesisFile.self, from: data) } catch {
            throw ChainDecodingError("genesis: \(Self.describe(error))")
        }
        guard file.chainId > 0 else { throw ChainDecodingError("genesis: chainId must be positive") }
        guard file.alloc.count <= Self.maxAllocations else { throw ChainDecodingError("genesis: too many allocations") }
        var allocations: [Allocation] = []
        allocations.reserveCapacity(file.alloc.count)
        var supply = UInt256.zero
        for (key, entry) in file.alloc {
            let address: Address
            do { address = try Address(checksummedHex: key) } catch { throw ChainDecodingError("genesis alloc \(key.prefix(50)): \(error)") }
            let (sum, overflow) = supply.addingReportingOverflow(entry.balance.value)
            guard !overflow else { throw ChainDecodingError("genesis: total supply overflows 256 bits") }
            supply = sum
            allocations.append((address, entry.balance.value))
        }
        var delegates: [Delegate] = []
        for (i, d) in (file.delegates ?? []).enumerated() {
            guard !d.name.isEmpty, d.name.utf8.count <= 64 else { throw ChainDecodingError("genesis delegate \(i): name must be 1 to 64 bytes") }
            do {
                let op = try Address(checksummedHex: d.operator)
                let reward = try Address(checksummedHex: d.reward ?? d.operator)
                var vrf: [UInt8] = []
                if let text = d.vrf {
                    guard text.utf8.count <= 66, let bytes = try? Hex.decode(text), bytes.count == 32 else {
                        throw ChainDecodingError("vrf must be a 32-byte hex public key")
                    }
                    vrf = bytes
                }
                delegates.append(Delegate(name: d.name, operatorAddress: op, rewardAddress: reward, vrfPublicKey: vrf))
            } catch { throw ChainDecodingError("genesis delegate \(i): \(error)") }
        }
        guard Set(delegates.map(\.operatorAddress)).count == delegates.count else {
            throw ChainDecodingError("genesis: delegates must have distinct operator addresses")
        }
        let parameters = file.parameters ?? ProtocolParameters()
        let problems = parameters.problems
        guard problems.isEmpty else {
            throw ChainDecodingError("genesis: parameters out of range: \(problems.joined(separator: ", ")) (see docs/GENESIS.md)")
        }
        guard file.gasLimit ?? 30_000_000 >= 21_000 else { throw ChainDecodingError("genesis: gasLimit below 21000") }
        self.init(
            chainID: file.chainId, timestamp: file.timestamp ?? 0, gasLimit: file.gasLimit ?? 30_000_000,
            baseFee: file.baseFee?.value ?? 1_000_000_000, allocations: allocations, delegates: delegates,
            parameters: parameters)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(path.isEmpty ? "" : path + ": ")\(context.debugDescription)"
        default: return "\(error)"
        }
    }

    /// The file's JSON shape.
    private struct GenesisFile: Decodable {
        struct Entry: Decodable { var balance: UInt256Text }
        struct DelegateEntry: Decodable {
            var name: String
            var `operator`: String
            var reward: String?
            var vrf: String?
        }
        var chainId: UInt64
        var timestamp: UInt64?
        var gasLimit: UInt64?
        var baseFee: UInt256Text?
        var alloc: [String: Entry]
        var delegates: [DelegateEntry]?
        var parameters: ProtocolParameters?
    }
}
