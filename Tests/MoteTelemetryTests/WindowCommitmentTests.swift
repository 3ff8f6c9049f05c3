import MoteCrypto
import MotePrimitives
import MoteTelemetry
import Testing

/// The window message commitment: root shapes, proofs for every leaf of every size, tampering.
@Suite struct WindowCommitmentTests {
    static func leaves(_ count: Int) -> [Hash32] {
        (0..<count).map { Keccak256.hash(utf8: "leaf \($0)") }
    }

    static func pair(_ a: Hash32, _ b: Hash32) -> Hash32 { Keccak256.hash(a.bytes + b.bytes) }

    @Test func smallTreesHaveTheDocumentedShape() {
        let l = Self.leaves(5)
        #expect(WindowCommitment.root([]) == .zero)
        #expect(WindowCommitment.root([l[0]]) == l[0])
        #expect(WindowCommitment.root(Array(l[0..<2])) == Self.pair(l[0], l[1]))
        // Three leaves: the odd third is promoted unchanged.
        #expect(WindowCommitment.root(Array(l[0..<3])) == Self.pair(Self.pair(l[0], l[1]), l[2]))
        // Five leaves: l4 is promoted twice.
        let left = Self.pair(Self.pair(l[0], l[1]), Self.pair(l[2], l[3]))
        #expect(WindowCommitment.root(l) == Self.pair(left, l[4]))
    }

    @Test func everyProofVerifiesAndNoTamperedOneDoes() {
        for count in 1...17 {
            let l = Self.leaves(count)
            let root = WindowCommitment.root(l)
            for index in 0..<count {
                let proof = WindowCommitment.proof(l, index: index)
                #expect(WindowCommitment.verify(leaf: l[index], index: index, count: count, proof: proof, root: root))
                // A wrong leaf, index, count or a shortened/extended proof fails.
                #expect(!WindowCommitment.verify(leaf: Hash32.zero, index: index, count: count, proof: proof, root: root))
                if count > 1 {
                    #expect(!WindowCommitment.verify(leaf: l[index], index: (index + 1) % count, count: count, proof: proof, root: root))
                    #expect(!WindowCommitment.verify(leaf: l[index], index: index, count: count, proof: proof + [root], root: root))
                }
                if !proof.isEmpty {
                    #expect(!WindowCommitment.verify(leaf: l[index], index: index, count: count, proof: Array(proof.dropLast()), root: root))
                }
            }
        }
        #expect(WindowCommitment.proof(Self.leaves(3), index: 3).isEmpty)
        #expect(!WindowCommitment.verify(leaf: .zero, index: 0, count: 0, proof: [], root: .zero))
    }

    @Test func leafIsTheEnvelopeHashAndOrderMatters() throws {
        let key = try DevicePrivateKey(curve: .ed25519, secret: [UInt8](repeating: 7, count: 32))
        let envelopes = (1...3).map {
            TelemetryEnvelope.signed(by: key, chainID: 1, sequence: UInt64($0), timestamp: 100 + UInt64($0), contentType: "application/json", payload: Array("{\"steps\":\($0)}".utf8))
        }
        let leaves = envelopes.map(WindowCommitment.leaf)
        #expect(leaves == envelopes.map { Keccak256.hash($0.binary) })
        #expect(WindowCommitment.root(leaves) != WindowCommitment.root(leaves.reversed()))
    }

    @Test func windowsAreWholeSecondsOverMillisecondTimestamps() {
        #expect(WindowCommitment.timestampRange(window: 0, windowSeconds: 60) == 0..<60_000)
        #expect(WindowCommitment.timestampRange(window: 3, windowSeconds: 86_400) == 259_200_000..<345_600_000)
        #expect(WindowCommitment.window(containing: 59_999, windowSeconds: 60) == 0)
        #expect(WindowCommitment.window(containing: 60_000, windowSeconds: 60) == 1)
        #expect(WindowCommitment.window(containing: 1, windowSeconds: 0) == nil)
        #expect(WindowCommitment.timestampRange(window: UInt64.max, windowSeconds: 60).isEmpty)
    }
}
