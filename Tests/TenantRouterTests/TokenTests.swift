import Foundation
import HTTPTypes
import Platform
import TenantRouter
import TestSupport
import Testing

@Suite struct TokenTests {
    @Test func createListUseAndRevoke() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let session = try await api.login("sub-a1", Fixtures.password)
                let created = try await api.post("/api/v1/tokens", token: session, json: ["name": "billing sync", "scopes": ["customers:read", "online:read"], "expires_in_days": 30])
                #expect(created.status == .created)
                let secret = try #require(created.json["token"] as? String)
                let id = try #require(created.json["id"] as? Int)
                #expect(secret.hasPrefix("upk_") && secret.count == 47)
                #expect(created.json["scopes"] as? [String] == ["customers:read", "online:read"])

                let me = try await api.get("/api/v1/auth/me", token: secret)
                #expect(me.status == .ok)
                #expect(me.json["credential"] as? String == "token")
                #expect(me.json["scopes"] as? [String] == ["customers:read", "online:read"])

                let list = try await api.get("/api/v1/tokens", token: session)
                #expect(list.status == .ok)
                #expect(list.json["total"] as? Int == 1)
                #expect(!list.text.contains(secret))
                let item = try #require((list.json["items"] as? [[String: Any]])?.first)
                #expect(item["last_used_at"] is String)
                #expect(item["prefix"] as? String == String(secret.prefix(10)))

                // A read-only token is refused on write routes.
                let write = try await api.post("/api/v1/tokens", token: secret, json: ["name": "x", "scopes": ["customers:read"]])
                #expect(write.status == .forbidden)
                #expect(write.errorCode == "forbidden")
                let operators = try await api.post("/api/v1/operators", token: secret, json: ["name": "x", "username": "xx-op", "password": Fixtures.password])
                #expect(operators.status == .forbidden)

                #expect(try await api.request(.delete, "/api/v1/tokens/\(id)", token: session).status == .noContent)
                let revoked = try await api.get("/api/v1/auth/me", token: secret)
                #expect(revoked.status == .unauthorized)
                let listed = try await api.get("/api/v1/tokens", token: session)
                #expect(((listed.json["items"] as? [[String: Any]])?.first?["revoked_at"]) is String)
            }
        }
    }

    @Test func scopesCannotExceedTheCreatorsRights() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let sub = try await api.login("sub-a1", Fixtures.password)
                let denied = try await api.post("/api/v1/tokens", token: sub, json: ["name": "too much", "scopes": ["operators:write"]])
                #expect(denied.status == .forbidden)
                #expect(denied.errorCode == "scope_not_allowed")
                // A token holding tokens:write can mint only within its own scopes.
                let minter = try await api.post("/api/v1/tokens", token: sub, json: ["name": "minter", "scopes": ["tokens:write", "customers:read"]])
                let minterSecret = try #require(minter.json["token"] as? String)
                let wider = try await api.post("/api/v1/tokens", token: minterSecret, json: ["name": "wider", "scopes": ["customers:write"]])
                #expect(wider.status == .forbidden)
                let narrower = try await api.post("/api/v1/tokens", token: minterSecret, json: ["name": "narrower", "scopes": ["customers:read"]])
                #expect(narrower.status == .created)
                let unknown = try await api.post("/api/v1/tokens", token: sub, json: ["name": "x", "scopes": ["root"]])
                #expect(unknown.status == .badRequest)
                let empty = try await api.post("/api/v1/tokens", token: sub, json: ["name": "x", "scopes": [String]()])
                #expect(empty.status == .badRequest)
                let forever = try await api.post("/api/v1/tokens", token: sub, json: ["name": "x", "scopes": ["customers:read"], "expires_in_days": 0])
                #expect(forever.status == .badRequest)
            }
        }
    }

    @Test func anotherUsersTokenCannotBeRevoked() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let a1 = try await api.login("sub-a1", Fixtures.password)
                let a2 = try await api.login("sub-a2", Fixtures.password)
                let created = try await api.post("/api/v1/tokens", token: a1, json: ["name": "mine", "scopes": ["customers:read"]])
                let id = try #require(created.json["id"] as? Int)
                let secret = try #require(created.json["token"] as? String)
                let reply = try await api.request(.delete, "/api/v1/tokens/\(id)", token: a2)
                #expect(reply.status == .notFound)
                #expect(try await api.get("/api/v1/auth/me", token: secret).status == .ok)
                #expect(try await api.request(.delete, "/api/v1/tokens/abc", token: a1).status == .notFound)
            }
        }
    }

    @Test func expiredTokensStopWorking() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let session = try await api.login("owner-a", Fixtures.password)
                let created = try await api.post("/api/v1/tokens", token: session, json: ["name": "short", "scopes": ["customers:read"], "expires_in_days": 1])
                let secret = try #require(created.json["token"] as? String)
                #expect(try await api.get("/api/v1/auth/me", token: secret).status == .ok)
                test.clock.advance(by: 86_400 + 60)
                #expect(try await api.get("/api/v1/auth/me", token: secret).status == .unauthorized)
            }
        }
    }
}
