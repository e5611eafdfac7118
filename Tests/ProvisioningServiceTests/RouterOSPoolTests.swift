import Logging
import ProvisioningService
import TestSupport
import Testing

@Suite struct RouterOSPoolTests {
    @Test func oneClientPerRouterAndUser() async throws {
        try await RouterOSSimulator.with(password: "pw") { first async throws in
            try await RouterOSSimulator.with(password: "pw") { second async throws in
                let pool = RouterOSPool(logger: Logger(label: "test"))
                let a = try await pool.client(for: first.clientConfig())
                let again = try await pool.client(for: first.clientConfig())
                #expect(a === again)
                let b = try await pool.client(for: second.clientConfig())
                #expect(a !== b)
                #expect(pool.count == 2)

                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<10 {
                        group.addTask { try await pool.run("/ip/pool/add", on: first.clientConfig(), attributes: ["name": "p\(index)"]) }
                        group.addTask { try await pool.run("/ip/pool/add", on: second.clientConfig(), attributes: ["name": "p\(index)"]) }
                    }
                    try await group.waitForAll()
                }
                #expect(first.rows("/ip/pool").count == 10)
                #expect(second.rows("/ip/pool").count == 10)
                #expect(first.acceptedConnections == 1)
                #expect(second.acceptedConnections == 1)
                await pool.shutdown()
            }
        }
    }

    @Test func changedCredentialsReplaceTheConnection() async throws {
        try await RouterOSSimulator.with(password: "new") { router async throws in
            let pool = RouterOSPool(logger: Logger(label: "test"))
            await #expect(throws: RouterOSError.self) { try await pool.run("/ip/pool/print", on: router.clientConfig(password: "old")) }
            let old = try await pool.client(for: router.clientConfig(password: "old"))
            let new = try await pool.client(for: router.clientConfig(password: "new"))
            #expect(old !== new)
            #expect(pool.count == 1)
            await #expect(throws: RouterOSError.connectionFailed("client closed")) { try await old.run("/ip/pool/print") }
            #expect(try await pool.run("/ip/pool/print", on: router.clientConfig()).isEmpty)
            await pool.remove(router.clientConfig())
            #expect(pool.count == 0)
            await pool.shutdown()
        }
    }

    @Test func aShutDownPoolRefusesWork() async throws {
        try await RouterOSSimulator.with { router async throws in
            let pool = RouterOSPool(logger: Logger(label: "test"))
            #expect(try await pool.run("/ip/pool/print", on: router.clientConfig()).isEmpty)
            await pool.shutdown()
            #expect(pool.count == 0)
            await #expect(throws: RouterOSError.self) { try await pool.run("/ip/pool/print", on: router.clientConfig()) }
            // The router sees the connection go.
            for _ in 0..<200 where router.openConnections > 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(router.openConnections == 0)
        }
    }

    @Test func configurationsNeverPrintThePassword() {
        let config = RouterOSConfig(host: "10.1.1.1", username: "api", password: "hunter2", tls: .init(verifyCertificate: false))
        #expect(!"\(config)".contains("hunter2"))
        #expect(config.port == 8729)
        #expect(RouterOSConfig(host: "r1", username: "api", password: "x").port == 8728)
    }
}

@Suite struct RouterOSTLSTests {
    @Test func selfSignedRouterWithVerificationOff() async throws {
        try await RouterOSSimulator.with(password: "pw", tls: true) { router async throws in
            let client = RouterOSClient(config: router.clientConfig(tls: .init(verifyCertificate: false)), logger: Logger(label: "test"))
            #expect(try await client.add("/ppp/secret", ["name": "tls-user"]) == "*1")
            #expect(try await client.run("/ppp/secret/print").map { $0["name"] } == ["tls-user"])
            await client.close()
        }
    }

    @Test func verifiedAgainstTheRoutersOwnCertificate() async throws {
        try await RouterOSSimulator.with(password: "pw", tls: true) { router async throws in
            let tls = RouterOSConfig.TLS(verifyCertificate: true, trustedRootsPEM: RouterOSSimulator.certificatePEM)
            let client = RouterOSClient(config: router.clientConfig(tls: tls), logger: Logger(label: "test"))
            #expect(try await client.run("/system/resource/print").first?["version"] == "7.16")
            await client.close()
        }
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        try await RouterOSSimulator.with(password: "pw", tls: true) { router async throws in
            let client = RouterOSClient(config: router.clientConfig(tls: .init(verifyCertificate: true)), logger: Logger(label: "test"))
            let error = await #expect(throws: RouterOSError.self) { try await client.run("/system/resource/print") }
            if case .connectionFailed = error {} else { Issue.record("expected connectionFailed, got \(String(describing: error))") }
            await client.close()
        }
    }

    @Test func plainTextToATLSPortFailsInsteadOfHanging() async throws {
        try await RouterOSSimulator.with(password: "pw", tls: true) { router async throws in
            var config = router.clientConfig(commandTimeout: .seconds(2))
            config.tls = nil
            let client = RouterOSClient(config: config, logger: Logger(label: "test"))
            await #expect(throws: RouterOSError.self) { try await client.run("/system/resource/print") }
            await client.close()
        }
    }
}
