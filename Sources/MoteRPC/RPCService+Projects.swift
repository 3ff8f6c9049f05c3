import MoteChain
import MoteContracts
import MoteLedger
import MotePrimitives

/// `mote_` methods for MachineFi projects: read-only calls into the ProjectRegistry system
/// contract, shaped as JSON objects (docs/RPC.md, docs/MACHINEFI.md).
extension RPCService {
    static let projectMethods: Set<String> = [
        "mote_projects", "mote_project", "mote_projectResults", "mote_deviceResults", "mote_ownerRewards", "mote_projectParameters",
    ]

    /// The most projects `mote_projects` lists, and the most results any method lists.
    static let maxListedProjects: UInt64 = 10_000
    static let maxListedResults = 10_000

    func projectMethod(_ method: String, _ params: Params) async throws(RPCError) -> JSON {
        let registry = ProjectRegistryABI.address
        switch method {
        case "mote_projectParameters":
            try params.expect(0...0)
            let values = try await view(registry, ProjectRegistryABI.projectParameters, [])
            var object: [String: JSON] = [:]
            for (name, value) in zip(ProjectRegistryABI.projectParameters.outputNames, values) { object[name] = Self.json(value) }
            return .object(object)
        case "mote_projects":
            try params.expect(0...0)
            let count = Self.uint(try await view(registry, ProjectRegistryABI.projectCount, []).first).l0
            var out: [JSON] = []
            if count > 0 {
                for id in 1...min(count, Self.maxListedProjects) { out.append(try await project(id)) }
            }
            return .array(out)
        case "mote_project":
            try params.expect(1...1)
            return try await project(try params.quantity(0))
        case "mote_projectResults":
            try params.expect(1...2)
            let id = try params.quantity(0)
            var window: UInt64?
            if params.value(1) != nil { window = try params.quantity(1) }
            _ = try await project(id)
            var out: [JSON] = []
            let devices = try await view(registry, ProjectRegistryABI.projectDevices, [.uint(UInt256(id))]).first?.arrayValue ?? []
            for case .address(let device) in devices {
                for result in try await results(ofDevice: device) where result["projectId"] == .quantity(UInt256(id)) {
                    if let window, result["window"] != .quantity(UInt256(window)) { continue }
                    guard out.count < Self.maxListedResults else { break }
                    out.append(result)
                }
            }
            return .array(out)
        case "mote_deviceResults":
            try params.expect(1...1)
            return .array(try await results(ofDevice: try params.address(0)))
        case "mote_ownerRewards":
            try params.expect(1...1)
            let owner = try params.address(0)
            let ids = try await view(DeviceRegistryABI.address, DeviceRegistryABI.devicesOf, [.address(owner)]).first?.arrayValue ?? []
            var devices: [JSON] = []
            var totalPaid = UInt256.zero
            var totalPending = 0
            for case .address(let device) in ids {
                let results = try await results(ofDevice: device)
                var paid = UInt256.zero
                var pending = 0
                for result in results {
                    if case .string(let text)? = result["paid"], let amount = UInt256(text) { paid += amount }
                    if result["status"] == .string(ResultStatus.pending.description) { pending += 1 }
                }
                totalPaid += paid
                totalPending += pending
                devices.append(.object([
                    "deviceId": .address(device), "results": .array(results), "paid": .quantity(paid), "pending": .quantity(UInt64(pending)),
                ]))
            }
            return .object([
                "owner": .address(owner), "devices": .array(devices), "paid": .quantity(totalPaid), "pending": .quantity(UInt64(totalPending)),
            ])
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    /// One project as `mote_project` answers it, with its devices; -32001 if there is none.
    func project(_ id: UInt64) async throws(RPCError) -> JSON {
        let registry = ProjectRegistryABI.address
        let v = try await view(registry, ProjectRegistryABI.project, [.uint(UInt256(id))])
        let devices = try await view(registry, ProjectRegistryABI.projectDevices, [.uint(UInt256(id))]).first?.arrayValue ?? []
        guard v.count == ProjectRegistryABI.projectOutputs.count,
            let status = ProjectStatus(rawValue: UInt8(truncatingIfNeeded: Self.uint(v[9]).l0))
        else { throw RPCError.internalError("project output: \(v.count) values") }
        var object: [String: JSON] = ["projectId": .quantity(UInt256(id)), "devices": .array(devices.map(Self.json))]
        for (name, value) in zip(ProjectRegistryABI.projectOutputs.map(\.0), v) { object[name] = Self.json(value) }
        object["status"] = .string(status.description)
        return .object(object)
    }

    /// The results posted for `device`, oldest first (at most `maxListedResults`, the newest).
    func results(ofDevice device: Address) async throws(RPCError) -> [JSON] {
        let registry = ProjectRegistryABI.address
        let page = ProjectRegistryContract.maxResultsPerPage
        let total = Self.uint(try await view(registry, ProjectRegistryABI.resultsOfDevicePage, [.address(device), .uint(0), .uint(0)]).first).l0
        var ids: [ABIValue] = []
        var offset = total - min(total, UInt64(Self.maxListedResults))
        while offset < total {
            let v = try await view(registry, ProjectRegistryABI.resultsOfDevicePage, [.address(device), .uint(UInt256(offset)), .uint(UInt256(page))])
            let more = v.dropFirst().first?.arrayValue ?? []
            guard !more.isEmpty else { break }
            ids += more
            offset += UInt64(more.count)
        }
        var out: [JSON] = []
        for id in ids {
            let v = try await view(registry, ProjectRegistryABI.result, [id])
            guard v.count == ProjectRegistryABI.resultOutputs.count,
                let status = ResultStatus(rawValue: UInt8(truncatingIfNeeded: Self.uint(v[9]).l0))
            else { throw RPCError.internalError("result output: \(v.count) values") }
            var object: [String: JSON] = ["resultId": Self.json(id)]
            for (name, value) in zip(ProjectRegistryABI.resultOutputs.map(\.0), v) { object[name] = Self.json(value) }
            object["status"] = .string(status.description)
            out.append(.object(object))
        }
        return out
    }
}
