@testable import MoteMQTT
import Testing

/// The protocol state machine alone: no sockets.
@Suite struct MQTTSessionTests {
    @Test func connectsThenTracksPacketIDs() {
        var session = MQTTSession()
        #expect(session.receive(.connack(sessionPresent: false, returnCode: 0)) == .connected(sessionPresent: false))
        let id = session.allocateID(for: .puback)!
        let other = session.allocateID(for: .suback)!
        #expect(id != other)
        #expect(session.receive(.puback(packetID: id)) == .published(packetID: id))
        #expect(session.receive(.suback(packetID: other, returnCodes: [1])) == .subscribed(packetID: other, returnCodes: [1]))
        #expect(session.inFlight.isEmpty)
    }

    @Test func refusesAcknowledgementsOfUnknownIDs() {
        var session = MQTTSession()
        _ = session.receive(.connack(sessionPresent: false, returnCode: 0))
        guard case .close(let error) = session.receive(.puback(packetID: 77)) else {
            Issue.record("expected a close")
            return
        }
        #expect(error.code == .protocolViolation)
        #expect(session.phase == .closed)
    }

    @Test func refusesAnythingBeforeCONNACKAndReportsRefusals() {
        var session = MQTTSession()
        guard case .close(let error) = session.receive(.pingresp) else { Issue.record("expected a close"); return }
        #expect(error.code == .protocolViolation)
        var refused = MQTTSession()
        guard case .close(let refusal) = refused.receive(.connack(sessionPresent: false, returnCode: 5)) else {
            Issue.record("expected a close"); return
        }
        #expect(refusal.code == .connectionRefused(returnCode: 5))
    }

    @Test func keepAliveClosesWhenAPingGoesUnanswered() {
        var session = MQTTSession()
        #expect(session.keepAliveTick() == .none)
        _ = session.receive(.connack(sessionPresent: false, returnCode: 0))
        #expect(session.keepAliveTick() == .sendPing)
        #expect(session.receive(.pingresp) == .none)
        #expect(session.keepAliveTick() == .sendPing)
        guard case .close(let error) = session.keepAliveTick() else { Issue.record("expected a close"); return }
        #expect(error.code == .timeout)
    }

    @Test func packetIDsSkipThoseInFlightAndWrap() {
        var session = MQTTSession()
        _ = session.receive(.connack(sessionPresent: false, returnCode: 0))
        var seen = Set<UInt16>()
        for _ in 0..<65_535 { seen.insert(session.allocateID(for: .puback)!) }
        #expect(seen.count == 65_535 && !seen.contains(0))
        #expect(session.allocateID(for: .puback) == nil)
        session.release(42)
        #expect(session.allocateID(for: .puback) == 42)
    }
}
