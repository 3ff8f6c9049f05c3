import MoteConsensus
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

/// Safety and liveness of `ConsensusStateMachine` over many seeded simulated networks.
@Suite struct ConsensusSimulationTests {
    static let seeds: [UInt64] = Array(1...50)
    static let heights: UInt64 = 20

    /// 4 honest nodes decide the same block at every height.
    @Test func honestNodesAgree() {
        var messages = 0
        for seed in Self.seeds {
            let sim = Simulation(Simulation.Settings(seed: seed))
            sim.run(untilHeight: Self.heights)
            for node in sim.nodes {
                #expect(node.committedHeight >= Self.heights, "seed \(seed): node \(node.index) at \(node.committedHeight)")
                #expect(node.evidence.isEmpty, "seed \(seed): evidence among honest nodes")
            }
            #expect(sim.disagreements().isEmpty, "seed \(seed): disagreement at \(sim.disagreements())")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed)")
            for (height, certificate) in sim.nodes[0].certificates {
                #expect(certificate.height == height)
                #expect(throws: Never.self) { try certificate.verify(validators: sim.validators, chainID: 4690) }
            }
            messages += sim.deliveredMessages
        }
        print("consensus simulation: \(Self.seeds.count) seeds × honest (\(Self.heights) heights, \(messages) messages) passed")
    }

    /// 1 of 4 nodes crashed from the start: the other three still decide, and agree.
    @Test func oneCrashedNodeKeepsLiveness() {
        for seed in Self.seeds {
            let sim = Simulation(Simulation.Settings(seed: seed, behaviours: [Int(seed % 4): .crashed]))
            sim.run(untilHeight: Self.heights)
            for node in sim.honestNodes {
                #expect(node.committedHeight >= Self.heights, "seed \(seed): node \(node.index) at \(node.committedHeight)")
            }
            #expect(sim.disagreements().isEmpty, "seed \(seed)")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed)")
        }
        print("consensus simulation: \(Self.seeds.count) seeds × one crashed node passed")
    }

    /// 1 of 4 nodes equivocates (two proposals, conflicting votes to different halves):
    /// honest nodes never decide different blocks, and record evidence against it only.
    @Test func equivocatorCannotBreakSafety() {
        var evidenceCount = 0
        for seed in Self.seeds {
            let byzantine = Int(seed % 4)
            let sim = Simulation(Simulation.Settings(seed: seed, behaviours: [byzantine: .equivocating]))
            sim.run(untilHeight: Self.heights)
            #expect(sim.disagreements().isEmpty, "seed \(seed): honest nodes disagree at \(sim.disagreements())")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed)")
            for node in sim.honestNodes {
                #expect(node.committedHeight >= Self.heights, "seed \(seed): node \(node.index) at \(node.committedHeight)")
                for evidence in node.evidence {
                    #expect(evidence.offender == sim.validators.producers[byzantine])
                    #expect(throws: Never.self) { try evidence.verify(chainID: 4690) }
                }
                evidenceCount += node.evidence.count
            }
            let recorded = sim.honestNodes.contains { !$0.evidence.isEmpty }
            #expect(recorded, "seed \(seed): no honest node recorded double-sign evidence")
            // Evidence recorded once per slot per node.
            for node in sim.honestNodes {
                #expect(Set(node.evidence.map { [$0.first.height, UInt64($0.first.round), UInt64($0.first.kind.rawValue)] }).count == node.evidence.count)
            }
        }
        print("consensus simulation: \(Self.seeds.count) seeds × equivocating node passed (\(evidenceCount) evidence records)")
    }

    /// 1 of 4 nodes signs a vote for every block it has seen proposed and has a fast link,
    /// while honest messages take up to 4× the base timeouts and 10% are lost (so rounds fail
    /// and nodes lock on different blocks): honest nodes still never decide different blocks,
    /// and keep deciding. (This random adversary rarely lines up the exact fork a broken lock
    /// rule allows; `ConsensusStateMachineTests` pins the lock rules one event at a time.)
    @Test func amplifyingByzantineCannotFork() {
        for seed in Self.seeds {
            let byzantine = Int(seed % 4)
            var settings = Simulation.Settings(seed: seed, behaviours: [byzantine: .amplifying])
            settings.maxDelay = 600
            settings.dropRate = 0.1
            settings.fastByzantine = true
            let sim = Simulation(settings)
            sim.run(untilHeight: 10, deadline: 1_200_000)
            #expect(sim.disagreements().isEmpty, "seed \(seed): honest nodes disagree at \(sim.disagreements())")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed)")
            for node in sim.honestNodes {
                #expect(node.committedHeight >= 10, "seed \(seed): node \(node.index) at \(node.committedHeight)\n\(sim.describe())")
                for evidence in node.evidence { #expect(evidence.offender == sim.validators.producers[byzantine]) }
            }
        }
        print("consensus simulation: \(Self.seeds.count) seeds × amplifying byzantine node on a slow network passed")
    }

    /// A 2|2 partition: no side has more than 2/3, so nothing is decided while it lasts;
    /// once it heals decisions resume, and everyone agrees.
    @Test func partitionHaltsThenHeals() {
        let from: Int64 = 3_000, until: Int64 = 15_000, grace: Int64 = 4_000
        for seed in Self.seeds {
            let sim = Simulation(Simulation.Settings(
                seed: seed, partition: Simulation.Partition(sideA: [0, 1], from: from, until: until)))
            sim.run(until: until)
            let atHeal = sim.nodes.map(\.committedHeight).max()!
            for node in sim.nodes {
                let during = node.decisionTimes.filter { $0.value >= from + grace && $0.value < until }
                #expect(during.isEmpty, "seed \(seed): node \(node.index) decided \(during.keys.sorted()) during the partition")
            }
            sim.run(untilHeight: atHeal + 5, deadline: until + 120_000)
            for node in sim.nodes {
                #expect(node.committedHeight >= atHeal + 5, "seed \(seed): node \(node.index) stuck at \(node.committedHeight)")
            }
            #expect(sim.disagreements().isEmpty, "seed \(seed)")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed)")
        }
        print("consensus simulation: \(Self.seeds.count) seeds × 2|2 partition passed")
    }

    /// The whole network crashes (every node, at random moments within 400 ms, a third of
    /// them in the middle of committing a block) and restarts, three times per seed over 200
    /// seeds. Blocks are real here: a proposer after a restart must build on the certificate
    /// it stored with its head, a locked node must still hold its block's body and the proof
    /// of its lock, and a decision interrupted before its commit must finish. After every
    /// cycle the network decides again, within 10 s of the last node coming back, in
    /// agreement and without a double signature.
    @Test func wholeNetworkCrashesAndRestartsAlwaysResume() {
        let cycles = 3, every: Int64 = 4_000, spread: Int64 = 400
        var midCommit = 0, crashes = 0
        for seed: UInt64 in 1...200 {
            var settings = Simulation.Settings(seed: seed)
            settings.crashes = Simulation.WholeNetworkCrashes(cycles: cycles, every: every, spread: spread)
            let sim = Simulation(settings)
            var resumed = true
            for cycle in 1...cycles {
                // Through the crashes and restarts of this cycle.
                sim.run(until: Int64(cycle) * every + spread + 1_000)
                let before = sim.nodes.map(\.committedHeight).max()!
                let lastStart = sim.nodes.map(\.startedAt).max()!
                sim.run(until: Int64(cycle + 1) * every - 1)
                // Progress after the restarts, by every node, within 10 s of the last start.
                for node in sim.nodes {
                    let decidedAfter = node.decisionTimes.filter { $0.key > before }.values.min()
                    if decidedAfter == nil || decidedAfter! > lastStart + 10_000 {
                        resumed = false
                        Issue.record("seed \(seed) cycle \(cycle): node \(node.index) decided nothing after the restart (at \(node.committedHeight))\n\(sim.describe())")
                    }
                }
            }
            let target = sim.nodes.map(\.committedHeight).max()! + 3
            sim.run(untilHeight: target, deadline: sim.now + 10_000)
            for node in sim.nodes {
                #expect(node.committedHeight >= target, "seed \(seed): node \(node.index) at \(node.committedHeight)\n\(sim.describe())")
                crashes += node.crashes
            }
            #expect(sim.disagreements().isEmpty, "seed \(seed): disagreement at \(sim.disagreements())")
            #expect(sim.doubleSigns().isEmpty, "seed \(seed): \(sim.doubleSigns())")
            midCommit += sim.midCommitCrashes
            if !resumed { break }
        }
        #expect(midCommit > 0)
        print("consensus simulation: 200 seeds × \(cycles) whole-network crash/restart cycles passed (\(crashes) node crashes, \(midCommit) mid-commit)")
    }
}
