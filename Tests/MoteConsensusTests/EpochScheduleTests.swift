import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteConsensus

@Suite struct EpochScheduleTests {
    let schedule = EpochSchedule(epochLength: 10, numDelegates: 4, numCandidateDelegates: 6)
    let addresses = (0..<8).map { Address(suffixOf: Keccak256.hash(utf8: "delegate \($0)")) }

    @Test func epochBoundaries() {
        #expect(schedule.epoch(ofHeight: 0) == 0)
        #expect(schedule.epoch(ofHeight: 1) == 1)
        #expect(schedule.epoch(ofHeight: 10) == 1)
        #expect(schedule.epoch(ofHeight: 11) == 2)
        #expect(schedule.firstHeight(ofEpoch: 2) == 11)
        #expect(schedule.lastHeight(ofEpoch: 2) == 20)
        #expect(schedule.firstHeight(ofEpoch: 0) == 0)
        #expect(schedule.lastHeight(ofEpoch: 0) == 0)
    }

    /// Epoch numbers come from outside (`mote_epochSeed`, `mote_epoch`): none may trap, and an
    /// epoch past the last one whose heights fit a UInt64 has no checked heights.
    @Test func epochArithmeticNeverTraps() {
        for length: UInt64 in [1, 10, 720, 0x444444444444446, UInt64.max / 2, UInt64.max] {
            let schedule = EpochSchedule(epochLength: length, numDelegates: 1, numCandidateDelegates: 1)
            let last = schedule.lastRepresentableEpoch
            #expect(last == UInt64.max / length)
            #expect(schedule.checkedLastHeight(ofEpoch: last) == last * length)
            if last < UInt64.max { #expect(schedule.checkedLastHeight(ofEpoch: last + 1) == nil) }
            #expect(schedule.checkedFirstHeight(ofEpoch: last) == (last - 1) * length + 1)
            for epoch: UInt64 in [0, 1, 2, 0x444444444444446, 0x8000000000000000, 0xffffffffffffffff, last, last &+ 1] {
                let first = schedule.firstHeight(ofEpoch: epoch)
                let lastHeight = schedule.lastHeight(ofEpoch: epoch)
                #expect(first <= lastHeight)
                if let checked = schedule.checkedLastHeight(ofEpoch: epoch) { #expect(checked == lastHeight) } else { #expect(lastHeight == .max) }
                if let checked = schedule.checkedFirstHeight(ofEpoch: epoch) { #expect(checked == first) } else { #expect(first == .max) }
            }
        }
        let ten = EpochSchedule(epochLength: 10, numDelegates: 1, numCandidateDelegates: 1)
        // The epoch of the reproduction, with the devnet's 720-block epochs.
        let devnet = EpochSchedule(epochLength: 720, numDelegates: 1, numCandidateDelegates: 1)
        #expect(devnet.checkedLastHeight(ofEpoch: 0x444444444444446) == nil)
        #expect(devnet.lastHeight(ofEpoch: 0x444444444444446) == .max)
        #expect(devnet.checkedFirstHeight(ofEpoch: 0x444444444444446) == nil)
        #expect(ten.checkedLastHeight(ofEpoch: 0x444444444444446) == 0x2aaaaaaaaaaaaabc)
        #expect(ten.checkedFirstHeight(ofEpoch: 0x1999999999999999) == 0xfffffffffffffff1)
        #expect(ten.checkedFirstHeight(ofEpoch: 0x199999999999999a) == 0xfffffffffffffffb)
        #expect(ten.checkedFirstHeight(ofEpoch: 0x199999999999999b) == nil)
    }

    @Test func electionRanksByVotesThenAddress() {
        let candidates = addresses.enumerated().map { i, a in EpochSchedule.Candidate(address: a, votes: UInt256(UInt64(i % 3))) }
        var rng = SplitMix64(seed: 9)
        let delegates = schedule.delegates(from: candidates.shuffled(using: &rng))
        #expect(delegates.count == 6)
        let expected = candidates.sorted { $0.votes != $1.votes ? $0.votes > $1.votes : $0.address < $1.address }.prefix(6).map(\.address)
        #expect(delegates == Array(expected))
    }

    @Test func shuffleIsDeterministicAndDependsOnTheSeed() {
        let seedA = EpochSchedule.firstSeed(genesisHash: Keccak256.hash(utf8: "genesis"))
        let seedB = EpochSchedule.nextSeed(after: seedA, epoch: 1, vrfOutputs: [[1, 2, 3]])
        let a1 = schedule.producers(delegates: addresses, seed: seedA)
        let a2 = schedule.producers(delegates: addresses, seed: seedA)
        let b = schedule.producers(delegates: addresses, seed: seedB)
        #expect(a1 == a2)
        #expect(a1.count == 4)
        #expect(Set(a1).isSubset(of: Set(addresses)))
        #expect(a1 != b || EpochSchedule.shuffle(addresses, seed: seedA) != EpochSchedule.shuffle(addresses, seed: seedB))
        #expect(EpochSchedule.shuffle(addresses, seed: seedA).sorted() == addresses.sorted())
        // One changed VRF output changes the next seed.
        #expect(EpochSchedule.nextSeed(after: seedA, epoch: 1, vrfOutputs: [[1, 2, 4]]) != seedB)
    }

    @Test func shuffleIsRoughlyUniform() {
        var firsts: [Address: Int] = [:]
        for i in 0..<4_000 {
            let order = EpochSchedule.shuffle(Array(addresses.prefix(4)), seed: Keccak256.hash(utf8: "seed \(i)"))
            firsts[order[0], default: 0] += 1
        }
        for count in firsts.values { #expect(count > 800 && count < 1_200) }
    }

    @Test func proposerRotatesWithHeightAndRound() {
        let producers = Array(addresses.prefix(4))
        #expect(schedule.proposer(height: 5, round: 0, producers: producers) == producers[1])
        #expect(schedule.proposer(height: 5, round: 1, producers: producers) == producers[2])
        #expect(schedule.proposer(height: 7, round: 0, producers: producers) == producers[3])
        #expect(schedule.proposer(height: .max, round: .max, producers: producers) == producers[Int((UInt64.max % 4 + UInt64.max % 4) % 4)])
    }
}
