@testable import MoteEVM
import MotePrimitives
import Testing

/// EIP-4844's blob base fee: fake_exponential with unbounded intermediates, values from the
/// spec's Python formula.
@Suite struct BlobGasTests {
    static let cases: [(UInt64, String)] = [
        (0, "0x1"), (1, "0x1"), (3_338_477, "0x2"), (33_384_770, "0x560a"),
        (333_847_700, "0x13494a9b170f4017245d9f2bd5e3328913efc"),
        (486_854_878, "0x53e1af75c82945873309527246df864e5696af8fb6ba5f3db1e60"),
        // The first excess where a term of the series passes 2^256 while the price does not.
        (486_854_879, "0x53e1b11b53d708debe193082643c01b380458117136975dcf722f"),
        (567_541_090, "0x264538b81a60dbd9af65c124ebed52437148f48be36979f91ad4a5bedf39d9"),
        (590_910_429, "0xa3f09605ad675c8eedbed5b070355a3f671691a4cfe68384dfaf98762032c6d0"),
    ]

    @Test func priceMatchesTheSpecFormula() {
        for (excess, expected) in Self.cases {
            #expect(BlobGas.price(excessBlobGas: excess) == UInt256(hexQuantity: expected)!, "excess \(excess)")
            #expect(BlockEnvironment(excessBlobGas: excess).blobBaseFee == UInt256(hexQuantity: expected)!)
        }
    }

    @Test func pricesBeyond256BitsSaturateQuickly() {
        #expect(BlobGas.price(excessBlobGas: 600_000_000) == .max)
        #expect(BlobGas.price(excessBlobGas: .max) == .max)
        var block = BlockEnvironment()
        block.excessBlobGas = 3_338_477
        #expect(block.blobBaseFee == UInt256(2))
    }
}
