import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// Hostile text in every text field: rejected with a 4xx when it is not a valid value, stored verbatim
/// (bound, never spliced) when it is, and in no case does anything else change.
@Suite struct HostileInputTests {
    static let injection = "'; DROP SCHEMA platform CASCADE; --"
    static let schemaName = "t_1; --"
    static let unicode = "ঢাকা নেট 🚀 \u{202E}evil"
    static let huge = String(repeating: "a", count: 10 * 1024)
    static let nul = "abc\u{0}def"
    static let all = [injection, schemaName, unicode, huge, nul]

    /// Row counts of everything the endpoints below could write.
    func counts(_ test: TestApp) async throws -> [Int] {
        try await test.app.database.withPlatformConnection { connection in
            var result: [Int] = []
            for table in ["platform.tenants", "platform.users", "platform.api_tokens", "pg_namespace"] {
                result.append(try await connection.scalar("SELECT count(*) FROM \(unescaped: table)", as: Int.self, logger: test.app.logger) ?? -1)
            }
            return result
        }
    }

    @Test func identifiersAndLoginsRejectEveryHostileString() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            let before = try await counts(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let owner = try await api.login("owner-a", Fixtures.password)
                for value in Self.all {
                    let slug = try await api.post("/api/v1/resellers", token: admin, json: ["name": "ok", "slug": value, "owner": ["username": "fine-user", "password": Fixtures.password]])
                    #expect(slug.status == .badRequest, "slug \(value.prefix(20))")
                    #expect((slug.json["error"] as? [String: Any])?["details"] as? [String: String] == ["field": "slug"])
                    let ownerName = try await api.post("/api/v1/resellers", token: admin, json: ["name": "ok", "slug": "fine-slug", "owner": ["username": value, "password": Fixtures.password]])
                    #expect(ownerName.status == .badRequest)
                    let email = try await api.post("/api/v1/resellers", token: admin, json: ["name": "ok", "slug": "fine-slug", "owner": ["username": "fine-user", "password": Fixtures.password, "email": value]])
                    #expect(email.status == .badRequest)
                    let username = try await api.post("/api/v1/operators", token: owner, json: ["name": "ok", "username": value, "password": Fixtures.password])
                    #expect(username.status == .badRequest)
                    let login = try await api.post("/api/v1/auth/login", json: ["username": value, "password": value])
                    #expect(login.status.code >= 400 && login.status.code < 500)
                    let path = try await api.get("/api/v1/operators/\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x")", token: owner)
                    #expect(path.status == .notFound)
                }
                // Bad text in free-text fields where the text itself is invalid.
                for value in [Self.huge, Self.nul] {
                    let name = try await api.post("/api/v1/resellers", token: admin, json: ["name": value, "slug": "fine-slug", "owner": ["username": "fine-user", "password": Fixtures.password]])
                    #expect(name.status == .badRequest)
                    let password = try await api.post("/api/v1/operators", token: owner, json: ["name": "ok", "username": "fine-op", "password": value])
                    #expect(password.status == .badRequest)
                    let tokenName = try await api.post("/api/v1/tokens", token: owner, json: ["name": value, "scopes": ["customers:read"]])
                    #expect(tokenName.status == .badRequest)
                    let scope = try await api.post("/api/v1/tokens", token: owner, json: ["name": "n", "scopes": [value]])
                    #expect(scope.status == .badRequest)
                    let patch = try await api.request(.patch, "/api/v1/resellers/2", token: admin, json: ["name": value])
                    #expect(patch.status == .badRequest)
                }
            }
            #expect(try await counts(test) == before)
        }
    }

    @Test func validButHostileLookingTextIsStoredVerbatim() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let owner = try await api.login("owner-a", Fixtures.password)
                for (index, value) in [Self.injection, Self.schemaName, Self.unicode].enumerated() {
                    let reseller = try await api.post("/api/v1/resellers", token: admin, json: ["name": value, "slug": "hostile-\(index)", "owner": ["username": "hostile-\(index)", "password": value.count >= 8 ? value : value + "-padding"]])
                    #expect(reseller.status == .created)
                    #expect(reseller.json["name"] as? String == value)
                    let sub = try await api.post("/api/v1/operators", token: owner, json: ["name": value, "username": "hostile-sub-\(index)", "password": Fixtures.password])
                    #expect(sub.status == .created)
                    #expect(sub.json["name"] as? String == value)
                    let token = try await api.post("/api/v1/tokens", token: owner, json: ["name": value, "scopes": ["customers:read"]])
                    #expect(token.json["name"] as? String == value)
                }
                // The reseller whose password is the injection string signs in with exactly it.
                #expect(try await api.post("/api/v1/auth/login", json: ["username": "hostile-0", "password": Self.injection]).status == .ok)
            }
            // Every schema is still there.
            let platformTables = try await test.app.database.withPlatformConnection { connection in
                try await connection.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'platform'", as: Int.self, logger: test.app.logger) ?? 0
            }
            #expect(platformTables >= 5)
        }
    }

    @Test func malformedBodiesAreClear400s() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                for body in ["", "{", "[]", "null", #"{"username": 5, "password": "x"}"#, #"{"username": "a"}"#, "\u{0}"] {
                    let reply = try await api.request(.post, "/api/v1/auth/login", rawBody: body)
                    #expect(reply.status == .badRequest, "body \(body)")
                    #expect(reply.errorCode == "invalid_input")
                    #expect(reply.json["error"] is [String: Any])
                }
                let missing = try await api.request(.post, "/api/v1/auth/login", rawBody: #"{"username": "a"}"#)
                #expect(((missing.json["error"] as? [String: Any])?["details"] as? [String: String])?["field"] == "password")
                let tooBig = try await api.request(.post, "/api/v1/auth/login", rawBody: "{\"username\": \"" + String(repeating: "x", count: 2 * 1024 * 1024) + "\"}")
                #expect(tooBig.status == .contentTooLarge)
                #expect(tooBig.errorCode == "payload_too_large")
                let perPage = try await api.get("/api/v1/operators?per_page=500", token: try await api.login("owner-a", Fixtures.password))
                #expect(perPage.status == .badRequest)
            }
        }
    }
}
