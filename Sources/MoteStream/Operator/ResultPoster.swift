import Dispatch
import Foundation
import Logging
import MoteApplet
import MoteContracts
import MotePrimitives
import MoteRPCClient
import MoteStreamStore
import MoteTelemetry
import NIOConcurrencyHelpers

/// The stream operator's result poster (docs/STREAM.md, docs/APPLETS.md): every poll, for each
/// project it serves and each joined device whose owner chose this operator as its poster
/// (`mayPost`; the chain refuses anyone else's results), for each closed window of the look-back with no
/// live result (none, or a reverted one), it reads the window's messages from the store, runs the project's applet,
/// commits to the messages with ``WindowCommitment`` and sends `postResult`.
///
/// A window is taken up once the chain's latest block is past its end and this node's clock is
/// `settleSeconds` past it (no message for it can still be accepted: ingestion refuses
/// timestamps further than its tolerance from the clock). A device with no messages in a window
/// gets no result. A sent claim is not sent again while its transaction is pending; an applet
/// that fails on a window is not run again on the same messages.
public actor ResultPoster {
    /// What the poster has done since it started.
    public struct Counters: Equatable, Sendable {
        public var polls = 0
        public var pollFailures = 0
        public var posted = 0
        public var confirmed = 0
        public var reverted = 0
        public var emptyWindows = 0
        public var appletFailures = 0
        public var sendFailures = 0
        public var bondDeposits = 0

        public init() {}

        var json: JSON {
            .object([
                "polls": .int(polls), "pollFailures": .int(pollFailures), "posted": .int(posted), "confirmed": .int(confirmed),
                "reverted": .int(reverted), "emptyWindows": .int(emptyWindows), "appletFailures": .int(appletFailures),
                "sendFailures": .int(sendFailures), "bondDeposits": .int(bondDeposits),
            ])
        }
    }

    /// What one poll did.
    public struct PollReport: Equatable, Sendable {
        public var posted: [ResultClaim] = []
        public var failures: [String] = []
        public var depositedBond: UInt256?
    }

    /// (project, device, window).
    struct ClaimKey: Hashable {
        let project: UInt64
        let device: Address
        let window: UInt64
    }

    public nonisolated let chain: any ProjectChain
    public nonisolated let store: any TelemetryStore
    public nonisolated let settings: OperatorSettings
    /// This node's clock, milliseconds since 1970.
    private let clock: @Sendable () -> UInt64
    private let logger: Logger
    private var applets: [Hash32: Applet] = [:]
    private var pending: [ClaimKey: (hash: Hash32, polls: Int)] = [:]
    private var failedInputs: [ClaimKey: Hash32] = [:]
    private var pendingDeposit: (hash: Hash32, polls: Int)?
    private var lastPollFailure: String?
    private let countersBox = NIOLockedValueBox(Counters())

    /// A pending transaction is forgotten (and its claim retried) after this many polls without a receipt.
    public static let pendingPolls = 30

    public init(
        chain: any ProjectChain, store: any TelemetryStore, settings: OperatorSettings,
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger = Logger(label: "mote.stream.operator")
    ) {
        self.chain = chain
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// The counters, readable from any thread (the health endpoint).
    public nonisolated var counters: Counters { countersBox.withLockedValue { $0 } }

    /// The counters as JSON, for `/health`.
    public nonisolated var countersJSON: JSON { counters.json }

    /// Polls every `settings.pollSeconds` until cancelled.
    public func run() async {
        logger.info("result poster: operator \(chain.operatorAddress.hex), polling every \(settings.pollSeconds) s")
        while !Task.isCancelled {
            _ = await pollOnce()
            try? await Task.sleep(for: .seconds(settings.pollSeconds))
        }
    }

    /// One pass over every served project; errors are logged, counted and reported, never thrown.
    public func pollOnce() async -> PollReport {
        var report = PollReport()
        count { $0.polls += 1 }
        do throws(RPCClientError) {
            try await poll(into: &report)
        } catch {
            count { $0.pollFailures += 1 }
            report.failures.append("poll: \(error)")
            // The same failure poll after poll (a chain without the registry, a node down) is logged once.
            if lastPollFailure != error.description { logger.warning("result poster: poll failed: \(error)") }
            lastPollFailure = error.description
            return report
        }
        if lastPollFailure != nil { logger.info("result poster: polling again") }
        lastPollFailure = nil
        return report
    }

    private func poll(into report: inout PollReport) async throws(RPCClientError) {
        try await settlePending()
        let now = try await chain.latestTimestamp()
        let minimum = try await chain.minimumOperatorBond()
        let bond = try await chain.bond()
        var free = bond.total > bond.locked ? bond.total - bond.locked : .zero
        // Claims in flight will lock a bond each when they land.
        for _ in pending { free = free >= minimum ? free - minimum : .zero }

        let ids: [UInt64]
        if settings.projects.isEmpty {
            let total = try await chain.projectCount()
            ids = total == 0 ? [] : Array(1...min(total, UInt64(settings.maxProjects)))
        } else {
            ids = settings.projects
        }
        for id in ids {
            let project: ChainProject
            do throws(RPCClientError) { project = try await chain.project(id) } catch {
                report.failures.append("project \(id): \(error)")
                continue
            }
            // A closed project takes results for the windows that ended by its close until its refund.
            guard project.isActive || !project.refunded, project.windowSeconds > 0 else { continue }
            let applet: Applet
            do { applet = try await self.applet(for: project) } catch {
                report.failures.append("project \(id): \(error)")
                logger.warning("result poster: project \(id): \(error)")
                continue
            }
            let devices = try await chain.devices(of: id).sorted()
            // The chain takes results only from the poster a device's owner chose (or the owner), and
            // rewards only windows that start at or after the device's membership.
            var since: [UInt64?] = []
            for device in devices {
                since.append(try await chain.mayPost(project: id, device: device) ? try await chain.memberSince(project: id, device: device) : nil)
            }
            for window in closedWindows(of: project, chainTime: now) where project.takesResults(window: window) {
                for (device, since) in zip(devices, since) {
                    guard let since, window.multipliedReportingOverflow(by: project.windowSeconds).partialValue >= since else { continue }
                    let key = ClaimKey(project: id, device: device, window: window)
                    guard pending[key] == nil else { continue }
                    // No live result: none yet, or one proven false by a challenge (which may be re-posted).
                    let existing = try await chain.resultID(project: id, device: device, window: window)
                    if existing != 0, try await chain.resultStatus(existing) != .reverted { continue }
                    guard let claim = await claim(for: key, project: project, applet: applet, report: &report) else { continue }
                    if free < minimum {
                        try await topUpBond(minimum: minimum, report: &report)
                        return
                    }
                    do throws(RPCClientError) {
                        let hash = try await chain.postResult(claim)
                        pending[key] = (hash, 0)
                        free = free - minimum
                        report.posted.append(claim)
                        count { $0.posted += 1 }
                        logger.info(
                            "result poster: posted project \(id) device \(device.hex) window \(window): \(claim.messageCount) messages, result \(Hex.encode(claim.result)), tx \(hash.hex)"
                        )
                    } catch {
                        count { $0.sendFailures += 1 }
                        report.failures.append("post project \(id) device \(device.hex) window \(window): \(error)")
                        logger.warning("result poster: project \(id) device \(device.hex) window \(window) not posted: \(error)")
                        if case .unreachable = error.kind { throw error }
                    }
                }
            }
        }
    }

    /// The closed windows of the look-back that have settled: the chain is past their end and
    /// this node's clock `settleSeconds` past it. Oldest first.
    func closedWindows(of project: ChainProject, chainTime: UInt64) -> [UInt64] {
        let seconds = project.windowSeconds
        let nowSeconds = clock() / 1000
        let settled = nowSeconds >= settings.settleSeconds ? nowSeconds - settings.settleSeconds : 0
        let end = min(chainTime, settled) / seconds  // windows [0, end) are closed and settled
        guard end > 0 else { return [] }
        let first = end > UInt64(settings.lookbackWindows) ? end - UInt64(settings.lookbackWindows) : 0
        return Array(first..<end)
    }

    /// The claim for one device's window, or nil (no messages, too many, the store failed, the
    /// applet failed on these messages before or now).
    private func claim(for key: ClaimKey, project: ChainProject, applet: Applet, report: inout PollReport) async -> ResultClaim? {
        let range = WindowCommitment.timestampRange(window: key.window, windowSeconds: project.windowSeconds)
        let stored: [StoredMessage]
        do throws(WindowMessages.Failure) {
            stored = try await WindowMessages.read(from: store, device: key.device, range: range, limit: settings.maxMessages)
        } catch {
            report.failures.append("read project \(key.project) device \(key.device.hex) window \(key.window): \(error)")
            return nil
        }
        guard !stored.isEmpty else {
            count { $0.emptyWindows += 1 }
            return nil
        }
        let envelopes = stored.map(\.envelope)
        let root = WindowCommitment.root(envelopes.map(WindowCommitment.leaf))
        guard failedInputs[key] != root else { return nil }
        let messages = envelopes.map(AppletMessage.init(envelope:))
        var outcome = await Self.runOffPool(applet, messages: messages, params: project.params, limits: settings.limits)
        if case .success(let run) = outcome, run.result.isEmpty {
            // The registry takes 1 to 256 result bytes; an empty result cannot be posted.
            outcome = .failure(AppletError(.noResult, "the applet wrote an empty result"))
        }
        switch outcome {
        case .success(let outcome):
            failedInputs[key] = nil
            return ResultClaim(
                projectID: key.project, deviceID: key.device, window: key.window, result: outcome.result, messageCount: UInt32(envelopes.count),
                messagesRoot: root)
        case .failure(let error):
            failedInputs[key] = root
            count { $0.appletFailures += 1 }
            report.failures.append("applet project \(key.project) device \(key.device.hex) window \(key.window): \(error)")
            logger.warning("result poster: applet of project \(key.project) failed on device \(key.device.hex) window \(key.window): \(error)")
            return nil
        }
    }

    /// Runs an applet on a dispatch queue, so a run of up to its timeout never holds one of
    /// the few cooperative threads.
    static func runOffPool(_ applet: Applet, messages: [AppletMessage], params: [UInt8], limits: AppletLimits) async -> Result<AppletOutcome, AppletError> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(AppletError) {
                    continuation.resume(returning: .success(try applet.run(messages: messages, params: params, limits: limits)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
    }

    /// The project's applet, fetched once per hash and checked against it.
    private func applet(for project: ChainProject) async throws -> Applet {
        if let cached = applets[project.appletHash] { return cached }
        let code = try await chain.appletCode(of: project.id)
        let applet = try Applet(code: code, maxCodeBytes: max(code.count, 1))
        guard applet.hash == project.appletHash else {
            throw RPCClientError(.badResponse, "appletOf(\(project.id)) does not hash to the project's applet hash")
        }
        if applets.count >= 64 { applets.removeAll() }
        applets[project.appletHash] = applet
        return applet
    }

    /// Deposits more bond when the free part cannot cover another result (once at a time).
    private func topUpBond(minimum: UInt256, report: inout PollReport) async throws(RPCClientError) {
        guard pendingDeposit == nil else { return }
        let amount = settings.bond ?? minimum.multipliedReportingOverflow(by: 10).partialValue
        guard amount >= minimum, amount > .zero else {
            report.failures.append("bond: the configured bond \(amount) is below the minimum \(minimum)")
            return
        }
        do throws(RPCClientError) {
            let hash = try await chain.depositBond(amount)
            pendingDeposit = (hash, 0)
            report.depositedBond = amount
            count { $0.bondDeposits += 1 }
            logger.info("result poster: deposited a bond of \(amount) wei, tx \(hash.hex)")
        } catch {
            count { $0.sendFailures += 1 }
            report.failures.append("depositBond: \(error)")
            logger.warning("result poster: depositBond failed: \(error)")
        }
    }

    /// Forgets sent transactions that have a receipt (or have waited too long).
    private func settlePending() async throws(RPCClientError) {
        for (key, entry) in pending {
            switch try await chain.transactionSucceeded(entry.hash) {
            case nil:
                if entry.polls + 1 >= Self.pendingPolls { pending[key] = nil } else { pending[key] = (entry.hash, entry.polls + 1) }
            case true?:
                pending[key] = nil
                count { $0.confirmed += 1 }
            case false?:
                pending[key] = nil
                count { $0.reverted += 1 }
                logger.warning("result poster: postResult tx \(entry.hash.hex) reverted (project \(key.project) window \(key.window))")
            }
        }
        if let deposit = pendingDeposit {
            let status = try await chain.transactionSucceeded(deposit.hash)
            if status != nil || deposit.polls + 1 >= Self.pendingPolls { pendingDeposit = nil } else { pendingDeposit = (deposit.hash, deposit.polls + 1) }
        }
    }

    private func count(_ change: (inout Counters) -> Void) {
        countersBox.withLockedValue { change(&$0) }
    }
}

/// The poster's settings (the `[operator]` section of the stream config).
public struct OperatorSettings: Equatable, Sendable {
    /// Projects served; empty: every active project.
    public var projects: [UInt64] = []
    public var pollSeconds = 10
    /// Wei deposited when the free bond cannot cover another result; nil: 10 × the minimum.
    public var bond: UInt256?
    /// How many closed windows back the poster looks.
    public var lookbackWindows = 7
    /// Seconds after a window's end before it is posted (default: the ingestion timestamp tolerance).
    public var settleSeconds: UInt64 = 300
    /// The most messages a posted window may hold.
    public var maxMessages = WindowMessages.maxMessages
    /// The most projects served when `projects` is empty.
    public var maxProjects = 1_000
    /// The applet limits (standard, with its 2-second timeout).
    public var limits = AppletLimits.standard

    public init() {}
}
