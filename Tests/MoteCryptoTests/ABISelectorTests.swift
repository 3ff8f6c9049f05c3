import MoteCrypto
import MotePrimitives
import Testing

@Suite struct ABISelectorTests {
    @Test(arguments: [
        ("transfer(address,uint256)", "0xa9059cbb"),
        ("balanceOf(address)", "0x70a08231"),
        ("approve(address,uint256)", "0x095ea7b3"),
        // The Solidity ABI spec's examples.
        ("baz(uint32,bool)", "0xcdcd77c0"),
        ("bar(bytes3[2])", "0xfce353f6"),
        ("sam(bytes,bool,uint[])", "0xa5643bf2"),
        ("f(uint,uint32[],bytes10,bytes)", "0x8be65246"),
        ("g(uint[][],string[])", "0x2289b18c"),
    ])
    func selectors(signature: String, selector: String) throws {
        let function = try ABIFunction(signature: signature)
        #expect(function.selector.hexString == selector)
        #expect(try ABIFunction(signature: function.signature) == function)
    }

    @Test func canonicalSignature() throws {
        let function = try ABIFunction(signature: "sam(bytes,bool,uint[])")
        #expect(function.name == "sam")
        #expect(function.signature == "sam(bytes,bool,uint256[])")
        #expect(function.inputs == [.bytes, .bool, .array(.uint(256))])
        #expect(try ABIFunction(signature: "totalSupply()").inputs == [])
        let built = ABIFunction(name: "f", inputs: [.tuple([.address, .uint(256)]), .array(.bytes)])
        #expect(built.signature == "f((address,uint256),bytes[])")
    }

    @Test(arguments: ["", "transfer", "(address)", "1f(uint256)", "f(uint256", "f(uint7)", "f g(bool)", "f(bool))", "f(bool)x"])
    func rejectsBadSignatures(text: String) {
        #expect(throws: ABIError.self) { try ABIFunction(signature: text) }
    }

    @Test func specCalldata() throws {
        let baz = try ABIFunction(signature: "baz(uint32,bool)", outputs: [.bool])
        #expect(try baz.encodeCall([.uint(69), .bool(true)]).hexString == "0xcdcd77c0"
            + "0000000000000000000000000000000000000000000000000000000000000045"
            + "0000000000000000000000000000000000000000000000000000000000000001")
        #expect(try baz.decodeOutput([UInt8](repeating: 0, count: 32)) == [.bool(false)])
        #expect(try baz.encodeOutput([.bool(false)]) == [UInt8](repeating: 0, count: 32))

        let bar = try ABIFunction(signature: "bar(bytes3[2])")
        #expect(try bar.encodeCall([.array([.fixedBytes(Array("abc".utf8)), .fixedBytes(Array("def".utf8))])]).hexString
            == "0xfce353f6"
            + "6162630000000000000000000000000000000000000000000000000000000000"
            + "6465660000000000000000000000000000000000000000000000000000000000")

        let sam = try ABIFunction(signature: "sam(bytes,bool,uint256[])")
        let samCall = try [UInt8](hex: "0xa5643bf2"
            + "0000000000000000000000000000000000000000000000000000000000000060"
            + "0000000000000000000000000000000000000000000000000000000000000001"
            + "00000000000000000000000000000000000000000000000000000000000000a0"
            + "0000000000000000000000000000000000000000000000000000000000000004"
            + "6461766500000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000003"
            + "0000000000000000000000000000000000000000000000000000000000000001"
            + "0000000000000000000000000000000000000000000000000000000000000002"
            + "0000000000000000000000000000000000000000000000000000000000000003")
        let samArgs: [ABIValue] = [.bytes(Array("dave".utf8)), .bool(true), .array([.uint(1), .uint(2), .uint(3)])]
        #expect(try sam.encodeCall(samArgs) == samCall)
        #expect(try sam.decodeCall(samCall, canonical: true) == samArgs)
    }

    @Test func decodeCallChecksTheSelector() throws {
        let transfer = try ABIFunction(signature: "transfer(address,uint256)", outputs: [.bool])
        let to = try Address(hex: "0x00000000000000000000000000000000000000aa")
        let call = try transfer.encodeCall([.address(to), .uint(1000)])
        #expect(call.count == 68)
        #expect(try transfer.decodeCall(call) == [.address(to), .uint(1000)])
        let approve = try ABIFunction(signature: "approve(address,uint256)")
        #expect(throws: ABIError.self) { try approve.decodeCall(call) }
        #expect(throws: ABIError.self) { try transfer.decodeCall([0xa9, 0x05]) }
        #expect(throws: ABIError.self) { try transfer.decodeCall(Array(call.prefix(40))) }
    }

    @Test func transferEventTopicAndLog() throws {
        let transfer = try ABIEvent(name: "Transfer", parameters: [
            .init(.address, indexed: true), .init(.address, indexed: true), .init(.uint(256)),
        ])
        #expect(transfer.signature == "Transfer(address,address,uint256)")
        #expect(transfer.topic0.hex == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
        let from = try Address(hex: "0x1111111111111111111111111111111111111111")
        let to = try Address(hex: "0x2222222222222222222222222222222222222222")
        let log = try transfer.encodeLog([.address(from), .address(to), .uint(5)])
        #expect(log.topics.count == 3)
        #expect(log.topics[1].hex == "0x000000000000000000000000" + "1111111111111111111111111111111111111111")
        #expect(log.topics[2].hex == "0x000000000000000000000000" + "2222222222222222222222222222222222222222")
        #expect(log.data == (try ABI.encode([.uint(5)], as: [.uint(256)])))
        #expect(throws: ABIError.self) { try transfer.encodeLog([.address(from), .address(to)]) }
    }

    @Test func indexedDynamicValuesAreHashed() throws {
        let event = try ABIEvent(name: "E", parameters: [
            .init(.string, indexed: true), .init(.array(.uint(8)), indexed: true), .init(.tuple([.bytes, .int(8)]), indexed: true),
        ])
        let log = try event.encodeLog([
            .string("hello"), .array([.uint(1), .uint(2)]), .tuple([.bytes([0xab]), .int(-1)]),
        ])
        #expect(log.topics[1] == Keccak256.hash(Array("hello".utf8)))
        #expect(log.topics[2] == Keccak256.hash(try ABI.encode([.uint(1), .uint(2)], as: [.uint(8), .uint(8)])))
        let tuplePreimage = [0xab] + [UInt8](repeating: 0, count: 31) + [UInt8](repeating: 0xff, count: 32)
        #expect(log.topics[3] == Keccak256.hash(tuplePreimage))
        #expect(log.data.isEmpty)
        #expect(throws: ABIError.self) {
            try ABIEvent(name: "TooMany", parameters: Array(repeating: .init(.bool, indexed: true), count: 4))
        }
        #expect(throws: ABIError.self) { try event.encodeLog([.string("x"), .array([.uint(300)]), .tuple([.bytes([]), .int(0)])]) }
    }
}
