import MotePrimitives
import Testing
import Foundation
@Test func abiPerfTmp() throws {
    let v = ABIValue.array((0..<100_000).map { .uint(UInt256(UInt64($0))) })
    let t0 = Date()
    let e = try ABI.encode([v], as: [.array(.uint(256))])
    let t1 = Date()
    let d = try ABI.decode([.array(.uint(256))], from: e)
    let t2 = Date()
    let s = ABIValue.array((0..<20_000).map { _ in .tuple([.address(.zero), .string("hello world"), .array([.uint(1), .uint(2)])]) })
    let ty = ABIType.array(.tuple([.address, .string, .array(.uint(64))]))
    let t3 = Date()
    let e2 = try ABI.encode([s], as: [ty])
    let t4 = Date()
    _ = try ABI.decode([ty], from: e2)
    let t5 = Date()
    print("PERF enc \(t1.timeIntervalSince(t0)) dec \(t2.timeIntervalSince(t1)) \(d.count) | tuples enc \(t4.timeIntervalSince(t3)) dec \(t5.timeIntervalSince(t4)) bytes \(e2.count)")
}
