import AuthService
import Foundation
import HTTPTypes
import TenantRouter
import TestSupport
import Testing

@Suite struct CustomFieldTests {
    @Test func defineListChangeAndDelete() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                let select = try await api.post("/api/v1/custom-fields", token: owner, json: [
                    "name": "Client Type", "type": "select", "options": ["Home", "Corporate", "SME"], "required": true, "order": 2,
                ])
                #expect(select.status == .created)
                #expect(select.json["key"] as? String == "client_type")
                #expect(select.json["options"] as? [String] == ["Home", "Corporate", "SME"])
                let id = try #require(select.json["id"] as? Int)
                let nid = try await api.post("/api/v1/custom-fields", token: owner, json: ["name": "জাতীয় পরিচয়পত্র", "key": "nid", "type": "text", "order": 1])
                #expect(nid.status == .created)

                let list = try await api.get("/api/v1/custom-fields", token: owner)
                #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["nid", "client_type"])

                let changed = try await api.request(.patch, "/api/v1/custom-fields/\(id)", token: owner, json: ["options": ["Home", "Business"], "required": false])
                #expect(changed.status == .ok)
                #expect(changed.json["options"] as? [String] == ["Home", "Business"])
                #expect(changed.json["required"] as? Bool == false)
                let typeChange = try await api.request(.patch, "/api/v1/custom-fields/\(id)", token: owner, json: ["type": "text"])
                #expect(typeChange.status == .badRequest)

                let again = try await api.post("/api/v1/custom-fields", token: owner, json: ["name": "NID", "key": "nid", "type": "number"])
                #expect(again.status == .conflict)
                #expect(again.errorCode == "custom_field_key_taken")

                #expect(try await api.request(.delete, "/api/v1/custom-fields/\(id)", token: owner).status == .noContent)
                #expect(try await api.get("/api/v1/custom-fields/\(id)", token: owner).status == .notFound)
            }
        }
    }

    @Test func invalidDefinitionsAreRejected() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let owner = try await api.login("owner-a", Fixtures.password)
                let bad: [[String: Any]] = [
                    ["type": "text"],
                    ["name": "X", "type": "colour"],
                    ["name": "X"],
                    ["name": "X", "type": "select"],
                    ["name": "X", "type": "select", "options": ["a", "a"]],
                    ["name": "X", "type": "text", "options": ["a"]],
                    ["name": "X", "type": "text", "key": "Bad Key"],
                    ["name": "X", "type": "text", "key": "t_1; --"],
                    ["name": "জাতীয়", "type": "text"],
                    ["name": "X", "type": "text", "order": -1],
                ]
                for body in bad {
                    let reply = try await api.post("/api/v1/custom-fields", token: owner, json: body)
                    #expect(reply.status == .badRequest, "\(body)")
                    #expect(reply.errorCode == "invalid_input")
                }
                #expect(try await api.get("/api/v1/custom-fields", token: owner).json["total"] as? Int == 0)
            }
        }
    }

    @Test func fieldsBelongToTheirTenantAndOnlyTheOwnerDefinesThem() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let ownerA = try await api.login("owner-a", Fixtures.password)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                let sub = try await api.login("sub-a1", Fixtures.password)
                let id = try #require(try await api.post("/api/v1/custom-fields", token: ownerA, json: ["name": "Road", "type": "text"]).json["id"] as? Int)
                #expect(try await api.get("/api/v1/custom-fields", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.request(.delete, "/api/v1/custom-fields/\(id)", token: ownerB).status == .notFound)
                #expect(try await api.get("/api/v1/custom-fields/\(id)", token: sub).status == .ok)
                #expect(try await api.post("/api/v1/custom-fields", token: sub, json: ["name": "Mine", "type": "text"]).status == .forbidden)
                #expect(try await api.request(.patch, "/api/v1/custom-fields/\(id)", token: sub, json: ["name": "Mine"]).status == .forbidden)
            }
        }
    }
}
