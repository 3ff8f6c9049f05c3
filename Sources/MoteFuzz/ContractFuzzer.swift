import Foundation
import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteStorage
import MoteTelemetry
import MoteTransactions

/// Invariant fuzzing of the system contracts (issue 15): a seeded, deterministic stream of
/// calls to every system contract, from honest and hostile actors, with random and extreme
/// arguments, amounts, durations, keys and windows, mined into blocks on a real ledger across
/// many epochs. After every block it checks what must always hold:
///
/// - no block fails to build, and no end-of-block stage was recorded as failed;
/// - supply: the balances of every account the run can reach (actors, genesis nodes, reward
///   addresses, device ids, the system contracts) add up to the chain's total supply, so no
///   MOTE is created, lost, or sent where nobody asked it to go;
/// - each contract holds at least what its books say it owes: Staking the amounts of its
///   buckets, Rewarding its unclaimed rewards (all owed to known addresses; what is left is
///   the fund), the DeviceRegistry the stakes of its devices, the ProjectRegistry its pools
///   and bonds (more only where a user sent MOTE to a contract's address as a reward address
///   or owner, which stays there);
/// - rewards go only where the documented rules send them (a reference model): a block reward
///   to the reward address of the producer's own seat — a genesis operator's seat pays its
///   genesis reward address, a candidate's seat the reward address its candidacy had at the
///   election — at most one block reward per block and one epoch reward per epoch;
/// - a device key is bound only to the account that holds it (registrations and claims);
/// - MachineFi: a posted window has ended, starts no earlier than the project and the
///   device's membership and is at most 7 days old; a result settles only after its challenge
///   period and a paid one pays exactly its project's reward per result, once;
/// - a slash hits only an owner seated in the evidence's epoch;
/// - a call that reverts changes nothing but its sender's gas and nonce (checked by building
///   the block with and without it);
/// - every view function answers with a value or a revert, never a failure of the node.
///
/// The same seed gives the same calls, blocks and report; a violation is reproduced by its seed.
public final class ContractFuzzer {
    /// What a run found.
    public struct Report: Sendable {
        public var seed: UInt64
        /// Calls sent in transactions (each is one system-contract call).
        public var calls = 0
        public var succeeded = 0
        public var reverted = 0
        /// Transactions the block left out (a value or fee beyond the balance, …).
        public var excluded = 0
        public var blocks = 0
        public var epochs = 0
        /// Reverted calls re-checked by building the block with and without them.
        public var refusalsChecked = 0
        public var viewCalls = 0
        public var violations: [String] = []
        public var seconds: Double = 0
        /// Successful calls by function (coverage), by name.
        public var succeededByFunction: [(function: String, count: Int)] = []
        /// The most frequent revert reasons (coverage), most frequent first.
        public var topReverts: [(reason: String, count: Int)] = []
    }

    static let chainID: UInt64 = 31_337
    static let mote = ProtocolParameters.mote

    let seed: UInt64
    var random: FuzzRandom
    let genesis: Genesis
    let ledger: Ledger
    /// Accounts that send calls: the first half honest, the rest hostile (they also replay,
    /// squat and point at other actors' things).
    let actors: [Secp256k1.PrivateKey]
    let genesisOperators: [Address]
    let genesisOperatorKeys: [Secp256k1.PrivateKey]
    let genesisRewards: [Address]
    /// Addresses that never send anything but may be named (reward addresses, recipients).
    let bystanders: [Address]
    /// Device keys and the actor that holds each.
    /// Every device key of the run and the actor that holds it; a new one is made every 40
    /// blocks (revoked keys are gone for good), and calls draw from the newest 24.
    var devices: [(key: DevicePrivateKey, holder: Int)]
    var deviceHolders: [Address: Int] = [:]
    /// Index in `devices` by device id, and each recorded device's owner (from the logs).
    var deviceIndex: [Address: Int] = [:]
    var deviceOwners: [Address: Address] = [:]
    /// The first devices' ids: the only device ids named where MOTE can go (so supply is summed
    /// over a fixed set of accounts).
    let valueDeviceIDs: [Address]
    /// Witness keys (Ed25519 / ECVRF seeds) the actors may bind.
    let witnessKeys: [ECVRF.SecretKey]
    var time: UInt64
    var report: Report
    var revertCounts: [String: Int] = [:]
    var successCounts: [String: Int] = [:]
    /// The calls of the last block and how each ended, for violation reports.
    var lastBlock: [String] = []
    /// The actor and function of the call being drawn.
    var currentActor = 0
    var currentFunction = ""
    var currentDevice = 0
    var currentWitnessKey = 0
    var currentProject: UInt64 = 0
    var currentOperator = Address.zero

    // What the run has seen, to aim calls at things that exist.
    var bucketIDs: [UInt64] = []
    var candidateNames: [String] = []
    /// The reference model of MachineFi: each project's creation time and window length, and
    /// when each (project, device) membership began.
    var projects: [UInt64: (createdAt: UInt64, windowSeconds: UInt64)] = [:]
    var memberships: [String: UInt64] = [:]
    /// Projects in creation order, those that ever had a member, and their members (drawing from these
    /// stays cheap however long a run is).
    var projectIDs: [UInt64] = []
    var joinedProjects: [UInt64] = []
    var projectMembers: [UInt64: [Address]] = [:]
    /// The poster each (project, device) owner chose, from the logs.
    var posters: [String: Address] = [:]
    /// Results still pending, with the reward their project promised when they were posted.
    var pendingResults: [UInt64: UInt256] = [:]
    var projectCount: UInt64 = 0
    var resultCount: UInt64 = 0
    /// The reference model of candidacies: owner → (operator, reward), from the logs.
    var candidacies: [Address: (operatorAddress: Address, rewardAddress: Address)] = [:]
    /// Operator → the reward address its seat pays, fixed at each election (by epoch).
    var seatRewards: [UInt64: [Address: Address]] = [:]

    /// A run from `seed`.
    public init(seed: UInt64) throws {
        self.seed = seed
        random = FuzzRandom(seed: seed ^ 0xC0DE_F00D)
        func key(_ label: String) -> Secp256k1.PrivateKey {
            try! Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "contract fuzz \(seed) \(label)").bytes)
        }
        actors = (0..<8).map { key("actor \($0)") }
        genesisOperatorKeys = (0..<2).map { key("genesis operator \($0)") }
        genesisOperators = genesisOperatorKeys.map(\.address)
        genesisRewards = (0..<2).map { Address(suffixOf: Keccak256.hash(utf8: "contract fuzz genesis reward \($0)")) }
        bystanders = (0..<3).map { Address(suffixOf: Keccak256.hash(utf8: "contract fuzz bystander \($0)")) }
        devices = (0..<24).map { Self.device($0, seed: seed) }
        valueDeviceIDs = devices.map(\.key.publicKey.deviceID)
        witnessKeys = (0..<6).map { try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "contract fuzz \(seed) witness \($0)").bytes) }

        var p = ProtocolParameters()
        p.epochLength = 6
        p.numDelegates = 2
        p.numCandidateDelegates = 3
        p.secondsPerDay = 60
        p.maxStakeDays = 30
        p.withdrawWaitingDays = 1
        p.registrationFee = UInt256Text(Self.mote * 10)
        p.minSelfStake = UInt256Text(Self.mote * 100)
        p.minStakeAmount = UInt256Text(Self.mote)
        p.blockReward = UInt256Text(Self.mote * 2)
        p.epochReward = UInt256Text(Self.mote * 50)
        p.foundationBonus = UInt256Text(Self.mote * 5)
        p.foundationBonusDelegates = 2
        p.deviceActivationFee = UInt256Text(Self.mote)
        p.minimumOperatorBond = UInt256Text(Self.mote * 10)
        p.challengeDeposit = UInt256Text(Self.mote)
        p.attestationReward = UInt256Text(Self.mote / 100)
        p.witnessThreshold = 2
        p.expectedWitnesses = 4
        p.attestationWindow = 12
        p.blacklistBlocks = 10
        let fund = Self.mote * 100_000
        let (operators, rewards, actorAddresses) = (genesisOperatorKeys.map(\.address), genesisRewards, actors.map(\.address))
        genesis = Genesis(
            chainID: Self.chainID, timestamp: 1_700_000_000, gasLimit: 200_000_000, baseFee: 1_000_000_000,
            allocations: actorAddresses.map { ($0, Self.mote * 1_000_000) } + [(RewardingABI.address, fund)],
            delegates: (0..<2).map {
                Genesis.Delegate(name: "genesis-\($0)", operatorAddress: operators[$0], rewardAddress: rewards[$0])
            },
            parameters: p)
        ledger = try Ledger(store: InMemoryChainStore(), genesis: genesis)
        time = genesis.timestamp
        report = Report(seed: seed)
        seatRewards[1] = Dictionary(uniqueKeysWithValues: zip(genesisOperators, genesisRewards))
        for (i, device) in devices.enumerated() {
            deviceHolders[device.key.publicKey.deviceID] = device.holder
            deviceIndex[device.key.publicKey.deviceID] = i
        }
    }

    /// Device key `i` of a run, held by actor `i` mod 8; every third an Ed25519 key.
    static func device(_ i: Int, seed: UInt64) -> (key: DevicePrivateKey, holder: Int) {
        let secret = Keccak256.hash(utf8: "contract fuzz \(seed) device \(i)").bytes
        return (try! DevicePrivateKey(curve: i % 3 == 2 ? .ed25519 : .secp256k1, secret: secret), i % 8)
    }

    /// The devices calls are drawn from: the newest 24.
    var recentDevices: Range<Int> { max(0, devices.count - 24)..<devices.count }

    /// Every address value can reach in a run (supply is summed over these).
    var universe: [Address] {
        actors.map(\.address) + genesisOperators + genesisRewards + bystanders + valueDeviceIDs
            + (1...6).map { SystemAddresses.reserved(UInt16($0)) } + [.zero]
    }

    /// Runs until `calls` calls were sent; `progress` is called every `progressInterval` calls.
    public func run(calls: Int, progressInterval: Int = 0, progress: ((Report) -> Void)? = nil) -> Report {
        let start = Date()
        var nextProgress = progressInterval > 0 ? progressInterval : Int.max
        while report.calls < calls {
            do {
                try step(maxCalls: calls - report.calls)
            } catch {
                violation("block \(ledger.head.height + 1) failed to build or commit: \(error)")
                break
            }
            if report.violations.count >= 20 { break }
            if report.calls >= nextProgress, let progress {
                report.seconds = Date().timeIntervalSince(start)
                progress(report)
                nextProgress += progressInterval
            }
        }
        report.seconds = Date().timeIntervalSince(start)
        report.succeededByFunction = successCounts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        report.topReverts = revertCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(100).map { ($0.key, $0.value) }
        return report
    }

    func violation(_ message: String) {
        report.violations.append("seed \(seed), height \(ledger.head.height): \(message) [block: \(lastBlock.joined(separator: "; "))]")
    }

    // MARK: One block

    func step(maxCalls: Int) throws {
        // Time moves: mostly a block interval, sometimes hours or days (stakes mature, windows end).
        time += [5, 5, 5, 1, 60, 600, 3_600, 86_400, 7 * 86_400][random.below(9)]
        let height = ledger.head.height + 1
        let epoch = (height - 1) / genesis.parameters.epochLength + 1
        let producers = try ledger.producers(ofEpoch: epoch)
        // Mostly the scheduled producer; sometimes another, so some fall below the productivity bar.
        let producer = random.oneIn(5) ? producers[random.below(producers.count)] : producers[Int((height - 1) % UInt64(producers.count))]

        var nonces: [Address: UInt64] = [:]
        var txs: [SignedTransaction] = []
        var names: [Hash32: String] = [:]
        for _ in 0..<min(1 + random.below(10), maxCalls) {
            let actor = random.below(actors.count)
            let call = nextCall(actor: actor)
            let sender = actors[actor]
            let nonce = try nonces[sender.address] ?? ledger.account(sender.address).nonce
            nonces[sender.address] = nonce + 1
            txs.append(Transaction.dynamicFee(
                chainID: Self.chainID, nonce: nonce, maxPriorityFeePerGas: .zero, maxFeePerGas: 10_000_000_000, gasLimit: call.gas,
                to: call.to, value: call.value, data: call.data
            ).signed(with: sender))
            names[txs[txs.count - 1].hash] = currentFunction
        }
        report.calls += txs.count
        if report.blocks % 40 == 39 {
            let device = Self.device(devices.count, seed: seed)
            devices.append(device)
            deviceHolders[device.key.publicKey.deviceID] = device.holder
            deviceIndex[device.key.publicKey.deviceID] = devices.count - 1
        }

        let before = try rewardRecords(epoch: epoch)
        let built = try ledger.buildBlock(candidates: txs, producer: producer, timestamp: time, epoch: epoch)
        report.excluded += built.excluded.count
        lastBlock = zip(built.commit.block.transactions, built.commit.receipts).map { tx, receipt in
            "\(tx.sender.checksummed.prefix(8)) \(names[tx.hash] ?? "?") \(tx.transaction.value) \(receipt.succeeded ? "ok" : receipt.failureReason ?? "")"
        }
        for (tx, receipt) in zip(built.commit.block.transactions, built.commit.receipts) {
            if receipt.succeeded {
                report.succeeded += 1
                successCounts[names[tx.hash] ?? "?", default: 0] += 1
            } else {
                report.reverted += 1
                revertCounts["\(names[tx.hash] ?? "?"): \(Self.shape(receipt.failureReason ?? "?"))", default: 0] += 1
            }
        }
        if let failed = built.commit.receipts.firstIndex(where: { !$0.succeeded }), random.oneIn(3) {
            try checkRefusal(built.commit, index: failed, producer: producer, epoch: epoch)
        }
        try ledger.commit(built.commit)
        report.blocks += 1
        learn(from: built.commit)
        try checkBooks()
        try checkRewards(before: before, producer: producer, epoch: epoch)
        try checkResults()
        if height % genesis.parameters.epochLength == 0 {
            report.epochs += 1
            seatRewards[epoch + 1] = try electedSeats(epoch: epoch + 1)
            seatRewards[epoch - 1] = nil
        }
        try callViews(count: 2)
    }

    /// A revert reason with its numbers and addresses blanked, to count kinds of reverts.
    static func shape(_ reason: String) -> String {
        reason.prefix(80).split(separator: " ").map { $0.contains(where: \.isNumber) ? "#" : String($0) }.joined(separator: " ")
    }

    // MARK: What the run learns from receipts

    func learn(from commit: BlockCommit) {
        let transferred = Set(commit.receipts.flatMap(\.logs).filter {
            $0.address == DeviceRegistryABI.address && $0.topics.first == DeviceRegistryABI.deviceTransferred.abi.topic0
                && $0.topics.count >= 2
        }.map { Address(suffixOf: $0.topics[1]) })
        for (tx, receipt) in zip(commit.block.transactions, commit.receipts) where receipt.succeeded {
            for log in receipt.logs {
                guard let topic0 = log.topics.first else { continue }
                switch (log.address, topic0) {
                case (StakingABI.address, StakingABI.stakeCreated.abi.topic0):
                    if let id = log.topics.dropFirst().first.flatMap({ UInt256(bigEndian: $0.bytes) }) { bucketIDs.append(id.l0) }
                case (StakingABI.address, StakingABI.candidateRegistered.abi.topic0),
                    (StakingABI.address, StakingABI.candidateUpdated.abi.topic0):
                    let types: [ABIType] = topic0 == StakingABI.candidateRegistered.abi.topic0
                        ? [.string, .address, .address, .uint(64)] : [.string, .address, .address, .uint(16)]
                    guard log.topics.count == 2, let values = try? ABI.decode(types, from: log.data),
                        case .string(let name) = values[0], case .address(let op) = values[1], case .address(let reward) = values[2]
                    else {
                        violation("undecodable candidate log")
                        continue
                    }
                    let owner = Address(suffixOf: log.topics[1])
                    if op != owner, consentedOwner(ofOperator: op) != owner, candidacies[owner]?.operatorAddress != op {
                        violation("candidate \(owner.checksummed) took operator \(op.checksummed), whose key never consented to sign for it")
                    }
                    candidacies[owner] = (op, reward)
                    if !candidateNames.contains(name) { candidateNames.append(name) }
                case (DeviceRegistryABI.address, DeviceRegistryABI.deviceRegistered.abi.topic0),
                    (DeviceRegistryABI.address, DeviceRegistryABI.deviceClaimed.abi.topic0):
                    guard log.topics.count >= 3 else { continue }
                    let id = Address(suffixOf: log.topics[1]), owner = Address(suffixOf: log.topics[2])
                    deviceOwners[id] = owner
                    if let holder = deviceHolders[id] {
                        if actors[holder].address != owner {
                            violation("device \(id.checksummed) was bound to \(owner.checksummed), who does not hold its key")
                        }
                    } else {
                        violation("device \(id.checksummed), whose key nobody in the run holds, was bound to \(owner.checksummed)")
                    }
                case (DeviceRegistryABI.address, DeviceRegistryABI.deviceTransferred.abi.topic0):
                    if log.topics.count >= 4 { deviceOwners[Address(suffixOf: log.topics[1])] = Address(suffixOf: log.topics[3]) }
                case (DeviceRegistryABI.address, DeviceRegistryABI.deviceRevoked.abi.topic0):
                    if log.topics.count >= 2 { deviceOwners[Address(suffixOf: log.topics[1])] = nil }
                case (StakingABI.address, StakingABI.slashed.abi.topic0):
                    checkSlash(log)
                case (ProjectRegistryABI.address, ProjectRegistryABI.projectCreated.abi.topic0):
                    projectCount += 1
                    if let id = log.topics.dropFirst().first.flatMap({ UInt256(bigEndian: $0.bytes) })?.l0,
                        let record = try? read(ProjectRegistryABI.address, ProjectRegistryABI.project, [.uint(UInt256(id))])
                    {
                        projects[id] = (commit.block.header.timestamp, uint(record[5]).l0)
                        projectIDs.append(id)
                    }
                case (ProjectRegistryABI.address, ProjectRegistryABI.deviceJoined.abi.topic0):
                    guard log.topics.count >= 3, let id = UInt256(bigEndian: log.topics[1].bytes)?.l0 else { continue }
                    let device = Address(suffixOf: log.topics[2])
                    memberships["\(id) \(device)"] = commit.block.header.timestamp
                    if projectMembers[id] == nil { joinedProjects.append(id) }
                    if !(projectMembers[id] ?? []).contains(device) { projectMembers[id, default: []].append(device) }
                    posters["\(id) \(Address(suffixOf: log.topics[2]))"] = nil
                case (ProjectRegistryABI.address, ProjectRegistryABI.posterChosen.abi.topic0):
                    guard log.topics.count >= 4, let id = UInt256(bigEndian: log.topics[1].bytes)?.l0 else { continue }
                    posters["\(id) \(Address(suffixOf: log.topics[2]))"] = Address(suffixOf: log.topics[3])
                case (ProjectRegistryABI.address, ProjectRegistryABI.resultPosted.abi.topic0):
                    resultCount += 1
                    checkPosted(log, now: commit.block.header.timestamp)
                    checkPoster(log, sender: tx.sender, transferred: transferred)
                    if let id = UInt256(bigEndian: log.topics[1].bytes)?.l0, let project = UInt256(bigEndian: log.topics[2].bytes),
                        let record = try? read(ProjectRegistryABI.address, ProjectRegistryABI.project, [.uint(project)])
                    {
                        pendingResults[id] = uint(record[4])
                    }
                default:
                    break
                }
            }
        }
    }

    /// A posted window must have ended, start no earlier than the project and the device's
    /// membership, and be at most `maxResultDelaySeconds` old (docs/MACHINEFI.md).
    func checkPosted(_ log: Log, now: UInt64) {
        guard log.topics.count >= 4, let project = UInt256(bigEndian: log.topics[2].bytes)?.l0,
            let values = try? ABI.decode([.uint(64), .bytes], from: log.data), case .uint(let window) = values[0]
        else { return violation("undecodable ResultPosted log") }
        let device = Address(suffixOf: log.topics[3])
        guard let known = projects[project] else { return violation("a result was posted for project \(project), never created") }
        let (start, overflow) = window.l0.multipliedReportingOverflow(by: known.windowSeconds)
        let end = start &+ known.windowSeconds
        let since = memberships["\(project) \(device)"] ?? .max
        if window > UInt256(UInt64.max) || overflow || start < known.createdAt || start < since || end > now
            || now - end > ProjectRegistryContract.maxResultDelaySeconds
        {
            violation("window \(window) of project \(project) (created \(known.createdAt), device joined \(since)) was posted at \(now)")
        }
    }

    /// Only a device's owner or the poster its owner chose for the project posts its results
    /// (a device transferred in the same block is skipped: its owner then is not readable).
    func checkPoster(_ log: Log, sender: Address, transferred: Set<Address>) {
        guard log.topics.count >= 4, let project = UInt256(bigEndian: log.topics[2].bytes)?.l0 else { return }
        let device = Address(suffixOf: log.topics[3])
        guard !transferred.contains(device), posters["\(project) \(device)"] != sender else { return }
        if case .address(let owner)? = try? read(DeviceRegistryABI.address, DeviceRegistryABI.device, [.address(device)])?[2],
            owner != sender
        {
            violation("\(sender.checksummed) posted for device \(device.checksummed) in project \(project): neither its owner \(owner.checksummed) nor its chosen poster")
        }
    }

    /// A slash must hit the owner that the evidence epoch's elected list records for the offender.
    func checkSlash(_ log: Log) {
        guard log.topics.count >= 2, let values = try? ABI.decode([.uint(256), .uint(256), .uint(64)], from: log.data),
            case .uint(let height) = values[2]
        else { return violation("undecodable Slashed log") }
        let slashed = Address(suffixOf: log.topics[1])
        let epoch = height.l0 == 0 ? 0 : (height.l0 - 1) / genesis.parameters.epochLength + 1
        guard let seated = try? ledger.delegates(ofEpoch: epoch) else { return violation("delegates of epoch \(epoch) unreadable") }
        if !seated.contains(where: { $0.owner == slashed }) {
            violation("\(slashed.checksummed) was slashed for height \(height) but was not seated in epoch \(epoch)")
        }
    }

    /// The reward address each seat of `epoch` must pay under the rules: a genesis operator's
    /// seat its genesis reward address (unless that operator itself is the candidate), a
    /// candidate's seat the reward address of the candidacy holding that operator at the election.
    func electedSeats(epoch: UInt64) throws -> [Address: Address] {
        var seats: [Address: Address] = [:]
        for delegate in try ledger.delegates(ofEpoch: epoch) {
            let op = delegate.operatorAddress
            if let g = genesisOperators.firstIndex(of: op), candidacies[op]?.operatorAddress != op {
                seats[op] = genesisRewards[g]
            } else if let holder = candidacies.first(where: { $0.value.operatorAddress == op }) {
                seats[op] = holder.value.rewardAddress
            } else {
                violation("epoch \(epoch) seats operator \(op.checksummed), which no candidacy or genesis delegate holds")
            }
        }
        return seats
    }

    // MARK: Invariants

    func read(_ contract: Address, _ function: SystemFunction, _ args: [ABIValue]) throws -> [ABIValue]? {
        let data = try function.abi.encodeCall(args)
        switch try ledger.call(from: .zero, to: contract, data: data) {
        case .success(let output): return try function.abi.decodeOutput(output)
        case .failure: return nil
        }
    }

    func uint(_ value: ABIValue?) -> UInt256 {
        if case .uint(let v) = value { return v }
        return .zero
    }

    /// What `address` was credited in `epoch`: block rewards, epoch reward, foundation bonus.
    func rewardRecord(epoch: UInt64, _ address: Address) throws -> [UInt256] {
        (try read(RewardingABI.address, RewardingABI.epochRewards, [.uint(UInt256(epoch)), .address(address)]) ?? []).map { uint($0) }
    }

    /// Every reachable address's reward record of `epoch`, before a block.
    func rewardRecords(epoch: UInt64) throws -> [Address: [UInt256]] {
        var records: [Address: [UInt256]] = [:]
        for address in universe { records[address] = try rewardRecord(epoch: epoch, address) }
        return records
    }

    /// No end-of-block stage failed, supply adds up, and each contract holds what its books say.
    func checkBooks() throws {
        let (failures, last) = try ledger.endBlockFailureSummary()
        if failures > 0, last == ledger.head.height {
            violation("end-of-block stage failed: \(try ledger.endBlockFailures(at: last).map { "\($0.stage): \($0.reason)" })")
        }

        // Supply.
        var total = UInt256.zero
        for address in universe { total += try ledger.account(address).balance }
        if total != ledger.head.totalSupply {
            violation("balances of all reachable accounts add up to \(total), the total supply is \(ledger.head.totalSupply)")
        }

        // Rewarding owes only known addresses, and no more than it holds.
        let rewardingBalance = try ledger.account(RewardingABI.address).balance
        let fund = uint(try read(RewardingABI.address, RewardingABI.fund, [])?.first)
        var owed = UInt256.zero
        for address in universe {
            owed += uint(try read(RewardingABI.address, RewardingABI.unclaimed, [.address(address)])?.first)
        }
        if owed + fund != rewardingBalance, owed > rewardingBalance || !fund.isZero {
            violation("Rewarding holds \(rewardingBalance): fund \(fund) + unclaimed \(owed) of known addresses differ")
        }

        // Staking holds its buckets, devices their stakes, projects their pools. Summing every
        // bucket, device and project each block would grow with the run, so past 500 of them it
        // is done every n / 500 blocks.
        let books = bucketIDs.count + Int(projectCount) + devices.count
        guard books <= 500 || report.blocks % (books / 500 + 1) == 0 else { return }
        // Devices hold their stakes.
        let deviceCount = uint(try read(DeviceRegistryABI.address, DeviceRegistryABI.deviceCount, [])?.first)
        var deviceStakes = UInt256.zero
        var index = UInt256.zero
        while index < deviceCount {
            if case .address(let id)? = try read(DeviceRegistryABI.address, DeviceRegistryABI.deviceAt, [.uint(index)])?.first,
                let record = try read(DeviceRegistryABI.address, DeviceRegistryABI.device, [.address(id)])
            {
                deviceStakes += uint(record[8])
            }
            index += 1
        }
        let deviceBalance = try ledger.account(DeviceRegistryABI.address).balance
        if deviceStakes > deviceBalance { violation("DeviceRegistry holds \(deviceBalance) but its devices' stakes add up to \(deviceStakes)") }

        var staked = UInt256.zero
        var live: [UInt64] = []
        for id in bucketIDs {
            guard let bucket = try read(StakingABI.address, StakingABI.bucket, [.uint(UInt256(id))]) else { continue }
            staked += uint(bucket[2])
            live.append(id)
        }
        bucketIDs = live  // withdrawn buckets are gone for good
        let stakingBalance = try ledger.account(StakingABI.address).balance
        if staked > stakingBalance { violation("Staking holds \(stakingBalance) but its buckets add up to \(staked)") }

        // Projects hold their pools and bonds.
        var held = UInt256.zero
        if projectCount > 0 {
            for id in 1...projectCount {
                if let project = try read(ProjectRegistryABI.address, ProjectRegistryABI.project, [.uint(UInt256(id))]) {
                    held += uint(project[7])
                }
            }
        }
        for address in universe {
            held += uint(try read(ProjectRegistryABI.address, ProjectRegistryABI.bondOf, [.address(address)])?.first)
        }
        let registryBalance = try ledger.account(ProjectRegistryABI.address).balance
        if held > registryBalance { violation("ProjectRegistry holds \(registryBalance) but pools and bonds add up to \(held)") }
    }

    /// MachineFi payouts by the rules: a result leaves `pending` only once its challenge period
    /// has ended (or a challenge reverted it), and a paid result pays exactly the project's
    /// reward per result, once.
    func checkResults() throws {
        let now = ledger.headHeader.timestamp
        for (id, reward) in pendingResults.sorted(by: { $0.key < $1.key }) {
            guard let r = try read(ProjectRegistryABI.address, ProjectRegistryABI.result, [.uint(UInt256(id))]) else {
                violation("result \(id) was posted but cannot be read")
                pendingResults[id] = nil
                continue
            }
            let status = uint(r[9]).l0, paid = uint(r[10]), challengeEndsAt = uint(r[8]).l0
            guard status != 0 else {
                if !paid.isZero { violation("pending result \(id) has paid \(paid)") }
                continue
            }
            pendingResults[id] = nil
            if status != 4, challengeEndsAt > now {
                violation("result \(id) settled at \(now), before its challenge period ended at \(challengeEndsAt)")
            }
            if status == 1, paid != reward { violation("result \(id) paid \(paid), its project promised \(reward)") }
            if status != 1, !paid.isZero { violation("result \(id) with status \(status) paid \(paid)") }
        }
    }

    /// Rewards by the reference model.
    func checkRewards(before: [Address: [UInt256]], producer: Address, epoch: UInt64) throws {
        let p = genesis.parameters
        let seats = seatRewards[epoch] ?? [:]
        var blockPaid = UInt256.zero, epochPaid = UInt256.zero, bonusPaid = UInt256.zero
        for address in universe {
            let old = before[address] ?? [], new = try rewardRecord(epoch: epoch, address)
            guard old.count == 3, new.count == 3 else { continue }
            let (block, epochReward, bonus) = (new[0] - old[0], new[1] - old[1], new[2] - old[2])
            blockPaid += block
            epochPaid += epochReward
            bonusPaid += bonus
            if !block.isZero, seats[producer] != address {
                violation("block reward \(block) went to \(address.checksummed); the seat of producer \(producer.checksummed) pays \(seats[producer]?.checksummed ?? "nobody")")
            }
            if !(epochReward + bonus).isZero, !seats.values.contains(address) {
                violation("epoch reward \(epochReward) and bonus \(bonus) went to \(address.checksummed), no seat of epoch \(epoch) pays it")
            }
        }
        if blockPaid > p.blockReward.value { violation("\(blockPaid) paid as block rewards in one block") }
        if epochPaid > p.epochReward.value { violation("\(epochPaid) paid as epoch rewards in one block") }
        if bonusPaid > p.foundationBonus.value * UInt256(UInt64(max(p.foundationBonusDelegates, 0))) {
            violation("\(bonusPaid) paid as foundation bonuses in one block")
        }
    }

    /// Builds the block with the calls before `index` and with them and call `index` (which
    /// reverted): the two must differ only in the sender's balance (its gas) and nonce.
    func checkRefusal(_ commit: BlockCommit, index: Int, producer: Address, epoch: UInt64) throws {
        let txs = commit.block.transactions
        let without = try ledger.buildBlock(candidates: Array(txs[..<index]), producer: producer, timestamp: time, epoch: epoch)
        let with = try ledger.buildBlock(candidates: Array(txs[...index]), producer: producer, timestamp: time, epoch: epoch)
        report.refusalsChecked += 1
        guard with.excluded.isEmpty, without.excluded.isEmpty, let receipt = with.commit.receipts.last, !receipt.succeeded else {
            violation("rebuilding a block around reverted call \(index) did not reproduce it")
            return
        }
        let sender = txs[index].sender
        func storage(_ c: BlockCommit) -> [String] { c.storage.map { "\($0.address) \($0.slot) \($0.value.map { Hex.encode($0) } ?? "-")" }.sorted() }
        if storage(with.commit) != storage(without.commit) {
            violation("a reverted call changed contract storage: \(receipt.failureReason ?? "")")
        }
        var others: [Address: Account?] = [:]
        for change in without.commit.accounts { others[change.address] = change.account }
        for change in with.commit.accounts {
            let old: Account
            if let entry = others.removeValue(forKey: change.address) { old = entry ?? Account() } else { old = try ledger.account(change.address) }
            let new = change.account ?? Account()
            if change.address == sender {
                let gas = UInt256(receipt.gasUsed) * receipt.effectiveGasPrice
                if new.nonce != old.nonce + 1 || old.balance < new.balance || old.balance - new.balance != gas {
                    violation("a reverted call took more than its gas from its sender: \(receipt.failureReason ?? "")")
                }
            } else if new != old {
                violation("a reverted call changed account \(change.address.checksummed): \(receipt.failureReason ?? "")")
            }
        }
        for (address, _) in others.sorted(by: { $0.key < $1.key }) where address != sender {
            violation("a reverted call undid a change to \(address.checksummed)")
        }
    }

    /// Calls view functions with random arguments: each answers or reverts, never fails the node.
    func callViews(count: Int) throws {
        let contracts = SystemContracts.standard(genesis).all
        for _ in 0..<count {
            let contract = contracts[random.below(contracts.count)]
            let views = contract.functions.filter { !$0.mutating }
            guard !views.isEmpty else { continue }
            let function = views[random.below(views.count)]
            let args = function.abi.inputs.map { value(for: $0, name: "") }
            report.viewCalls += 1
            let data = try function.abi.encodeCall(args)
            if case .success(let output) = try ledger.call(from: actors[0].address, to: contract.address, data: data) {
                do { _ = try function.abi.decodeOutput(output) } catch {
                    violation("\(contract.name).\(function.name) answered output its ABI cannot decode")
                }
            }
        }
    }
}
