import AuthService
import Foundation
import HTTPTypes
import TenantRouter
import TestSupport
import Testing

@Suite struct ZoneTests {
    @Test func createListRenameAndDelete() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                let created = try await api.post("/api/v1/zones", token: owner, json: ["name": "Mirpur-10", "description": "POP behind the stadium"])
                #expect(created.status == .created)
                let id = try #require(created.json["id"] as? Int)
                _ = try await api.post("/api/v1/zones", token: owner, json: ["name": "মিরপুর ১১"])
                _ = try await api.post("/api/v1/zones", token: owner, json: ["name": "Uttara 100%"])

                let all = try await api.get("/api/v1/zones", token: owner)
                #expect(all.json["total"] as? Int == 3)
                let search = try await api.get("/api/v1/zones?q=mirpur", token: owner)
                #expect((search.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Mirpur-10"])
                // `%` is a literal character in a search, not a wildcard.
                let literal = try await api.get("/api/v1/zones?q=%25", token: owner)
                #expect(literal.json["total"] as? Int == 1)

                let renamed = try await api.request(.patch, "/api/v1/zones/\(id)", token: owner, json: ["name": "Mirpur 10", "description": ""])
                #expect(renamed.status == .ok)
                #expect(renamed.json["name"] as? String == "Mirpur 10")
                #expect(renamed.json["description"] == nil || renamed.json["description"] is NSNull)

                let duplicate = try await api.post("/api/v1/zones", token: owner, json: ["name": "MIRPUR 10"])
                #expect(duplicate.status == .conflict)
                #expect(duplicate.errorCode == "zone_name_taken")

                #expect(try await api.request(.delete, "/api/v1/zones/\(id)", token: owner).status == .noContent)
                #expect(try await api.get("/api/v1/zones/\(id)", token: owner).status == .notFound)
                #expect(try await api.request(.delete, "/api/v1/zones/\(id)", token: owner).status == .notFound)
            }
        }
    }

    @Test func badInputIsRejectedAndChangesNothing() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                for body: [String: Any] in [[:], ["name": ""], ["name": "   "], ["name": String(repeating: "z", count: 101)], ["name": "a\u{0}b"], ["name": 5],
                                            ["name": "ok", "description": String(repeating: "d", count: 1001)]] {
                    let reply = try await api.post("/api/v1/zones", token: owner, json: body)
                    #expect(reply.status == .badRequest, "\(body)")
                }
                let nothing = try await api.request(.patch, "/api/v1/zones/1", token: owner, json: [String: String]())
                #expect(nothing.status == .badRequest)
                #expect(try await api.get("/api/v1/zones", token: owner).json["total"] as? Int == 0)
            }
        }
    }

    @Test func zonesBelongToTheirTenantAndSubResellersOnlyRead() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let ownerA = try await api.login("owner-a", Fixtures.password)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                let sub = try await api.login("sub-a1", Fixtures.password)
                let created = try await api.post("/api/v1/zones", token: ownerA, json: ["name": "Dhanmondi"])
                let id = try #require(created.json["id"] as? Int)

                // Another tenant's list and ids are its own; A's zone is nowhere in B's view.
                #expect(try await api.get("/api/v1/zones", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/zones/\(id)", token: ownerB).status == .notFound)
                #expect(try await api.request(.delete, "/api/v1/zones/\(id)", token: ownerB).status == .notFound)
                #expect(try await api.get("/api/v1/zones/\(id)", token: ownerA).status == .ok)

                // A sub-reseller sees its tenant's zones but does not manage them.
                #expect(try await api.get("/api/v1/zones/\(id)", token: sub).status == .ok)
                #expect(try await api.post("/api/v1/zones", token: sub, json: ["name": "Mine"]).status == .forbidden)
                #expect(try await api.request(.delete, "/api/v1/zones/\(id)", token: sub).status == .forbidden)

                // Scopes apply: a read-only token cannot write.
                let token = try #require(try await api.post("/api/v1/tokens", token: ownerA, json: ["name": "r", "scopes": ["customers:read"]]).json["token"] as? String)
                #expect(try await api.get("/api/v1/zones", token: token).status == .ok)
                #expect(try await api.post("/api/v1/zones", token: token, json: ["name": "Nope"]).status == .forbidden)
            }
        }
    }
}
