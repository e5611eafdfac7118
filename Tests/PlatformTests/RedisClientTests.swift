import Foundation
import Logging
import Synchronization
import Platform
import TestSupport
import Testing

@Suite struct RedisClientTests {
    func client(prefix: String = "test:redis:\(UUID().uuidString):", port: Int? = nil, poolSize: Int = 4) throws -> RedisClient {
        var config = try TestDatabases.baseConfig().redis
        config.keyPrefix = prefix
        config.poolSize = poolSize
        if let port { config.port = port }
        config.timeoutMilliseconds = 500
        return RedisClient(config: config, logger: Logger(label: "test"))
    }

    @Test func commandsAndReplies() async throws {
        let redis = try client()
        let key = redis.key("k")
        #expect(try await redis.send("SET", key, "värde ✓") == .status("OK"))
        #expect(try await redis.send("GET", key).string == "värde ✓")
        #expect(try await redis.send("GET", redis.key("missing")) == .null)
        #expect(try await redis.send("INCRBY", redis.key("n"), "41") == .integer(41))
        #expect(try await redis.send("RPUSH", redis.key("l"), "a", "b") == .integer(2))
        #expect(try await redis.send("LRANGE", redis.key("l"), "0", "-1").array?.compactMap(\.string) == ["a", "b"])
        // Binary-safe: a NUL byte inside a value survives the round trip.
        try await redis.send("SET", key, "a\u{0}b")
        #expect(try await redis.send("GET", key) == .bulk([97, 0, 98]))
        await redis.shutdown()
    }

    @Test func errorRepliesAreThrownOrReturnedInPipelines() async throws {
        let redis = try client()
        await #expect(throws: RedisError.self) { try await redis.send("NOSUCHCOMMAND") }
        let replies = try await redis.pipeline([["SET", redis.key("p"), "1"], ["INCR", redis.key("p")], ["HGET", redis.key("p"), "x"], ["GET", redis.key("p")]])
        #expect(replies.count == 4)
        #expect(replies[1] == .integer(2))
        if case .error(let message) = replies[2] { #expect(message.hasPrefix("WRONGTYPE")) } else { Issue.record("expected an error reply") }
        #expect(replies[3].string == "2")
        await redis.shutdown()
    }

    @Test func manyConcurrentCallersShareASmallPool() async throws {
        let redis = try client(poolSize: 3)
        let key = redis.key("counter")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { try await redis.send("INCR", key) } }
            try await group.waitForAll()
        }
        #expect(try await redis.send("GET", key).integer == 200)
        await redis.shutdown()
    }

    /// Commands issued while the client shuts down each end, answered or failed, never waiting forever
    /// (a command written to a channel closed under it once never got its reply, and hung its caller).
    /// Repeated, since the window is narrow; a round not done within 5 s fails the test instead of hanging it.
    @Test func commandsRacingShutdownAllEnd() async throws {
        for round in 0..<30 {
            let redis = try client(poolSize: 2)
            _ = try await redis.send("PING")
            let done = Mutex(false)
            let work = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<50 { group.addTask { _ = try? await redis.send("PING") } }
                    group.addTask { await redis.shutdown() }
                }
                done.withLock { $0 = true }
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while !done.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            guard done.withLock({ $0 }) else {
                Issue.record("round \(round): a command racing shutdown never ended")
                work.cancel()
                return
            }
        }
    }

    @Test func unreachableServerIsUnavailableNotAHang() async throws {
        let redis = try client(port: 1)
        await #expect(throws: RedisError.self) { try await redis.send("PING") }
        do {
            try await redis.send("PING")
        } catch let error as RedisError {
            #expect(error.kind == .unavailable)
        }
        await redis.shutdown()
    }
}

@Suite struct RedisReconnectTests {
    @Test func aKilledConnectionIsReplacedOnTheNextCall() async throws {
        var config = try TestDatabases.baseConfig().redis
        config.keyPrefix = "test:reconnect:\(UUID().uuidString):"
        config.poolSize = 1
        config.timeoutMilliseconds = 1000
        let redis = RedisClient(config: config, logger: Logger(label: "test"))
        // One connection in the pool: this is its id. Killing it from itself, the reply may never come.
        let id = try #require(try await redis.send("CLIENT", "ID").integer)
        _ = try? await redis.send("CLIENT", "KILL", "ID", String(id))
        var recovered = false
        for _ in 0..<20 where !recovered {
            recovered = (try? await redis.send("PING")) == .status("PONG")
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered)
        await redis.shutdown()
    }
}
