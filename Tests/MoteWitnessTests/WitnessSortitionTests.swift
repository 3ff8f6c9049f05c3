import MoteCrypto
import MotePrimitives
import MoteTestSupport
import MoteWitness
import Testing

/// The sortition's statistics and its proofs.
@Suite struct WitnessSortitionTests {
    /// A pool of devices with weights 1…4 and their keys.
    static let pool: [(key: ECVRF.SecretKey, weight: UInt64)] = (0..<40).map { i in
        (try! ECVRF.SecretKey(seed: Keccak256.hash(utf8: "witness \(i)").bytes), UInt64(1 + i % 4))
    }
    static let totalWeight = pool.reduce(0) { $0 + $1.weight }

    @Test func thresholdArithmeticIsExact() {
        let zero = [UInt8](repeating: 0, count: 64)
        let max = [UInt8](repeating: 0xff, count: 64)
        #expect(WitnessSortition.isAssigned(beta: zero, weight: 1, totalWeight: 100, expected: 1))
        #expect(!WitnessSortition.isAssigned(beta: max, weight: 1, totalWeight: 100, expected: 1))
        #expect(WitnessSortition.isAssigned(beta: max, weight: 50, totalWeight: 100, expected: 2), "a probability of 1 assigns always")
        // u just below and just above 1/4 with e·w/W = 1/4.
        var below = [UInt8](repeating: 0, count: 64)
        below[0] = 0x3f
        for i in 1..<32 { below[i] = 0xff }
        var at = [UInt8](repeating: 0, count: 64)
        at[0] = 0x40
        #expect(WitnessSortition.isAssigned(beta: below, weight: 1, totalWeight: 4, expected: 1))
        #expect(!WitnessSortition.isAssigned(beta: at, weight: 1, totalWeight: 4, expected: 1))
        #expect(!WitnessSortition.isAssigned(beta: zero, weight: 0, totalWeight: 4, expected: 1))
    }

    @Test func assignedWitnessesAverageTheExpectedCountInProportionToWeight() {
        let expected: UInt64 = 8
        let blocks = 400
        var perBlock: [Int] = []
        var byWeight: [UInt64: Int] = [:]
        let seed = Keccak256.hash(utf8: "epoch seed")
        for height in 1...UInt64(blocks) {
            var assigned = 0
            for device in Self.pool {
                if WitnessSortition.evaluate(
                    key: device.key, seed: seed, height: height, weight: device.weight, totalWeight: Self.totalWeight, expected: expected) != nil
                {
                    assigned += 1
                    byWeight[device.weight, default: 0] += 1
                }
            }
            perBlock.append(assigned)
        }
        let mean = Double(perBlock.reduce(0, +)) / Double(blocks)
        // The count per block is a sum of Bernoullis with mean 8: the mean of 400 blocks is within ±0.6 (≈ 4 σ).
        #expect(abs(mean - Double(expected)) < 0.6, "mean \(mean)")
        // Selections per unit of weight agree across weights within 20 %.
        let perUnit = byWeight.map { Double($0.value) / Double($0.key * 10) }
        let average = perUnit.reduce(0, +) / Double(perUnit.count)
        for rate in perUnit { #expect(abs(rate - average) / average < 0.2, "\(byWeight)") }
        print("witness sortition: \(blocks) blocks, mean \(mean) witnesses (expected \(expected)); selections by weight \(byWeight.sorted { $0.key < $1.key })")
    }

    @Test func assignmentsVerifyAndForgeriesFail() throws {
        let seed = Keccak256.hash(utf8: "seed")
        var checked = 0
        for height in UInt64(1)...200 {
            for device in Self.pool.prefix(10) {
                guard let assignment = WitnessSortition.evaluate(
                    key: device.key, seed: seed, height: height, weight: device.weight, totalWeight: Self.totalWeight, expected: 8)
                else { continue }
                let publicKey = device.key.publicKey
                #expect(WitnessSortition.verify(assignment, publicKey: publicKey, seed: seed, weight: device.weight, totalWeight: Self.totalWeight, expected: 8))
                // Another block, another seed, another key, a lower weight claim, or a tampered proof: refused.
                var replayed = assignment
                replayed.height += 1
                #expect(!WitnessSortition.verify(replayed, publicKey: publicKey, seed: seed, weight: device.weight, totalWeight: Self.totalWeight, expected: 8))
                #expect(!WitnessSortition.verify(assignment, publicKey: publicKey, seed: Keccak256.hash(utf8: "other"), weight: device.weight, totalWeight: Self.totalWeight, expected: 8))
                #expect(!WitnessSortition.verify(assignment, publicKey: Self.pool[39].key.publicKey, seed: seed, weight: device.weight, totalWeight: Self.totalWeight, expected: 8))
                var bytes = assignment.proof.bytes
                bytes[70] ^= 1
                if let tampered = try? ECVRF.Proof(bytes: bytes) {
                    #expect(!WitnessSortition.verify(.init(height: height, proof: tampered), publicKey: publicKey, seed: seed, weight: device.weight, totalWeight: Self.totalWeight, expected: 8))
                }
                checked += 1
            }
        }
        #expect(checked > 20)
    }
}
