import Foundation
import Logging
import Platform
import ProvisioningService
import TestSupport
import Testing

/// A test NAS and a client with short timeouts, both stopped afterwards.
func withNAS(
    timeout: Duration = .seconds(1), tries: Int = 3,
    _ body: (TestNAS, DynamicAuthClient) async throws -> Void
) async throws {
    try await TestNAS.with { nas async throws in
        let client = DynamicAuthClient(logger: Logger(label: "test"), timeout: timeout, tries: tries)
        do {
            try await body(nas, client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Waits (up to two seconds) until `condition` holds: what a NAS received is read on its own event loop,
/// which on a busy machine can lag behind the client's timers.
func eventually(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(2)
    while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
}

let alice = SessionIdentity(userName: "alice", acctSessionID: "81a00001", framedIP: "10.10.0.7", nasIP: "10.0.0.1")

@Suite struct RadiusClientTests {
    @Test func aDisconnectIsSignedSentAndAcknowledged() async throws {
        try await withNAS { nas, client async throws in
            #expect(try await client.disconnect(nas.target(), session: alice) == .ack)
            let request = try #require(nas.received.first)
            #expect(nas.received.count == 1)
            #expect(request.code == .disconnectRequest)
            #expect(request.verification.isValid)
            #expect(request.answer == .disconnectACK)
            #expect(request.attributes.first?.type == .messageAuthenticator)
            #expect(request.attributes.map(\.type) == [.messageAuthenticator, .nasIPAddress, .userName, .acctSessionID, .framedIPAddress])
            #expect(request.packet.userName == "alice")
            #expect(request.packet.acctSessionID == "81a00001")
            #expect(request.packet.framedIPAddress == "10.10.0.7")
            #expect(request.packet.nasIPAddress == "10.0.0.1")
        }
    }

    @Test func aCoACarriesTheNewRateLimit() async throws {
        try await withNAS { nas, client async throws in
            let result = try await client.changeOfAuthorization(nas.target(), session: alice, attributes: [.vendor(14988, 8, "10M/20M")])
            #expect(result == .ack)
            let request = try #require(nas.received.first)
            #expect(request.code == .coaRequest)
            #expect(request.answer == .coaACK)
            #expect(request.verification.isValid)
            #expect(request.packet.vendorAttribute(14988, 8) == Array("10M/20M".utf8))
        }
    }

    @Test func anUnknownSessionIsNAK503WithItsDescription() async throws {
        try await withNAS { nas, client async throws in
            nas.knownSessions = ["81a00001"]
            #expect(try await client.disconnect(nas.target(), session: alice) == .ack)
            nas.behaviour.replyMessage = "no such session"
            let result = try await client.disconnect(nas.target(), session: SessionIdentity(userName: "bob", acctSessionID: "81a00002"))
            #expect(result == .nak(errorCause: .sessionContextNotFound, message: "no such session"))
            #expect(result.description == "NAK: Session Context Not Found (503), \"no such session\"")
            #expect(nas.received.last?.answer == .disconnectNAK)

            nas.behaviour.answer = .nak(.administrativelyProhibited)
            nas.behaviour.replyMessage = nil
            let refused = try await client.changeOfAuthorization(nas.target(), session: alice, attributes: [.sessionTimeout(seconds: 60)])
            #expect(refused == .nak(errorCause: .administrativelyProhibited, message: nil))
            #expect(nas.received.last?.answer == .coaNAK)
        }
    }

    @Test(arguments: [TestNAS.ResponseFault.badResponseAuthenticator, .badMessageAuthenticator, .missingMessageAuthenticator])
    func anAnswerThatDoesNotAuthenticateIsRejected(_ fault: TestNAS.ResponseFault) async throws {
        try await withNAS(timeout: .milliseconds(300)) { nas, client async throws in
            nas.behaviour.responseFault = fault
            await #expect(throws: RadiusError.badAuthenticator) { try await client.disconnect(nas.target(), session: alice) }
            // Each bad answer was dropped and the request kept trying.
            try await eventually { nas.received.count == 3 }
            #expect(nas.received.count == 3)
            #expect(nas.received.allSatisfy { $0.answer == .disconnectACK })
        }
    }

    @Test func aWrongSecretIsDroppedByTheNASAndTimesOut() async throws {
        try await withNAS(timeout: .milliseconds(300), tries: 2) { nas, client async throws in
            await #expect(throws: RadiusError.timeout) { try await client.disconnect(nas.target(secret: "wrong"), session: alice) }
            try await eventually { nas.received.count == 2 }
            #expect(nas.received.count == 2)
            #expect(nas.received.allSatisfy { !$0.verification.authenticatorValid && $0.verification.messageAuthenticator == .invalid })
            #expect(nas.received.allSatisfy { $0.answer == nil })
        }
    }

    @Test func anAnswerOfTheWrongKindIsUnexpected() async throws {
        try await withNAS { nas, client async throws in
            nas.behaviour.responseFault = .wrongCode
            let error = await #expect(throws: RadiusError.self) { try await client.disconnect(nas.target(), session: alice) }
            #expect(error == .unexpectedResponse(code: RadiusCode.coaACK.rawValue))
            #expect(error?.details["radius_code"] == "44")
        }
    }

    @Test func aDroppedFirstTryIsSentAgainUnchangedAndAcknowledged() async throws {
        try await withNAS(timeout: .milliseconds(500)) { nas, client async throws in
            nas.behaviour.ignoreFirst = 1
            #expect(try await client.disconnect(nas.target(), session: alice) == .ack)
            let received = nas.received
            #expect(received.count == 2)
            #expect(received.map(\.answer) == [nil, .disconnectACK])
            #expect(received[0].identifier == received[1].identifier)
            #expect(received[0].octets == received[1].octets)
        }
    }

    @Test func aLateAnswerToAnEarlierTryCounts() async throws {
        try await withNAS(timeout: .seconds(1), tries: 2) { nas, client async throws in
            nas.behaviour.delay = .milliseconds(1500)
            #expect(try await client.disconnect(nas.target(), session: alice) == .ack)
            // The first try's answer arrived while the second try waited; the second's would have come too late.
            try await eventually { nas.received.count == 2 }
            #expect(nas.received.count == 2)
        }
    }

    @Test func aSilentNASTimesOutAfterEveryTry() async throws {
        try await withNAS(timeout: .milliseconds(300), tries: 3) { nas, client async throws in
            nas.behaviour.answer = .silent
            let started = ContinuousClock.now
            let error = await #expect(throws: RadiusError.timeout) { try await client.disconnect(nas.target(), session: alice) }
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            #expect(error?.kind == .unavailable)
            #expect(error?.code == "radius.timeout")
            try await eventually { nas.received.count == 3 }
            #expect(nas.received.count == 3)
            #expect(Set(nas.received.map(\.identifier)).count == 1)
            // The identifier is free again: the next request is answered.
            nas.behaviour.answer = .ack
            #expect(try await client.disconnect(nas.target(), session: alice) == .ack)
        }
    }

    @Test func fiftyConcurrentDisconnectsAreEachMatchedToTheirOwnAnswer() async throws {
        try await withNAS(timeout: .seconds(2)) { nas, client async throws in
            nas.knownSessions = Set((0..<50).filter { $0.isMultiple(of: 2) }.map { "s\($0)" })
            // Answers overtake each other: only the identifiers can match them up.
            nas.behaviour.jitter = .milliseconds(60)
            try await withThrowingTaskGroup(of: (Int, DynamicAuthResult).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let session = SessionIdentity(userName: "user\(index)", acctSessionID: "s\(index)")
                        return (index, try await client.disconnect(nas.target(), session: session))
                    }
                }
                var seen = Set<Int>()
                for try await (index, result) in group {
                    #expect(result == (index.isMultiple(of: 2) ? .ack : .nak(errorCause: .sessionContextNotFound, message: nil)), "session s\(index)")
                    seen.insert(index)
                }
                #expect(seen.count == 50)
            }
            // Retries, should a slow machine cause any, reuse their request's identifier.
            #expect(Set(nas.received.map { $0.packet.acctSessionID }).count == 50)
            #expect(Set(nas.received.map(\.identifier)).count == 50)
            #expect(nas.received.allSatisfy { $0.verification.isValid })
        }
    }

    @Test func moreRequestsThanIdentifiersWaitForOneToFree() async throws {
        try await withNAS(timeout: .seconds(3), tries: 2) { nas, client async throws in
            // A NAS that holds every answer: 256 requests take every identifier, the rest must wait.
            nas.behaviour.answer = .silent
            let sessions = { Set(nas.received.map { $0.packet.acctSessionID ?? "" }) }
            try await withThrowingTaskGroup(of: DynamicAuthResult.self) { group in
                for index in 0..<300 {
                    group.addTask { try await client.disconnect(nas.target(), session: SessionIdentity(acctSessionID: "s\(index)")) }
                }
                try await eventually { sessions().count >= 256 }
                try await Task.sleep(for: .milliseconds(100))
                #expect(sessions().count == 256)
                #expect(Set(nas.received.map(\.identifier)).count == 256)
                // Answered from now on: the retries free identifiers, and the waiting requests go out.
                nas.behaviour.answer = .ack
                var acknowledged = 0
                for try await result in group where result == .ack { acknowledged += 1 }
                #expect(acknowledged == 300)
            }
            #expect(sessions().count == 300)
        }
    }

    @Test func requestsToTwoNASesShareTheSocket() async throws {
        try await withNAS { first, client async throws in
            try await TestNAS.with(secret: "other") { second async throws in
                second.behaviour.answer = .nak(.nasIdentificationMismatch)
                async let one = client.disconnect(first.target(), session: alice)
                async let two = client.disconnect(second.target(), session: alice)
                #expect(try await one == .ack)
                #expect(try await two == .nak(errorCause: .nasIdentificationMismatch, message: nil))
                #expect(first.received.first?.sourcePort == second.received.first?.sourcePort)
            }
        }
    }

    @Test func requestsThatCannotBeSentFailBeforeTheWire() async throws {
        try await withNAS { nas, client async throws in
            await #expect(throws: RadiusError.invalidRequest("the NAS address is not an IP address and port")) {
                try await client.disconnect(DynamicAuthTarget(host: "nas.example", secret: "s3cret"), session: alice)
            }
            await #expect(throws: RadiusError.invalidRequest("the shared secret is empty")) {
                try await client.disconnect(nas.target(secret: ""), session: alice)
            }
            await #expect(throws: RadiusError.invalidRequest("no attribute identifies the session")) {
                try await client.disconnect(nas.target(), session: SessionIdentity(nasIP: "10.0.0.1"))
            }
            await #expect(throws: RadiusError.self) {
                try await client.changeOfAuthorization(nas.target(), session: alice, attributes: [.replyMessage(String(repeating: "x", count: 254))])
            }
            #expect(nas.received.isEmpty)
        }
    }

    @Test func shutdownFailsWaitingAndLaterRequests() async throws {
        try await TestNAS.with { nas async throws in
            nas.behaviour.answer = .silent
            let client = DynamicAuthClient(logger: Logger(label: "test"), timeout: .seconds(5), tries: 1)
            async let waiting: RadiusError? = {
                do {
                    _ = try await client.disconnect(nas.target(), session: alice)
                    return nil
                } catch {
                    return error as? RadiusError
                }
            }()
            while nas.received.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            await client.shutdown()
            let failure = await waiting
            #expect(failure == .unreachable("the RADIUS client is shut down"))
            await #expect(throws: RadiusError.unreachable("the RADIUS client is shut down")) {
                try await client.disconnect(nas.target(), session: alice)
            }
        }
    }
}
