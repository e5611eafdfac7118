import Logging
import Platform
import ProvisioningService
import TestSupport
import Testing

/// A simulator and a client logged in to it, both closed afterwards.
func withRouter(
    password: String = "s3cret", saysEmpty: Bool = false, commandTimeout: Duration = .seconds(5),
    _ body: (RouterOSSimulator, RouterOSClient) async throws -> Void
) async throws {
    try await RouterOSSimulator.with(password: password, saysEmpty: saysEmpty) { router async throws in
        let client = RouterOSClient(config: router.clientConfig(commandTimeout: commandTimeout), logger: Logger(label: "test"))
        do {
            try await body(router, client)
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }
}

@Suite struct RouterOSClientTests {
    @Test func logsInAndRunsACommand() async throws {
        try await withRouter { router, client async throws in
            let resource = try await client.run("/system/resource/print")
            #expect(resource.count == 1)
            #expect(resource.first?["version"] == "7.16")
            #expect(resource.first?["board-name"] == "CHR")
            #expect(router.receivedSentences.first?.words.first == "/login")
            #expect(router.receivedSentences.first?.attributes["name"] == "admin")
        }
    }

    @Test func aWrongPasswordIsLoginFailed() async throws {
        try await RouterOSSimulator.with(password: "right") { router async throws in
            let wrong = RouterOSClient(config: router.clientConfig(password: "wrong"), logger: Logger(label: "test"))
            await #expect(throws: RouterOSError.loginFailed("invalid user name or password (6)")) {
                try await wrong.run("/system/resource/print")
            }
            // Not remembered as a broken connection: each call tries again, and fails again.
            await #expect(throws: RouterOSError.loginFailed("invalid user name or password (6)")) {
                try await wrong.run("/system/resource/print")
            }
            await wrong.close()
            let right = RouterOSClient(config: router.clientConfig(), logger: Logger(label: "test"))
            #expect(try await right.run("/system/resource/print").count == 1)
            await right.close()
        }
    }

    @Test func addPrintSetRemoveRoundTrip() async throws {
        try await withRouter { router, client async throws in
            let id = try await client.add("/ppp/secret", ["name": "alice", "password": "pw=1", "profile": "10M"])
            #expect(id == "*1")
            let bob = try await client.add("/ppp/secret", ["name": "bob", "password": "x"])
            #expect(bob == "*2")

            let alice = try await client.run("/ppp/secret/print", queries: ["?name=alice"])
            #expect(alice.count == 1)
            #expect(alice.first?[".id"] == id)
            #expect(alice.first?["password"] == "pw=1")
            #expect(alice.first?["service"] == "any")

            try await client.run("/ppp/secret/set", attributes: [".id": id, "profile": "20M", "disabled": "yes"])
            let changed = try await client.run("/ppp/secret/print", attributes: [".proplist": "name,profile,disabled"], queries: ["name=alice"])
            #expect(changed == [["name": "alice", "profile": "20M", "disabled": "true"]])

            try await client.run("/ppp/secret/remove", attributes: [".id": id])
            #expect(try await client.run("/ppp/secret/print").map { $0["name"] } == ["bob"])
            #expect(router.rows("/ppp/secret").map { $0["name"] } == ["bob"])
            #expect(router.acceptedConnections == 1)
        }
    }

    @Test func fiftyConcurrentCommandsShareOneConnectionAndGetTheirOwnAnswers() async throws {
        try await withRouter { router, client async throws in
            for index in 0..<50 { router.insert("/queue/simple", ["name": "q\(index)", "max-limit": "\(index)M/\(index)M"]) }
            // Replies come back in random order: only the tags can match them up.
            router.faults.replyJitter = .milliseconds(40)
            try await withThrowingTaskGroup(of: (Int, [[String: String]]).self) { group in
                for index in 0..<50 {
                    group.addTask { (index, try await client.run("/queue/simple/print", queries: ["?name=q\(index)"])) }
                }
                var seen = Set<Int>()
                for try await (index, rows) in group {
                    #expect(rows.count == 1)
                    #expect(rows.first?["name"] == "q\(index)")
                    #expect(rows.first?["max-limit"] == "\(index)M/\(index)M")
                    seen.insert(index)
                }
                #expect(seen.count == 50)
            }
            #expect(router.acceptedConnections == 1)
            let tags = router.receivedSentences.compactMap(\.tag)
            #expect(tags.count == 51)
            #expect(Set(tags).count == 51)
        }
    }

    @Test func concurrentAddsOnAFreshClientOpenOneConnection() async throws {
        try await withRouter { router, client async throws in
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 { group.addTask { try await client.add("/ip/pool", ["name": "pool\(index)", "ranges": "10.\(index).0.2-10.\(index).0.254"]) } }
                var ids = Set<String>()
                for try await id in group { ids.insert(id) }
                #expect(ids.count == 20)
            }
            #expect(router.acceptedConnections == 1)
            #expect(router.rows("/ip/pool").count == 20)
        }
    }

    @Test func aTrapIsATypedErrorAndTheConnectionLivesOn() async throws {
        try await withRouter { router, client async throws in
            try await client.add("/queue/simple", ["name": "q1", "target": "10.0.0.1/32"])
            await #expect(throws: RouterOSError.trap(category: nil, message: "failure: already have such name")) {
                try await client.add("/queue/simple", ["name": "q1", "target": "10.0.0.2/32"])
            }
            await #expect(throws: RouterOSError.trap(category: nil, message: "no such command")) {
                try await client.run("/interface/frobnicate")
            }
            router.faults.trap = RouterOSSimulator.ForcedTrap(pathPrefix: "/queue/simple", message: "failure: router busy")
            let error = await #expect(throws: RouterOSError.self) { try await client.run("/queue/simple/print") }
            #expect(error == .trap(category: nil, message: "failure: router busy"))
            #expect(error?.kind == .conflict)
            #expect(error?.details["router_message"] == "failure: router busy")
            // Other menus still answer.
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            router.faults.trap = nil
            #expect(try await client.run("/queue/simple/print").count == 1)
            #expect(router.acceptedConnections == 1)
        }
    }

    @Test func aSilentRouterTimesOutAndTheNextCallReconnects() async throws {
        try await withRouter(commandTimeout: .milliseconds(300)) { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            // The reply would come long after the 300 ms timeout, even on a busy machine.
            router.faults.replyDelay = .seconds(5)
            let clock = ContinuousClock()
            let started = clock.now
            await #expect(throws: RouterOSError.timeout) { try await client.run("/ppp/secret/print") }
            #expect(clock.now - started < .seconds(4))
            // Nothing arrived while the command waited, so that connection was given up.
            router.faults.replyDelay = .zero
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            #expect(router.acceptedConnections == 2)
        }
    }

    @Test func aSlowCommandOnALiveConnectionIsCancelledNotTheConnection() async throws {
        try await withRouter { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            router.faults.replyDelay = .milliseconds(1500)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Answered at about 1.5 s: after the other command went out (at 0.2 s, or up to 1.3 s late on a
                // busy machine) and before it times out (1.4 s after it went out): proof the router is alive.
                group.addTask { _ = try await client.execute("/ip/pool/print", timeout: .seconds(5)) }
                try await Task.sleep(for: .milliseconds(200))
                await #expect(throws: RouterOSError.timeout) {
                    try await client.execute("/queue/simple/print", timeout: .milliseconds(1400))
                }
                try await group.waitForAll()
            }
            router.faults.replyDelay = .zero
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            #expect(router.acceptedConnections == 1)
            #expect(router.receivedSentences.contains { $0.head == "/cancel" && $0.attributes["tag"] != nil })
        }
    }

    @Test func aDroppedConnectionFailsTheCommandThenTheNextCallReconnects() async throws {
        // A long command timeout: the close, not the clock, must end the command, however busy the machine.
        try await withRouter(commandTimeout: .seconds(60)) { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            // The login and that print were two sentences: the next one is not answered.
            router.faults.closeAfterSentences = 2
            let error = await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }
            #expect(error == .connectionFailed("connection closed"))
            router.faults.closeAfterSentences = nil
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            #expect(router.acceptedConnections == 2)
        }
    }

    @Test func aConnectionClosedWhileIdleIsReplacedOnTheNextCall() async throws {
        try await withRouter { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            await router.dropConnections()
            var recovered = false
            for _ in 0..<20 where !recovered {
                recovered = (try? await client.run("/ppp/secret/print")) != nil
                if !recovered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(recovered)
            #expect(router.acceptedConnections == 2)
        }
    }

    @Test func aRouterThatIsDownIsConnectionFailedUntilItIsBack() async throws {
        try await withRouter { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            await router.stopListening()
            await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }
            let error = await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }
            if case .connectionFailed = error {} else { Issue.record("expected connectionFailed, got \(String(describing: error))") }
            #expect(error?.kind == .unavailable)

            router.faults.closeOnAccept = true
            try await router.startListening()
            await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }

            router.faults.closeOnAccept = false
            #expect(try await client.run("/ppp/secret/print").isEmpty)
        }
    }

    @Test func emptyRepliesFromNewerRouters() async throws {
        try await withRouter(saysEmpty: true) { router, client async throws in
            let empty = try await client.execute("/ppp/active/print")
            #expect(empty.rows.isEmpty)
            #expect(empty.saidEmpty)
            router.addActive(name: "alice", address: "10.0.0.9")
            let one = try await client.execute("/ppp/active/print")
            #expect(one.rows.map { $0["name"] } == ["alice"])
            #expect(!one.saidEmpty)
        }
    }

    @Test func fatalEndsTheSessionAndTheNextCallLogsInAgain() async throws {
        try await withRouter { router, client async throws in
            await #expect(throws: RouterOSError.fatal("session terminated on request")) { try await client.run("/quit") }
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            #expect(router.acceptedConnections == 2)
        }
    }

    @Test func garbageFromTheRouterIsAProtocolViolation() async throws {
        try await withRouter { router, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            router.faults.rawReply = [0xF9]
            let error = await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }
            if case .protocolViolation = error {} else { Issue.record("expected protocolViolation, got \(String(describing: error))") }
            router.faults.rawReply = [0x03, 0x21, 0x6F, 0x6B, 0x00]
            let unknown = await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/print") }
            #expect(unknown == .protocolViolation("unexpected reply word '!ok'"))
            router.faults.rawReply = nil
            #expect(try await client.run("/ppp/secret/print").isEmpty)
        }
    }

    @Test func malformedCommandsAreRefusedBeforeSending() async throws {
        try await withRouter { router, client async throws in
            await #expect(throws: RouterOSError.self) { try await client.run("ppp/secret/print") }
            await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/add", attributes: ["na=me": "x"]) }
            await #expect(throws: RouterOSError.self) { try await client.run("/ppp/secret/add", attributes: ["": "x"]) }
            #expect(router.acceptedConnections == 0)
        }
    }

    @Test func aClosedClientFails() async throws {
        try await withRouter { _, client async throws in
            #expect(try await client.run("/ppp/secret/print").isEmpty)
            await client.close()
            await #expect(throws: RouterOSError.connectionFailed("client closed")) { try await client.run("/ppp/secret/print") }
        }
    }
}
