import MoteContracts
import MoteCrypto
import MotePrimitives

/// The ProjectRegistry's records in its storage: projects and their applets and devices,
/// operators' bonds, results with their (project, device, window) index and each device's
/// append-only list, and the settlement queues: one per project in posting order, and the ring of projects
/// with queued results that end-of-block settlement walks round-robin.
struct ProjectBook {
    let storage: ContractStorage

    init(_ context: SystemCallContext) { storage = ContractStorage(context: context, contract: ProjectRegistryABI.address) }

    static let projectCountSlot = ContractStorage.slot("projectCount")
    static func projectSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("project", id.bigEndianBytes8) }
    static func appletSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("applet", id.bigEndianBytes8) }
    /// A project's devices by position, `devicesPerPage` to a slot (joining and leaving touch two pages).
    static func devicePageSlot(_ id: UInt64, _ page: UInt64) -> Hash32 {
        ContractStorage.slot("devicePage", id.bigEndianBytes8, page.bigEndianBytes8)
    }
    static let devicesPerPage: UInt64 = 64
    /// A joined device's `ProjectMembership`.
    static func memberSlot(_ id: UInt64, _ device: Address) -> Hash32 { ContractStorage.slot("member", id.bigEndianBytes8, device.bytes) }
    /// The projects a device has joined (at most `maxProjectsPerDevice`).
    static func deviceProjectsSlot(_ device: Address) -> Hash32 { ContractStorage.slot("deviceProjects", device.bytes) }
    static func bondSlot(_ op: Address) -> Hash32 { ContractStorage.slot("bond", op.bytes) }
    static let resultCountSlot = ContractStorage.slot("resultCount")
    static func resultSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("result", id.bigEndianBytes8) }
    static func resultOfSlot(_ project: UInt64, _ device: Address, _ window: UInt64) -> Hash32 {
        ContractStorage.slot("resultOf", project.bigEndianBytes8, device.bytes, window.bigEndianBytes8)
    }
    /// How many results were ever posted for a device, each id at `deviceResultAtSlot(0..<count)`
    /// (append-only, so posting costs the same however many a device has).
    static func deviceResultCountSlot(_ device: Address) -> Hash32 { ContractStorage.slot("deviceResultCount", device.bytes) }
    static func deviceResultAtSlot(_ device: Address, _ index: UInt64) -> Hash32 {
        ContractStorage.slot("deviceResultAt", device.bytes, index.bigEndianBytes8)
    }
    /// A project's `SettlementQueue` (head and tail).
    static func queueSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("settlementQueue", id.bigEndianBytes8) }
    /// The result id at `index` of a project's settlement queue.
    static func queuedSlot(_ id: UInt64, _ index: UInt64) -> Hash32 { ContractStorage.slot("queued", id.bigEndianBytes8, index.bigEndianBytes8) }
    /// How many projects the settlement ring holds, each at `ringAtSlot(0..<count)`.
    static let ringCountSlot = ContractStorage.slot("ringCount")
    static func ringAtSlot(_ index: UInt64) -> Hash32 { ContractStorage.slot("ringAt", index.bigEndianBytes8) }
    /// A project's position in the ring plus one (0: not in the ring).
    static func ringIndexSlot(_ id: UInt64) -> Hash32 { ContractStorage.slot("ringIndex", id.bigEndianBytes8) }
    /// Where the next block's settlement starts in the ring.
    static let ringCursorSlot = ContractStorage.slot("ringCursor")

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

    // MARK: Devices

    /// The devices of `project`, by position.
    func devices(_ project: ProjectRecord) throws(SystemContractRevert) -> [Address] {
        var all: [Address] = []
        var page: UInt64 = 0
        while page * Self.devicesPerPage < UInt64(project.deviceCount) {
            all += try storage.addresses(Self.devicePageSlot(project.id, page))
            page += 1
        }
        return all
    }

    func membership(_ id: UInt64, _ device: Address) throws(SystemContractRevert) -> ProjectMembership? {
        guard let item = try storage.item(Self.memberSlot(id, device)) else { return nil }
        do { return try ProjectMembership(rlp: item) } catch { throw SystemContractRevert("corrupt membership of \(device.checksummed) in project \(id)") }
    }

    func setMembership(_ id: UInt64, _ device: Address, _ membership: ProjectMembership?) throws(SystemContractRevert) {
        try storage.set(Self.memberSlot(id, device), membership?.rlp)
    }

    func isJoined(_ id: UInt64, _ device: Address) throws(SystemContractRevert) -> Bool { try membership(id, device) != nil }

    /// The projects `device` has joined, in joining order.
    func projects(ofDevice device: Address) throws(SystemContractRevert) -> [UInt64] { try storage.ids(Self.deviceProjectsSlot(device)) }

    /// Puts `device` last in `project`'s pages, its windows counting from `since`; the caller stores `project`.
    func join(_ project: inout ProjectRecord, _ device: Address, since: UInt64) throws(SystemContractRevert) {
        let position = UInt64(project.deviceCount)
        let slot = Self.devicePageSlot(project.id, position / Self.devicesPerPage)
        try storage.setAddresses(slot, try storage.addresses(slot) + [device])
        try setMembership(project.id, device, ProjectMembership(position: position, since: since))
        try storage.setIDs(Self.deviceProjectsSlot(device), try projects(ofDevice: device) + [project.id])
        project.deviceCount += 1
    }

    /// Takes `device` out of `project` (the last device moves into its position), a bounded
    /// amount of work whatever the project's size; the caller stores `project`.
    func leave(_ project: inout ProjectRecord, _ device: Address) throws(SystemContractRevert) {
        guard let member = try membership(project.id, device), project.deviceCount > 0 else { return }
        let corrupt = SystemContractRevert("corrupt devices of project \(project.id)")
        let last = UInt64(project.deviceCount) - 1
        let lastSlot = Self.devicePageSlot(project.id, last / Self.devicesPerPage)
        var lastPage = try storage.addresses(lastSlot)
        guard member.position <= last, let moved = lastPage.popLast() else { throw corrupt }
        if member.position != last {
            let index = Int(member.position % Self.devicesPerPage)
            let slot = Self.devicePageSlot(project.id, member.position / Self.devicesPerPage)
            if slot == lastSlot {
                guard index < lastPage.count else { throw corrupt }
                lastPage[index] = moved
            } else {
                var page = try storage.addresses(slot)
                guard index < page.count else { throw corrupt }
                page[index] = moved
                try storage.setAddresses(slot, page)
            }
            guard var movedMember = try membership(project.id, moved) else { throw corrupt }
            movedMember.position = member.position
            try setMembership(project.id, moved, movedMember)
        }
        try storage.setAddresses(lastSlot, lastPage)
        try setMembership(project.id, device, nil)
        try storage.setIDs(Self.deviceProjectsSlot(device), try projects(ofDevice: device).filter { $0 != project.id })
        project.deviceCount -= 1
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

    func resultCount(ofDevice device: Address) throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.deviceResultCountSlot(device)) }

    /// The ids of `device`'s results from position `offset` (oldest first), at most `limit`: a view's
    /// work, one read each.
    func results(ofDevice device: Address, offset: UInt64, limit: UInt64) throws(SystemContractRevert) -> [UInt64] {
        let count = try resultCount(ofDevice: device)
        guard offset < count else { return [] }
        let end = offset + min(limit, count - offset)
        var ids: [UInt64] = []
        for index in offset..<end { ids.append(try storage.uint64(Self.deviceResultAtSlot(device, index))) }
        return ids
    }

    /// Records a new pending result with the next id, indexes it and queues its settlement.
    func add(_ make: (UInt64) -> ResultRecord) throws(SystemContractRevert) -> ResultRecord {
        let id = try resultCount() + 1
        let result = make(id)
        try storage.setUInt64(Self.resultCountSlot, id)
        try storage.set(Self.resultSlot(id), result.rlp)
        try storage.setUInt64(Self.resultOfSlot(result.projectID, result.deviceID, result.window), id)
        let listed = try resultCount(ofDevice: result.deviceID)
        try storage.setUInt64(Self.deviceResultAtSlot(result.deviceID, listed), id)
        try storage.setUInt64(Self.deviceResultCountSlot(result.deviceID), listed + 1)
        try enqueue(id, project: result.projectID)
        return result
    }

    func update(_ result: ResultRecord) throws(SystemContractRevert) { try storage.set(Self.resultSlot(result.id), result.rlp) }

    // MARK: Settlement queues

    func queue(_ id: UInt64) throws(SystemContractRevert) -> SettlementQueue {
        guard let item = try storage.item(Self.queueSlot(id)) else { return SettlementQueue() }
        do { return try SettlementQueue(rlp: item) } catch { throw SystemContractRevert("corrupt settlement queue of project \(id)") }
    }

    /// The result id first in `id`'s queue, nil if the queue is empty.
    func queueHead(_ id: UInt64) throws(SystemContractRevert) -> UInt64? {
        let queue = try queue(id)
        return queue.isEmpty ? nil : try storage.uint64(Self.queuedSlot(id, queue.head))
    }

    /// Drops the first result id of `id`'s queue (settled, or no longer pending).
    func popQueue(_ id: UInt64) throws(SystemContractRevert) {
        var queue = try queue(id)
        guard !queue.isEmpty else { return }
        try storage.setUInt64(Self.queuedSlot(id, queue.head), 0)
        queue.head += 1
        // An emptied queue starts again from 0 (every slot of it is clear).
        try storage.set(Self.queueSlot(id), queue.isEmpty ? nil : queue.rlp)
    }

    /// Appends a result to its project's queue and puts the project in the ring if it is not.
    private func enqueue(_ result: UInt64, project id: UInt64) throws(SystemContractRevert) {
        var queue = try queue(id)
        try storage.setUInt64(Self.queuedSlot(id, queue.tail), result)
        queue.tail += 1
        try storage.set(Self.queueSlot(id), queue.rlp)
        guard try storage.uint64(Self.ringIndexSlot(id)) == 0 else { return }
        let count = try ringCount()
        try storage.setUInt64(Self.ringAtSlot(count), id)
        try storage.setUInt64(Self.ringIndexSlot(id), count + 1)
        try storage.setUInt64(Self.ringCountSlot, count + 1)
    }

    func ringCount() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.ringCountSlot) }

    func ring(at index: UInt64) throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.ringAtSlot(index)) }

    /// Takes the project at `index` out of the ring; the last one moves into its place.
    func removeFromRing(at index: UInt64) throws(SystemContractRevert) {
        let count = try ringCount()
        guard index < count else { return }
        let removed = try ring(at: index), last = try ring(at: count - 1)
        if index != count - 1 {
            try storage.setUInt64(Self.ringAtSlot(index), last)
            try storage.setUInt64(Self.ringIndexSlot(last), index + 1)
        }
        try storage.setUInt64(Self.ringAtSlot(count - 1), 0)
        try storage.setUInt64(Self.ringIndexSlot(removed), 0)
        try storage.setUInt64(Self.ringCountSlot, count - 1)
    }

    func ringCursor() throws(SystemContractRevert) -> UInt64 { try storage.uint64(Self.ringCursorSlot) }

    func setRingCursor(_ cursor: UInt64) throws(SystemContractRevert) { try storage.setUInt64(Self.ringCursorSlot, cursor) }
}
