internal import CSodium

extension ECVRF {
    /// A point of edwards25519, held as its canonical 32-byte encoding (RFC 8032 §5.1.2), with
    /// the group operations done by libsodium.
    ///
    /// libsodium's `crypto_scalarmult_ed25519*` only take points of the prime-order subgroup
    /// and report an identity result as failure. RFC 9381 needs more: a public key or Gamma
    /// may carry a torsion component (the RFC accepts those), the cofactor must be cleared
    /// (8·P), and an identity result is a value, not an error. So ``multiplied(by:)`` splits a
    /// point into its prime-order part and its torsion part, and cofactor clearing is three
    /// doublings with `crypto_core_ed25519_add`, which takes any point on the curve.
    package struct Point: Equatable, Sendable {
        /// The canonical encoding.
        package let bytes: [UInt8]

        private init(canonical bytes: [UInt8]) { self.bytes = bytes }

        /// The neutral element (0, 1).
        package static let identity = Point(canonical: [1] + [UInt8](repeating: 0, count: 31))

        /// RFC 9381 `string_to_point` for edwards25519: RFC 8032 §5.1.3 decoding, which fails
        /// unless y < p, the point is on the curve, and the sign bit is 0 when x = 0. Exactly the
        /// strings that decode and re-encode to themselves, so that is the test.
        package init?(decoding string: some Collection<UInt8>) {
            let string = Array(string)
            guard string.count == 32 else { return nil }
            Sodium.ensureInitialized()
            // P + identity: libsodium decodes P leniently (y mod p, sign bit kept for x = 0) and
            // returns −1 only if P is not on the curve; the sum comes back canonically encoded.
            var sum = [UInt8](repeating: 0, count: 32)
            guard crypto_core_ed25519_add(&sum, string, Point.identity.bytes) == 0, sum == string else {
                return nil
            }
            bytes = string
        }

        /// The encoding of affine (x, y); only for coordinates known to be on the curve.
        init(x: FieldElement, y: FieldElement) {
            var encoded = y.littleEndianBytes
            encoded[31] |= UInt8(x.sign) << 7
            guard let point = Point(decoding: encoded) else { preconditionFailure("(x, y) is not on edwards25519") }
            self = point
        }

        /// True for the neutral element.
        package var isIdentity: Bool { self == .identity }

        /// self + other.
        package static func + (a: Point, b: Point) -> Point {
            var out = [UInt8](repeating: 0, count: 32)
            let rc = crypto_core_ed25519_add(&out, a.bytes, b.bytes)
            precondition(rc == 0, "points are valid by construction")
            return Point(canonical: out)
        }

        /// self − other.
        package static func - (a: Point, b: Point) -> Point {
            var out = [UInt8](repeating: 0, count: 32)
            let rc = crypto_core_ed25519_sub(&out, a.bytes, b.bytes)
            precondition(rc == 0, "points are valid by construction")
            return Point(canonical: out)
        }

        /// 8·self (cofactor clearing): three doublings.
        package var timesCofactor: Point {
            let twice = self + self
            let four = twice + twice
            return four + four
        }

        /// True if 8·self is the identity (one of the eight points of small order).
        package var hasSmallOrder: Bool { timesCofactor.isIdentity }

        /// n·B for a scalar below 2^255 (B the base point).
        package static func base(times n: Scalar) -> Point {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: 32)
            // −1 means the product is the identity (n ≡ 0 mod L).
            guard crypto_scalarmult_ed25519_base_noclamp(&out, n.bytes) == 0 else { return .identity }
            return Point(canonical: out)
        }

        /// n·self for any point and any scalar below 2^255 (n the integer, not reduced).
        package func multiplied(by n: Scalar) -> Point {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: 32)
            // Fast path: libsodium succeeds iff self is in the prime-order subgroup, not the
            // identity, and the product is not the identity.
            if crypto_scalarmult_ed25519_noclamp(&out, n.bytes, bytes) == 0 { return Point(canonical: out) }
            // General path: self = P + T, P of order L (or the identity), T of order dividing 8.
            // With P8 = 8·self = 8·P and i8 = 8⁻¹ mod L: P = i8·P8, T = self − P, and
            // n·self = (n·i8 mod L)·P8 + (n mod 8)·T.
            let eight = timesCofactor
            let primePart = eight.primeOrderMultiple(by: Scalar.inverseOfEight)
            let torsion = self - primePart
            var result = eight.primeOrderMultiple(by: n.reduced * Scalar.inverseOfEight)
            for _ in 0..<Int(n.bytes[0] & 7) { result = result + torsion }
            return result
        }

        /// n·self for self in the prime-order subgroup (or the identity).
        private func primeOrderMultiple(by n: Scalar) -> Point {
            if isIdentity { return .identity }
            var out = [UInt8](repeating: 0, count: 32)
            // −1 here can only mean an identity product (n ≡ 0 mod L).
            guard crypto_scalarmult_ed25519_noclamp(&out, n.bytes, bytes) == 0 else { return .identity }
            return Point(canonical: out)
        }
    }

    /// A 32-byte little-endian integer below 2^256, with arithmetic mod L, the order of the
    /// prime-order subgroup (L = 2^252 + 27742317777372353535851937790883648493).
    package struct Scalar: Equatable, Sendable {
        /// Little-endian bytes.
        package let bytes: [UInt8]

        /// L, little-endian.
        package static let order: [UInt8] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ]

        /// 8⁻¹ mod L.
        static let inverseOfEight: Scalar = {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: 32)
            let rc = crypto_core_ed25519_scalar_invert(&out, Scalar(integer: 8).bytes)
            precondition(rc == 0)
            return Scalar(out)
        }()

        /// The integer of 32 little-endian bytes (or fewer, zero-extended).
        package init(_ bytes: some Collection<UInt8>) {
            let bytes = Array(bytes)
            precondition(bytes.count <= 32)
            self.bytes = bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
        }

        /// A small integer.
        init(integer: UInt8) { self.init([integer]) }

        /// RFC 9381 `string_to_int` of up to 64 little-endian bytes, reduced mod L.
        package init(reducing wide: some Collection<UInt8>) {
            let wide = Array(wide)
            precondition(wide.count <= 64)
            var input = wide + [UInt8](repeating: 0, count: 64 - wide.count)
            var out = [UInt8](repeating: 0, count: 32)
            crypto_core_ed25519_scalar_reduce(&out, &input)
            bytes = out
        }

        /// True if the integer is below L (a canonical scalar).
        package var isCanonical: Bool {
            for i in stride(from: 31, through: 0, by: -1) where bytes[i] != Scalar.order[i] {
                return bytes[i] < Scalar.order[i]
            }
            return false  // equal to L
        }

        /// self mod L.
        package var reduced: Scalar { Scalar(reducing: bytes) }

        /// (a + b) mod L.
        package static func + (a: Scalar, b: Scalar) -> Scalar {
            var out = [UInt8](repeating: 0, count: 32)
            crypto_core_ed25519_scalar_add(&out, a.reduced.bytes, b.reduced.bytes)
            return Scalar(out)
        }

        /// (a · b) mod L.
        package static func * (a: Scalar, b: Scalar) -> Scalar {
            var out = [UInt8](repeating: 0, count: 32)
            crypto_core_ed25519_scalar_mul(&out, a.reduced.bytes, b.reduced.bytes)
            return Scalar(out)
        }
    }

    /// One-time libsodium set-up for the ECVRF code.
    package enum Sodium {
        /// `sodium_init`, once, through a lazy global (idempotent and thread-safe).
        private static let initialized: Bool = sodium_init() >= 0

        /// Runs `sodium_init` once.
        static func ensureInitialized() { precondition(initialized, "sodium_init failed") }

        /// SHA-512 of the concatenation of `parts`.
        package static func sha512(_ parts: [UInt8]...) -> [UInt8] {
            ensureInitialized()
            var state = crypto_hash_sha512_state()
            crypto_hash_sha512_init(&state)
            for part in parts {
                part.withUnsafeBufferPointer { buffer in
                    _ = crypto_hash_sha512_update(&state, buffer.baseAddress, UInt64(buffer.count))
                }
            }
            var digest = [UInt8](repeating: 0, count: 64)
            crypto_hash_sha512_final(&state, &digest)
            return digest
        }
    }
}
