import MotePrimitives

extension Address {
    /// EIP-55 mixed-case checksummed hex, `0x`-prefixed.
    public var checksummed: String {
        let lower = Hex.encode(bytes, prefix: false)
        let digest = Keccak256.hash(Array(lower.utf8)).bytes
        var out = "0x"
        for (i, c) in lower.enumerated() {
            let nibble = (digest[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0x0f
            out.append(c.isLetter && nibble >= 8 ? Character(c.uppercased()) : c)
        }
        return out
    }

    /// Parses hex; if it mixes upper and lower case, the EIP-55 checksum must match.
    public init(checksummedHex text: some StringProtocol) throws(CryptoError) {
        let address: Address
        do { address = try Address(hex: text) } catch { throw CryptoError(.invalidPublicKey("address: \(error)")) }
        let whole = Substring(text)
        let digits = whole.hasPrefix("0x") || whole.hasPrefix("0X") ? whole.dropFirst(2) : whole
        let hasUpper = digits.contains { $0.isUppercase }
        let hasLower = digits.contains { $0.isLowercase }
        if hasUpper && hasLower && address.checksummed.dropFirst(2) != digits {
            throw CryptoError(.invalidPublicKey("address checksum (EIP-55) does not match"))
        }
        self = address
    }
}
