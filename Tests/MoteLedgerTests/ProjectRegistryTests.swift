import Foundation
import MoteApplet
import MoteChain
import MoteContracts
import MoteStorage
import MoteCrypto
import MotePrimitives
import MoteTelemetry
import MoteTransactions
import MoteTestSupport
import Testing

@testable import MoteLedger

/// A deterministic stand-in applet engine for the registry's rules: code starting with "TEST"
/// is valid; a run sums the payload bytes, meets the rule when the sum reaches params[0], and
/// costs 1,000 fuel per message. "TESTFAIL" always fails.
struct CountingAppletRuntime: ProjectAppletRuntime {
    func validationError(code: [UInt8]) -> String? { code.starts(with: Array("TEST".utf8)) ? nil : "not a test applet" }

    func run(code: [UInt8], messages: [AppletMessage], params: [UInt8], fuel: UInt64) -> ProjectAppletRun {
        let used = UInt64(messages.count) * 1_000
        guard used <= fuel else { return .outOfFuel }
        if code == Array("TESTFAIL".utf8) { return .failed("trap") }
        let total = UInt64(messages.reduce(0) { $0 + $1.payload.count })
        return .result(CountingAppletRuntime.result(total: total, goal: params.first ?? 0), fuelUsed: used)
    }

    static func result(total: UInt64, goal: UInt8) -> [UInt8] { [total >= UInt64(goal) ? 1 : 0] + total.bigEndianBytes8 }
}

/// The ProjectRegistry on a real ledger: projects, pools, devices, bonds, posting, settlement
/// at the end of blocks, challenges upheld and rejected, limits, and conservation of MOTE.
@Suite struct ProjectRegistryTests {
    static let mote = ProtocolParameters.mote
    static let keys = StakingTests.keys
    static let registry = ProjectRegistryABI.address
    static let bond = mote * 5
    static let deposit = mote
    static let reward = mote * 2
    static let applet = Array("TEST applet".utf8)

    static func genesis() -> Genesis {
        var p = StakingTests.parameters()
        p.deviceActivationFee = UInt256Text(mote / 10)
        p.minimumOperatorBond = UInt256Text(bond)
        p.challengeDeposit = UInt256Text(deposit)
        p.challengerShare = 40
        p.minimumChallengeSeconds = 10
        // The chain starts at t = 0, so that windows from 10 on ([1000, 1100)) begin after
        // the projects and memberships of the first blocks.
        var genesis = StakingTests.genesis(p)
        genesis.timestamp = 0
        return genesis
    }

    /// `StakingTests.Chain` over a ledger whose registry runs `CountingAppletRuntime`.
    final class Chain {
        let ledger: Ledger
        var nonces: [Address: UInt64] = [:]
        var time: UInt64 = 0

        init(runtime: any ProjectAppletRuntime = CountingAppletRuntime()) throws {
            let genesis = ProjectRegistryTests.genesis()
            ledger = try Ledger(store: InMemoryChainStore(), genesis: genesis, contracts: .standard(genesis, appletRuntime: runtime))
        }

        /// One block `seconds` after the last, with `txs`; returns their receipts.
        @discardableResult
        func block(_ txs: [SignedTransaction] = [], seconds: UInt64 = 10) throws -> [Receipt] {
            time += seconds
            let height = ledger.head.height + 1
            let epoch = EpochTransition.epoch(ofHeight: height, ledger.genesis.parameters)
            let built = try ledger.buildBlock(candidates: txs, producer: try ledger.producers(ofEpoch: epoch)[0], timestamp: time, epoch: epoch)
            #expect(built.excluded.isEmpty, "\(built.excluded.map(\.reason))")
            try ledger.commit(built.commit)
            return built.commit.receipts
        }

        /// One block with `tx`, which must succeed.
        @discardableResult
        func ok(_ tx: SignedTransaction) throws -> Receipt {
            let receipt = try block([tx])[0]
            #expect(receipt.succeeded, "\(receipt.failureReason ?? "")")
            return receipt
        }

        /// One block with `tx`, which must fail; returns its reason.
        func failing(_ tx: SignedTransaction) throws -> String {
            let receipt = try block([tx])[0]
            #expect(!receipt.succeeded)
            return receipt.failureReason ?? ""
        }

        func call(_ key: Secp256k1.PrivateKey, _ contract: Address = ProjectRegistryTests.registry, function: SystemFunction,
                  _ args: [ABIValue], value: UInt256 = .zero, gas: UInt64 = 3_000_000) throws -> SignedTransaction {
            let nonce = nonces[key.address, default: 0]
            nonces[key.address] = nonce + 1
            return Transaction.dynamicFee(
                chainID: 4_689, nonce: nonce, maxPriorityFeePerGas: 0, maxFeePerGas: 10_000_000_000, gasLimit: gas,
                to: contract, value: value, data: try function.abi.encodeCall(args)
            ).signed(with: key)
        }

        func read(_ function: SystemFunction, _ args: [ABIValue], _ contract: Address = ProjectRegistryTests.registry) throws -> [ABIValue] {
            try function.abi.decodeOutput(try ledger.call(from: .zero, to: contract, data: try function.abi.encodeCall(args)).get())
        }

        func balance(_ address: Address) throws -> UInt256 { try ledger.account(address).balance }
    }

    static func uint(_ v: ABIValue) -> UInt256 { StakingTests.uint(v) }

    static func deviceKey(_ n: Int) -> DevicePrivateKey {
        try! DevicePrivateKey(curve: .secp256k1, secret: Keccak256.hash(utf8: "project device \(n)").bytes)
    }

    /// Registers device `n` for `owner`.
    func registerDevice(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ n: Int) throws -> DevicePrivateKey {
        let key = Self.deviceKey(n)
        try chain.ok(try chain.call(owner, DeviceRegistryABI.address, function: DeviceRegistryABI.registerDevice, [
            .uint(UInt256(UInt64(key.curve.rawValue))), .bytes(key.publicKey.bytes), .string("tracker"), .string("Acme"),
            .bytes(DeviceClaim.proof(.register, by: key, chainID: chain.ledger.chainID, claimant: owner.address)),
        ], value: Self.mote / 10))
        return key
    }

    func createProject(_ chain: Chain, _ sponsor: Secp256k1.PrivateKey, pool: UInt256, goal: UInt8 = 10, window: UInt64 = 100,
                       challenge: UInt64 = 50, applet: [UInt8] = applet) throws -> UInt64 {
        let receipt = try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.createProject, [
            .bytes(applet), .bytes([goal]), .string("steps"), .uint(Self.reward), .uint(UInt256(window)), .uint(UInt256(challenge)),
        ], value: pool))
        #expect(receipt.logs[0].topics[0] == ProjectRegistryABI.projectCreated.abi.topic0)
        return Self.uint(try chain.read(ProjectRegistryABI.projectCount, [])[0]).l0
    }

    /// Signed envelopes; `timestamp` in seconds (envelopes carry milliseconds).
    static func envelopes(_ key: DevicePrivateKey, _ items: [(sequence: UInt64, timestamp: UInt64, payloadBytes: Int)]) -> [TelemetryEnvelope] {
        items.map {
            TelemetryEnvelope.signed(
                by: key, chainID: 4_689, sequence: $0.sequence, timestamp: $0.timestamp * 1_000, contentType: "application/json",
                payload: [UInt8](repeating: 0x61, count: $0.payloadBytes))
        }
    }

    static func root(_ envelopes: [TelemetryEnvelope]) -> Hash32 { WindowCommitment.root(envelopes.map(\.hash)) }

    func post(_ chain: Chain, _ op: Secp256k1.PrivateKey, project: UInt64, device: Address, window: UInt64, result: [UInt8],
              envelopes: [TelemetryEnvelope]) throws -> SignedTransaction {
        try chain.call(op, function: ProjectRegistryABI.postResult, [
            .uint(UInt256(project)), .address(device), .uint(UInt256(window)), .bytes(result), .uint(UInt256(UInt64(envelopes.count))),
            .fixedBytes(Self.root(envelopes).bytes),
        ])
    }

    /// `owner` joins `device` to `project` and chooses `poster` to post its results, in one block.
    func join(_ chain: Chain, _ owner: Secp256k1.PrivateKey, _ project: UInt64, _ device: Address, poster: Address) throws {
        let receipts = try chain.block([
            try chain.call(owner, function: ProjectRegistryABI.joinProject, [.uint(UInt256(project)), .address(device)]),
            try chain.call(owner, function: ProjectRegistryABI.setPoster, [.uint(UInt256(project)), .address(device), .address(poster)]),
        ])
        let failures = receipts.compactMap(\.failureReason)
        #expect(failures.isEmpty, "\(failures)")
    }

    func challenge(_ chain: Chain, _ who: Secp256k1.PrivateKey, result: UInt64, envelopes: [TelemetryEnvelope],
                   value: UInt256 = deposit) throws -> SignedTransaction {
        try chain.call(who, function: ProjectRegistryABI.challengeResult, [
            .uint(UInt256(result)), .array(envelopes.map { .bytes($0.binary) }),
        ], value: value)
    }

    func resultStatus(_ chain: Chain, _ id: UInt64) throws -> ResultStatus {
        ResultStatus(rawValue: UInt8(Self.uint(try chain.read(ProjectRegistryABI.result, [.uint(UInt256(id))])[9]).l0))!
    }

    /// Every balance sums to the supply; the registry holds exactly its pools and bonds.
    func expectConserved(_ chain: Chain, operators: [Address]) throws {
        var sum = UInt256.zero
        try chain.ledger.store.forEachAccount { _, account in sum += account.balance }
        #expect(sum == chain.ledger.head.totalSupply)
        var held = UInt256.zero
        let count = Self.uint(try chain.read(ProjectRegistryABI.projectCount, [])[0]).l0
        if count > 0 {
            for id in 1...count { held += Self.uint(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(id))])[7]) }
        }
        for op in operators { held += Self.uint(try chain.read(ProjectRegistryABI.bondOf, [.address(op)])[0]) }
        #expect(try chain.balance(Self.registry) == held, "the registry's balance is its pools plus its bonds")
    }

    @Test func createFundCloseAndViews() throws {
        let chain = try Chain()
        let sponsor = Self.keys[0]
        let id = try createProject(chain, sponsor, pool: Self.mote * 10)
        #expect(id == 1)
        let view = try chain.read(ProjectRegistryABI.project, [.uint(1)])
        #expect(view == [
            .address(sponsor.address), .string("steps"), .fixedBytes(Keccak256.hash(Self.applet).bytes), .bytes([10]), .uint(Self.reward),
            .uint(100), .uint(50), .uint(Self.mote * 10), .uint(0), .uint(0), .uint(0),
        ])
        #expect(try chain.read(ProjectRegistryABI.appletOf, [.uint(1)]) == [.bytes(Self.applet)])
        #expect(try chain.read(ProjectRegistryABI.projectCount, []) == [.uint(1)])
        #expect(try chain.read(ProjectRegistryABI.projectParameters, []) == [.uint(Self.bond), .uint(Self.deposit), .uint(40), .uint(10)])

        try chain.ok(try chain.call(Self.keys[1], function: ProjectRegistryABI.fundProject, [.uint(1)], value: Self.mote * 3))
        #expect(Self.uint(try chain.read(ProjectRegistryABI.project, [.uint(1)])[7]) == Self.mote * 13)
        #expect(try chain.failing(try chain.call(Self.keys[1], function: ProjectRegistryABI.closeProject, [.uint(1)])).contains("belongs to"))
        let before = try chain.balance(sponsor.address)
        let closing = try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(1)]))
        let closed = try chain.read(ProjectRegistryABI.project, [.uint(1)])
        #expect(closed[7] == .uint(0) && closed[9] == .uint(1))
        #expect(try chain.read(ProjectRegistryABI.projectClosure, [.uint(1)]) == [.uint(UInt256(chain.time)), .bool(true)], "no devices: refunded at once")
        let gas = UInt256(closing.gasUsed) * closing.effectiveGasPrice
        #expect(try chain.balance(sponsor.address) == before + Self.mote * 13 - gas, "the whole pool is refunded")
        #expect(try chain.failing(try chain.call(Self.keys[1], function: ProjectRegistryABI.fundProject, [.uint(1)], value: Self.mote))
            .contains("is closed"))
        try expectConserved(chain, operators: [])
    }

    @Test func badArgumentsRevertAndChangeNothing() throws {
        let chain = try Chain()
        let sponsor = Self.keys[0]
        func create(_ applet: [UInt8], _ params: [UInt8], _ name: String, _ reward: UInt256, _ window: UInt64, _ challenge: UInt64) throws -> String {
            let registryBefore = try chain.balance(Self.registry)
            let reason = try chain.failing(try chain.call(sponsor, function: ProjectRegistryABI.createProject, [
                .bytes(applet), .bytes(params), .string(name), .uint(reward), .uint(UInt256(window)), .uint(UInt256(challenge)),
            ], value: Self.mote))
            #expect(try chain.balance(Self.registry) == registryBefore, "a revert keeps the value with the sender")
            #expect(try chain.read(ProjectRegistryABI.projectCount, []) == [.uint(0)])
            return reason
        }
        #expect(try create(Array("WASM".utf8), [], "x", Self.reward, 100, 50).contains("invalid applet"))
        #expect(try create(Self.applet, [], "", Self.reward, 100, 50).contains("name is 1 to 64"))
        #expect(try create(Self.applet, [UInt8](repeating: 0, count: 1_025), "x", Self.reward, 100, 50).contains("params are at most"))
        #expect(try create(Self.applet, [], "x", .zero, 100, 50).contains("rewardPerResult"))
        #expect(try create(Self.applet, [], "x", Self.reward, 0, 50).contains("windowSeconds"))
        #expect(try create(Self.applet, [], "x", Self.reward, 100, 0).contains("challengeSeconds"))
        #expect(try create(Self.applet + [UInt8](repeating: 0, count: 64 * 1_024), [], "x", Self.reward, 100, 50).contains("at most 65536"))
        #expect(try chain.failing(try chain.call(sponsor, function: ProjectRegistryABI.fundProject, [.uint(9)], value: Self.mote))
            .contains("no project 9"))
    }

    @Test func joinAndLeaveOnlyByTheOwnerOfAnActiveDevice() throws {
        let chain = try Chain()
        let (sponsor, owner, other) = (Self.keys[0], Self.keys[1], Self.keys[2])
        let project = try createProject(chain, sponsor, pool: Self.mote * 10)
        let device = try registerDevice(chain, owner, 1).publicKey.deviceID
        #expect(try chain.failing(try chain.call(other, function: ProjectRegistryABI.joinProject, [.uint(UInt256(project)), .address(device)]))
            .contains("belongs to"))
        let joined = try chain.ok(try chain.call(owner, function: ProjectRegistryABI.joinProject, [.uint(UInt256(project)), .address(device)]))
        #expect(joined.logs[0].topics[0] == ProjectRegistryABI.deviceJoined.abi.topic0)
        #expect(try chain.read(ProjectRegistryABI.isJoined, [.uint(UInt256(project)), .address(device)]) == [.bool(true)])
        #expect(try chain.read(ProjectRegistryABI.projectDevices, [.uint(UInt256(project))]) == [.array([.address(device)])])
        #expect(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])[10] == .uint(1))
        #expect(try chain.failing(try chain.call(owner, function: ProjectRegistryABI.joinProject, [.uint(UInt256(project)), .address(device)]))
            .contains("already joined"))
        try chain.ok(try chain.call(owner, function: ProjectRegistryABI.leaveProject, [.uint(UInt256(project)), .address(device)]))
        #expect(try chain.read(ProjectRegistryABI.isJoined, [.uint(UInt256(project)), .address(device)]) == [.bool(false)])
        #expect(try chain.read(ProjectRegistryABI.projectDevices, [.uint(UInt256(project))]) == [.array([])])
        #expect(try chain.failing(try chain.call(owner, function: ProjectRegistryABI.leaveProject, [.uint(UInt256(project)), .address(device)]))
            .contains("has not joined"))
        // A suspended device cannot join.
        try chain.ok(try chain.call(owner, DeviceRegistryABI.address, function: DeviceRegistryABI.suspendDevice, [.address(device)]))
        #expect(try chain.failing(try chain.call(owner, function: ProjectRegistryABI.joinProject, [.uint(UInt256(project)), .address(device)]))
            .contains("is suspended"))
    }

    @Test func postSettlesAfterTheChallengePeriodAndPaysTheOwnerExactly() throws {
        let chain = try Chain()
        let (sponsor, owner, op) = (Self.keys[0], Self.keys[1], Self.keys[2])
        let project = try createProject(chain, sponsor, pool: Self.reward * 2 + Self.mote)  // two rewards and a bit
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)

        let window: UInt64 = 10  // [1000, 1100)
        let messages = Self.envelopes(key, [(1, 1_010, 6), (2, 1_020, 6)])
        let met = CountingAppletRuntime.result(total: 12, goal: 10)
        // The window is not closed before t = 1100.
        #expect(chain.time < 1_090)
        #expect(try chain.failing(try post(chain, op, project: project, device: device, window: window, result: met, envelopes: messages))
            .contains("not closed"))
        try chain.block(seconds: 1_100 - chain.time)
        // No bond yet.
        #expect(try chain.failing(try post(chain, op, project: project, device: device, window: window, result: met, envelopes: messages))
            .contains("free bond"))
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond * 3))
        let posted = try chain.ok(try post(chain, op, project: project, device: device, window: window, result: met, envelopes: messages))
        #expect(posted.logs[0].topics[0] == ProjectRegistryABI.resultPosted.abi.topic0)
        #expect(try chain.read(ProjectRegistryABI.resultOf, [.uint(UInt256(project)), .address(device), .uint(UInt256(window))]) == [.uint(1)])
        #expect(try chain.read(ProjectRegistryABI.resultsOfDevice, [.address(device)]) == [.array([.uint(1)])])
        #expect(try chain.read(ProjectRegistryABI.bondOf, [.address(op.address)]) == [.uint(Self.bond * 3), .uint(Self.bond)])
        #expect(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])[8] == .uint(Self.reward), "reserved")
        #expect(try resultStatus(chain, 1) == .pending)
        let result = try chain.read(ProjectRegistryABI.result, [.uint(1)])
        #expect(Self.uint(result[8]) == Self.uint(result[7]) + 50, "challengeEndsAt = postedAt + challengeSeconds")
        let ownerBefore = try chain.balance(owner.address)
        #expect(try chain.failing(try post(chain, op, project: project, device: device, window: window, result: met, envelopes: messages))
            .contains("already posted"))
        // Locked bond cannot be withdrawn.
        #expect(try chain.failing(try chain.call(op, function: ProjectRegistryABI.withdrawBond, [.uint(Self.bond * 3)]))
            .contains("locked by unsettled results"))

        // A result that does not meet the rule, and another window whose reward the pool cannot cover.
        let unmet = CountingAppletRuntime.result(total: 3, goal: 10)
        try chain.block(seconds: 200)  // t > 1300: windows 10–12 closed
        try chain.ok(try post(chain, op, project: project, device: device, window: 11, result: unmet, envelopes: Self.envelopes(key, [(3, 1_150, 3)])))
        try chain.ok(try post(chain, op, project: project, device: device, window: 12, result: met, envelopes: messages))
        // Wait out every challenge period, then one more block.
        try chain.block(seconds: 60)
        try chain.block()
        #expect(try resultStatus(chain, 1) == .paid)
        #expect(try resultStatus(chain, 2) == .noReward)
        #expect(try resultStatus(chain, 3) == .paid)
        #expect(try chain.balance(owner.address) == ownerBefore + Self.reward * 2, "paid exactly the rule's amount per met window")
        #expect(try chain.read(ProjectRegistryABI.result, [.uint(1)])[10] == .uint(Self.reward))
        #expect(try chain.read(ProjectRegistryABI.bondOf, [.address(op.address)]) == [.uint(Self.bond * 3), .uint(0)], "bond unlocked")
        let pool = try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])
        #expect(pool[7] == .uint(Self.mote) && pool[8] == .uint(0))

        // The pool is dry now: a met window settles as unpaid, not an error.
        try chain.ok(try post(chain, op, project: project, device: device, window: 13, result: met, envelopes: messages))
        try chain.block(seconds: 60)
        try chain.block()
        #expect(try resultStatus(chain, 4) == .unpaid)
        #expect(try chain.balance(owner.address) == ownerBefore + Self.reward * 2)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.withdrawBond, [.uint(Self.bond)]))
        #expect(try chain.read(ProjectRegistryABI.bondOf, [.address(op.address)]) == [.uint(Self.bond * 2), .uint(0)])
        try expectConserved(chain, operators: [op.address])
    }

    @Test func aForgedResultIsRevertedAndItsPosterSlashed() throws {
        let chain = try Chain()
        let (sponsor, owner, op, challenger) = (Self.keys[0], Self.keys[1], Self.keys[2], Self.keys[3])
        let project = try createProject(chain, sponsor, pool: Self.reward * 5)
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond))
        try chain.block(seconds: 1_100 - chain.time)
        // The device walked 4 "steps"; the operator claims the goal was met.
        let messages = Self.envelopes(key, [(1, 1_010, 2), (2, 1_050, 2)])
        let forged = CountingAppletRuntime.result(total: 40, goal: 10)
        try chain.ok(try post(chain, op, project: project, device: device, window: 10, result: forged, envelopes: messages))
        #expect(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])[8] == .uint(Self.reward))

        // Wrong deposit, wrong messages: reverted, nothing changes.
        #expect(try chain.failing(try challenge(chain, challenger, result: 1, envelopes: messages, value: Self.deposit / 2))
            .contains("challenge deposit"))
        #expect(try chain.failing(try challenge(chain, challenger, result: 1, envelopes: Array(messages.prefix(1))))
            .contains("commits to 2 messages"))
        let other = Self.envelopes(key, [(1, 1_010, 2), (2, 1_050, 3)])
        #expect(try chain.failing(try challenge(chain, challenger, result: 1, envelopes: other))
            .contains("the messages do not match the committed root"))
        #expect(try resultStatus(chain, 1) == .pending)

        let challengerBefore = try chain.balance(challenger.address)
        let receipt = try chain.ok(try challenge(chain, challenger, result: 1, envelopes: messages))
        #expect(receipt.logs.map(\.topics[0]) == [ProjectRegistryABI.resultChallenged.abi.topic0, ProjectRegistryABI.bondSlashed.abi.topic0])
        #expect(try resultStatus(chain, 1) == .reverted)
        #expect(try chain.read(ProjectRegistryABI.bondOf, [.address(op.address)]) == [.uint(0), .uint(0)])
        // 40 % of the bond to the challenger (its deposit back, gas burned), 60 % to the pool; the reservation freed.
        let gasCost = UInt256(receipt.gasUsed) * receipt.effectiveGasPrice
        #expect(try chain.balance(challenger.address) == challengerBefore + Self.bond * 40 / 100 - gasCost)
        let view = try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])
        #expect(view[7] == .uint(Self.reward * 5 + Self.bond * 60 / 100) && view[8] == .uint(0))
        // A reverted result never settles, and the window can be posted again honestly.
        try chain.block(seconds: 100)
        #expect(try resultStatus(chain, 1) == .reverted)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond))
        try chain.ok(try post(chain, op, project: project, device: device, window: 10, result: CountingAppletRuntime.result(total: 4, goal: 10),
                              envelopes: messages))
        #expect(try chain.read(ProjectRegistryABI.resultOf, [.uint(UInt256(project)), .address(device), .uint(10)]) == [.uint(2)])
        try expectConserved(chain, operators: [op.address])
    }

    @Test func anInvalidMessageInTheCommitmentProvesItFalse() throws {
        let chain = try Chain()
        let (sponsor, owner, op, challenger) = (Self.keys[0], Self.keys[1], Self.keys[2], Self.keys[3])
        let project = try createProject(chain, sponsor, pool: Self.reward * 5)
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond * 3))
        try chain.block(seconds: 1_300 - chain.time)
        // Signed by another key; outside the window; out of sequence order: each is a false commitment.
        let stranger = Self.envelopes(Self.deviceKey(9), [(1, 1_010, 20)]).map { var e = $0; e.deviceID = device; return e }
        let outside = Self.envelopes(key, [(1, 1_150, 20)])
        let disordered = Self.envelopes(key, [(2, 1_010, 10), (1, 1_020, 10)])
        let met = CountingAppletRuntime.result(total: 20, goal: 10)
        for (i, messages) in [stranger, outside, disordered].enumerated() {
            try chain.ok(try post(chain, op, project: project, device: device, window: 10, result: met, envelopes: messages))
            let id = UInt64(i + 1)
            let receipt = try chain.ok(try challenge(chain, challenger, result: id, envelopes: messages))
            #expect(receipt.logs.count == 2)
            #expect(try resultStatus(chain, id) == .reverted)
        }
        try expectConserved(chain, operators: [op.address])
    }

    @Test func anHonestResultSurvivesAFrivolousChallenge() throws {
        let chain = try Chain()
        let (sponsor, owner, op, challenger) = (Self.keys[0], Self.keys[1], Self.keys[2], Self.keys[3])
        let project = try createProject(chain, sponsor, pool: Self.reward * 5)
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond))
        try chain.block(seconds: 1_100 - chain.time)
        let messages = Self.envelopes(key, [(1, 1_010, 7), (5, 1_099, 7)])
        try chain.ok(try post(chain, op, project: project, device: device, window: 10,
                              result: CountingAppletRuntime.result(total: 14, goal: 10), envelopes: messages))
        let challengerBefore = try chain.balance(challenger.address)
        let receipt = try chain.ok(try challenge(chain, challenger, result: 1, envelopes: messages))
        #expect(receipt.logs.count == 1)
        #expect(receipt.logs[0].data == [UInt8](repeating: 0, count: 32), "upheld = false")
        #expect(try resultStatus(chain, 1) == .pending)
        let gasCost = UInt256(receipt.gasUsed) * receipt.effectiveGasPrice
        #expect(try chain.balance(challenger.address) == challengerBefore - Self.deposit - gasCost, "the deposit is lost")
        #expect(try chain.read(ProjectRegistryABI.project, [.uint(UInt256(project))])[7] == .uint(Self.reward * 5 + Self.deposit))
        #expect(try chain.read(ProjectRegistryABI.bondOf, [.address(op.address)]) == [.uint(Self.bond), .uint(Self.bond)])

        // Settled after its challenge period; then no longer challengeable.
        let ownerBefore = try chain.balance(owner.address)
        try chain.block(seconds: 60)
        #expect(try chain.failing(try challenge(chain, challenger, result: 1, envelopes: messages)).contains("is paid, not pending"))
        #expect(try resultStatus(chain, 1) == .paid)
        #expect(try chain.balance(owner.address) == ownerBefore + Self.reward)
        try expectConserved(chain, operators: [op.address])
    }

    @Test func closingKeepsReservationsForPendingResults() throws {
        let chain = try Chain()
        let (sponsor, owner, op) = (Self.keys[0], Self.keys[1], Self.keys[2])
        let project = try createProject(chain, sponsor, pool: Self.reward * 3)
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond))
        try chain.block(seconds: 1_100 - chain.time)
        let messages = Self.envelopes(key, [(1, 1_010, 10)])
        try chain.ok(try post(chain, op, project: project, device: device, window: 10, result: CountingAppletRuntime.result(total: 10, goal: 10),
                              envelopes: messages))
        let ownerBefore = try chain.balance(owner.address)
        try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
        try chain.block(seconds: 1_200 - chain.time)
        #expect(try chain.failing(try post(chain, op, project: project, device: device, window: 11, result: [1], envelopes: [])).contains("closed"))
        try chain.block(seconds: 60)
        #expect(try resultStatus(chain, 1) == .paid)
        #expect(try chain.balance(owner.address) == ownerBefore + Self.reward)
        // Once no window that ended by the close can be posted, the sponsor's second call refunds the rest.
        try chain.block(seconds: ProjectRegistryContract.maxResultDelaySeconds)
        let sponsorBefore = try chain.balance(sponsor.address)
        let refunding = try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.closeProject, [.uint(UInt256(project))]))
        let gas = UInt256(refunding.gasUsed) * refunding.effectiveGasPrice
        #expect(try chain.balance(sponsor.address) == sponsorBefore + Self.reward * 2 - gas, "the unreserved pool is refunded")
        try expectConserved(chain, operators: [op.address])
    }

    /// A real WebAssembly applet (hand-assembled): writes one byte, the number of messages.
    static let messageCountApplet: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x0a, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00,  // types: () -> i32, (i32, i32) -> ()
        0x02, 0x2a, 0x02,  // imports: mote.message_count, mote.write_result
        0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0d] + Array("message_count".utf8) + [0x00, 0x00,
        0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0c] + Array("write_result".utf8) + [0x00, 0x01,
        0x03, 0x02, 0x01, 0x00,  // one function of type 0
        0x05, 0x03, 0x01, 0x00, 0x01,  // memory: 1 page
        0x07, 0x10, 0x02, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,  // exports run, memory
        0x0a, 0x13, 0x01, 0x11, 0x00,
        0x41, 0x00, 0x10, 0x00, 0x3a, 0x00, 0x00,  // memory[0] = message_count()
        0x41, 0x00, 0x41, 0x01, 0x10, 0x01,  // write_result(0, 1)
        0x41, 0x00, 0x0b,  // return 0
    ]

    /// A UTC day of readings at one a minute (1,440 step-tracker messages) is challenged in one
    /// transaction, and the shipped step-goal applet re-run in WasmKit proves the forged result false.
    @Test func aDayOfMinuteReadingsIsChallengedInOneTransaction() throws {
        let chain = try Chain(runtime: WasmAppletRuntime())
        let (sponsor, owner, op, challenger) = (Self.keys[0], Self.keys[1], Self.keys[2], Self.keys[3])
        let applet = [UInt8](try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("applets/step-goal.wasm")))
        let goal: UInt64 = 10_000
        let day: UInt64 = 86_400
        try chain.ok(try chain.call(sponsor, function: ProjectRegistryABI.createProject, [
            .bytes(applet), .bytes(withUnsafeBytes(of: goal.littleEndian, Array.init)), .string("10k steps a day"), .uint(Self.reward),
            .uint(UInt256(day)), .uint(3_600),
        ], value: Self.reward * 5))
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, 1, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond))
        try chain.block(seconds: 2 * day + 100 - chain.time)

        // Three steps a minute: 4,320 in the day, short of the goal; the operator claims 20,000.
        var total = 0
        let messages = (0..<UInt64(1_440)).map { minute -> TelemetryEnvelope in
            total += 3
            let json = #"{"kind":"gps-step-tracker","lat":47.376900,"lon":8.541700,"hdop":1.2,"steps":3,"totalSteps":\#(total),"battery":88.20}"#
            return TelemetryEnvelope.signed(
                by: key, chainID: 4_689, sequence: minute + 1, timestamp: (day + minute * 60) * 1_000, contentType: "application/json",
                payload: Array(json.utf8))
        }
        let forged: [UInt8] = [1] + withUnsafeBytes(of: UInt64(20_000).littleEndian, Array.init)
        try chain.ok(try post(chain, op, project: 1, device: device, window: 1, result: forged, envelopes: messages))

        let dispute = try chain.call(challenger, function: ProjectRegistryABI.challengeResult, [
            .uint(1), .array(messages.map { .bytes($0.binary) }),
        ], value: Self.deposit, gas: 25_000_000)
        #expect(dispute.rawBytes.count > 128 * 1024 && dispute.rawBytes.count <= TransactionRules(chainID: 4_689).maxEncodedSize, "\(dispute.rawBytes.count) bytes")
        let receipt = try chain.ok(dispute)
        #expect(receipt.logs.map(\.topics[0]) == [ProjectRegistryABI.resultChallenged.abi.topic0, ProjectRegistryABI.bondSlashed.abi.topic0])
        #expect(receipt.gasUsed < 20_000_000, "\(receipt.gasUsed) gas")
        print("machinefi challenge: 1,440 messages in one \(dispute.rawBytes.count)-byte transaction, \(receipt.gasUsed) gas")
        #expect(try resultStatus(chain, 1) == .reverted)
        try expectConserved(chain, operators: [op.address])
    }

    @Test func theNodeReRunsARealAppletInWasmKit() throws {
        let chain = try Chain(runtime: WasmAppletRuntime())
        let (sponsor, owner, op, challenger) = (Self.keys[0], Self.keys[1], Self.keys[2], Self.keys[3])
        #expect(try chain.failing(try chain.call(sponsor, function: ProjectRegistryABI.createProject, [
            .bytes(Self.applet), .bytes([]), .string("x"), .uint(Self.reward), .uint(100), .uint(50),
        ])).contains("invalid applet"))
        let project = try createProject(chain, sponsor, pool: Self.reward * 5, applet: Self.messageCountApplet)
        let key = try registerDevice(chain, owner, 1)
        let device = key.publicKey.deviceID
        try join(chain, owner, project, device, poster: op.address)
        try chain.ok(try chain.call(op, function: ProjectRegistryABI.depositBond, [], value: Self.bond * 2))
        try chain.block(seconds: 1_100 - chain.time)
        let messages = Self.envelopes(key, [(1, 1_010, 1), (2, 1_020, 1), (3, 1_030, 1)])
        try chain.ok(try post(chain, op, project: project, device: device, window: 10, result: [3], envelopes: messages))
        try chain.ok(try post(chain, op, project: project, device: device, window: 9, result: [7], envelopes: Self.envelopes(key, [(0, 950, 1)])))
        let honest = try chain.ok(try challenge(chain, challenger, result: 1, envelopes: messages))
        #expect(honest.logs.count == 1, "the re-run agrees: the result stands")
        let forged = try chain.ok(try challenge(chain, challenger, result: 2, envelopes: Self.envelopes(key, [(0, 950, 1)])))
        #expect(forged.logs.count == 2, "the re-run gives [1], not [7]: reverted and slashed")
        #expect(try resultStatus(chain, 1) == .pending)
        #expect(try resultStatus(chain, 2) == .reverted)
        try expectConserved(chain, operators: [op.address])
    }

    @Test func settlementIsInPostingOrderAndBoundedPerBlock() throws {
        // A project's queue and the settlement directly on the books of a head state.
        let chain = try Chain()
        let context = SystemCallContext(
            caller: .zero, value: .zero, height: 1, timestamp: 0, canWrite: true, address: Self.registry, state: chain.ledger.headState(),
            gasLimit: .max, parameters: chain.ledger.genesis.parameters)
        let book = ProjectBook(context)
        _ = try book.add({ id in
            ProjectRecord(id: id, sponsor: .zero, name: "p", appletHash: .zero, params: [], rewardPerResult: 1, windowSeconds: 1,
                          challengeSeconds: 1, pool: .zero)
        }, applet: [])
        func add(_ deadline: UInt64, _ status: ResultStatus = .pending) throws -> UInt64 {
            try book.add { id in
                ResultRecord(
                    id: id, projectID: 1, deviceID: .zero, window: id, result: [0], messageCount: 0, messagesRoot: .zero, poster: .zero,
                    postedAt: 0, challengeEndsAt: deadline, status: status, bond: .zero, reserved: false)
            }.id
        }
        // 1 (due at 300), 2 (400, reverted by a challenge), 3…302 (450), 303 (500).
        _ = try add(300)
        _ = try add(400, .reverted)
        for _ in 0..<300 { _ = try add(450) }
        _ = try add(500)
        #expect(try book.queue(1) == SettlementQueue(head: 0, tail: 303))
        #expect(try book.ringCount() == 1 && book.ring(at: 0) == 1)

        // At t = 450: 1, then 3…257 (256 settled in all); 2 is dropped unsettled; 303 is not due.
        let at450 = SystemCallContext(
            caller: .zero, value: .zero, height: 2, timestamp: 450, canWrite: true, address: Self.registry, state: context.state, gasLimit: .max,
            parameters: context.parameters)
        try ProjectSettlement.settle(context: at450)
        #expect(try book.result(1)?.status == .noReward)
        #expect(try book.result(257)?.status == .noReward)
        #expect(try book.result(258)?.status == .pending)
        #expect(try book.queueHead(1) == 258)
        try ProjectSettlement.settle(context: at450)
        #expect(try book.result(302)?.status == .noReward)
        #expect(try book.queueHead(1) == 303)
        #expect(try book.result(303)?.status == .pending)
        #expect(try book.result(2)?.status == .reverted, "a reverted result is never settled")
        // At t = 500 the last one; an emptied project leaves the ring at its next turn.
        let at500 = SystemCallContext(
            caller: .zero, value: .zero, height: 3, timestamp: 500, canWrite: true, address: Self.registry, state: context.state, gasLimit: .max,
            parameters: context.parameters)
        try ProjectSettlement.settle(context: at500)
        #expect(try book.result(303)?.status == .noReward)
        #expect(try book.queue(1).isEmpty)
        try ProjectSettlement.settle(context: at500)
        #expect(try book.ringCount() == 0)
    }
}
