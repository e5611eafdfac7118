import AuthService
import Foundation
import HTTPTypes
import Platform
import TenantRouter
import TestSupport
import Testing

@Suite struct ResellerTests {
    @Test func adminCreatesAResellerThatCanSignInAndCreateASubReseller() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let created = try await api.post("/api/v1/resellers", token: admin, json: [
                    "name": "নতুন নেট (New Net)", "slug": "new-net",
                    "owner": ["username": "newnet", "password": "a-strong-password", "email": "noc@newnet.example"],
                ])
                #expect(created.status == .created)
                #expect(created.json["name"] as? String == "নতুন নেট (New Net)")
                #expect(created.json["status"] as? String == "active")
                let id = try #require(created.json["id"] as? Int)

                let list = try await api.get("/api/v1/resellers?per_page=2&page=2", token: admin)
                #expect(list.json["total"] as? Int == 3)
                #expect(list.json["per_page"] as? Int == 2)
                #expect((list.json["items"] as? [[String: Any]])?.count == 1)
                #expect(try await api.get("/api/v1/resellers/\(id)", token: admin).json["slug"] as? String == "new-net")

                let owner = try await api.login("noc@newnet.example", "a-strong-password")
                let sub = try await api.post("/api/v1/operators", token: owner, json: ["name": "Uttara Point", "username": "uttara", "password": "another-password"])
                #expect(sub.status == .created)
                #expect(sub.json["kind"] as? String == "sub_reseller")
                let operators = try await api.get("/api/v1/operators", token: owner)
                #expect(operators.json["total"] as? Int == 2)

                let duplicate = try await api.post("/api/v1/resellers", token: admin, json: [
                    "name": "Again", "slug": "new-net", "owner": ["username": "someone-else", "password": "a-strong-password"],
                ])
                #expect(duplicate.status == .conflict)
                #expect(duplicate.errorCode == "slug_taken")
                let takenLogin = try await api.post("/api/v1/resellers", token: admin, json: [
                    "name": "Again", "slug": "again", "owner": ["username": "NewNet", "password": "a-strong-password"],
                ])
                #expect(takenLogin.errorCode == "username_taken")
            }
        }
    }

    @Test func onlyTheAdminManagesResellers() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                #expect(try await api.get("/api/v1/resellers", token: owner).status == .forbidden)
                let create = try await api.post("/api/v1/resellers", token: owner, json: ["name": "x", "slug": "xx", "owner": ["username": "xxx", "password": "a-strong-password"]])
                #expect(create.status == .forbidden)
                let patch = try await api.request(.patch, "/api/v1/resellers/\(fixtures.resellerB.id)", token: owner, json: ["status": "suspended"])
                #expect(patch.status == .forbidden)
                let sub = try await api.login("sub-a1", Fixtures.password)
                let subCreate = try await api.post("/api/v1/operators", token: sub, json: ["name": "x", "username": "xx-sub", "password": "a-strong-password"])
                #expect(subCreate.status == .forbidden)
            }
        }
    }

    @Test func suspendingAResellerEndsItsSessionsAndTokensAtOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let owner = try await api.login("owner-a", Fixtures.password)
                let sub = try await api.login("sub-a1", Fixtures.password)
                let token = try #require(try await api.post("/api/v1/tokens", token: owner, json: ["name": "t", "scopes": ["customers:read"]]).json["token"] as? String)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .ok)  // cached now
                let otherTenant = try await api.login("owner-b", Fixtures.password)

                let suspended = try await api.request(.patch, "/api/v1/resellers/\(fixtures.resellerA.id)", token: admin, json: ["status": "suspended"])
                #expect(suspended.status == .ok)
                #expect(suspended.json["status"] as? String == "suspended")
                for credential in [owner, sub, token] {
                    #expect(try await api.get("/api/v1/auth/me", token: credential).status == .unauthorized)
                }
                #expect(try await api.get("/api/v1/auth/me", token: otherTenant).status == .ok)
                let relogin = try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": Fixtures.password])
                #expect(relogin.status == .forbidden)
                #expect(relogin.errorCode == "account_suspended")

                _ = try await api.request(.patch, "/api/v1/resellers/\(fixtures.resellerA.id)", token: admin, json: ["status": "active"])
                #expect(try await api.post("/api/v1/auth/login", json: ["username": "owner-a", "password": Fixtures.password]).status == .ok)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .ok)

                let bad = try await api.request(.patch, "/api/v1/resellers/\(fixtures.resellerA.id)", token: admin, json: ["status": "deleted"])
                #expect(bad.status == .badRequest)
                let adminTenant = try await api.request(.patch, "/api/v1/resellers/\(fixtures.admin.tenantID)", token: admin, json: ["status": "suspended"])
                #expect(adminTenant.status == .notFound)
            }
        }
    }
}
