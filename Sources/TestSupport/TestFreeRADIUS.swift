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
