import MoteApplet
import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTelemetry

/// The MachineFi project registry at 0x…4d4f54450005 (docs/MACHINEFI.md): sponsors fund
/// projects that pay device owners a fixed reward per window in which the project's applet
/// finds its rule met; bonded stream operators, each chosen by the device's owner, post the
/// results (or the owner itself); anyone may prove a result
/// false within the challenge period by supplying the committed messages, and the chain
/// re-runs the applet to decide. Unchallenged results settle at the end of a block.
///
/// All MOTE of pools, bonds and challenge deposits is held in the contract's balance; the
/// books say whose it is, and the contract's balance always equals the sum of pools and bonds.
public struct ProjectRegistryContract: SystemContract {
    public typealias ABI = ProjectRegistryABI
    let genesis: Genesis
    let runtime: any ProjectAppletRuntime

    public static let maxNameBytes = 64
    public static let maxParamsBytes = 1_024
    public static let maxAppletBytes = 64 * 1_024
    public static let maxResultBytes = 256
    /// The most messages a result may commit to (and a challenge may carry).
    public static let maxMessages: UInt32 = 10_000
    public static let maxWindowSeconds: UInt64 = 366 * 86_400
    public static let maxChallengeSeconds = ProtocolParameters.maxChallengeSeconds
    public static let maxDevicesPerProject: UInt32 = 10_000
    /// The most projects one device may be in at once: what bounds the work of revoking it
    /// (which takes it out of every one) or resuming it.
    public static let maxProjectsPerDevice = 32
    /// A result is posted at most this long after its window ends (7 days): a pool owes nothing
    /// for windows older than that, however long a device has been in the project.
    public static let maxResultDelaySeconds: UInt64 = 7 * 86_400
    /// The most result ids `resultsOfDevice` (the newest) and one `resultsOfDevicePage` answer.
    public static let maxResultsPerPage: UInt64 = 1_024
    /// The fuel a challenge's re-run may use at most (the applet limits' standard fuel).
    public static let maxFuel: UInt64 = 50_000_000
    /// Applet fuel bought by one unit of gas.
    public static let fuelPerGas: UInt64 = 100
    /// Gas per envelope signature checked in a challenge.
    public static let signatureGas: UInt64 = 3_000
    /// Gas per envelope hashed into the commitment (plus keccak's per-word price).
    public static let leafGas: UInt64 = 30
    /// Results settled at the end of one block at most (the rest wait for the next).
    public static let settlementsPerBlock = 256
    /// Visits of the settlement ring per block at most (`ProjectSettlement`).
    public static let settlementVisitsPerBlock = 1_024

    public init(genesis: Genesis, runtime: any ProjectAppletRuntime) {
        self.genesis = genesis
        self.runtime = runtime
    }

    // MARK: End of block

    /// Results whose challenge period ended are settled (`ProjectSettlement`), first of all.
    public var endBlockPhase: EndBlockPhase? { .settlement }

    public func endBlock(_ block: EndBlockInfo, context: SystemCallContext, stages: EndBlockStages) throws(LedgerError) {
        try stages.run(.settlement) { () throws(SystemContractRevert) in try ProjectSettlement.settle(context: context) }
    }

    // MARK: Calls

    /// The handler of each function, keyed by selector.
    public static let handlers = SystemHandlers<ProjectRegistryContract>(ProjectRegistryABI.self, [
        (ProjectRegistryABI.joinProject, ProjectRegistryContract.joinProject), (ProjectRegistryABI.leaveProject, ProjectRegistryContract.leaveProject),
        (ProjectRegistryABI.createProject, ProjectRegistryContract.createProject),
        (ProjectRegistryABI.fundProject, ProjectRegistryContract.fundProject),
        (ProjectRegistryABI.closeProject, ProjectRegistryContract.closeProject),
        (ProjectRegistryABI.setPoster, ProjectRegistryContract.setPoster),
        (ProjectRegistryABI.depositBond, ProjectRegistryContract.depositBond),
        (ProjectRegistryABI.withdrawBond, ProjectRegistryContract.withdrawBond),
        (ProjectRegistryABI.postResult, ProjectRegistryContract.postResult),
        (ProjectRegistryABI.challengeResult, ProjectRegistryContract.challengeResult),
        (ProjectRegistryABI.settleResult, ProjectRegistryContract.settleResult),
        (ProjectRegistryABI.project, ProjectRegistryContract.project),
        (ProjectRegistryABI.projectClosure, ProjectRegistryContract.projectClosure),
        (ProjectRegistryABI.projectCount, ProjectRegistryContract.projectCount),
        (ProjectRegistryABI.appletOf, ProjectRegistryContract.appletOf),
        (ProjectRegistryABI.isJoined, ProjectRegistryContract.isJoined),
        (ProjectRegistryABI.membership, ProjectRegistryContract.membership),
        (ProjectRegistryABI.posterOf, ProjectRegistryContract.posterOf),
        (ProjectRegistryABI.mayPost, ProjectRegistryContract.mayPost),
        (ProjectRegistryABI.projectDevices, ProjectRegistryContract.projectDevices),
        (ProjectRegistryABI.result, ProjectRegistryContract.result),
        (ProjectRegistryABI.resultOf, ProjectRegistryContract.resultOf),
        (ProjectRegistryABI.resultsOfDevice, ProjectRegistryContract.resultsOfDevice),
        (ProjectRegistryABI.resultsOfDevicePage, ProjectRegistryContract.resultsOfDevicePage),
        (ProjectRegistryABI.bondOf, ProjectRegistryContract.bondOf),
        (ProjectRegistryABI.projectParameters, ProjectRegistryContract.projectParameters),
    ])

    func createProject(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.uint(UInt256(try create(a, book: book, context: context).id))]
    }

    func fundProject(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        var project = try book.existingProject(try a.uint64("projectId"))
        guard project.status == .active else { throw SystemContractRevert("project \(project.id) is closed") }
        guard !context.value.isZero else { throw SystemContractRevert("send the MOTE to add to the pool") }
        project.pool += context.value
        try book.update(project)
        try context.emit(ProjectRegistryABI.projectFunded, [.uint(UInt256(project.id)), .address(context.caller), .uint(context.value)])
        return []
    }

    func closeProject(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        var project = try book.existingProject(try a.uint64("projectId"))
        guard project.sponsor == context.caller else {
            throw SystemContractRevert("project \(project.id) belongs to \(project.sponsor.checksummed)")
        }
        if project.status == .active {
            project.status = .closed
            project.closedAt = context.timestamp
        } else {
            guard !project.refunded else { throw SystemContractRevert("project \(project.id) is already closed") }
            let last = Self.lastPostingTime(closedAt: project.closedAt)
            guard context.timestamp > last || project.deviceCount == 0 else {
                throw SystemContractRevert(
                    "project \(project.id) takes results for windows that ended by its close at \(project.closedAt) until \(last); its pool is refunded after that")
            }
        }
        // A project without devices can owe nothing more; otherwise its members' windows that
        // ended by the close may be posted until `lastPostingTime`, so the sponsor's second
        // call after that refunds.
        let refund: UInt256
        if project.deviceCount == 0 || context.timestamp > Self.lastPostingTime(closedAt: project.closedAt) {
            refund = project.freePool
            project.pool = project.reserved
            project.refunded = true
        } else {
            refund = .zero
        }
        try book.update(project)
        if !refund.isZero { try context.transfer(to: project.sponsor, amount: refund) }
        try context.emit(ProjectRegistryABI.projectClosed, [.uint(UInt256(project.id)), .address(project.sponsor), .uint(refund)])
        return []
    }

    func joinProject(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try changeMembership(a, context: context, joining: true)
    }

    func leaveProject(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        try changeMembership(a, context: context, joining: false)
    }

    /// Joins a device to a project, or takes it out (`joinProject`, `leaveProject`: the same arguments).
    private func changeMembership(_ a: CallArguments, context: SystemCallContext, joining: Bool) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        var project = try book.existingProject(try a.uint64("projectId"))
        let deviceID = try a.address("deviceId")
        let device = try DeviceBook(context).owned(deviceID, by: context.caller)
        let joined = try book.isJoined(project.id, deviceID)
        if joining {
            guard project.status == .active else { throw SystemContractRevert("project \(project.id) is closed") }
            guard device.status == .active else { throw SystemContractRevert("device \(deviceID.checksummed) is \(device.status)") }
            guard !joined else { throw SystemContractRevert("device \(deviceID.checksummed) already joined project \(project.id)") }
            guard project.deviceCount < Self.maxDevicesPerProject else {
                throw SystemContractRevert("project \(project.id) has the most devices a project may have (\(Self.maxDevicesPerProject))")
            }
            guard try book.projects(ofDevice: deviceID).count < Self.maxProjectsPerDevice else {
                throw SystemContractRevert(
                    "device \(deviceID.checksummed) is in the most projects a device may join (\(Self.maxProjectsPerDevice))")
            }
            try book.join(&project, deviceID, since: context.timestamp)
        } else {
            guard joined else { throw SystemContractRevert("device \(deviceID.checksummed) has not joined project \(project.id)") }
            try book.leave(&project, deviceID)
        }
        try book.update(project)
        try context.emit(
            joining ? ProjectRegistryABI.deviceJoined : ProjectRegistryABI.deviceLeft, [.uint(UInt256(project.id)), .address(deviceID), .address(context.caller)])
        return []
    }

    func setPoster(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let id = try a.uint64("projectId"), deviceID = try a.address("deviceId"), poster = try a.address("poster")
        _ = try book.existingProject(id)
        _ = try DeviceBook(context).owned(deviceID, by: context.caller)
        guard var member = try book.membership(id, deviceID) else {
            throw SystemContractRevert("device \(deviceID.checksummed) has not joined project \(id)")
        }
        member.poster = poster == .zero ? nil : poster
        try book.setMembership(id, deviceID, member)
        try context.emit(ProjectRegistryABI.posterChosen, [.uint(UInt256(id)), .address(deviceID), .address(poster)])
        return []
    }

    func depositBond(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        guard !context.value.isZero else { throw SystemContractRevert("send the MOTE to bond") }
        var bond = try book.bond(context.caller)
        bond.total += context.value
        try book.setBond(context.caller, bond)
        try context.emit(ProjectRegistryABI.bondDeposited, [.address(context.caller), .uint(context.value)])
        return []
    }

    func withdrawBond(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let amount = try a.uint256("amount")
        var bond = try book.bond(context.caller)
        guard !amount.isZero else { throw SystemContractRevert("amount must be positive") }
        guard amount <= bond.free else {
            throw SystemContractRevert("only \(bond.free) wei of the bond is free (\(bond.locked) locked by unsettled results)")
        }
        bond.total -= amount
        try book.setBond(context.caller, bond)
        try context.transfer(to: context.caller, amount: amount)
        try context.emit(ProjectRegistryABI.bondWithdrawn, [.address(context.caller), .uint(amount)])
        return []
    }

    func postResult(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.uint(UInt256(try post(a, book: book, context: context).id))]
    }

    func challengeResult(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        try challenge(a, book: book, context: context)
        return []
    }

    func settleResult(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let result = try book.existingResult(try a.uint64("resultId"))
        guard result.status == .pending else { throw SystemContractRevert("result \(result.id) is \(result.status), not pending") }
        guard result.challengeEndsAt <= context.timestamp else {
            throw SystemContractRevert("result \(result.id) is not due: its challenge period ends at \(result.challengeEndsAt)")
        }
        // Its queue entry stays; end-of-block settlement drops it when it reaches it.
        try ProjectSettlement.settle(result, book: book, context: context)
        return []
    }

    func project(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let p = try book.existingProject(try a.uint64("projectId"))
        return [
            .address(p.sponsor), .string(p.name), .fixedBytes(p.appletHash.bytes), .bytes(p.params), .uint(p.rewardPerResult),
            .uint(UInt256(p.windowSeconds)), .uint(UInt256(p.challengeSeconds)), .uint(p.pool), .uint(p.reserved),
            .uint(UInt256(UInt64(p.status.rawValue))), .uint(UInt256(UInt64(p.deviceCount))),
        ]
    }

    func projectClosure(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let p = try book.existingProject(try a.uint64("projectId"))
        return [.uint(UInt256(p.closedAt)), .bool(p.refunded)]
    }

    func projectCount(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.uint(UInt256(try book.projectCount()))]
    }

    func appletOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let id = try a.uint64("projectId")
        _ = try book.existingProject(id)
        return [.bytes(try book.applet(id))]
    }

    func isJoined(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.bool(try book.isJoined(try a.uint64("projectId"), try a.address("deviceId")))]
    }

    func membership(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let member = try book.membership(try a.uint64("projectId"), try a.address("deviceId"))
        return [.bool(member != nil), .uint(UInt256(member?.since ?? 0))]
    }

    func posterOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.address(try book.membership(try a.uint64("projectId"), try a.address("deviceId"))?.poster ?? .zero)]
    }

    func mayPost(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let id = try a.uint64("projectId"), deviceID = try a.address("deviceId"), poster = try a.address("poster")
        guard let member = try book.membership(id, deviceID), let device = try DeviceBook(context).device(deviceID) else { return [.bool(false)] }
        return [.bool(Self.authorizes(member, owner: device.owner, poster: poster))]
    }

    func projectDevices(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let project = try book.existingProject(try a.uint64("projectId"))
        return [.array(try book.devices(project).map { .address($0) })]
    }

    func result(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let r = try book.existingResult(try a.uint64("resultId"))
        return [
            .uint(UInt256(r.projectID)), .address(r.deviceID), .uint(UInt256(r.window)), .bytes(r.result),
            .uint(UInt256(UInt64(r.messageCount))), .fixedBytes(r.messagesRoot.bytes), .address(r.poster), .uint(UInt256(r.postedAt)),
            .uint(UInt256(r.challengeEndsAt)), .uint(UInt256(UInt64(r.status.rawValue))), .uint(r.paid),
        ]
    }

    func resultOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        return [.uint(UInt256(try book.resultID(project: try a.uint64("projectId"), device: try a.address("deviceId"), window: try a.uint64("window"))))]
    }

    func resultsOfDevice(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        // The newest `maxResultsPerPage` (all of them with `resultsOfDevicePage`).
        let deviceID = try a.address("deviceId")
        let count = try book.resultCount(ofDevice: deviceID)
        let newest = try book.results(
            ofDevice: deviceID, offset: count - min(count, Self.maxResultsPerPage), limit: Self.maxResultsPerPage)
        return [.array(newest.map { .uint(UInt256($0)) })]
    }

    func resultsOfDevicePage(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let deviceID = try a.address("deviceId")
        let page = try book.results(ofDevice: deviceID, offset: try a.uint64("offset"), limit: min(try a.uint64("limit"), Self.maxResultsPerPage))
        return [.uint(UInt256(try book.resultCount(ofDevice: deviceID))), .array(page.map { .uint(UInt256($0)) })]
    }

    func bondOf(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        let book = ProjectBook(context)
        let bond = try book.bond(try a.address("operator"))
        return [.uint(bond.total), .uint(bond.locked)]
    }

    func projectParameters(_ a: CallArguments, _ context: SystemCallContext) throws(SystemContractRevert) -> [ABIValue] {
        return [.uint(context.parameters.minimumOperatorBond.value), .uint(context.parameters.challengeDeposit.value),
                .uint(UInt256(UInt64(context.parameters.challengerShare))), .uint(UInt256(context.parameters.minimumChallengeSeconds))]
    }

    func create(_ a: CallArguments, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) -> ProjectRecord {
        let code = try a.bytes("applet"), params = try a.bytes("params"), name = try a.string("name")
        let reward = try a.uint256("rewardPerResult"), window = try a.uint64("windowSeconds"), challenge = try a.uint64("challengeSeconds")
        guard (1...Self.maxNameBytes).contains(name.utf8.count) else { throw SystemContractRevert("name is 1 to \(Self.maxNameBytes) bytes") }
        guard params.count <= Self.maxParamsBytes else { throw SystemContractRevert("params are at most \(Self.maxParamsBytes) bytes") }
        guard code.count <= Self.maxAppletBytes else { throw SystemContractRevert("the applet is at most \(Self.maxAppletBytes) bytes") }
        guard !reward.isZero else { throw SystemContractRevert("rewardPerResult must be positive") }
        guard (1...Self.maxWindowSeconds).contains(window) else {
            throw SystemContractRevert("windowSeconds is 1 to \(Self.maxWindowSeconds)")
        }
        guard (context.parameters.minimumChallengeSeconds...Self.maxChallengeSeconds).contains(challenge) else {
            throw SystemContractRevert("challengeSeconds is \(context.parameters.minimumChallengeSeconds) to \(Self.maxChallengeSeconds)")
        }
        // Checking the code costs as much as hashing it.
        try context.charge(Self.leafGas + 6 * UInt64((code.count + 31) / 32))
        if let problem = runtime.validationError(code: code) { throw SystemContractRevert("invalid applet: \(problem)") }
        let project = try book.add({ id in
            ProjectRecord(
                id: id, sponsor: context.caller, name: name, appletHash: Keccak256.hash(code), params: params, rewardPerResult: reward,
                windowSeconds: window, challengeSeconds: challenge, pool: context.value, createdAt: context.timestamp)
        }, applet: code)
        try context.emit(ProjectRegistryABI.projectCreated, [.uint(UInt256(project.id)), .address(context.caller), .fixedBytes(project.appletHash.bytes), .string(name)])
        if !context.value.isZero {
            try context.emit(ProjectRegistryABI.projectFunded, [.uint(UInt256(project.id)), .address(context.caller), .uint(context.value)])
        }
        return project
    }

    func post(_ a: CallArguments, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) -> ResultRecord {
        var project = try book.existingProject(try a.uint64("projectId"))
        let deviceID = try a.address("deviceId"), window = try a.uint64("window"), bytes = try a.bytes("result"), count = try a.uint32("messageCount")
        guard case .fixedBytes(let rootBytes) = a["messagesRoot"], let root = Hash32(bytes: rootBytes) else {
            throw SystemContractRevert("messagesRoot must be 32 bytes")
        }
        if project.status == .closed {
            guard !project.refunded else { throw SystemContractRevert("project \(project.id) is closed") }
            guard let (_, end) = Self.bounds(of: window, project), end <= project.closedAt else {
                throw SystemContractRevert("project \(project.id) is closed: it takes results only for windows that ended by \(project.closedAt)")
            }
        }
        guard let member = try book.membership(project.id, deviceID) else {
            throw SystemContractRevert("device \(deviceID.checksummed) has not joined project \(project.id)")
        }
        let device = try DeviceBook(context).existing(deviceID)
        guard Self.authorizes(member, owner: device.owner, poster: context.caller) else {
            throw SystemContractRevert(
                "\(context.caller.checksummed) is not the poster device \(deviceID.checksummed)'s owner chose for project \(project.id)")
        }
        guard device.status == .active else { throw SystemContractRevert("device \(deviceID.checksummed) is \(device.status)") }
        try checkWindow(window, of: project, since: member.since, device: deviceID, now: context.timestamp)
        guard (1...Self.maxResultBytes).contains(bytes.count) else { throw SystemContractRevert("result is 1 to \(Self.maxResultBytes) bytes") }
        guard count <= Self.maxMessages else { throw SystemContractRevert("messageCount is at most \(Self.maxMessages)") }
        guard count > 0 || root == .zero else { throw SystemContractRevert("the root of no messages is zero") }
        let existing = try book.resultID(project: project.id, device: deviceID, window: window)
        if existing != 0, try book.existingResult(existing).status != .reverted {
            throw SystemContractRevert("result \(existing) is already posted for device \(deviceID.checksummed) in window \(window)")
        }
        let minimum = context.parameters.minimumOperatorBond.value
        var bond = try book.bond(context.caller)
        guard bond.free >= minimum else {
            throw SystemContractRevert("posting needs a free bond of \(minimum) wei; \(context.caller.checksummed) has \(bond.free)")
        }
        bond.locked += minimum
        try book.setBond(context.caller, bond)
        let reserve = (bytes.first ?? 0) != 0 && project.freePool >= project.rewardPerResult
        if reserve {
            project.reserved += project.rewardPerResult
            try book.update(project)
        }
        let (deadline, overflow3) = context.timestamp.addingReportingOverflow(project.challengeSeconds)
        guard !overflow3 else { throw SystemContractRevert("block time overflows") }
        let result = try book.add { id in
            ResultRecord(
                id: id, projectID: project.id, deviceID: deviceID, window: window, result: bytes, messageCount: count, messagesRoot: root,
                poster: context.caller, postedAt: context.timestamp, challengeEndsAt: deadline, bond: minimum, reserved: reserve)
        }
        try context.emit(ProjectRegistryABI.resultPosted, [
            .uint(UInt256(result.id)), .uint(UInt256(project.id)), .address(deviceID), .uint(UInt256(window)), .bytes(bytes),
        ])
        return result
    }

    /// A window's start and end in Unix seconds, nil if they do not fit 64 bits.
    static func bounds(of window: UInt64, _ project: ProjectRecord) -> (start: UInt64, end: UInt64)? {
        let (start, overflow) = window.multipliedReportingOverflow(by: project.windowSeconds)
        let (end, overflow2) = start.addingReportingOverflow(project.windowSeconds)
        return overflow || overflow2 ? nil : (start, end)
    }

    /// The last block time at which a window that ended by a close at `closedAt` can be posted
    /// (`maxResultDelaySeconds` after it); a closed project's free pool is refunded after it.
    static func lastPostingTime(closedAt: UInt64) -> UInt64 {
        let (last, overflow) = closedAt.addingReportingOverflow(Self.maxResultDelaySeconds)
        return overflow ? .max : last
    }

    /// Whether `poster` may post a member device's results: its owner, or the poster the owner
    /// chose for the project. Nobody else: a stranger's first post for a window (say "not met" with
    /// no messages, which no challenge can disprove) would stand in for the honest one.
    static func authorizes(_ member: ProjectMembership, owner: Address?, poster: Address) -> Bool {
        (owner != nil && poster == owner) || (member.poster != nil && poster == member.poster)
    }

    /// A window may be rewarded only if it has ended, starts no earlier than the project's
    /// creation and the device's membership (`since`: its latest join or resume), and ended at
    /// most `maxResultDelaySeconds` ago. Window bounds that overflow 64 bits are refused.
    func checkWindow(_ window: UInt64, of project: ProjectRecord, since: UInt64, device: Address, now: UInt64) throws(SystemContractRevert) {
        guard let (start, end) = Self.bounds(of: window, project) else {
            throw SystemContractRevert("window \(window) of project \(project.id) is out of range")
        }
        guard end <= now else { throw SystemContractRevert("window \(window) of project \(project.id) is not closed yet") }
        guard start >= project.createdAt else {
            throw SystemContractRevert("window \(window) starts at \(start), before project \(project.id) was created at \(project.createdAt)")
        }
        guard start >= since else {
            throw SystemContractRevert(
                "window \(window) starts at \(start), before device \(device.checksummed) joined project \(project.id) at \(since)")
        }
        guard now - end <= Self.maxResultDelaySeconds else {
            throw SystemContractRevert(
                "window \(window) of project \(project.id) ended at \(end), more than \(Self.maxResultDelaySeconds) s ago")
        }
    }

    func challenge(_ a: CallArguments, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) {
        var result = try book.existingResult(try a.uint64("resultId"))
        guard case .array(let values) = a["envelopes"] else { throw SystemContractRevert("envelopes must be bytes[]") }
        let deposit = context.parameters.challengeDeposit.value
        guard context.value == deposit else { throw SystemContractRevert("the challenge deposit is \(deposit) wei; sent \(context.value)") }
        guard result.status == .pending else { throw SystemContractRevert("result \(result.id) is \(result.status), not pending") }
        guard context.timestamp < result.challengeEndsAt else {
            throw SystemContractRevert("the challenge period of result \(result.id) ended at \(result.challengeEndsAt)")
        }
        guard values.count == Int(result.messageCount) else {
            throw SystemContractRevert("result \(result.id) commits to \(result.messageCount) messages; got \(values.count)")
        }
        var raw: [[UInt8]] = []
        raw.reserveCapacity(values.count)
        var leaves: [Hash32] = []
        for value in values {
            let bytes = try value.bytes()
            try context.charge(Self.leafGas + 6 * UInt64((bytes.count + 31) / 32))
            raw.append(bytes)
            leaves.append(Keccak256.hash(bytes))
        }
        try context.charge(Self.leafGas * UInt64(leaves.count))
        guard WindowCommitment.root(leaves) == result.messagesRoot else {
            throw SystemContractRevert("the messages do not match the committed root")
        }
        var project = try book.existingProject(result.projectID)
        let upheld = try provesFalse(result, project: project, envelopes: raw, book: book, context: context)

        if upheld {
            // The result was false: revert it, slash the poster's bond for it.
            let slashed = result.bond
            var bond = try book.bond(result.poster)
            bond.total -= slashed
            bond.locked -= slashed
            try book.setBond(result.poster, bond)
            if result.reserved { try Self.release(&project, project.rewardPerResult, book: book, context: context) }
            result.status = .reverted
            result.reserved = false
            try book.update(result)
            let share = slashed * UInt256(UInt64(context.parameters.challengerShare)) / 100
            try Self.creditPool(&project, slashed - share, book: book, context: context)
            try context.transfer(to: context.caller, amount: share + deposit)
            try context.emit(ProjectRegistryABI.resultChallenged, [.uint(UInt256(result.id)), .address(context.caller), .bool(true)])
            try context.emit(ProjectRegistryABI.bondSlashed, [.address(result.poster), .uint(UInt256(result.id)), .uint(slashed)])
        } else {
            try Self.creditPool(&project, deposit, book: book, context: context)
            try context.emit(ProjectRegistryABI.resultChallenged, [.uint(UInt256(result.id)), .address(context.caller), .bool(false)])
        }
    }

    /// Whether the (root-matching) messages prove `result` false: one is not the device's
    /// validly signed message of the window in sequence order, or the applet re-run on them
    /// gives a different result (or none).
    func provesFalse(
        _ result: ResultRecord, project: ProjectRecord, envelopes: [[UInt8]], book: ProjectBook, context: SystemCallContext
    ) throws(SystemContractRevert) -> Bool {
        let key = try DeviceBook(context).existing(result.deviceID).key()
        let window = WindowCommitment.timestampRange(window: result.window, windowSeconds: project.windowSeconds)
        var messages: [AppletMessage] = []
        var last: UInt64?
        for bytes in envelopes {
            try context.charge(Self.signatureGas)
            guard let envelope = try? TelemetryEnvelope(binary: bytes), envelope.binary == bytes, envelope.deviceID == result.deviceID,
                envelope.isValidSignature(by: key, chainID: genesis.chainID), window.contains(envelope.timestamp),
                last.map({ envelope.sequence > $0 }) ?? true
            else { return true }
            last = envelope.sequence
            messages.append(AppletMessage(envelope: envelope))
        }
        let remaining = context.gasLimit - context.gasUsed
        let (affordable, overflow) = remaining.multipliedReportingOverflow(by: Self.fuelPerGas)
        let fuel = overflow ? Self.maxFuel : min(Self.maxFuel, affordable)
        let run = runtime.run(code: try book.applet(project.id), messages: messages, params: project.params, fuel: fuel)
        switch run {
        case .result(let bytes, let used):
            try context.charge(used / Self.fuelPerGas)
            return bytes != result.result
        case .failed:
            // No result exists for these messages, so none posted can be right. The fuel a
            // failed run burnt is unknown; the whole budget is charged.
            try context.charge(fuel / Self.fuelPerGas)
            return true
        case .outOfFuel:
            guard fuel == Self.maxFuel else { throw SystemContractRevert("out of gas re-running the applet (send more gas)") }
            try context.charge(fuel / Self.fuelPerGas)
            return true
        }
    }

    /// Takes a revoked device out of every project it is in. A revoked device can no longer
    /// leave by itself (nobody owns a revoked device's calls), and its activation fee is
    /// refunded, so without this anyone could fill a project's 10,000 places for good with
    /// throwaway devices. Revoking does the work, not a later cleanup by others: it is bounded
    /// (`maxProjectsPerDevice` memberships, each a few slots whatever the project's size) and
    /// paid by the revoker. Called by the DeviceRegistry's `revokeDevice`; no `DeviceLeft` event
    /// (the registry's `DeviceRevoked` says it).
    static func removeRevoked(_ device: Address, context: SystemCallContext) throws(SystemContractRevert) {
        let book = ProjectBook(context)
        for id in try book.projects(ofDevice: device) {
            var project = try book.existingProject(id)
            try book.leave(&project, device)
            try book.update(project)
        }
    }

    /// A resumed device's windows count again from now in every project it is in: nothing is
    /// rewarded for a window that began before or during its suspension. Called by the
    /// DeviceRegistry's `resumeDevice` (bounded like `removeRevoked`).
    static func restartResumed(_ device: Address, context: SystemCallContext) throws(SystemContractRevert) {
        let book = ProjectBook(context)
        for id in try book.projects(ofDevice: device) {
            guard var member = try book.membership(id, device) else { continue }
            member.since = context.timestamp
            try book.setMembership(id, device, member)
        }
    }

    /// A transferred device's posters are forgotten in every project it is in: the new owner
    /// chooses its own. Called by the DeviceRegistry's `transferDevice` (bounded like
    /// `removeRevoked`; no `PosterChosen` events, the registry's `DeviceTransferred` says it).
    static func forgetPosters(_ device: Address, context: SystemCallContext) throws(SystemContractRevert) {
        let book = ProjectBook(context)
        for id in try book.projects(ofDevice: device) {
            guard var member = try book.membership(id, device), member.poster != nil else { continue }
            member.poster = nil
            try book.setMembership(id, device, member)
        }
    }

    /// Frees a reservation; a refunded project's freed MOTE goes back to its sponsor.
    static func release(_ project: inout ProjectRecord, _ amount: UInt256, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) {
        project.reserved -= amount
        if project.refunded {
            project.pool -= amount
            if !amount.isZero { try context.transfer(to: project.sponsor, amount: amount) }
        }
        try book.update(project)
    }

    /// Adds MOTE to a project's free pool; a refunded project's goes back to its sponsor.
    static func creditPool(_ project: inout ProjectRecord, _ amount: UInt256, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) {
        guard !amount.isZero else { return }
        if !project.refunded {
            project.pool += amount
            try book.update(project)
        } else {
            try context.transfer(to: project.sponsor, amount: amount)
        }
    }
}
