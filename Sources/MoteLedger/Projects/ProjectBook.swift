import MoteCrypto
import MotePrimitives

/// The ProjectRegistry's records in its storage: projects and their applets and devices,
/// operators' bonds, results with their (project, device, window) index and each device's
/// list, and the settlement queue of pending results by challenge deadline.
struct ProjectBook {
    let storage: ContractStorage

    init(_ context: SystemCallContext) { storage = ContractStorage(context: context, contract: ProjectRegistryContract.address) }

    static let projectCountSlot = ContractStorage.slot("projectCount")
    static func projectSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("project", id.bigEndianBytes8) }
    static func appletSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("applet", id.bigEndianBytes8) }
    static func devicesSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("projectDevices", id.bigEndianBytes8) }
    static func joinedSlot(_ id: UInt64, _ device: Address) -> Hash32 { ContractStorage.slot("joined", id.bigEndianBytes8, device.bytes) }
    static func bondSlot(_ op: Address) -> Hash32 { ContractStorage.slot("bond", op.bytes) }
    static let resultCountSlot = ContractStorage.slot("resultCount")
    static func resultSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("result", id.bigEndianBytes8) }
    static func resultOfSlot(_ project: UInt64, _ device: Address, _ window: UInt64) -> Hash32 {
        ContractStorage.slot("resultOf", project.bigEndianBytes8, device.bytes, window.bigEndianBytes8)
    }
    static func deviceResultsSlot(_ device: Address) -> Hash32 { ContractStorage.slot("deviceResults", device.bytes) }
    /// The distinct challenge deadlines with pending results, ascending.
    static let deadlinesSlot = ContractStorage.slot("deadlines")
    /// The pending results of one deadline, ascending ids.
    static func dueSlot(_ deadline: UInt64) -> Hash32 { ContractStorage.slot("due", deadline.bigEndianBytes8) }

    // MARK: Projects

    func projectCount() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.projectCountSlot) }

    func project(_ id: UInt64) throws(SystemContractRevert) -> ProjectRecord? {
        guard let item = try storage.item(Self.projectSlot(id)) else { return nil }
        do { return try ProjectRecord(id: id, rlp: item) } catch { throw SystemContractRevert("corrupt project \(id)") }
    }

    func existingProject(_ id: UInt64) throws(SystemContractRevert) -> ProjectRecord {
        guard let project = try project(id) else { throw SystemContractRevert("no project \(id)") }
        return project
    }

    /// Records a new project with the next id and its applet code.
    func add(_ make: (UInt64) -> ProjectRecord, applet: [UInt8]) throws(SystemContractRevert) -> ProjectRecord {
        let id = try projectCount() + 1
        let project = make(id)
        try storage.setUInt64(Self.projectCountSlot, id)
        try storage.set(Self.projectSlot(id), project.rlp)
        try storage.set(Self.appletSlot(id), .bytes(applet))
        return project
    }

    func update(_ project: ProjectRecord) throws(SystemContractRevert) { try storage.set(Self.projectSlot(project.id), project.rlp) }

    func applet(_ id: UInt64) throws(SystemContractRevert) -> [UInt8] {
        guard let item = try storage.item(Self.appletSlot(id)), let code = try? item.bytesValue() else {
            throw SystemContractRevert("no applet for project \(id)")
        }
        return code
    }

    func devices(_ id: UInt64) throws(SystemContractRevert) -> [Address] { try storage.addresses(Self.devicesSlot(id)) }

    func isJoined(_ id: UInt64, _ device: Address) throws(SystemContractRevert) -> Bool {
        try storage.uint64(Self.joinedSlot(id, device)) != 0
    }

    func setJoined(_ id: UInt64, _ device: Address, _ joined: Bool) throws(SystemContractRevert) {
        try storage.setUInt64(Self.joinedSlot(id, device), joined ? 1 : 0)
        let list = try devices(id)
        try storage.setAddresses(Self.devicesSlot(id), joined ? list + [device] : list.filter { $0 != device })
    }

    // MARK: Bonds

    func bond(_ op: Address) throws(SystemContractRevert) -> OperatorBond {
        guard let item = try storage.item(Self.bondSlot(op)) else { return OperatorBond() }
        do { return try OperatorBond(rlp: item) } catch { throw SystemContractRevert("corrupt bond of \(op.checksummed)") }
    }

    func setBond(_ op: Address, _ bond: OperatorBond) throws(SystemContractRevert) {
        try storage.set(Self.bondSlot(op), bond.total.isZero ? nil : bond.rlp)
    }

    // MARK: Results

    func resultCount() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.resultCountSlot) }

    func result(_ id: UInt64) throws(SystemContractRevert) -> ResultRecord? {
        guard let item = try storage.item(Self.resultSlot(id)) else { return nil }
        do { return try ResultRecord(id: id, rlp: item) } catch { throw SystemContractRevert("corrupt result \(id)") }
    }

    func existingResult(_ id: UInt64) throws(SystemContractRevert) -> ResultRecord {
        guard let result = try result(id) else { throw SystemContractRevert("no result \(id)") }
        return result
    }

    func resultID(project: UInt64, device: Address, window: UInt64) throws(SystemContractRevert) -> UInt64 {
        try storage.uint64(Self.resultOfSlot(project, device, window))
    }

    func results(ofDevice device: Address) throws(SystemContractRevert) -> [UInt64] { try storage.ids(Self.deviceResultsSlot(device)) }

    /// Records a new pending result with the next id, indexes it and queues its settlement.
    func add(_ make: (UInt64) -> ResultRecord) throws(SystemContractRevert) -> ResultRecord {
        let id = try resultCount() + 1
        let result = make(id)
        try storage.setUInt64(Self.resultCountSlot, id)
        try storage.set(Self.resultSlot(id), result.rlp)
        try storage.setUInt64(Self.resultOfSlot(result.projectID, result.deviceID, result.window), id)
        try storage.setIDs(Self.deviceResultsSlot(result.deviceID), try results(ofDevice: result.deviceID) + [id])
        try enqueue(id, deadline: result.challengeEndsAt)
        return result
    }

    func update(_ result: ResultRecord) throws(SystemContractRevert) { try storage.set(Self.resultSlot(result.id), result.rlp) }

    // MARK: Settlement queue

    func deadlines() throws(SystemContractRevert) -> [UInt64] { try storage.ids(Self.deadlinesSlot) }

    func due(_ deadline: UInt64) throws(SystemContractRevert) -> [UInt64] { try storage.ids(Self.dueSlot(deadline)) }

    private func enqueue(_ id: UInt64, deadline: UInt64) throws(SystemContractRevert) {
        let ids = try due(deadline)
        if ids.isEmpty {
            var all = try deadlines()
            let at = all.firstIndex { $0 > deadline } ?? all.count
            all.insert(deadline, at: at)
            try storage.setIDs(Self.deadlinesSlot, all)
        }
        try storage.setIDs(Self.dueSlot(deadline), ids + [id])
    }

    /// Removes `id` from its deadline's queue (a reverted result never settles).
    func dequeue(_ id: UInt64, deadline: UInt64) throws(SystemContractRevert) {
        let ids = try due(deadline).filter { $0 != id }
        try setDue(deadline, ids)
    }

    /// Replaces a deadline's queue, dropping the deadline once it is empty.
    func setDue(_ deadline: UInt64, _ ids: [UInt64]) throws(SystemContractRevert) {
        try storage.setIDs(Self.dueSlot(deadline), ids)
        if ids.isEmpty { try storage.setIDs(Self.deadlinesSlot, try deadlines().filter { $0 != deadline }) }
    }
}
