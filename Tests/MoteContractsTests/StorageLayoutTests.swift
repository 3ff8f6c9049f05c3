import MoteContracts
import MoteCrypto
import MotePrimitives
import Testing

/// System contracts' values over 32-byte words, as Solidity lays out `bytes`.
@Suite struct StorageLayoutTests {
    @Test func shortValuesSitInTheirSlot() throws {
        let word = StorageLayout.headWord([0xab, 0xcd])
        #expect(Hex.encode(word.bigEndianBytes) == "0xabcd" + String(repeating: "0", count: 58) + "04")
        #expect(StorageLayout.head(word) == .short([0xab, 0xcd]))
        #expect(StorageLayout.dataWords([0xab, 0xcd]).isEmpty)
        let thirtyOne = [UInt8](repeating: 7, count: 31)
        #expect(StorageLayout.head(StorageLayout.headWord(thirtyOne)) == .short(thirtyOne))
        #expect(StorageLayout.headWord([]) == .zero && StorageLayout.head(.zero) == .empty)
    }

    @Test func longValuesFillWordsAtTheHashOfTheirSlot() throws {
        let value = (0..<70).map { UInt8($0) }
        #expect(StorageLayout.headWord(value) == UInt256(141))
        #expect(StorageLayout.head(UInt256(141)) == .long(length: 70))
        let words = StorageLayout.dataWords(value)
        #expect(words.count == 3)
        #expect(Array(words[2].bigEndianBytes.prefix(6)) == [64, 65, 66, 67, 68, 69])
        #expect(words[2].bigEndianBytes.dropFirst(6).allSatisfy { $0 == 0 })
        let slot = StorageLayout.slot("node", [UInt8](repeating: 1, count: 20))
        let base = UInt256(bigEndian: Keccak256.hash(slot.bytes).bytes)!
        #expect(StorageLayout.dataSlot(slot, 2).bytes == (base + UInt256(2)).bigEndianBytes)
    }

    @Test func slotsAreTheHashOfTheNameAndKeys() {
        // keccak256(abi.encodePacked("nodeCount", bytes1(0))).
        #expect(StorageLayout.slot("nodeCount") == Keccak256.hash(Array("nodeCount".utf8) + [0]))
        #expect(StorageLayout.slot("a", [1], [2, 3]) == Keccak256.hash([0x61, 0, 1, 2, 3]))
    }

    @Test func wordsThatCannotBeAHeadAreRefused() {
        // A short length over 31, bytes after a short value, a long length under 32 or over the bound.
        #expect(StorageLayout.head(UInt256(64)) == nil)
        #expect(StorageLayout.head(UInt256(bigEndian: [1] + [UInt8](repeating: 0, count: 30) + [2])!) == .short([1]))
        #expect(StorageLayout.head(UInt256(bigEndian: [1, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 26) + [2])!) == nil)
        #expect(StorageLayout.head(UInt256(3)) == nil)
        #expect(StorageLayout.head(UInt256(UInt64(StorageLayout.maxValueBytes) * 2 + 3)) == nil)
        #expect(StorageLayout.head(UInt256.max) == nil)
    }
}
