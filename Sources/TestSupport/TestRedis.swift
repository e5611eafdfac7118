import Foundation

/// A private Redis on a free loopback port, for tests that stop and start it (a Redis outage) without
/// touching the suite's shared one. Ephemeral: no snapshots, no AOF, so a restart comes back empty, the
/// worst case for the job queue.
package struct TestRedis: Sendable {
    package let port: Int
    let directory: String

    package var url: String { "redis://127.0.0.1:\(port)" }

    package static func with<T: Sendable>(_ body: (TestRedis) async throws -> T) async throws -> T {
        let port = try await TestPorts.freeTCP()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-redis-\(port)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let redis = TestRedis(port: port, directory: directory)
        try await redis.start()
        do {
            let result = try await body(redis)
            await redis.stop()
            try? FileManager.default.removeItem(atPath: directory)
            return result
        } catch {
            await redis.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Starts the server (again, on the same port) and waits until it answers.
    package func start() async throws {
        // Through a shell that closes every inherited descriptor first: the daemon must not keep a copy of
        // a parallel test's socket (that test's connection would stay open, its port bound).
        let result = try await TestProcess.run("/bin/bash", [
            "-c", "for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] 2>/dev/null && eval \"exec $fd>&-\" 2>/dev/null; done; exec \"$0\" \"$@\"",
            "/usr/bin/redis-server",
            "--daemonize", "yes", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", directory, "--pidfile", directory + "/redis.pid", "--logfile", directory + "/redis.log",
        ])
        guard result.status == 0 else { throw TestFailure("redis-server did not start: \(result.stderr)") }
        for _ in 0..<100 {
            if try await TestProcess.run("/usr/bin/redis-cli", ["-p", String(port), "ping"]).stdout.contains("PONG") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("redis-server on \(port) did not answer")
    }

    /// Stops the server, dropping its data.
    package func stop() async {
        _ = try? await TestProcess.run("/usr/bin/redis-cli", ["-p", String(port), "shutdown", "nosave"])
        for _ in 0..<100 {
            guard let answer = try? await TestProcess.run("/usr/bin/redis-cli", ["-p", String(port), "ping"]),
                  answer.stdout.contains("PONG") else { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
