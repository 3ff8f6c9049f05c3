import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteTransactions
import Testing

@testable import MoteLedger

/// Who may post a device's results (the device's owner, or the poster it chose with
/// `setPoster`), what posting costs however many results a device has, and the windows a
/// project closed as they end still being paid.
@Suite struct ProjectPosterTests {
    typealias T = ProjectRegistryTests
    typealias Chain = ProjectRegistryTests.Chain
    let t = ProjectRegistryTests()
    let x = ProjectExploitTests()

    func setPoster(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ project: UInt64, _ device: Address, _ poster: Address) throws
        -> SignedTransaction
    {
        try chain.call(owner, function: ProjectRegistryABI.setPoster, [.uint(UInt256(project)), .address(device), .address(poster)])
    }

    func posterOf(_ chain: Chain, _ project: UInt64, _ device: Address) throws -> ABIValue {
        try chain.read(ProjectRegistryABI.posterOf, [.uint(UInt256(project)), .address(device)])[0]
    }

    func mayPost(_ chain: Chain, _ project: UInt64, _ device: Address, _ poster: Address) throws -> Bool {
        try chain.read(ProjectRegistryABI.mayPost, [.uint(UInt256(project)), .address(device), .address(poster)]) == [.bool(true)]
    }

    static func refusal(_ poster: Address, _ device: Address, _ project: UInt64) -> String {
        "\(poster.checksummed) is not the poster device \(device.checksummed)'s owner chose for project \(project)"
    }

    /// The false-negative front-run: a bonded stranger — and the project's own sponsor — posts
    /// "not met" with no messages (which no challenge can disprove) for a member device's window
    /// the moment it closes. Refused with the reason, changing nothing; the poster the owner
    /// chose then posts the honest result, and the owner itself may post too.
    @Test func aFalseNegativeByAPosterTheOwnerDidNotChooseIsRefused() throws {
        let chain = try Chain()
        let (sponsor, owner, op, attacker) = (T.keys[0], T.keys[1], T.keys[2], T.keys[3])
        let project = try t.createProject(chain, sponsor, pool: T.reward * 10)
        let key = try t.registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try t.join(chain, owner, project, device, poster: op.address)
        for bonded in [op, attacker, sponsor] {
            try chain.ok(try chain.call(bonded, function: ProjectRegistryABI.depositBond, [], value: T.bond * 5))
        }
        try chain.block(seconds: 1_100 - chain.time)  // window 10, [1000, 1100), has closed
        let notMet = CountingAppletRuntime.result(total: 0, goal: 10)

        for stranger in [attacker, sponsor] {
            let before = try x.snapshot(chain, project: project, poster: stranger.address, device: device)
            let reason = try chain.failing(try t.post(chain, stranger, project: project, device: device, window: 10, result: notMet, envelopes: []))
            #expect(reason == Self.refusal(stranger.address, device, project))
            #expect(try x.snapshot(chain, project: project, poster: stranger.address, device: device) == before, "a refused post changed state")
            #expect(try chain.read(ProjectRegistryABI.resultOf, [.uint(UInt256(project)), .address(device), .uint(10)]) == [.uint(0)])
            #expect(try !mayPost(chain, project, device, stranger.address))
        }
        // The sponsor cannot then close and take the pool back having paid nothing: the honest result is posted and paid.
        let messages = T.envelopes(key, [(1, 1_010, 6), (2, 1_020, 6)])
        #expect(try mayPost(chain, project, device, op.address))
        #expect(try mayPost(chain, project, device, owner.address))
        try chain.ok(try t.post(chain, op, project: project, device: device, window: 10, result: CountingAppletRuntime.result(total: 12, goal: 10),
                                envelopes: messages))
        try chain.ok(try chain.call(owner, function: ProjectRegistryABI.depositBond, [], value: T.bond))
        try chain.block(seconds: 1_200 - chain.time)
        try chain.ok(try t.post(chain, owner, project: project, device: device, window: 11, result: notMet, envelopes: []))
        try chain.block(seconds: 60)
        try chain.block()
        #expect(try t.resultStatus(chain, 1) == .paid)
        #expect(try t.resultStatus(chain, 2) == .noReward)
        try t.expectConserved(chain, operators: [op.address, attacker.address, sponsor.address, owner.address])
    }

    /// Only the device's owner chooses, only for a joined device; the zero address withdraws the
    /// choice; leaving and a transfer forget it, and a new owner posts or chooses for itself.
    @Test func leavingAndTransferForgetThePoster() throws {
        let chain = try Chain()
        let (sponsor, owner, op, buyer) = (T.keys[0], T.keys[1], T.keys[2], T.keys[3])
        let project = try t.createProject(chain, sponsor, pool: T.reward * 10)
        let device = try t.registerDevice(chain, owner, 1).publicKey.deviceID
        #expect(try chain.failing(try setPoster(chain, owner, project, device, op.address)) == "device \(device.checksummed) has not joined project 1")
        try t.join(chain, owner, project, device, poster: op.address)
        #expect(try posterOf(chain, project, device) == .address(op.address))
        #expect(try chain.failing(try setPoster(chain, op, project, device, op.address)).contains("belongs to \(owner.address.checksummed)"))
        let chosen = try chain.ok(try setPoster(chain, owner, project, device, op.address))
        #expect(chosen.logs.map(\.topics[0]) == [ProjectRegistryABI.posterChosen.abi.topic0])
        try chain.ok(try setPoster(chain, owner, project, device, .zero))
        #expect(try posterOf(chain, project, device) == .address(.zero))
        #expect(try !mayPost(chain, project, device, op.address))

        // Leaving forgets the choice; rejoining does not bring it back.
        try chain.ok(try setPoster(chain, owner, project, device, op.address))
        try chain.ok(try chain.call(owner, function: ProjectRegistryABI.leaveProject, [.uint(UInt256(project)), .address(device)]))
        try chain.ok(try x.join(chain, owner, project, device))
        #expect(try posterOf(chain, project, device) == .address(.zero))

        // A transfer forgets it in every project.
        try chain.ok(try setPoster(chain, owner, project, device, op.address))
        try chain.ok(try x.device(chain, DeviceRegistryABI.transferDevice, owner, [.address(device), .address(buyer.address)]))
        #expect(try posterOf(chain, project, device) == .address(.zero))
        for bonded in [op, owner, buyer] {
            try chain.ok(try chain.call(bonded, function: ProjectRegistryABI.depositBond, [], value: T.bond))
        }
        try chain.block(seconds: 2_000 - chain.time)
        let window = (chain.time - 100) / 100
        for former in [op, owner] {
            #expect(try chain.failing(try t.post(chain, former, project: project, device: device, window: window, result: [1], envelopes: []))
                == Self.refusal(former.address, device, project))
        }
        #expect(try mayPost(chain, project, device, buyer.address))
        try chain.ok(try t.post(chain, buyer, project: project, device: device, window: window, result: [1], envelopes: []))
    }

    /// A device's list of results is append-only, one slot each: the 500th post for a device
    /// costs no more than the 2nd (it used to rewrite the whole list, about 80 gas more per
    /// result ever posted). `resultsOfDevice` answers the newest `maxResultsPerPage`;
    /// `resultsOfDevicePage` pages through all of them.
    @Test func postingCostDoesNotGrowWithADevicesResults() throws {
        let chain = try Chain()
        let (sponsor, owner) = (T.keys[0], T.keys[1])
        let project = try t.createProject(chain, sponsor, pool: T.reward)
        let device = try t.registerDevice(chain, owner, 1).publicKey.deviceID
        try chain.ok(try x.join(chain, owner, project, device))
        try chain.ok(try chain.call(owner, function: ProjectRegistryABI.depositBond, [], value: T.bond * 500))
        try chain.block(seconds: 60_000 - chain.time)  // windows 1…599 closed, none older than 7 days
        var gas: [UInt64] = []
        let windows = Array(UInt64(50)..<550)
        for start in stride(from: 0, to: windows.count, by: 50) {
            let posts = try windows[start..<(start + 50)].map { window in
                try chain.call(owner, function: ProjectRegistryABI.postResult, [
                    .uint(UInt256(project)), .address(device), .uint(UInt256(window)), .bytes([0]), .uint(0), .fixedBytes(Hash32.zero.bytes),
                ], gas: 300_000)
            }
            let receipts = try chain.block(posts, seconds: 1)
            #expect(receipts.filter { !$0.succeeded }.isEmpty)
            gas += receipts.map(\.gasUsed)
        }
        #expect(gas.count == 500)
        // A few bytes more to store 3-digit ids; the whole list rewritten would be some 40,000 gas more.
        #expect(gas[499] <= gas[1] + 500, "the 500th post cost \(gas[499]), the 2nd \(gas[1])")
        let newest = try chain.read(ProjectRegistryABI.resultsOfDevice, [.address(device)])
        #expect(newest == [.array((1...500).map { .uint(UInt256(UInt64($0))) })])
        let page = try chain.read(ProjectRegistryABI.resultsOfDevicePage, [.address(device), .uint(498), .uint(10)])
        #expect(page == [.uint(500), .array([.uint(499), .uint(500)])])
        let capped = try chain.read(ProjectRegistryABI.resultsOfDevicePage, [.address(device), .uint(0), .uint(UInt256(UInt64.max))])
        #expect(capped == [.uint(500), .array((1...500).map { .uint(UInt256(UInt64($0))) })])
    }

    /// A sponsor closes its project the moment a window ends, before any result for it is
    /// posted, hoping to take the whole pool back: the window is still posted and paid, later
    /// windows are refused, and the free pool comes back only on a second call once no window
    /// that ended by the close can be posted any more.
    @Test func closingJustAsWindowsEndStillPaysThem() throws {
        let chain = try Chain()
        let (sponsor, owner, op) = (T.keys[0], T.keys[1], T.keys[2])
        let project = try t.createProject(chain, sponsor, pool: T.reward * 3)
        let device = try t.registerDevice(chain, owner, 1).publicKey.deviceID
        try t.join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: T.bond * 2))
        try chain.block(seconds: 1_100 - chain.time)  // window 10, [1000, 1100), has just ended
        let closing = try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
        let closedAt = chain.time
        #expect(closing.logs.first?.data == [UInt8](repeating: 0, count: 32), "nothing refunded yet")
        #expect(try chain.read(ProjectRegistryABI.projectClosure, [.uint(UInt256(project))]) == [.uint(UInt256(closedAt)), .bool(false)])
        #expect(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])[7] == .uint(T.reward * 3))

        let met = CountingAppletRuntime.result(total: 12, goal: 10)
        try chain.ok(try t.post(chain, op, project: project, device: device, window: 10, result: met, envelopes: []))
        let ownerBefore = try chain.balance(owner.address)
        try chain.block(seconds: 1_200 - chain.time)
        #expect(try chain.failing(try t.post(chain, op, project: project, device: device, window: 11, result: met, envelopes: []))
            == "project 1 is closed: it takes results only for windows that ended by \(closedAt)")
        let last = closedAt + ProjectRegistryContract.maxResultDelaySeconds
        let before = try x.snapshot(chain, project: project, poster: op.address, device: device)
        #expect(try chain.failing(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
            == "project 1 takes results for windows that ended by its close at \(closedAt) until \(last); its pool is refunded after that")
        #expect(try x.snapshot(chain, project: project, poster: op.address, device: device) == before)
        try chain.block(seconds: 60)
        #expect(try t.resultStatus(chain, 1) == .paid)
        #expect(try chain.balance(owner.address) == ownerBefore + T.reward)

        try chain.block(seconds: last - chain.time + 1)
        let sponsorBefore = try chain.balance(sponsor.address)
        let refunding = try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
        #expect(try chain.balance(sponsor.address) == sponsorBefore + T.reward * 2 - UInt256(refunding.gasUsed) * refunding.effectiveGasPrice)
        #expect(try chain.read(ProjectRegistryABI.projectClosure, [.uint(UInt256(project))]) == [.uint(UInt256(closedAt)), .bool(true)])
        #expect(try chain.failing(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
            == "project 1 is already closed")
        #expect(try chain.failing(try t.post(chain, op, project: project, device: device, window: 10, result: met, envelopes: [])) == "project 1 is closed")
        try t.expectConserved(chain, operators: [op.address])
    }
}
