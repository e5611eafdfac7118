import Logging
import ProvisioningService
import TestSupport
import Testing

/// The connection test's verdicts: each failure a router can show gets a reason an operator can act on.
@Suite struct RouterProbeTests {
    let probe = RouterProbe(deadline: .seconds(2), logger: Logger(label: "test"))

    @Test func aWorkingRouterReportsItsVersionAndBoard() async throws {
        try await RouterOSSimulator.with(password: "pw", version: "7.18.2 (stable)") { router in
            let outcome = await probe.check(router.clientConfig())
            #expect(outcome == RouterProbe.Outcome(ok: true, message: "RouterOS 7.18.2 (stable), board CHR"))
            #expect(router.receivedSentences.map(\.head) == ["/login", "/system/resource/print"])
            // The test's connection is closed afterwards (seen by the router within moments, even on a busy machine).
            for _ in 0..<200 where router.openConnections > 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(router.openConnections == 0)
        }
    }

    @Test func failuresAreNamed() async throws {
        try await RouterOSSimulator.with(password: "pw") { router in
            let wrong = await probe.check(router.clientConfig(password: "nope"))
            #expect(wrong == RouterProbe.Outcome(ok: false, message: "login failed: invalid user name or password (6)"))

            router.faults.trap = RouterOSSimulator.ForcedTrap(pathPrefix: "/system", message: "not enough permissions (9)")
            let refused = await probe.check(router.clientConfig())
            #expect(refused.message == "the router refused /system/resource/print: not enough permissions (9)")
            router.faults.trap = nil

            // The deadline, not the router, ends a test that gets no answer.
            router.faults.replyDelay = .seconds(8)
            let start = ContinuousClock.now
            let slow = await probe.check(router.clientConfig())
            #expect(slow == RouterProbe.Outcome(ok: false, message: "timeout: the router did not answer within 2 s"))
            #expect(ContinuousClock.now - start < .seconds(6))
            router.faults.replyDelay = .zero

            // TLS to the plain API port, and (below) the other way round. The plain API reads the random bytes
            // of a TLS hello as words: it either waits for more or finds a byte no word may start with and closes.
            let tlsToPlain = await probe.check(router.clientConfig(tls: .init(verifyCertificate: false)))
            #expect(!tlsToPlain.ok)
            // (A busy machine may also see the plain API close first: the connection failed.)
            #expect(tlsToPlain.message == "timeout: the router did not answer within 2 s (is api-ssl served on this port?)"
                || tlsToPlain.message.hasPrefix("TLS failure: the TLS handshake with the router failed")
                || tlsToPlain.message.hasPrefix("unreachable: the connection failed"), "\(tlsToPlain.message)")

            // Nothing listens on port 1.
            var closed = router.clientConfig()
            closed.port = 1
            let down = await probe.check(closed)
            #expect(down.message.hasPrefix("unreachable: connection refused"), "\(down.message)")
        }
        try await RouterOSSimulator.with(password: "pw", tls: true) { router in
            let untrusted = await probe.check(router.clientConfig(tls: .init(verifyCertificate: true)))
            #expect(untrusted.message.hasPrefix("TLS failure: the router's certificate is not trusted"), "\(untrusted.message)")
            let plainToTLS = await probe.check(router.clientConfig().withoutTLS)
            #expect(plainToTLS.message.hasPrefix("unreachable: the router closed the connection"), "\(plainToTLS.message)")
            #expect(await probe.check(router.clientConfig()).ok)
        }
        let nowhere = await probe.check(RouterOSConfig(host: "no-such-router.invalid", username: "admin", password: ""))
        // No resolver in reach at all is a timeout; otherwise the name does not resolve.
        #expect(nowhere.message == "unreachable: the host name does not resolve" || nowhere.message.hasPrefix("timeout"), "\(nowhere.message)")
    }
}

private extension RouterOSConfig {
    var withoutTLS: RouterOSConfig {
        var config = self
        config.tls = nil
        return config
    }
}
