import AuthService
import HTTPTypes
import Platform
import TenantRouter
import TestSupport
import Testing

@Suite struct AuthFlowTests {
    @Test func loginMeLogoutAndLogoutAll() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let login = try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": Fixtures.password])
                #expect(login.status == .ok)
                let user = try #require(login.json["user"] as? [String: Any])
                #expect(user["username"] as? String == "owner-a")
                #expect(user["role"] as? String == "reseller")
                #expect(login.json["expires_at"] is String)
                let token = try #require(login.json["token"] as? String)

                let me = try await api.get("/api/v1/auth/me", token: token)
                #expect(me.status == .ok)
                #expect((me.json["user"] as? [String: Any])?["username"] as? String == "owner-a")
                #expect((me.json["scopes"] as? [String])?.contains("operators:write") == true)

                // Sign-in by e-mail, case-insensitively, works as well.
                let second = try await api.login("OWNER-A", Fixtures.password)
                #expect(try await api.post("/api/v1/auth/logout", token: token).status == .noContent)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .unauthorized)
                #expect(try await api.get("/api/v1/auth/me", token: second).status == .ok)

                let third = try await api.login("owner-a", Fixtures.password)
                let all = try await api.post("/api/v1/auth/logout-all", token: second)
                #expect(all.status == .ok)
                #expect(all.json["sessions_ended"] as? Int == 2)
                #expect(try await api.get("/api/v1/auth/me", token: second).status == .unauthorized)
                #expect(try await api.get("/api/v1/auth/me", token: third).status == .unauthorized)
            }
        }
    }

    @Test func unknownUserAndWrongPasswordGetTheSameAnswer() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let wrong = try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": "not-the-password"])
                let unknown = try await api.post("/api/v1/auth/login", json: ["username": "nobody-here", "password": "not-the-password"])
                #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
                #expect(wrong.errorCode == "invalid_credentials" && unknown.errorCode == "invalid_credentials")
                #expect(wrong.text == unknown.text)
                // Both ran Argon2 once (the unknown user against a decoy hash).
                let before = test.app.hasher.computations
                _ = try await api.post("/api/v1/auth/login", json: ["username": "nobody-else", "password": "x"])
                #expect(test.app.hasher.computations == before + 1)
            }
        }
    }

    @Test func sessionsExpireAfterTheirTTL() async throws {
        try await TestApp.with(configure: { $0.auth.sessionTTLSeconds = 1 }) { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let token = try await api.login("owner-a", Fixtures.password)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .ok)
                try await Task.sleep(for: .milliseconds(2100))
                let expired = try await api.get("/api/v1/auth/me", token: token)
                #expect(expired.status == .unauthorized)
                #expect(expired.errorCode == "invalid_token")
            }
        }
    }

    @Test func throttlesAfterTenFailuresWithoutRunningArgon2() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                for _ in 0..<10 {
                    let reply = try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": "guess"])
                    #expect(reply.status == .unauthorized)
                }
                let before = test.app.hasher.computations
                let throttled = try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": Fixtures.password])
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.errorCode == "too_many_requests")
                let retryAfter = try #require(throttled.headers[HTTPField.Name("Retry-After")!]).flatMap { Int($0) }
                #expect(retryAfter.map { $0 > 0 && $0 <= 900 } == true)
                #expect(test.app.hasher.computations == before)
            }
        }
    }

    @Test func throttlesPerClientAddressAcrossUsernames() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                for index in 0..<10 {
                    _ = try await api.post("/api/v1/auth/login", json: ["username": "spray-\(index)", "password": "guess"])
                }
                let reply = try await api.post("/api/v1/auth/login", json: ["username": "owner-b", "password": Fixtures.password])
                #expect(reply.status == .tooManyRequests)
            }
        }
    }

    @Test func badBearerCredentialsAre401() async throws {
        try await TestApp.with { test in
            try await test.http { api in
                for header in ["Bearer nope", "Basic abc", "Bearer ups_" + String(repeating: "a", count: 43), "Bearer upk_" + String(repeating: "b", count: 43), "Bearer "] {
                    let reply = try await api.request(.get, "/api/v1/auth/me", headers: ["Authorization": header])
                    #expect(reply.status == .unauthorized, "\(header)")
                    #expect(reply.errorCode == "invalid_token" || reply.errorCode == "unauthenticated")
                }
                let anonymous = try await api.get("/api/v1/auth/me")
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.errorCode == "unauthenticated")
            }
        }
    }
}

