import AuthService
import Foundation
import Logging
import Platform
import TestSupport
import Testing

@Suite struct SessionStoreTests {
    func store(ttl: Int) throws -> SessionStore {
        var config = try TestDatabases.baseConfig().redis
        config.keyPrefix = "test:sessions:\(UUID().uuidString):"
        return SessionStore(redis: RedisClient(config: config, logger: Logger(label: "test")), ttlSeconds: ttl)
    }

    let record = SessionRecord(userID: 7, username: "u", role: .reseller, tenantID: 2, operatorID: 3, createdAt: Date())

    @Test func storesOnlyTheHashAndFindsTheSession() async throws {
        let sessions = try store(ttl: 60)
        let (token, hash) = try await sessions.create(record)
        #expect(token.hasPrefix("ups_") && token.count == 47)
        #expect(hash == Secrets.sha256Hex(token))
        let keys = try await sessions.redis.send("KEYS", sessions.redis.key("*")).array?.compactMap(\.string) ?? []
        #expect(keys.allSatisfy { !$0.contains(token) })
        let found = try await sessions.lookup(token: token)
        #expect(found?.0 == record)
        #expect(try await sessions.lookup(token: token + "x") == nil)
        await sessions.redis.shutdown()
    }

    @Test func expiresWithoutUseAndSlidesWithUse() async throws {
        let sessions = try store(ttl: 2)
        let (idle, _) = try await sessions.create(record)
        let (used, _) = try await sessions.create(record)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(900))
            #expect(try await sessions.lookup(token: used) != nil)
        }
        // 2.7 s have passed: the idle one is gone, the used one lives on.
        #expect(try await sessions.lookup(token: idle) == nil)
        #expect(try await sessions.lookup(token: used) != nil)
        await sessions.redis.shutdown()
    }

    @Test func revokeAllEndsEverySessionOfTheUserOnly() async throws {
        let sessions = try store(ttl: 60)
        let (a, _) = try await sessions.create(record)
        let (b, _) = try await sessions.create(record)
        var other = record
        other.userID = 8
        let (c, _) = try await sessions.create(other)
        #expect(try await sessions.revokeAll(userID: 7) == 2)
        #expect(try await sessions.lookup(token: a) == nil)
        #expect(try await sessions.lookup(token: b) == nil)
        #expect(try await sessions.lookup(token: c) != nil)
        await sessions.redis.shutdown()
    }
}
