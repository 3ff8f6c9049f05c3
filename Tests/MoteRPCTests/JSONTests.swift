import MotePrimitives
import MoteRPC
import Testing

/// The JSON parser is strict and bounded; the writer is canonical.
@Suite struct JSONTests {
    @Test func parsesAndWritesEveryKind() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":"x\"y\\z\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try JSON.parse(text)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["b"] == .string("x\"y\\z\né😀"))
        #expect(value["c"] == .object([:]))
        // Keys sorted, strings escaped; parsing the output gives the same value.
        #expect(try JSON.parse(value.serialized) == value)
        #expect(JSON.object(["b": .int(1), "a": .string("\u{1}")]).text == #"{"a":"\u0001","b":1}"#)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"\u{1}\"", "tru", "[1] 2", "{\"a\" 1}",
        "\"\\ud800\"", "\"\\udc00\"", "{\"a\":1,\"a\":2}", "nul", "[\"\\u12\"]",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        _ = try JSON.parse(fine)
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xff, 0x22]) }
    }
}
