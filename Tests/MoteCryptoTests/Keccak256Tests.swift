import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteCrypto

@Suite struct Keccak256Tests {
    @Test func knownDigests() {
        #expect(Keccak256.hash([]).hex == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Keccak256.hash(utf8: "abc").hex == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(Keccak256.hash(utf8: "hello").hex == "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8")
        // RLP of the empty string: the empty trie root.
        #expect(Keccak256.hash([0x80]).hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        // Keccak-256 of 200 × 0xa3 (one and a half blocks), as published for Keccak.
        #expect(Keccak256.hash(utf8: "The quick brown fox jumps over the lazy dog").hex
            == "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
    }

    @Test func incrementalEqualsOneShotAtEveryBoundary() {
        var rng = SplitMix64(seed: 3)
        let input = (0..<1_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for length in [0, 1, 135, 136, 137, 271, 272, 273, 999] {
            let message = Array(input.prefix(length))
            let oneShot = Keccak256.hash(message)
            for split in Set([0, 1, length / 2, max(0, length - 1), length]) where split <= length {
                var hasher = Keccak256.Hasher()
                hasher.update(Array(message[..<split]))
                hasher.update(Array(message[split...]))
                #expect(hasher.finalize() == oneShot, "length \(length) split \(split)")
            }
        }
    }

    @Test func eip55Checksums() throws {
        // The examples in EIP-55.
        for text in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let address = try Address(checksummedHex: text)
            #expect(address.checksummed == text)
        }
        #expect(throws: CryptoError.self) { try Address(checksummedHex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") }
        #expect(try Address(checksummedHex: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").checksummed
            == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    }
}
