import AuthService
import Foundation
import HTTPTypes
import TenantRouter
import TestSupport
import Testing

@Suite struct OperatorTests {
    @Test func suspendingASubResellerEndsItsSessionsAndTokensAtOnce() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                let sub = try await api.login("sub-a1", Fixtures.password)
                let sibling = try await api.login("sub-a2", Fixtures.password)
                let token = try #require(try await api.post("/api/v1/tokens", token: sub, json: ["name": "t", "scopes": ["customers:read"]]).json["token"] as? String)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .ok)

                let suspended = try await api.request(.patch, "/api/v1/operators/\(fixtures.subA1.id)", token: owner, json: ["status": "suspended"])
                #expect(suspended.status == .ok)
                #expect(suspended.json["status"] as? String == "suspended")
                #expect(suspended.json["username"] as? String == "sub-a1")
                #expect(try await api.get("/api/v1/auth/me", token: sub).status == .unauthorized)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .unauthorized)
                #expect(try await api.get("/api/v1/auth/me", token: sibling).status == .ok)
                let relogin = try await api.post("/api/v1/auth/login", json: ["username": "sub-a1", "password": Fixtures.password])
                #expect(relogin.errorCode == "account_suspended")

                let renamed = try await api.request(.patch, "/api/v1/operators/\(fixtures.subA1.id)", token: owner, json: ["status": "active", "name": "Sub A1 (Mirpur)"])
                #expect(renamed.json["name"] as? String == "Sub A1 (Mirpur)")
                #expect(try await api.post("/api/v1/auth/login", json: ["username": "sub-a1", "password": Fixtures.password]).status == .ok)
                #expect(try await api.get("/api/v1/auth/me", token: token).status == .ok)
            }
        }
    }

    @Test func onlyTheOwningResellerChangesASubReseller() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let ownerA = try await api.login("owner-a", Fixtures.password)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                let sibling = try await api.login("sub-a2", Fixtures.password)
                let path = "/api/v1/operators/\(fixtures.subA1.id)"
                #expect(try await api.request(.patch, path, token: ownerB, json: ["status": "suspended"]).status == .notFound)
                #expect(try await api.request(.patch, path, token: sibling, json: ["status": "suspended"]).status == .forbidden)
                // The tenant's own owner operator is not a sub-reseller.
                let own = try await api.request(.patch, "/api/v1/operators/\(fixtures.resellerA.owner.operatorID)", token: ownerA, json: ["status": "suspended"])
                #expect(own.status == .notFound)
                #expect(try await api.request(.patch, path, token: ownerA, json: ["status": "gone"]).status == .badRequest)
                #expect(try await api.request(.patch, path, token: ownerA, json: [String: String]()).status == .badRequest)
                #expect(try await api.get(path, token: ownerA).json["status"] as? String == "active")
            }
        }
    }
}
