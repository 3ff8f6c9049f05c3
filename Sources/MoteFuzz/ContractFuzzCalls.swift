import MoteChain
import MoteConsensus
import MoteContracts
import MoteCrypto
import MoteLedger
import MotePrimitives
import MoteTelemetry

/// The calls the contract fuzzer sends: any mutating function of any system contract, with
/// arguments drawn by parameter name and type — mostly things that exist (candidates, buckets,
/// devices, projects, results, keys) and valid proofs, often someone else's (a hostile actor
/// names genesis operators, other actors' devices and proofs made for other senders), and
/// boundary numbers (0, 1, type maxima, 2^256 − 1).
extension ContractFuzzer {
    struct Call {
        var to: Address
        var value: UInt256
        var data: [UInt8]
        var gas: UInt64
    }

    /// A tiny real WebAssembly applet: its result is one byte, the number of messages.
    public static let messageCountApplet: [UInt8] =
        [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x02, 0x2a, 0x02,
         0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0d] + Array("message_count".utf8) + [0x00, 0x00, 0x04, 0x6d, 0x6f, 0x74, 0x65, 0x0c]
        + Array("write_result".utf8) + [0x00, 0x01, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x10, 0x02, 0x03, 0x72, 0x75,
         0x6e, 0x00, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x0a, 0x13, 0x01, 0x11, 0x00, 0x41, 0x00, 0x10, 0x00, 0x3a,
         0x00, 0x00, 0x41, 0x00, 0x41, 0x01, 0x10, 0x01, 0x41, 0x00, 0x0b]

    var isHostile: Bool { currentActor >= actors.count / 2 }

    /// The next call for actor `actor`.
    func nextCall(actor: Int) -> Call {
        currentActor = actor
        // One device and one witness key per call, so keys, ids and proofs fit together (mostly).
        let recent = recentDevices
        currentDevice = isHostile || random.oneIn(4) ? recent.lowerBound + random.below(recent.count)
            : (recent.filter { devices[$0].holder == actor }.randomElement(using: &random) ?? recent.lowerBound)
        if !isHostile, random.oneIn(2) {
            let owned = deviceOwners.filter { $0.value == actors[actor].address }.keys.sorted()
            if !owned.isEmpty, let index = deviceIndex[owned[random.below(owned.count)]] { currentDevice = index }
        }
        if !joinedProjects.isEmpty, random.oneIn(2) {
            currentProject = joinedProjects[random.below(joinedProjects.count)]
        } else {
            currentProject = projectIDs.isEmpty || random.oneIn(8) ? UInt64(random.below(Int(projectCount) + 2)) : projectIDs[random.below(projectIDs.count)]
        }
        if let members = projectMembers[currentProject], !random.oneIn(4), let index = deviceIndex[members[random.below(members.count)]] {
            currentDevice = index
        }
        currentWitnessKey = isHostile || random.oneIn(4) || actor >= witnessKeys.count ? random.below(witnessKeys.count) : actor
        let (contract, function) = drawFunction()
        currentFunction = function.name
        let args = zip(function.abi.inputs, function.inputNames).map { value(for: $0.0, name: $0.1) }
        let data = (try? function.abi.encodeCall(args)) ?? function.abi.selector
        var sent = UInt256.zero
        if function.payable || random.oneIn(25) { sent = amount(for: function.name) }
        let gas: UInt64 = ["createProject", "challengeResult", "submitAttestations"].contains(function.name) ? 20_000_000 : 3_000_000
        return Call(to: contract.address, value: sent, data: random.oneIn(200) ? Array(data.prefix(random.below(data.count + 1))) : data, gas: gas)
    }

    /// How often each function is drawn relative to the others (1 unless named): the calls
    /// that build state (candidates, stakes, devices, projects, results) more often, so runs
    /// reach deep states; every mutating function of every contract is drawn.
    static let weights: [String: Int] = [
        "registerCandidate": 4, "updateCandidate": 3, "createStake": 6, "unstake": 3, "withdrawStake": 3, "restake": 2,
        "changeCandidate": 2, "reportDoubleSign": 2, "registerDevice": 6, "claimDevice": 2, "preRegisterDevice": 2,
        "revokeDevice": 2, "createProject": 4, "joinProject": 6, "leaveProject": 2, "depositBond": 3, "postResult": 10,
        "settleResult": 3, "challengeResult": 3, "setPoster": 4, "joinAsDevice": 3, "joinAsNode": 2, "claim": 3, "claimFor": 2,
    ]

    func drawFunction() -> (any SystemContract, SystemFunction) {
        let choices = SystemContracts.standard(genesis).all.flatMap { contract in
            contract.functions.filter(\.mutating).map { (contract, $0, Self.weights[$0.name] ?? 1) }
        }
        var ticket = random.below(choices.reduce(0) { $0 + $1.2 })
        for choice in choices {
            if ticket < choice.2 { return (choice.0, choice.1) }
            ticket -= choice.2
        }
        return (choices[0].0, choices[0].1)
    }

    /// What to send with a call of `function`.
    func amount(for function: String) -> UInt256 {
        let p = genesis.parameters
        let m = Self.mote
        switch random.below(10) {
        case 0: return .zero
        case 1: return UInt256(UInt64(1 + random.below(1_000)))
        case 2: return random.oneIn(2) ? UInt256.max : m * 2_000_000  // more than anyone has
        default: break
        }
        switch function {
        case "registerCandidate": return p.registrationFee.value + p.minSelfStake.value + m * UInt256(UInt64(random.below(3) * 100))
        case "createStake", "depositToStake": return p.minStakeAmount.value * UInt256(UInt64(1 + random.below(500)))
        case "registerDevice", "claimDevice": return random.oneIn(4) ? p.deviceActivationFee.value + 1 : p.deviceActivationFee.value
        case "depositBond": return p.minimumOperatorBond.value * UInt256(UInt64(1 + random.below(3)))
        case "challengeResult": return p.challengeDeposit.value
        case "createProject", "fundProject": return m * UInt256(UInt64(1 + random.below(200)))
        default: return m * UInt256(UInt64(1 + random.below(50)))
        }
    }

    /// An argument of `type` for the parameter called `name`.
    func value(for type: ABIType, name: String) -> ABIValue {
        switch type {
        case .address: return .address(address(named: name))
        case .bool: return .bool(random.oneIn(2))
        case .string: return .string(string(named: name))
        case .bytes: return .bytes(bytes(named: name))
        case .fixedBytes(let n): return .fixedBytes(fixedBytes(n, named: name))
        case .uint(let bits): return .uint(number(bits: bits, named: name))
        case .int(let bits): return .int(number(bits: bits - 1, named: name))
        case .array(let element):
            return .array((0..<random.below(4)).map { _ in value(for: element, name: name) })
        case .fixedArray(let element, let k): return .array((0..<k).map { _ in value(for: element, name: name) })
        case .tuple(let components): return .tuple(components.map { value(for: $0, name: name) })
        }
    }

    func pick<T>(_ items: [T]) -> T { items[random.below(items.count)] }

    func address(named name: String) -> Address {
        if name == "deviceId" || name == "witnessId", !random.oneIn(8) {
            return name == "witnessId" && random.oneIn(2) ? actors[currentActor].address : devices[currentDevice].key.publicKey.deviceID
        }
        if name == "operatorAddress" {
            currentOperator = operatorAddress()
            return currentOperator
        }
        if name == "operatorAddress" || name == "rewardAddress", !isHostile, !random.oneIn(5) { return actors[currentActor].address }
        switch random.below(12) {
        case 0: return .zero
        case 1: return pick(genesisOperators)
        case 2: return pick(genesisRewards)
        case 3: return pick(bystanders)
        case 4: return SystemAddresses.reserved(UInt16(1 + random.below(6)))
        case 5: return pick(valueDeviceIDs)
        default: return pick(actors).address
        }
    }

    /// An operator for a candidacy: mostly the caller itself or the actor whose key consents to
    /// sign for the caller (actor i's key signs for actor i + 1); hostile actors also name
    /// genesis operators and anyone else.
    func operatorAddress() -> Address {
        if isHostile, random.oneIn(2) { return random.oneIn(2) ? pick(genesisOperators) : pick(actors).address }
        switch random.below(5) {
        case 0, 1: return actors[currentActor].address
        case 2: return actors[(currentActor + actors.count - 1) % actors.count].address
        default: return address(named: "")
        }
    }

    /// The only owner an actor's operator key ever consents to sign for (besides itself).
    func consentedOwner(ofOperator op: Address) -> Address? {
        guard let i = actors.firstIndex(where: { $0.address == op }) else { return nil }
        return actors[(i + 1) % actors.count].address
    }

    func string(named name: String) -> String {
        switch random.below(10) {
        case 0: return ""
        case 1: return String(repeating: "x", count: 21 + random.below(80))
        case 2: return "Ünïcode ✓ \(random.below(10))"
        default: break
        }
        if name == "candidate" || name == "name", currentFunction != "createProject", currentFunction != "register", currentFunction != "update" {
            let registering = currentFunction == "registerCandidate" || currentFunction == "updateCandidate"
            return registering || candidateNames.isEmpty || random.oneIn(6) ? "c\(currentActor)-\(random.below(3))" : pick(candidateNames)
        }
        return "\(name)-\(random.below(100))"
    }

    func bytes(named name: String) -> [UInt8] {
        let chainID = random.oneIn(12) ? Self.chainID + 1 : Self.chainID
        switch name {
        case "publicKey":
            return random.oneIn(6) ? randomBytes(random.below(70)) : devices[currentDevice].key.publicKey.bytes
        case "proof":
            let device = random.oneIn(8) ? devices[recentDevices.lowerBound + random.below(recentDevices.count)] : devices[currentDevice]
            // Only the key's holder signs, and for itself: anyone else can only replay what it signed.
            let claimant = actors[device.holder].address
            let action: DeviceClaim.Action = switch currentFunction {
            case "claimDevice": random.oneIn(6) ? .register : .claim
            case "preRegisterDevice": random.oneIn(6) ? .claim : .preRegister
            default: random.oneIn(6) ? .claim : .register
            }
            return random.oneIn(8) ? randomBytes(64) : DeviceClaim.proof(action, by: device.key, chainID: chainID, claimant: claimant)
        case "possession":
            let key = random.oneIn(8) ? pick(witnessKeys) : witnessKeys[currentWitnessKey]
            let id = (currentFunction == "joinAsDevice") != random.oneIn(8) ? devices[currentDevice].key.publicKey.deviceID : actors[currentActor].address
            // The key's holder (actor i holds witness key i) signs for itself.
            let owner = actors[(witnessKeys.firstIndex { $0.publicKey.bytes == key.publicKey.bytes } ?? 0) % actors.count].address
            return random.oneIn(8) ? randomBytes(64) : WitnessPoolContract.possessionProof(key: key, chainID: chainID, witnessID: id, owner: owner)
        case "evidence":
            // Real double-sign evidence by an operator key the run holds (an actor's or a genesis node's).
            let signer = random.oneIn(3) ? pick(genesisOperatorKeys) : pick(actors)
            let height = random.oneIn(8) ? random.next() : UInt64(random.below(Int(ledger.head.height) + 3))
            let a = Vote(kind: .precommit, height: height, round: 0, blockHash: Keccak256.hash(utf8: "a \(random.next())"), chainID: chainID, signingWith: signer)
            let b = Vote(kind: .precommit, height: height, round: 0, blockHash: Keccak256.hash(utf8: "b \(random.next())"), chainID: chainID, signingWith: signer)
            guard !random.oneIn(10), let evidence = try? DoubleSignEvidence(a, b) else { return randomBytes(random.below(300)) }
            return evidence.encoded()
        case "operatorProof":
            // Made only by the operator key's holder, for the one owner it consents to; others replay it.
            guard !random.oneIn(6), let key = actors.first(where: { $0.address == currentOperator }),
                let owner = consentedOwner(ofOperator: currentOperator)
            else { return random.oneIn(2) ? [] : randomBytes(65) }
            return OperatorProof.proof(by: key, chainID: chainID, owner: owner)
        case "applet":
            return random.oneIn(5) ? randomBytes(random.below(40)) : Self.messageCountApplet
        case "result":
            return random.oneIn(6) ? randomBytes(random.below(300)) : [UInt8(random.below(3))]
        default:
            return randomBytes(random.oneIn(10) ? random.below(2_000) : random.below(40))
        }
    }

    func fixedBytes(_ n: Int, named name: String) -> [UInt8] {
        if name == "witnessKey", n == 32, !random.oneIn(6) { return witnessKeys[currentWitnessKey].publicKey.bytes }
        return random.oneIn(4) ? [UInt8](repeating: 0, count: n) : randomBytes(n)
    }

    func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }

    func number(bits: Int, named name: String) -> UInt256 {
        let max = bits >= 256 ? UInt256.max : (UInt256(1) << bits) - 1
        switch random.below(14) {
        case 0: return .zero
        case 1: return max
        case 2: return max - 1
        case 3: return UInt256(random.next()) & max
        default: break
        }
        let n: UInt64
        switch name {
        case "bucket", "id":
            n = bucketIDs.isEmpty || random.oneIn(6) ? UInt64(random.below(5)) : pick(bucketIDs)
        case "projectId": n = currentProject
        case "resultId": n = UInt64(random.below(Int(resultCount) + 2))
        case "duration": n = UInt64(random.below(Int(genesis.parameters.maxStakeDays) + 3))
        case "voterShareBps": n = UInt64(random.below(10_002))
        case "curve": n = random.oneIn(8) ? UInt64(random.below(5)) : UInt64(devices[currentDevice].key.curve.rawValue)
        case "days": n = UInt64(random.below(40))
        case "window":
            // Mostly the last few windows of the project; sometimes 1970, far back or ahead.
            let width = Swift.max(projects[currentProject]?.windowSeconds ?? UInt64(pick([60, 3_600, 86_400] as [Int])), 1)
            n = random.oneIn(5) ? UInt64(random.below(10)) : (time / width) &- UInt64(random.below(4)) &+ (random.oneIn(6) ? 2 : 0)
        case "windowSeconds": n = pick([60, 3_600, 86_400, 1, 366 * 86_400 + 1] as [UInt64])
        case "challengeSeconds": n = pick([1, 60, 3_600, 7_200, 31 * 86_400] as [UInt64])
        case "messageCount": n = UInt64(random.below(6))
        case "amount": return random.oneIn(2) ? .zero : Self.mote * UInt256(UInt64(random.below(20))) & max
        case "rewardPerResult": return Self.mote * UInt256(UInt64(random.below(20))) & max
        case "epoch": n = UInt64(random.below(Int(ledger.head.height / genesis.parameters.epochLength) + 3))
        case "height": n = UInt64(random.below(Int(ledger.head.height) + 3))
        default: n = UInt64(random.below(8))
        }
        return UInt256(n) & max
    }
}
