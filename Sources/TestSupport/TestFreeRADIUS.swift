#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A private FreeRADIUS for one test database, started with the same script and configuration `make run`
/// uses (`infra/freeradius.sh`), on free loopback ports, and stopped (its directory removed) afterwards.
/// Requests go through FreeRADIUS' own `radclient`, so what is checked is what a NAS would get.
package struct TestFreeRADIUS: Sendable {
    package let authPort: Int
    package let acctPort: Int
    package let secret = "uplink-test-secret"
    let directory: String
    let environment: [String: String]

    /// Starts FreeRADIUS on `database` of the test cluster, runs `body`, stops it whatever happens.
    package static func with<T: Sendable>(database: String, _ body: (TestFreeRADIUS) async throws -> T) async throws -> T {
        let authPort = try await TestPorts.freeUDP()
        var acctPort = try await TestPorts.freeUDP()
        while acctPort == authPort { acctPort = try await TestPorts.freeUDP() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-radius-\(database)").path
        let pgPort = URLComponents(string: ProcessInfo.processInfo.environment["UPLINK_DATABASE_URL"] ?? "")?.port ?? 55433
        var environment = ProcessInfo.processInfo.environment
        environment["UPLINK_RADIUS_DIR"] = directory
        environment["UPLINK_RADIUS_DB"] = database
        environment["UPLINK_PG_PORT"] = String(pgPort)
        environment["UPLINK_RADIUS_AUTH_PORT"] = String(authPort)
        environment["UPLINK_RADIUS_ACCT_PORT"] = String(acctPort)
        environment["UPLINK_RADIUS_SECRET"] = "uplink-test-secret"
        let server = TestFreeRADIUS(authPort: authPort, acctPort: acctPort, directory: directory, environment: environment)
        try await server.script("start")
        do {
            let result = try await body(server)
            try? await server.script("stop")
            try? FileManager.default.removeItem(atPath: directory)
            return result
        } catch {
            try? await server.script("stop")
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// An Access-Request with `User-Password` (PAP) and any further attributes (`Calling-Station-Id`, …).
    package func authenticate(_ username: String, _ password: String, _ attributes: [String: String] = [:]) async throws -> RadiusReply {
        var lines = ["User-Name = \"\(username)\"", "User-Password = \"\(password)\"", "NAS-IP-Address = 127.0.0.1"]
        lines += attributes.sorted(by: { $0.key < $1.key }).map { "\($0.key) = \"\($0.value)\"" }
        return try await radclient(port: authPort, kind: "auth", lines: lines)
    }

    /// An Accounting-Request (Start, Interim-Update, Stop, Accounting-On/Off as `Acct-Status-Type` says).
    package func account(_ attributes: [String: String]) async throws -> RadiusReply {
        let lines = attributes.sorted(by: { $0.key < $1.key }).map { "\($0.key) = \"\($0.value)\"" }
        return try await radclient(port: acctPort, kind: "acct", lines: lines)
    }

    private func radclient(port: Int, kind: String, lines: [String]) async throws -> RadiusReply {
        let output = try await TestProcess.run(
            "/usr/bin/radclient", ["-x", "-r", "2", "-t", "3", "127.0.0.1:\(port)", kind, secret],
            input: lines.joined(separator: "\n") + "\n"
        )
        return RadiusReply(radclientOutput: output.stdout)
    }

    private func script(_ command: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try await TestProcess.run("/bin/bash", [root.appendingPathComponent("infra/freeradius.sh").path, command], environment: environment)
        guard result.status == 0 else {
            throw TestFailure("freeradius.sh \(command) exited \(result.status):\n\(result.stdout)\n\(result.stderr)")
        }
    }

}

/// What FreeRADIUS answered: the packet type and its attributes (values unquoted).
package struct RadiusReply: Sendable, CustomStringConvertible {
    package var type: String?
    package var attributes: [(name: String, value: String)] = []
    package var raw: String

    package var accepted: Bool { type == "Access-Accept" }
    package var rejected: Bool { type == "Access-Reject" }

    package subscript(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    package var description: String { raw }

    init(radclientOutput output: String) {
        raw = output
        var receiving = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("Received ") {
                receiving = true
                type = line.split(separator: " ").dropFirst().first.map(String.init)
                attributes = []
                continue
            }
            if line.hasPrefix("Sent ") || line.hasPrefix("(") { receiving = false; continue }
            guard receiving, let equals = line.range(of: " = ") else { continue }
            let name = line[..<equals.lowerBound].trimmingCharacters(in: .whitespaces)
            var value = line[equals.upperBound...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            attributes.append((name, value))
        }
    }
}

/// Runs a program to completion on a thread of its own. Spawned with `posix_spawn` and reaped with a blocking
/// `waitpid`, not through Foundation's `Process`: the test process blocks signals (SIGCHLD among them) that a
/// child would otherwise inherit, so the child starts with an empty signal mask and default handlers, and
/// its exit is collected without any signal. Output goes through temporary files, never pipes a daemonising
/// grandchild could hold open.
package enum TestProcess {
    package struct Result: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    package static func run(_ path: String, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil) async throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-process-\(UUID().uuidString)").path
        let (inPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inPath))
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                defer { for file in [inPath, outPath, errPath] { unlink(file) } }
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var mask = sigset_t()
                sigemptyset(&mask)
                posix_spawnattr_setsigmask(&attributes, &mask)
                var defaults = sigset_t()
                sigfillset(&defaults)
                posix_spawnattr_setsigdefault(&attributes, &defaults)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

                let argv = ([path] + arguments).map { strdup($0) } + [nil]
                let envp = environment.map { strdup($0) } + [nil]
                defer { for pointer in argv + envp { free(pointer) } }
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
                guard spawned == 0 else {
                    continuation.resume(throwing: TestFailure("cannot start \(path): error \(spawned)"))
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                let read = { (file: String) in (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
                continuation.resume(returning: Result(status: exitCode, stdout: read(outPath), stderr: read(errPath)))
            }
        }
    }
}

