import AuthService
import Foundation
import HTTPTypes
import TenantRouter
import TestSupport
import Testing

/// Nothing of another tenant or a sibling sub-reseller is visible, and absence looks the same as
/// non-existence (404, never 403).
@Suite struct IsolationTests {
    @Test func resellerAGets404ForResellerBsOperators() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let a = try await api.login("owner-a", Fixtures.password)
                let b = try await api.login("owner-b", Fixtures.password)
                let bOwner = fixtures.resellerB.owner.operatorID
                let fromA = try await api.get("/api/v1/operators/\(bOwner)", token: a)
                #expect(fromA.status == .notFound)
                #expect(fromA.errorCode == "not_found")
                let missing = try await api.get("/api/v1/operators/999999", token: a)
                #expect(fromA.text == missing.text)
                #expect(try await api.get("/api/v1/operators/\(bOwner)", token: b).status == .ok)
                // B cannot see A's sub-resellers either, and lists only its own owner.
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA1.id)", token: b).status == .notFound)
                let listB = try await api.get("/api/v1/operators", token: b)
                #expect((listB.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(bOwner)])
            }
        }
    }

    @Test func aSubResellerSeesItselfOnly() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let sub = try await api.login("sub-a1", Fixtures.password)
                let list = try await api.get("/api/v1/operators", token: sub)
                #expect(list.json["total"] as? Int == 1)
                let items = try #require(list.json["items"] as? [[String: Any]])
                #expect(items.first?["id"] as? Int == Int(fixtures.subA1.id))
                #expect(items.first?["username"] as? String == "sub-a1")
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA2.id)", token: sub).status == .notFound)
                #expect(try await api.get("/api/v1/operators/\(fixtures.resellerA.owner.operatorID)", token: sub).status == .notFound)
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA1.id)", token: sub).status == .ok)

                let owner = try await api.login("owner-a", Fixtures.password)
                let all = try await api.get("/api/v1/operators", token: owner)
                let names = (all.json["items"] as? [[String: Any]])?.compactMap { $0["username"] as? String }
                #expect(names == ["owner-a", "sub-a1", "sub-a2"])
            }
        }
    }

    @Test func theAdminTenantIsATenantLikeAnyOther() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                // Operators are per tenant: the admin's list is its own tenant's; resellers are listed separately.
                let list = try await api.get("/api/v1/operators", token: admin)
                #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(fixtures.admin.operatorID)])
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA1.id)", token: admin).status == .notFound)
            }
        }
    }
}
