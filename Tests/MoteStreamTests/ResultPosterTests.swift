import Foundation
import MoteApplet
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteRPCClient
import MoteStream
import MoteStreamStore
import MoteTelemetry
import MoteTestSupport
import MoteTransactions
import NIOConcurrencyHelpers
import Testing

/// A ProjectRegistry in memory, behind the poster's `ProjectChain` seam: it records the posted
/// claims and enforces what the contract does (closed window, joined device, one live result,
/// free bond).
final class FakeProjectChain: ProjectChain, @unchecked Sendable {
    struct State {
        var time: UInt64 = 0
        var projects: [UInt64: (project: ChainProject, code: [UInt8], devices: [Address])] = [:]
        var results: [String: UInt64] = [:]
        var posted: [ResultClaim] = []
        var bondTotal: UInt256 = .zero
        var bondLocked: UInt256 = .zero
        var minimum: UInt256 = 100
        var deposits: [UInt256] = []
        var mined = true
        var receipts: [Hash32: Bool] = [:]
        var reverted: Set<UInt64> = []
        /// A device's membership start, keyed by `key(project, device, 0)`.
        var since: [String: UInt64] = [:]
        /// Devices whose owner chose another poster, keyed by `key(project, device, 0)`.
        var otherPoster: Set<String> = []
    }

    let state = NIOLockedValueBox(State())
    let operatorAddress = Address(bytes: [UInt8](repeating: 0xAB, count: 20))!

    static func key(_ project: UInt64, _ device: Address, _ window: UInt64) -> String { "\(project)/\(device.hex)/\(window)" }

    func latestTimestamp() throws(RPCClientError) -> UInt64 { state.withLockedValue { $0.time } }
    func projectCount() throws(RPCClientError) -> UInt64 { state.withLockedValue { UInt64($0.projects.count) } }
    func project(_ id: UInt64) throws(RPCClientError) -> ChainProject {
        guard let entry = state.withLockedValue({ $0.projects[id] }) else { throw RPCClientError(.refused(code: 3, message: "no project \(id)"), "no project \(id)") }
        return entry.project
    }
    func appletCode(of project: UInt64) throws(RPCClientError) -> [UInt8] { state.withLockedValue { $0.projects[project]?.code ?? [] } }
    func devices(of project: UInt64) throws(RPCClientError) -> [Address] { state.withLockedValue { $0.projects[project]?.devices ?? [] } }
    /// Joined devices count from 0 unless `since` says otherwise.
    func memberSince(project: UInt64, device: Address) throws(RPCClientError) -> UInt64? {
        state.withLockedValue { state in
            state.projects[project]?.devices.contains(device) == true ? state.since[Self.key(project, device, 0)] ?? 0 : nil
        }
    }
    /// Joined devices chose this operator unless `otherPoster` says otherwise.
    func mayPost(project: UInt64, device: Address) throws(RPCClientError) -> Bool {
        state.withLockedValue { state in
            state.projects[project]?.devices.contains(device) == true && !state.otherPoster.contains(Self.key(project, device, 0))
        }
    }
    func resultID(project: UInt64, device: Address, window: UInt64) throws(RPCClientError) -> UInt64 {
        state.withLockedValue { $0.results[Self.key(project, device, window)] ?? 0 }
    }
    func resultStatus(_ id: UInt64) throws(RPCClientError) -> ResultStatus? { state.withLockedValue { $0.reverted.contains(id) ? .reverted : .pending } }
    func bond() throws(RPCClientError) -> (total: UInt256, locked: UInt256) { state.withLockedValue { ($0.bondTotal, $0.bondLocked) } }
    func minimumOperatorBond() throws(RPCClientError) -> UInt256 { state.withLockedValue { $0.minimum } }

    func postResult(_ claim: ResultClaim) throws(RPCClientError) -> Hash32 {
        let outcome: Result<Hash32, RPCClientError> = state.withLockedValue { state in
            guard let entry = state.projects[claim.projectID] else { return .failure(RPCClientError(.refused(code: 3, message: "no such project"), "no such project")) }
            guard state.time >= (claim.window + 1) * entry.project.windowSeconds else { return .failure(RPCClientError(.refused(code: 3, message: "the window is not closed"), "the window is not closed")) }
            guard entry.devices.contains(claim.deviceID) else { return .failure(RPCClientError(.refused(code: 3, message: "the device has not joined"), "the device has not joined")) }
            guard !state.otherPoster.contains(Self.key(claim.projectID, claim.deviceID, 0)) else {
                return .failure(RPCClientError(.refused(code: 3, message: "not the poster the device's owner chose"), "not the poster the device's owner chose"))
            }
            let key = Self.key(claim.projectID, claim.deviceID, claim.window)
            if let existing = state.results[key], !state.reverted.contains(existing) {
                return .failure(RPCClientError(.refused(code: 3, message: "already posted"), "already posted"))
            }
            guard state.bondTotal - state.bondLocked >= state.minimum else { return .failure(RPCClientError(.refused(code: 3, message: "bond too small"), "bond too small")) }
            state.posted.append(claim)
            let hash = Keccak256.hash(utf8: "post \(state.posted.count)")
            if state.mined {
                state.results[key] = UInt64(state.posted.count)
                state.bondLocked = state.bondLocked + state.minimum
                state.receipts[hash] = true
            }
            return .success(hash)
        }
        return try outcome.get()
    }

    func depositBond(_ amount: UInt256) throws(RPCClientError) -> Hash32 {
        state.withLockedValue { state in
            state.deposits.append(amount)
            state.bondTotal = state.bondTotal + amount
            let hash = Keccak256.hash(utf8: "deposit \(state.deposits.count)")
            state.receipts[hash] = true
            return hash
        }
    }

    func transactionSucceeded(_ hash: Hash32) throws(RPCClientError) -> Bool? { state.withLockedValue { $0.receipts[hash] } }
}

@Suite struct ResultPosterTests {
    static let windowSeconds: UInt64 = 60
    /// Window 100 of 60 s: [6000 s, 6060 s).
    static let window: UInt64 = 100

    static func stepGoal() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("applets/step-goal.wasm")))
    }

    struct Setup {
        let chain = FakeProjectChain()
        let store = InMemoryTelemetryStore()
        let walker = DevicePrivateKey.generate(.ed25519)
        let idle = DevicePrivateKey.generate(.p256)
        let poster: ResultPoster
        let clock = NIOLockedValueBox<UInt64>(0)

        init(settings: OperatorSettings = OperatorSettings()) throws {
            let code = try ResultPosterTests.stepGoal()
            let project = ChainProject(
                id: 1, appletHash: Keccak256.hash(code), params: withUnsafeBytes(of: UInt64(100).littleEndian, Array.init),
                windowSeconds: ResultPosterTests.windowSeconds)
            let devices = [walker.publicKey.deviceID, idle.publicKey.deviceID]
            chain.state.withLockedValue { $0.projects[1] = (project, code, devices) }
            var settings = settings
            settings.settleSeconds = 5
            let box = self.clock
            poster = ResultPoster(chain: chain, store: store, settings: settings, clock: { box.withLockedValue { $0 } })
        }

        /// Chain time and this node's clock, in seconds.
        func at(_ seconds: UInt64) {
            chain.state.withLockedValue { $0.time = seconds }
            clock.withLockedValue { $0 = seconds * 1000 }
        }

        func record(_ key: DevicePrivateKey, _ sequence: UInt64, steps: Int, at milliseconds: UInt64) async throws {
            let envelope = TelemetryEnvelope.signed(
                by: key, chainID: 4_689, sequence: sequence, timestamp: milliseconds, contentType: "application/json",
                payload: Array("{\"kind\":\"gps-step-tracker\",\"steps\":\(steps),\"totalSteps\":9}".utf8))
            _ = try await store.append([StoredMessage(envelope: envelope, receivedAt: milliseconds)])
        }
    }

    @Test func postsOneClaimPerDeviceWindowWithTheAppletResultAndTheRoot() async throws {
        let s = try Setup()
        // Messages of the walker: two in window 100, one in 101 (at its very start), one just before 100.
        try await s.record(s.walker, 1, steps: 1_000, at: 5_999_999)
        try await s.record(s.walker, 2, steps: 70, at: 6_000_000)
        try await s.record(s.walker, 3, steps: 40, at: 6_059_999)
        try await s.record(s.walker, 4, steps: 5, at: 6_060_000)

        // Window 100 is not closed yet: nothing for it.
        s.at(6_059)
        var report = await s.poster.pollOnce()
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(!report.posted.contains { $0.window == Self.window })

        // Closed on the chain but not settled on this node's clock (settle 5 s): still nothing.
        s.chain.state.withLockedValue { $0.time = 6_061 }
        s.clock.withLockedValue { $0 = 6_062_000 }
        report = await s.poster.pollOnce()
        #expect(!report.posted.contains { $0.window == Self.window })

        // Settled: the walker's window 100 is posted; the idle device (no messages) gets nothing.
        s.at(6_066)
        report = await s.poster.pollOnce()
        #expect(report.failures.isEmpty, "\(report.failures)")
        let claim = try #require(report.posted.first { $0.window == Self.window })
        #expect(report.posted.allSatisfy { $0.deviceID == s.walker.publicKey.deviceID })
        #expect(claim.projectID == 1 && claim.deviceID == s.walker.publicKey.deviceID)
        #expect(claim.messageCount == 2)
        #expect(claim.result == [1] + withUnsafeBytes(of: UInt64(110).littleEndian, Array.init))
        let inWindow = try await s.store.messages(of: s.walker.publicKey.deviceID, from: 6_000_000, to: 6_059_999, afterSequence: nil, limit: 10)
        #expect(claim.messagesRoot == WindowCommitment.root(inWindow.map { $0.envelope.hash }))
        // The same result an independent run of the applet gives (what a challenge re-runs).
        let applet = try Applet(code: try Self.stepGoal())
        let rerun = try applet.run(messages: inWindow.map { AppletMessage(envelope: $0.envelope) }, params: withUnsafeBytes(of: UInt64(100).littleEndian, Array.init), limits: .standard)
        #expect(rerun.result == claim.result)
        // The window before (1 message, 1000 steps) closed first and was posted by an earlier poll.
        let earlier = s.chain.state.withLockedValue { $0.posted.first { $0.window == Self.window - 1 } }
        #expect(earlier?.messageCount == 1 && earlier?.result.first == 1)
        #expect(s.chain.state.withLockedValue { $0.posted.count } == 2)
        // The poster had no bond: it deposited 10 × the minimum first, then posted.
        #expect(s.chain.state.withLockedValue { $0.deposits } == [1_000])

        // Nothing is posted twice.
        report = await s.poster.pollOnce()
        #expect(report.posted.isEmpty)
        // A result proven false by a challenge is posted again.
        s.chain.state.withLockedValue { state in
            if let id = state.results[FakeProjectChain.key(1, s.walker.publicKey.deviceID, Self.window)] { state.reverted.insert(id) }
        }
        report = await s.poster.pollOnce()
        #expect(report.posted.map(\.window) == [Self.window])
        #expect(report.posted.first?.messagesRoot == claim.messagesRoot)
        let counters = s.poster.counters
        #expect(counters.posted == 3 && counters.bondDeposits == 1 && counters.emptyWindows > 0)
    }

    @Test func aPendingClaimIsNotSentAgainAndTheLookBackIsBounded() async throws {
        var settings = OperatorSettings()
        settings.lookbackWindows = 3
        let s = try Setup(settings: settings)
        s.chain.state.withLockedValue {
            $0.bondTotal = 1_000_000
            $0.mined = false
        }
        // One message in each of windows 90…100.
        for (index, window) in (90...100).enumerated() {
            try await s.record(s.walker, UInt64(index + 1), steps: 10, at: UInt64(window) * 60_000 + 1_000)
        }
        s.at(101 * 60 + 10)
        let first = await s.poster.pollOnce()
        #expect(first.posted.map(\.window).sorted() == [98, 99, 100])
        // Not mined yet (resultOf still 0): the poster waits for its transactions instead of resending.
        let second = await s.poster.pollOnce()
        #expect(second.posted.isEmpty)
        #expect(s.chain.state.withLockedValue { $0.posted.count } == 3)
    }

    /// The chain refuses windows that start before a device's membership (its join or resume):
    /// the poster does not post them.
    @Test func windowsBeforeTheDevicesMembershipAreNotPosted() async throws {
        let s = try Setup()
        s.chain.state.withLockedValue {
            $0.bondTotal = 1_000_000
            $0.since[FakeProjectChain.key(1, s.walker.publicKey.deviceID, 0)] = 98 * 60 + 1  // joined during window 98
        }
        for (index, window) in (96...100).enumerated() {
            try await s.record(s.walker, UInt64(index + 1), steps: 10, at: UInt64(window) * 60_000 + 1_000)
        }
        s.at(101 * 60 + 10)
        let report = await s.poster.pollOnce()
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.posted.map(\.window).sorted() == [99, 100])
    }

    /// The chain takes a device's results only from the poster its owner chose: the poster
    /// skips the devices that chose another, without sending (or paying for) anything.
    @Test func devicesThatChoseAnotherPosterAreSkipped() async throws {
        let s = try Setup()
        s.chain.state.withLockedValue {
            $0.bondTotal = 1_000_000
            $0.otherPoster.insert(FakeProjectChain.key(1, s.walker.publicKey.deviceID, 0))
        }
        try await s.record(s.walker, 1, steps: 10, at: 100 * 60_000 + 1_000)
        try await s.record(s.idle, 1, steps: 10, at: 100 * 60_000 + 1_000)
        s.at(101 * 60 + 10)
        let report = await s.poster.pollOnce()
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.posted.map(\.deviceID) == [s.idle.publicKey.deviceID])
        #expect(s.poster.counters.sendFailures == 0)
    }

    /// A closed project takes results for the windows that ended by its close until its pool
    /// is refunded: the poster posts those and no later ones.
    @Test func aClosedProjectGetsOnlyTheWindowsThatEndedByItsClose() async throws {
        let s = try Setup()
        s.chain.state.withLockedValue {
            $0.bondTotal = 1_000_000
            $0.projects[1]?.project.status = 1
            $0.projects[1]?.project.closedAt = 100 * 60 + 30  // closed during window 100
        }
        for (index, window) in (98...101).enumerated() {
            try await s.record(s.walker, UInt64(index + 1), steps: 10, at: UInt64(window) * 60_000 + 1_000)
        }
        s.at(102 * 60 + 10)
        let report = await s.poster.pollOnce()
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.posted.map(\.window).sorted() == [98, 99])
        s.chain.state.withLockedValue { $0.projects[1]?.project.refunded = true }
        s.chain.state.withLockedValue { $0.results = [:] }
        #expect(await s.poster.pollOnce().posted.isEmpty, "refunded: nothing more")
    }

    @Test func aFailingAppletIsReportedAndNotRetriedOnTheSameMessages() async throws {
        let s = try Setup()
        // Params of the wrong size: the step-goal applet exits with code 2.
        s.chain.state.withLockedValue {
            $0.projects[1]!.project.params = [1, 2, 3]
            $0.bondTotal = 1_000_000
        }
        try await s.record(s.walker, 1, steps: 10, at: 6_000_000)
        s.at(6_066)
        let first = await s.poster.pollOnce()
        #expect(first.posted.isEmpty)
        #expect(first.failures.contains { $0.contains("exit code 2") })
        #expect(s.poster.counters.appletFailures == 1)
        _ = await s.poster.pollOnce()
        #expect(s.poster.counters.appletFailures == 1)
    }

    @Test func aProjectWhoseAppletDoesNotMatchItsHashIsSkipped() async throws {
        let s = try Setup()
        s.chain.state.withLockedValue {
            $0.projects[1]!.project.appletHash = Hash32.zero
            $0.bondTotal = 1_000_000
        }
        try await s.record(s.walker, 1, steps: 10, at: 6_000_000)
        s.at(6_066)
        let report = await s.poster.pollOnce()
        #expect(report.posted.isEmpty)
        #expect(report.failures.contains { $0.contains("applet hash") })
    }

    @Test func postResultCalldataFollowsTheABI() throws {
        let claim = ResultClaim(
            projectID: 7, deviceID: Address(bytes: [UInt8](repeating: 0x11, count: 20))!, window: 20_000, result: [1, 2, 3], messageCount: 9,
            messagesRoot: Keccak256.hash(utf8: "root"))
        let data = claim.calldata
        #expect(Array(data.prefix(4)) == Array(Keccak256.hash(utf8: "postResult(uint64,address,uint64,bytes,uint32,bytes32)").bytes.prefix(4)))
        let values = try ProjectRegistryABI.postResult.abi.decodeCall(data, canonical: true)
        #expect(values == [.uint(7), .address(claim.deviceID), .uint(20_000), .bytes([1, 2, 3]), .uint(9), .fixedBytes(claim.messagesRoot.bytes)])
        #expect(ProjectRegistryABI.address.hex == "0x" + String(repeating: "0", count: 28) + "4d4f54450005")
    }
}
