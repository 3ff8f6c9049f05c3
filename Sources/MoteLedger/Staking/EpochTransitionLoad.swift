import MoteChain
import MoteContracts
import MoteCrypto
import MotePrimitives
import MoteStorage

/// A chain state with many candidates and witnesses, for measuring the end of an epoch
/// (`mote bench epoch`) and for the tests that bound its cost. The records are made by the
/// same code that transactions run — `registerCandidate` and `createStake` through the
/// Staking contract, `register` through the NodeRegistry, the witness pool's `add` — only the
/// witness key's possession proof is skipped (its check leaves nothing in the state).
package final class EpochTransitionLoad {
    package let genesis: Genesis
    let ledger: Ledger
    let state: WorldState
    /// The last height whose end of block has run.
    package private(set) var height: UInt64 = 0

    /// The default parameters with 24 genesis delegates, or `genesis`.
    package init(genesis: Genesis? = nil) throws(LedgerError) {
        let genesis = genesis ?? {
            let delegates = (0..<24).map { i in
                Genesis.Delegate(
                    name: "genesis-\(i)", operatorAddress: Address(suffixOf: Keccak256.hash(utf8: "load genesis operator \(i)")),
                    rewardAddress: Address(suffixOf: Keccak256.hash(utf8: "load genesis reward \(i)")))
            }
            return Genesis(
                chainID: 4_689, timestamp: 1_000, gasLimit: 30_000_000, baseFee: 0,
                allocations: [(RewardingABI.address, ProtocolParameters.mote * 1_000_000_000)], delegates: delegates)
        }()
        self.genesis = genesis
        ledger = try Ledger(store: InMemoryChainStore(), genesis: genesis)
        state = ledger.headState()
    }

    private func context(caller: Address, value: UInt256 = .zero, contract: Address) -> SystemCallContext {
        SystemCallContext(
            caller: caller, value: value, height: height + 1, timestamp: genesis.timestamp + height + 1, canWrite: true,
            address: contract, state: state, gasLimit: .max, parameters: genesis.parameters)
    }

    private func call(
        _ contract: any SystemContract, _ function: SystemFunction, _ arguments: [ABIValue], from caller: Address, value: UInt256 = .zero
    ) throws(LedgerError) {
        // What the transaction's value transfer would have done.
        if !value.isZero { try state.modify(contract.address) { $0.balance += value } }
        do throws(SystemContractRevert) {
            _ = try contract.call(function, arguments: arguments, context: context(caller: caller, value: value, contract: contract.address))
        } catch {
            throw LedgerError(.storage("\(function.name): \(error.reason)"))
        }
    }

    /// Registers `count` candidates (owner, operator and reward addresses from `seed`), each
    /// with a self-stake between the minimum and 10× it and a lock of 0…1050 days, and a
    /// vote from another account for every `votedEvery`-th; the first `onProbation` go on
    /// probation as unproductive producers would.
    package func addCandidates(_ count: Int, seed: UInt64 = 1, votedEvery: Int = 3, onProbation: Int = 0) throws(LedgerError) {
        let p = genesis.parameters
        let staking = StakingContract(genesis: genesis)
        var rng = LoadRandom(seed: seed)
        for i in 0..<count {
            let owner = Address(suffixOf: Keccak256.hash(utf8: "load candidate \(seed) \(i)"))
            let operatorKey: Secp256k1.PrivateKey
            do { operatorKey = try Secp256k1.PrivateKey(bytes: Keccak256.hash(utf8: "load operator \(seed) \(i)").bytes) } catch {
                throw LedgerError(.storage("operator key \(i): \(error)"))
            }
            let op = operatorKey.address
            let proof = OperatorProof.proof(by: operatorKey, chainID: genesis.chainID, owner: owner)
            let selfStake = p.minSelfStake.value * UInt256(1 + rng.next() % 10)
            try call(staking, StakingABI.registerCandidate, [
                .string("c\(seed)-\(i)"), .address(op), .address(owner), .uint(UInt256(rng.next() % (UInt64(p.maxStakeDays) + 1))), .bool(rng.next() % 2 == 0),
                .uint(UInt256(rng.next() % 10_001)), .bytes(proof),
            ], from: owner, value: p.registrationFee.value + selfStake)
            if votedEvery > 0, i % votedEvery == 0 {
                let voter = Address(suffixOf: Keccak256.hash(utf8: "load voter \(seed) \(i)"))
                try call(staking, StakingABI.createStake, [.string("c\(seed)-\(i)"), .uint(UInt256(rng.next() % (UInt64(p.maxStakeDays) + 1))), .bool(false)],
                         from: voter, value: p.minStakeAmount.value * UInt256(1 + rng.next() % 1_000))
            }
            if i < onProbation {
                let book = StakingBook(context(caller: .zero, contract: StakingABI.address), parameters: p)
                do throws(SystemContractRevert) {
                    try book.storage.setUInt64(StakingBook.probationSlot(owner), 1 + p.probationEpochs)
                } catch { throw LedgerError(.storage(error.reason)) }
            }
        }
    }

    /// Adds `count` node witnesses: each stands as a candidate of its own (its own operator,
    /// `minSelfStake`: a node witness answers with stake), registers in the NodeRegistry and
    /// joins the pool with its own key and a reputation of 1…`maxReputation`.
    package func addWitnesses(_ count: Int, seed: UInt64 = 1) throws(LedgerError) {
        let p = genesis.parameters
        let nodes = NodeRegistryContract(genesis: genesis)
        let staking = StakingContract(genesis: genesis)
        var rng = LoadRandom(seed: seed &+ 0x5eed)
        for i in 0..<count {
            let id = Address(suffixOf: Keccak256.hash(utf8: "load witness \(seed) \(i)"))
            try call(staking, StakingABI.registerCandidate, [
                .string("w\(seed)-\(i)"), .address(id), .address(id), .uint(0), .bool(false), .uint(0), .bytes([]),
            ], from: id, value: p.registrationFee.value + p.minSelfStake.value)
            try call(nodes, NodeRegistryABI.register, [.string("w\(i)"), .string("http://10.0.0.1:\(i % 60_000 + 1)")], from: id)
            let key = Keccak256.hash(utf8: "load witness key \(seed) \(i)").bytes
            let book = WitnessBook(context(caller: id, contract: WitnessPoolABI.address), genesis: genesis)
            do throws(SystemContractRevert) {
                try book.add(WitnessRecord(
                    id: id, kind: .node, key: key, owner: id, reputation: 1 + rng.next() % p.maxReputation, blacklistedUntil: 0,
                    joinedAt: height + 1, accepted: 0, incoherent: 0, earned: .zero, active: true))
                try book.bind(key: key, to: id)
            } catch { throw LedgerError(.storage("witness \(i): \(error.reason)")) }
        }
    }

    /// Runs the end of every block up to and including the last one of the current epoch, the
    /// epoch's first `numDelegates` delegates producing in turn (or `producer` alone);
    /// returns the gas the last one's context used (every storage read and write is metered).
    package func finishEpoch(producer: Address? = nil) throws -> UInt64 {
        let p = genesis.parameters
        let epoch = EpochTransition.epoch(ofHeight: height + 1, p)
        let producers = try delegates(ofEpoch: epoch).prefix(p.numDelegates).map(\.operatorAddress)
        var gas: UInt64 = 0
        let contracts = SystemContracts.standard(genesis)
        repeat {
            height += 1
            let info = EndBlockInfo(
                height: height, timestamp: genesis.timestamp + height, epoch: epoch, isLastOfEpoch: height % p.epochLength == 0,
                producer: producer ?? producers[Int(height % UInt64(producers.count))], producers: producers)
            let used = try EndBlockRunner.run(contracts, info, state: state, chain: NoChainHistory())
            gas = (used[StakingABI.address] ?? 0) &+ (used[WitnessPoolABI.address] ?? 0)
        } while height % p.epochLength != 0
        return gas
    }

    /// Moves to the block before the last of the current epoch without running the blocks
    /// between (their end-of-block work is what `finishEpoch` measures; the state does not
    /// depend on how many empty blocks came before).
    package func skipToEpochEnd() {
        let length = genesis.parameters.epochLength
        height = (height / length + 1) * length - 1
    }

    /// Reads what the end of an epoch used to read (every candidate's record, self-stake
    /// bucket, votes and probation; every witness's index entry, record and node registration),
    /// without its writes: a lower bound of the old cost, for comparison. Returns the records read.
    package func readEveryCandidateAndWitness() throws(LedgerError) -> Int {
        let context = context(caller: .zero, contract: StakingABI.address)
        let staking = StakingBook(context, parameters: genesis.parameters)
        let witnesses = WitnessBook(context, genesis: genesis)
        var read = 0
        do throws(SystemContractRevert) {
            for index in 0..<(try staking.candidateCount()) {
                guard let owner = try staking.candidateOwner(at: index), let candidate = try staking.candidate(owner) else { continue }
                _ = (try staking.selfStake(of: candidate), try staking.votes(of: owner), try staking.probationUntil(owner))
                read += 1
            }
            for index in 0..<(try witnesses.count()) {
                guard let id = try witnesses.witness(at: index), let witness = try witnesses.witness(id) else { continue }
                _ = try witnesses.hasStanding(witness)
                read += 1
            }
        } catch { throw LedgerError(.storage(error.reason)) }
        return read
    }

    /// The delegates stored for `epoch`.
    package func delegates(ofEpoch epoch: UInt64) throws(LedgerError) -> [ElectedDelegate] {
        do throws(SystemContractRevert) {
            return try EpochTransition.delegates(
                ofEpoch: epoch, book: StakingBook(context(caller: .zero, contract: StakingABI.address), parameters: genesis.parameters),
                genesis: genesis)
        } catch { throw LedgerError(.storage(error.reason)) }
    }
}

/// SplitMix64: the load's amounts and durations, the same on every run.
private struct LoadRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
