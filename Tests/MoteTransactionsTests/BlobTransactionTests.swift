import Foundation
import MoteCrypto
import MotePrimitives
import MoteTestSupport
import Testing

@testable import MoteTransactions

/// EIP-4844 (type 3) transactions: decoded and re-encoded against the signed blob transactions
/// of the ethereum/tests GeneralStateTests, and rejected by the rules a Mote node applies.
@Suite struct BlobTransactionTests {
    /// The folders whose state tests carry signed type-3 transactions.
    static let folders = ["GeneralStateTests/Cancun/stEIP4844-blobtransactions", "GeneralStateTests/Pyspecs/cancun/eip4844_blobs"]
    /// Decoding for inspection: blob transactions allowed, any chain id.
    static let inspect = TransactionRules(fork: .cancun, chainID: nil, allowsBlobTransactions: true)

    let key = try! Secp256k1.PrivateKey(bytes: [UInt8](repeating: 0x22, count: 32))

    func sample(hashes: Int = 2) -> Transaction {
        .blob(
            chainID: 4_689, nonce: 7, maxPriorityFeePerGas: 2, maxFeePerGas: 1_000_000_000, gasLimit: 50_000,
            to: Address(bytes: [UInt8](repeating: 0xaa, count: 20))!, value: 5, data: [1, 2, 3],
            accessList: [AccessListEntry(address: Address(bytes: [UInt8](repeating: 0xbb, count: 20))!, storageKeys: [.zero])],
            maxFeePerBlobGas: 10,
            blobVersionedHashes: (0..<hashes).map { i in Hash32(bytes: [0x01] + [UInt8](repeating: UInt8(i), count: 31))! })
    }

    private static func uint(_ text: String) throws -> UInt256 {
        var bytes = try [UInt8](hex: text)
        while bytes.first == 0 { bytes.removeFirst() }
        return try #require(UInt256(bigEndian: bytes))
    }

    @Test func everySignedBlobTransactionInTheStateTestsRoundTrips() throws {
        var files: [String] = []
        for folder in Self.folders { files += try Vectors.jsonFiles(under: folder) }
        var total = 0, valid = 0, decoded = 0, rejected = 0, validated = 0
        for file in files {
            let tests = try #require(try Vectors.json(file) as? [String: Any])
            for (name, value) in tests {
                let test = try #require(value as? [String: Any])
                let txJSON = try #require(test["transaction"] as? [String: Any])
                let posts = try #require(test["post"] as? [String: [[String: Any]]])
                for (_, entries) in posts {
                    for entry in entries {
                        guard let hex = entry["txbytes"] as? String, hex.hasPrefix("0x03") else { continue }
                        let raw = try [UInt8](hex: hex)
                        let expectsException = entry["expectException"] != nil
                        total += 1
                        if !expectsException { valid += 1 }
                        let unverified: UnverifiedTransaction
                        do {
                            unverified = try UnverifiedTransaction(decoding: raw, rules: Self.inspect, checkRules: false)
                        } catch {
                            // Only a transaction the test marks invalid may fail to decode (e.g. a blob creation).
                            #expect(expectsException, "\(file) \(name): \(error)")
                            rejected += 1
                            continue
                        }
                        decoded += 1
                        let signed = try unverified.verified()
                        let tx = signed.transaction
                        let indexes = try #require(entry["indexes"] as? [String: Int])
                        let (d, g, v) = (indexes["data"]!, indexes["gas"]!, indexes["value"]!)
                        let secret = try [UInt8](hex: try #require(txJSON["secretKey"] as? String))
                        let signer = try Secp256k1.PrivateKey(bytes: secret)
                        #expect(tx.kind == .blob)
                        #expect(signed.sender == signer.address, "\(file) \(name): sender")
                        #expect(tx.nonce == UInt64(try Self.uint(txJSON["nonce"] as! String).uint64!))
                        #expect(tx.maxFeePerGas == (try Self.uint(txJSON["maxFeePerGas"] as! String)))
                        #expect(tx.maxPriorityFeePerGas == (try Self.uint(txJSON["maxPriorityFeePerGas"] as! String)))
                        #expect(tx.maxFeePerBlobGas == (try Self.uint(txJSON["maxFeePerBlobGas"] as! String)))
                        #expect(UInt256(tx.gasLimit) == (try Self.uint((txJSON["gasLimit"] as! [String])[g])))
                        #expect(tx.value == (try Self.uint((txJSON["value"] as! [String])[v])))
                        #expect(tx.data == (try [UInt8](hex: (txJSON["data"] as! [String])[d])))
                        #expect(tx.to == (try Address(hex: txJSON["to"] as! String)))
                        let hashes = try (txJSON["blobVersionedHashes"] as! [String]).map { try Hash32(hex: $0) }
                        #expect(tx.blobVersionedHashes == hashes, "\(file) \(name): hashes")
                        if let lists = txJSON["accessLists"] as? [Any], d < lists.count, let list = lists[d] as? [[String: Any]] {
                            let expected = try list.map { e in
                                AccessListEntry(
                                    address: try Address(hex: e["address"] as! String),
                                    storageKeys: try (e["storageKeys"] as! [String]).map { try Hash32(hex: $0) })
                            }
                            #expect(tx.accessList == expected, "\(file) \(name): access list")
                        }
                        // Byte-exact re-encoding, the transaction hash, and re-signing with the same key.
                        #expect(tx.encoded(with: signed.signature) == raw, "\(file) \(name): re-encoding")
                        #expect(signed.hash == Keccak256.hash(raw))
                        #expect(tx.signed(with: signer).rawBytes == raw, "\(file) \(name): re-signing")
                        if !expectsException, (try? TransactionRules(fork: .cancun, chainID: 1, allowsBlobTransactions: true).validate(tx)) != nil {
                            validated += 1
                        }
                    }
                }
            }
        }
        // 385 post entries hold a type-3 transaction; the 232 without expectException are valid
        // (vectors/SOURCES.md), and every one of those must decode and pass the Cancun rules.
        #expect(total == 385)
        #expect(valid == 232)
        #expect(decoded + rejected == total)
        #expect(validated == valid, "decoded \(decoded), rejected \(rejected)")
    }

    @Test func signsEncodesAndRecovers() throws {
        let tx = sample()
        let signed = tx.signed(with: key)
        #expect(signed.rawBytes.first == 0x03)
        #expect(tx.signingPayload.first == 0x03)
        let back = try SignedTransaction(decoding: signed.rawBytes, rules: Self.inspect)
        #expect(back.transaction == tx)
        #expect(back.sender == key.address)
        #expect(back.hash == signed.hash)
        #expect(back.v == UInt256(UInt64(signed.signature.recoveryID)))
    }

    @Test func theChainRejectsBlobTransactions() throws {
        let raw = sample().signed(with: key).rawBytes
        let node = TransactionRules(fork: .cancun, chainID: 4_689)
        #expect(throws: TransactionError.self) { try SignedTransaction(decoding: raw, rules: node) }
        do { _ = try SignedTransaction(decoding: raw, rules: node) } catch {
            #expect(error.code == "type_not_supported")
            #expect(error.description.contains("blob transactions are not accepted on Mote"))
        }
        do { try node.validate(sample()) } catch { #expect(error.code == "type_not_supported") }
        // Before Cancun the type does not exist even for inspection.
        let shanghai = TransactionRules(fork: .shanghai, chainID: nil, allowsBlobTransactions: true)
        #expect(throws: TransactionError.self) { try SignedTransaction(decoding: raw, rules: shanghai) }
    }

    private func code(_ raw: [UInt8], checkRules: Bool = true) -> String? {
        do { _ = try UnverifiedTransaction(decoding: raw, rules: Self.inspect, checkRules: checkRules) } catch { return error.code }
        return nil
    }

    /// Re-encodes `sample()` signed, with its RLP fields changed by `edit`.
    private func mutated(_ edit: (inout [RLPItem]) -> Void) -> [UInt8] {
        let tx = sample()
        let signature = tx.signed(with: key).signature
        var fields = tx.payloadFields() + [.uint(UInt64(signature.recoveryID)), .uint(signature.r), .uint(signature.s)]
        edit(&fields)
        return [0x03] + RLP.encode(.list(fields))
    }

    @Test func rejectsMalformedBlobTransactions() throws {
        let good = sample().signed(with: key).rawBytes
        #expect(code(good) == nil)
        // Truncated at every length, and garbage after the list.
        for n in 1..<good.count { #expect(code(Array(good.prefix(n))) != nil) }
        #expect(code(good + [0x00]) == "malformed_rlp")
        #expect(code([0x03]) == "malformed_rlp")
        #expect(code([0x03, 0xc0]) == "wrong_field_count")
        #expect(code(mutated { $0.removeLast() }) == "wrong_field_count")
        #expect(code(mutated { $0.append(.bytes([])) }) == "wrong_field_count")
        // No creation: `to` must be 20 bytes.
        #expect(code(mutated { $0[5] = .bytes([]) }) == "blob_creation")
        #expect(code(mutated { $0[5] = .bytes([UInt8](repeating: 1, count: 19)) }) == "address_too_short")
        // Versioned hashes: a list of 32-byte strings, bounded.
        #expect(code(mutated { $0[10] = .bytes([]) }) == "malformed_blob_hashes")
        #expect(code(mutated { $0[10] = .list([.list([])]) }) == "malformed_blob_hashes")
        #expect(code(mutated { $0[10] = .list([.bytes([UInt8](repeating: 1, count: 31))]) }) == "blob_hash_length")
        #expect(code(mutated { $0[10] = .list([.bytes([UInt8](repeating: 1, count: 33))]) }) == "blob_hash_length")
        let tooMany = RLPItem.list(Array(repeating: .bytes([0x01] + [UInt8](repeating: 0, count: 31)), count: Transaction.maxDecodedBlobHashes + 1))
        #expect(code(mutated { $0[10] = tooMany }, checkRules: false) == "too_many_blobs")
        // Canonical integers.
        #expect(code(mutated { $0[9] = .bytes([0x00, 0x0a]) }) == "leading_zeros")
        #expect(code(mutated { $0[9] = .bytes([UInt8](repeating: 0xff, count: 33)) }) == "field_overflow")
        #expect(code(mutated { $0[11] = .uint(UInt64(2)) }) == "invalid_y_parity")
        // Oversized envelope.
        let small = TransactionRules(fork: .cancun, chainID: nil, maxEncodedSize: 64, allowsBlobTransactions: true)
        #expect(throws: TransactionError.self) { try UnverifiedTransaction(decoding: good, rules: small) }
    }

    @Test func rulesCheckTheBlobList() throws {
        let rules = TransactionRules(fork: .cancun, chainID: 4_689, allowsBlobTransactions: true)
        try rules.validate(sample())
        func code(_ tx: Transaction) -> String? {
            do { try rules.validate(tx) } catch { return error.code }
            return nil
        }
        #expect(code(sample(hashes: 0)) == "no_blobs")
        #expect(code(sample(hashes: TransactionRules.maxBlobsPerTransaction)) == nil)
        #expect(code(sample(hashes: TransactionRules.maxBlobsPerTransaction + 1)) == "too_many_blobs")
        var badVersion = sample()
        badVersion.blobVersionedHashes[0] = Hash32(bytes: [UInt8](repeating: 0x02, count: 32))!
        #expect(code(badVersion) == "blob_hash_version")
    }
}
