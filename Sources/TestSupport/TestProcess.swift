#if canImport(Glibc)
import Glibc
#endif
import Foundation

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

