@testable import MoteEVM
import Testing

/// BN254 precompiles 0x06–0x08 (EIP-196, EIP-197, EIP-1108). Expected values come from py_ecc
/// (optimized_bn128), an independent implementation, and from go-ethereum's bn256 vectors.
@Suite struct BN254Tests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func word(_ v: UInt8) -> String { String(repeating: "0", count: 62) + String(v, radix: 16, uppercase: false).leftPadded }

    static let p = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"
    static let r = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"
    /// The G1 generator (1, 2) and its negation (1, p − 2).
    static let g1 = String(repeating: "0", count: 63) + "1" + String(repeating: "0", count: 63) + "2"
    static let g1Neg = String(repeating: "0", count: 63) + "1" + "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45"
    /// The G2 generator of EIP-197, encoded (x_imag, x_real, y_imag, y_real).
    static let g2 = "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
    /// A point on the twist outside the order-r subgroup (x = 1 + u).
    static let g2Outside = "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002" +
            "2b76c179599bb92a963dac85546a005a777f7c13f6a7b75d5918b6b5808f5fde101f7278419308b95099eca02dcee0c5381f4d26d1d62313f057167f064101ce"
    /// That point times the cofactor 2p − r: in G2.
    static let g2Cleared = "0cc52155d015f5bfe14a977f613d2d1fc2dd71966abf025a3dea3444afb7eeed27d409ede13256511fb71acc9b73965ec3ee0cf9768aa74bfdaa33a3d1af123c" +
            "0c4e19e7e4f2445558334ade78c9e7a25e33d14a264c6e7764ca0d7899a981df190aaa70c451efd5ff89aa542eedd6c7e897ab8af6cddfa401f3441593f8ec08"

    static func output(_ result: PrecompileResult) -> String? {
        guard case .success(_, let out) = result else { return nil }
        return out.map { String($0, radix: 16).leftPadded }.joined()
    }

    static let addVectors: [(String, String)] = [
        // go-ethereum bn256Add "chfast1"
        ("18b18acfb4c2c30276db5411368e7185b311dd124691610c5d3b74034e093dc9063c909c4720840cb5134cb9f59fa749755796819658d32efc0d288198f37266" +
         "07c2b7f58a84bd6145f00c9c2bc0bb1a187f20ff2c92963a88019e7c6a014eed06614e20c147e940f2d70da3f74c9a17df361706a4485c742bd6788478fa17d7",
         "2243525c5efd4b9c3d3c45ac0ca3fe4dd85e830a4ce6b65fa1eeaee202839703301d1d33be6da8e509df21cc35964723180eed7532537db9ae5e7d48f195c915"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "036da5688ec6d193ec3f28d5e360181d81b8f599114a58fc563c73c3be6c378d29a91090829c684092e2a58f5e04c0fb83dd5f4f8cecc3529398205847e18e34",
         "2e1be9ecb87a4dee937186174156aec76e0dd61e9bde3584347f08badca3d3ad0d018fc3ceab5b9536e5e24fb289cffb8f63aa76cae97b06bed91d4ae4b74752"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b",
         "0d356b3ce1fdaf8b3b96693faa09a43b264c02f5ef0f06dedd6b4b0c854c2763259d0ed3af8dd29c3e9ddca21a226377b92240d94464c25a1b106aca3418a885"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a47090022b4f0301ecce44692a32354a471d481e6532375e31f7b805d93112bb4f8bc",
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
         "1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b"),
    ]

    static let mulVectors: [(String, String)] = [
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "f9ebdacc0cb1e29c658cda1495e60af593bd04cf0fd630f1f29d0da9953f48f1",
         "123cd43a66b5c43e1ae95209a0405051bb3c7c49d214c167358326f4369a36c80662e38b016159751b2ffff4b933d7edd7bed98e3f936d26f999bdbeb50281c9"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001",
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        ("1ae45b9e3e40f4863023d2b19114e1321a969a57c4e97defcf48478f1f2a470930419982b112d34571bda2932cdce689159b176df28eab11bbc2f905acc8048b" +
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "04eb84a53240427e6212fa32a11427bee45a08bad87339415f717752256b9d4d078eab632bed7e9efb9d3f0602bb860a6df2738ace79a5fb08cbdd1fa7a11098"),
        ("00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002" +
            "0000000000000000000000000000000000000000000000000000000000000002",
         "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd315ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"),
    ]

    /// Pairing inputs and the expected output word (nil: failure).
    static let pairingVectors: [(String, UInt8?)] = [
        ("223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f2fa3f476ba867c8f54ba26adf47fc4fbecf863c6f99fb343bd5a92b59879fad3" +
            "301f826a98fd4df99269766fff0ad0af4bc4d394d1ec42754111d5c7dd97ca770c1294d0ee0785ec7361e47974122749cd253abd2684b13e07d8d5694ad876c6" +
            "1d7c0af103e6f602aba04f6275f0e7b5073997844d74ee303736e694255f2a24116dd1f5d33d5b7e7357cb0213a2cd9acf88d7a66d923e07d32e2873189ceb73" +
            "0e029fa14db83cd51d424fff4774b99f7a4d2c6f02c5e049d4a449fcc96c483306754fbe7d74fb919101ce5230a3f2161fd3edad7bc319bbb3a77ffee4e2ed4b" +
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa",
         1),
        ("223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f2fa3f476ba867c8f54ba26adf47fc4fbecf863c6f99fb343bd5a92b59879fad3" +
            "301f826a98fd4df99269766fff0ad0af4bc4d394d1ec42754111d5c7dd97ca770c1294d0ee0785ec7361e47974122749cd253abd2684b13e07d8d5694ad876c6" +
            "1d7c0af103e6f602aba04f6275f0e7b5073997844d74ee303736e694255f2a24116dd1f5d33d5b7e7357cb0213a2cd9acf88d7a66d923e07d32e2873189ceb73" +
            "0e029fa14db83cd51d424fff4774b99f7a4d2c6f02c5e049d4a449fcc96c483329eefeb463bca498274e776450dd664777ad7ce3ecaeb0d188790c17f39a0ffc" +
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa",
         0),
        ("223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f2fa3f476ba867c8f54ba26adf47fc4fbecf863c6f99fb343bd5a92b59879fad3" +
            "301f826a98fd4df99269766fff0ad0af4bc4d394d1ec42754111d5c7dd97ca770c1294d0ee0785ec7361e47974122749cd253abd2684b13e07d8d5694ad876c6" +
            "1d7c0af103e6f602aba04f6275f0e7b5073997844d74ee303736e694255f2a24116dd1f5d33d5b7e7357cb0213a2cd9acf88d7a66d923e07d32e2873189ceb73",
         0),
        ("223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f2fa3f476ba867c8f54ba26adf47fc4fbecf863c6f99fb343bd5a92b59879fad3" +
            "301f826a98fd4df99269766fff0ad0af4bc4d394d1ec42754111d5c7dd97ca770c1294d0ee0785ec7361e47974122749cd253abd2684b13e07d8d5694ad876c6" +
            "1d7c0af103e6f602aba04f6275f0e7b5073997844d74ee303736e694255f2a24116dd1f5d33d5b7e7357cb0213a2cd9acf88d7a66d923e07d32e2873189ceb73" +
            "223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f00c059fc26ab239a63961f088d019361aa8906ca6ed217497ec5f96140030274" +
            "301f826a98fd4df99269766fff0ad0af4bc4d394d1ec42754111d5c7dd97ca770c1294d0ee0785ec7361e47974122749cd253abd2684b13e07d8d5694ad876c6" +
            "1d7c0af103e6f602aba04f6275f0e7b5073997844d74ee303736e694255f2a24116dd1f5d33d5b7e7357cb0213a2cd9acf88d7a66d923e07d32e2873189ceb73" +
            "0e029fa14db83cd51d424fff4774b99f7a4d2c6f02c5e049d4a449fcc96c483329eefeb463bca498274e776450dd664777ad7ce3ecaeb0d188790c17f39a0ffc" +
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa" +
            "0e029fa14db83cd51d424fff4774b99f7a4d2c6f02c5e049d4a449fcc96c483306754fbe7d74fb919101ce5230a3f2161fd3edad7bc319bbb3a77ffee4e2ed4b" +
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed" +
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa",
         1),
        ("223ea18c27585512b793df569235031f36eca0b66c12191a3e976a813544701f2fa3f476ba867c8f54ba26adf47fc4fbecf863c6f99fb343bd5a92b59879fad3" +
            "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002" +
            "2b76c179599bb92a963dac85546a005a777f7c13f6a7b75d5918b6b5808f5fde101f7278419308b95099eca02dcee0c5381f4d26d1d62313f057167f064101ce",
         nil),
    ]

    @Test func addMatchesReference() {
        for (input, expected) in Self.addVectors {
            #expect(Self.output(BN254Precompiles.add(input: Self.bytes(input), gasLimit: 150)) == expected)
        }
    }

    @Test func mulMatchesReference() {
        for (input, expected) in Self.mulVectors {
            #expect(Self.output(BN254Precompiles.mul(input: Self.bytes(input), gasLimit: 6000)) == expected)
        }
    }

    @Test func pairingMatchesReference() {
        for (input, expected) in Self.pairingVectors {
            let bytes = Self.bytes(input)
            let gas = 45000 + 34000 * UInt64(bytes.count / 192)
            let result = BN254Precompiles.pairing(input: bytes, gasLimit: gas)
            if let expected {
                #expect(result == .success(gasUsed: gas, output: [UInt8](repeating: 0, count: 31) + [expected]))
            } else {
                #expect(result == .failure)
            }
        }
    }

    /// EIP-197: e(P, Q) · e(−P, Q) = 1, while e(P, Q) alone is not 1.
    @Test func generatorPairs() {
        let one = [UInt8](repeating: 0, count: 31) + [1], zero = [UInt8](repeating: 0, count: 32)
        #expect(BN254Precompiles.pairing(input: Self.bytes(Self.g1 + Self.g2 + Self.g1Neg + Self.g2), gasLimit: 113000)
            == .success(gasUsed: 113000, output: one))
        #expect(BN254Precompiles.pairing(input: Self.bytes(Self.g1 + Self.g2), gasLimit: 79000)
            == .success(gasUsed: 79000, output: zero))
        // Infinity in either slot contributes 1.
        let infinityG1 = String(repeating: "0", count: 128), infinityG2 = String(repeating: "0", count: 256)
        #expect(BN254Precompiles.pairing(input: Self.bytes(infinityG1 + Self.g2 + Self.g1 + infinityG2), gasLimit: 113000)
            == .success(gasUsed: 113000, output: one))
        // Empty input: the empty product is 1.
        #expect(BN254Precompiles.pairing(input: [], gasLimit: 45000) == .success(gasUsed: 45000, output: one))
    }

    @Test func paddingAndTruncation() {
        let zeros = [UInt8](repeating: 0, count: 64)
        #expect(BN254Precompiles.add(input: [], gasLimit: 150) == .success(gasUsed: 150, output: zeros))
        #expect(BN254Precompiles.mul(input: [], gasLimit: 6000) == .success(gasUsed: 6000, output: zeros))
        // G1 alone, the second point and the scalar padded with zeros.
        let g1 = Self.bytes(Self.g1)
        #expect(BN254Precompiles.add(input: g1, gasLimit: 150) == .success(gasUsed: 150, output: g1))
        #expect(BN254Precompiles.mul(input: g1, gasLimit: 6000) == .success(gasUsed: 6000, output: zeros))
        // Bytes after the first 128 (add) or 96 (mul) are ignored.
        let (input, expected) = Self.addVectors[1]
        #expect(Self.output(BN254Precompiles.add(input: Self.bytes(input) + [1, 2, 3], gasLimit: 150)) == expected)
        let (mulInput, mulExpected) = Self.mulVectors[0]
        #expect(Self.output(BN254Precompiles.mul(input: Self.bytes(mulInput) + [9, 9], gasLimit: 6000)) == mulExpected)
    }

    @Test func invalidPoints() {
        let offCurve = Self.bytes(String(repeating: "0", count: 63) + "1" + String(repeating: "0", count: 63) + "3")
        #expect(BN254Precompiles.add(input: offCurve + Self.bytes(Self.g1), gasLimit: 150) == .failure)
        #expect(BN254Precompiles.add(input: Self.bytes(Self.g1) + offCurve, gasLimit: 150) == .failure)
        #expect(BN254Precompiles.mul(input: offCurve + [UInt8](repeating: 0, count: 32), gasLimit: 6000) == .failure)
        #expect(BN254Precompiles.pairing(input: offCurve + Self.bytes(Self.g2), gasLimit: 79000) == .failure)
        // (0, 1) and (1, 0): one zero coordinate is not infinity.
        let zeroOne = Self.bytes(String(repeating: "0", count: 127) + "1")
        #expect(BN254Precompiles.add(input: zeroOne, gasLimit: 150) == .failure)
        // G2 off the twist: the generator with y_real changed.
        var g2 = Self.bytes(Self.g2)
        g2[127] ^= 1
        #expect(BN254Precompiles.pairing(input: Self.bytes(Self.g1) + g2, gasLimit: 79000) == .failure)
    }

    @Test func coordinatesAtOrAboveModulus() {
        // (1 + p, 2) would be the generator if reduced; x = p is rejected outright.
        let xPlusP = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd48" + String(repeating: "0", count: 63) + "2"
        #expect(BN254Precompiles.add(input: Self.bytes(xPlusP), gasLimit: 150) == .failure)
        #expect(BN254Precompiles.mul(input: Self.bytes(xPlusP + Self.word(1)), gasLimit: 6000) == .failure)
        #expect(BN254Precompiles.add(input: Self.bytes(Self.p + Self.p), gasLimit: 150) == .failure)
        // (0, p) is infinity only if reduced.
        #expect(BN254Precompiles.add(input: Self.bytes(String(repeating: "0", count: 64) + Self.p), gasLimit: 150) == .failure)
        // Each G2 coordinate ≥ p.
        for i in 0..<4 {
            var g2 = Self.bytes(Self.g2)
            g2.replaceSubrange(i * 32..<(i + 1) * 32, with: Self.bytes(Self.p))
            #expect(BN254Precompiles.pairing(input: Self.bytes(Self.g1) + g2, gasLimit: 79000) == .failure)
        }
        var infinityPlusP = [UInt8](repeating: 0, count: 128)
        infinityPlusP.replaceSubrange(0..<32, with: Self.bytes(Self.p))
        #expect(BN254Precompiles.pairing(input: Self.bytes(Self.g1) + infinityPlusP, gasLimit: 79000) == .failure)
    }

    @Test func scalarsAtOrAboveGroupOrder() {
        let zeros = [UInt8](repeating: 0, count: 64)
        #expect(BN254Precompiles.mul(input: Self.bytes(Self.g1 + Self.r), gasLimit: 6000) == .success(gasUsed: 6000, output: zeros))
        let rPlusOne = String(Self.r.dropLast()) + "2"
        #expect(BN254Precompiles.mul(input: Self.bytes(Self.g1 + rPlusOne), gasLimit: 6000)
            == .success(gasUsed: 6000, output: Self.bytes(Self.g1)))
    }

    @Test func wrongPairingLengths() {
        let valid = Self.bytes(Self.g1 + Self.g2)
        for input in [Array(valid.dropLast()), valid + [0], [0], valid + valid.dropLast()] {
            #expect(BN254Precompiles.pairing(input: input, gasLimit: 10_000_000) == .failure)
        }
    }

    @Test func g2OutsideSubgroupIsRejected() {
        let input = Self.bytes(Self.g1 + Self.g2Outside)
        #expect(BN254Precompiles.pairing(input: input, gasLimit: 79000) == .failure)
        // Cofactor clearing moves it into G2, where it is accepted.
        let cleared = Self.bytes(Self.g1 + Self.g2Cleared)
        #expect(BN254Precompiles.pairing(input: cleared, gasLimit: 79000)
            == .success(gasUsed: 79000, output: [UInt8](repeating: 0, count: 32)))
        #expect(BN254Precompiles.pairing(input: cleared + Self.bytes(Self.g1Neg + Self.g2Cleared), gasLimit: 113000)
            == .success(gasUsed: 113000, output: [UInt8](repeating: 0, count: 31) + [1]))
    }

    @Test func gasExactAndOneLess() {
        let add = Self.bytes(Self.addVectors[0].0), mul = Self.bytes(Self.mulVectors[0].0)
        #expect(BN254Precompiles.add(input: add, gasLimit: 150) != .failure)
        #expect(BN254Precompiles.add(input: add, gasLimit: 149) == .failure)
        #expect(BN254Precompiles.mul(input: mul, gasLimit: 6000) != .failure)
        #expect(BN254Precompiles.mul(input: mul, gasLimit: 5999) == .failure)
        let pair = Self.bytes(Self.g1 + Self.g2 + Self.g1Neg + Self.g2)
        #expect(BN254Precompiles.pairing(input: pair, gasLimit: 113000) != .failure)
        #expect(BN254Precompiles.pairing(input: pair, gasLimit: 112999) == .failure)
        #expect(BN254Precompiles.pairing(input: [], gasLimit: 44999) == .failure)
    }

    /// Garbage of every length up to a few pairs never traps.
    @Test func arbitraryInputNeverTraps() {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for length in stride(from: 0, through: 400, by: 7) {
            var input = [UInt8](repeating: 0, count: length)
            for i in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                input[i] = UInt8(truncatingIfNeeded: state >> 56)
            }
            _ = BN254Precompiles.add(input: input, gasLimit: 1_000_000)
            _ = BN254Precompiles.mul(input: input, gasLimit: 1_000_000)
            _ = BN254Precompiles.pairing(input: input, gasLimit: 10_000_000)
            _ = BN254Precompiles.pairing(input: [UInt8](repeating: 0xff, count: 192), gasLimit: 10_000_000)
        }
    }

    /// The hard part of the final exponentiation equals plain exponentiation by (p⁴ − p² + 1)/r.
    @Test func finalExponentiationMatchesDefinition() {
        let pairs: [(BN254G1Point, BN254G2Point)] = Self.bytes(Self.g1 + Self.g2).withUnsafeBufferPointer { buf in
            [(BN254Precompiles.decodeG1(buf, at: 0)!, BN254Precompiles.decodeG2(buf, at: 64)!)]
        }
        let f = BN254Pairing.millerLoop(pairs)
        var m = f.conjugate * f.inverse
        m = m.frobenius(2) * m
        let hard = Self.bytes(
            "01baaa710b0759ad331ec15183177faf6c0eb522d5b122784e529a5861876f6b3b1b1355d189227d79581e16f3fd90c6" +
            "6b887d56d5095f23aaa441e3954bcf8adcc7b44c87cdbacff1154e7e1da014fd5abf5cc4f49c36d4e81bb482ccdf42b1")
        #expect(BN254Pairing.power(m, bigEndian: hard) == BN254Pairing.finalExponentiation(f))
    }
}

private extension String {
    /// Two hex digits.
    var leftPadded: String { count == 1 ? "0" + self : self }
}
