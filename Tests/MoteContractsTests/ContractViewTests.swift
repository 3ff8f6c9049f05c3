import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import Testing

/// The system contracts' interfaces and typed views: one declaration, read the same way from
/// ABI outputs and from the RPC server's JSON, and shape errors instead of traps.
@Suite struct ContractViewTests {
    @Test func everyContractHasAReservedAddressAndDistinctSelectors() {
        #expect(SystemContractABIs.all.count == 6)
        for (index, contract) in SystemContractABIs.all.enumerated() {
            #expect(SystemAddresses.isReserved(contract.address))
            #expect(SystemContractABIs.at(contract.address)?.name == contract.name)
            #expect(SystemContractABIs.named(contract.name.uppercased())?.address == contract.address)
            let selectors = contract.functions.map { Hex.encode($0.selector) }
            #expect(Set(selectors).count == selectors.count, "\(contract.name) has two functions with one selector")
            for function in contract.functions {
                #expect(contract.function(forCalldata: function.selector + [0, 0])?.name == function.name)
            }
            _ = index
        }
        #expect(ProjectRegistryABI.address.hex == "0x" + String(repeating: "0", count: 28) + "4d4f54450005")
        #expect(!SystemAddresses.isReserved(Address(bytes: [UInt8](repeating: 0x11, count: 20))!))
        #expect(StakingABI.function(forCalldata: [1, 2, 3]) == nil)
    }

    @Test func aDeviceReadsTheSameFromABIOutputsAndFromJSON() throws {
        let key = DevicePrivateKey.generate(.ed25519).publicKey
        let owner = Address(bytes: [UInt8](repeating: 0xaa, count: 20))!
        let outputs: [ABIValue] = [
            .uint(UInt256(UInt64(key.curve.rawValue))), .bytes(key.bytes), .address(owner), .address(.zero), .string("T1"),
            .uint(UInt256(UInt64(DeviceStatus.suspended.rawValue))), .uint(1_700), .uint(30), .uint(5), .string(""),
        ]
        let fromABI = try DeviceInfo(id: key.deviceID, outputs)
        #expect(fromABI.owner == owner && fromABI.manufacturer == nil && fromABI.status == .suspended && fromABI.retentionDays == 30)
        let json = fromABI.json
        #expect(json["owner"] == .string(owner.hex) && json["manufacturer"] == .null && json["status"] == .string("suspended"))
        #expect(try DeviceInfo(json: json) == fromABI)
        // Wrong shapes throw, naming what is wrong.
        #expect(throws: ContractViewError.self) { try DeviceInfo(id: key.deviceID, Array(outputs.dropLast())) }
        var badCurve = outputs
        badCurve[0] = .uint(9)
        #expect(throws: ContractViewError.self) { try DeviceInfo(id: key.deviceID, badCurve) }
        guard case .object(var object) = json else { Issue.record("not an object"); return }
        object["status"] = .string("sleeping")
        #expect(throws: ContractViewError.self) { try DeviceInfo(json: .object(object)) }
        object["status"] = .string("active")
        object["registeredAt"] = .string("0x1" + String(repeating: "0", count: 20))
        #expect(throws: ContractViewError.self) { try DeviceInfo(json: .object(object)) }
    }

    @Test func aCandidateAndAProjectReadTheirOutputs() throws {
        let a = Address(bytes: [UInt8](repeating: 1, count: 20))!
        let candidate = try CandidateInfo([
            .string("alpha"), .address(a), .address(a), .address(a), .uint(3), .uint(100), .uint(250), .uint(1_000), .uint(4),
        ])
        #expect(candidate.onProbation(inEpoch: 4) && !candidate.onProbation(inEpoch: 5))
        #expect(try CandidateInfo(json: candidate.json) == candidate)
        #expect(throws: ContractViewError.self) { try CandidateInfo([.string("alpha")]) }

        let hash = Keccak256.hash(utf8: "applet")
        var outputs: [ABIValue] = [
            .address(a), .string("p"), .fixedBytes(hash.bytes), .bytes([1]), .uint(10), .uint(600), .uint(3_600), .uint(50), .uint(0),
            .uint(UInt256(UInt64(ProjectStatus.closed.rawValue))), .uint(2),
        ]
        var project = try ChainProject(id: 7, outputs)
        #expect(project.appletHash == hash && !project.isActive && project.deviceCount == 2)
        project.closedAt = 1_200
        #expect(project.takesResults(window: 1) && !project.takesResults(window: 2))
        outputs[2] = .bytes([1, 2])
        #expect(throws: ContractViewError.self) { try ChainProject(id: 7, outputs) }
    }

    @Test func aResultClaimEncodesAsPostResult() throws {
        let claim = ResultClaim(
            projectID: 7, deviceID: Address(bytes: [UInt8](repeating: 0x11, count: 20))!, window: 20_000, result: [1, 2, 3], messageCount: 9,
            messagesRoot: Keccak256.hash(utf8: "root"))
        let data = claim.calldata
        #expect(Array(data.prefix(4)) == Array(Keccak256.hash(utf8: "postResult(uint64,address,uint64,bytes,uint32,bytes32)").bytes.prefix(4)))
        #expect(try ProjectRegistryABI.postResult.abi.decodeCall(data, canonical: true) == claim.arguments)
    }
}
