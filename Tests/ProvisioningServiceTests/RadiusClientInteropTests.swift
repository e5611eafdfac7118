import Foundation
import Logging
import ProvisioningService
import TestSupport
import Testing

/// A FreeRADIUS 3 listening for CoA- and Disconnect-Requests (`listen { type = coa }`), as a stand-in for
/// a NAS built on FreeRADIUS's libraries: it drops requests whose Request Authenticator or
/// Message-Authenticator does not verify, answers NAK 503 for `Acct-Session-Id = "unknown"` and ACK
/// otherwise, echoing any Mikrotik-Rate-Limit in a Reply-Message; its answers carry a Message-Authenticator.
struct FreeRADIUSCoAServer {
    static let binary = "/usr/sbin/freeradius"
    let port: Int
    let secret = "s3cret"
    let directory: URL

    static func with(_ body: (FreeRADIUSCoAServer) async throws -> Void) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "freeradius is missing: install freeradius (infra/install-deps.sh --test does)"
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-coa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await start(in: directory)
        do {
            try await body(FreeRADIUSCoAServer(port: server.port, directory: directory))
            try await stop(server.pid)
        } catch {
            try? await stop(server.pid)
            throw error
        }
    }

    /// Stops the daemon and waits (a little) for it to go, so it writes nothing into a removed directory.
    /// Gone includes a zombie: the daemon is not our child, and whoever inherited it may reap it late.
    private static func stop(_ pid: Int32) async throws {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(2)
        while isRunning(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    private static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the parenthesised command name: "1234 (freeradius) S ...".
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Starts the server on a port below the ephemeral range, where the tests' own client sockets never
    /// land; another run may hold the one picked, so a few are tried.
    private static func start(in directory: URL) async throws -> (pid: Int32, port: Int) {
        var failure = ""
        for _ in 0..<5 {
            let server = FreeRADIUSCoAServer(port: Int.random(in: 20_000..<30_000), directory: directory)
            try server.configuration.write(to: directory.appendingPathComponent("radiusd.conf"), atomically: true, encoding: .utf8)
            let started = try await TestProcess.run(binary, ["-d", directory.path])
            if started.status == 0 {
                let pidText = try String(contentsOf: directory.appendingPathComponent("radiusd.pid"), encoding: .utf8)
                return (try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines))), server.port)
            }
            failure = (try? String(contentsOf: directory.appendingPathComponent("radius.log"), encoding: .utf8)) ?? started.stderr
            guard failure.contains("Address already in use") else { break }
        }
        throw TestFailure("freeradius did not start:\n\(failure)")
    }

    var target: DynamicAuthTarget { DynamicAuthTarget(host: "127.0.0.1", port: port, secret: secret) }

    private var configuration: String {
        let dir = directory.path
        return """
            prefix = /usr
            exec_prefix = /usr
            sysconfdir = /etc
            localstatedir = /var
            sbindir = /usr/sbin
            logdir = \(dir)
            raddbdir = \(dir)
            radacctdir = \(dir)
            name = freeradius
            confdir = \(dir)
            run_dir = \(dir)
            db_dir = \(dir)
            libdir = /usr/lib/freeradius
            dictdir = /usr/share/freeradius
            pidfile = \(dir)/radiusd.pid
            max_request_time = 30
            cleanup_delay = 0
            max_requests = 1024
            hostname_lookups = no
            log {
                destination = files
                file = \(dir)/radius.log
            }
            security {
                allow_core_dumps = no
            }
            thread pool {
                start_servers = 1
                max_servers = 2
                min_spare_servers = 1
                max_spare_servers = 2
            }
            modules {
                always reject {
                    rcode = reject
                }
                always ok {
                    rcode = ok
                }
            }
            policy {
            }
            client local {
                ipaddr = 127.0.0.1
                secret = \(secret)
            }
            listen {
                type = coa
                ipaddr = 127.0.0.1
                port = \(port)
                virtual_server = coa
            }
            server coa {
                recv-coa {
                    update reply {
                        Message-Authenticator := 0x00
                    }
                    if (&Acct-Session-Id == "unknown") {
                        update reply {
                            Error-Cause := Session-Context-Not-Found
                        }
                        reject
                    }
                    if (&Mikrotik-Rate-Limit) {
                        update reply {
                            Reply-Message := "rate %{Mikrotik-Rate-Limit}"
                        }
                    }
                    ok
                }
                send-coa {
                    ok
                }
            }

            """
    }
}

/// FreeRADIUS's own programs against ours. Serialized: each test starts a FreeRADIUS process, and a
/// handful starting at once on a small machine slows every other test's timers.
@Suite(.serialized) enum RadiusClientInteropTests {}

extension RadiusClientInteropTests {
    /// FreeRADIUS's own client against the test NAS: radclient signs requests and checks answers independently
    /// of our code. The test command installs FreeRADIUS (`infra/install-deps.sh`); without radclient these
    /// tests fail rather than pass quietly.
    @Suite struct Radclient {
        static let radclient = "/usr/bin/radclient"

        func radclient(_ kind: String, port: Int, secret: String = "s3cret", timeout: Int = 2, _ lines: [String]) async throws -> String {
            try #require(
                FileManager.default.isExecutableFile(atPath: Self.radclient),
                "radclient is missing: install freeradius-utils (infra/install-deps.sh --test does)"
            )
            let input = lines.joined(separator: "\n") + "\n"
            let result = try await TestProcess.run(Self.radclient, ["-x", "-r", "1", "-t", String(timeout), "127.0.0.1:\(port)", kind, secret], input: input)
            return result.stdout + result.stderr
        }

        @Test func radclientsDisconnectIsVerifiedAndOurAnswerAccepted() async throws {
            try await TestNAS.with { nas async throws in
                let output = try await radclient("disconnect", port: nas.port, [
                    "User-Name = \"alice\"", "Acct-Session-Id = \"81a00001\"", "Message-Authenticator = 0x00",
                ])
                #expect(output.contains("Received Disconnect-ACK"), "\(output)")
                let request = try #require(nas.received.first)
                #expect(request.verification.isValid)
                #expect(request.packet.userName == "alice")
                // Byte for byte what our signer makes of the same attributes and identifier.
                let ours = RadiusPacket(code: .disconnectRequest, identifier: request.identifier, attributes: [
                    .userName("alice"), .acctSessionID("81a00001"), .messageAuthenticatorPlaceholder,
                ])
                #expect(try ours.signedRequest(secret: "s3cret") == request.octets)
            }
        }

        @Test func radclientReadsOurNAKAndItsErrorCause() async throws {
            try await TestNAS.with { nas async throws in
                nas.knownSessions = []
                let output = try await radclient("coa", port: nas.port, [
                    "User-Name = \"alice\"", "Acct-Session-Id = \"81a00001\"", "Mikrotik-Rate-Limit = \"10M/20M\"", "Message-Authenticator = 0x00",
                ])
                #expect(output.contains("Received CoA-NAK"), "\(output)")
                #expect(output.contains("Error-Cause = Session-Context-Not-Found"), "\(output)")
                #expect(nas.received.first?.packet.vendorAttribute(14988, 8) == Array("10M/20M".utf8))
            }
        }

        @Test func radclientRefusesAnAnswerWithABadMessageAuthenticator() async throws {
            try await TestNAS.with { nas async throws in
                nas.behaviour.responseFault = .badMessageAuthenticator
                let output = try await radclient("disconnect", port: nas.port, ["User-Name = \"alice\"", "Message-Authenticator = 0x00"])
                #expect(output.contains("Reply verification failed"), "\(output)")
                #expect(output.contains("invalid Message-Authenticator"), "\(output)")
                #expect(!output.contains("Received Disconnect-ACK"), "\(output)")
                #expect(nas.received.first?.answer == .disconnectACK)
            }
        }

        @Test func radclientsRequestWithAWrongSecretIsDropped() async throws {
            try await TestNAS.with { nas async throws in
                let output = try await radclient("disconnect", port: nas.port, secret: "wrong", timeout: 1, ["User-Name = \"alice\"", "Message-Authenticator = 0x00"])
                #expect(output.contains("No reply"), "\(output)")
                #expect(nas.received.first.map { !$0.verification.authenticatorValid } == true)
                #expect(nas.received.allSatisfy { $0.answer == nil })
            }
        }
    }

    /// Our client against a real FreeRADIUS: it accepts our requests' authenticators, and we accept its answers.
    @Suite struct FreeRADIUSServer {
        @Test func freeRADIUSAcceptsOurRequestsAndWeAcceptItsAnswers() async throws {
            try await FreeRADIUSCoAServer.with { server async throws in
                let client = DynamicAuthClient(logger: Logger(label: "test"), timeout: .seconds(1), tries: 2)
                do {
                    try await exchange(client, server)
                    await client.shutdown()
                } catch {
                    await client.shutdown()
                    throw error
                }
            }
        }

        private func exchange(_ client: DynamicAuthClient, _ server: FreeRADIUSCoAServer) async throws {
            let session = SessionIdentity(userName: "alice", acctSessionID: "81a00001", framedIP: "10.10.0.7", nasIP: "10.0.0.1")
            #expect(try await client.disconnect(server.target, session: session) == .ack)

            let unknown = SessionIdentity(userName: "alice", acctSessionID: "unknown")
            #expect(try await client.disconnect(server.target, session: unknown) == .nak(errorCause: .sessionContextNotFound, message: nil))

            // FreeRADIUS decoded the vendor attribute: it says the rate back.
            let answer = try await client.send(
                .coaRequest, attributes: try session.attributes() + [.vendor(14988, 8, "10M/20M")], to: server.target
            )
            #expect(answer.code == .coaACK)
            #expect(answer.replyMessage == "rate 10M/20M")
        }

        @Test func freeRADIUSDropsAWrongSecret() async throws {
            try await FreeRADIUSCoAServer.with { server async throws in
                let client = DynamicAuthClient(logger: Logger(label: "test"), timeout: .milliseconds(300), tries: 1)
                var target = server.target
                target.secret = "wrong"
                await #expect(throws: RadiusError.timeout) {
                    try await client.disconnect(target, session: SessionIdentity(userName: "alice"))
                }
                await client.shutdown()
            }
        }
    }
}
