import AuthService
import Foundation
import HTTPTypes
import TenantRouter
import TestSupport
import Testing

@Suite struct CatalogTests {
    @Test func packagesAreTheAdminsAndValidatedByType() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let ownerA = try await api.login("owner-a", Fixtures.password)
                let base: [String: Any] = ["name": "Home 10M", "customer_type": "pppoe_daily", "download_kbps": 10240, "upload_kbps": 10240, "price": 50_000]
                #expect(try await api.post("/api/v1/packages", token: ownerA, json: base.merging(["validity_days": 30]) { $1 }).status == .forbidden)
                let noValidity = try await api.post("/api/v1/packages", token: admin, json: base)
                #expect(noValidity.status == .unprocessableContent && noValidity.errorCode == "missing_field")
                let hoursOnDaily = try await api.post("/api/v1/packages", token: admin, json: base.merging(["validity_days": 30, "validity_hours": 5]) { $1 })
                #expect(hoursOnDaily.status == .badRequest)
                let lowBurst = try await api.post("/api/v1/packages", token: admin,
                                                  json: base.merging(["validity_days": 30, "burst": ["download_kbps": 100, "upload_kbps": 100]]) { $1 })
                #expect(lowBurst.status == .badRequest)
                let created = try await api.post("/api/v1/packages", token: admin, json: base.merging([
                    "validity_days": 30, "burst": ["download_kbps": 20480, "upload_kbps": 20480, "time_seconds": 16], "ip_pool": "pool-home",
                ]) { $1 })
                #expect(created.status == .created, "\(created.json)")
                let id = try #require(created.json["id"] as? Int)
                #expect(try await api.post("/api/v1/packages", token: admin, json: base.merging(["validity_days": 7]) { $1 }).errorCode == "package_name_taken")

                // Resellers see only what is assigned to them, with their operator price.
                #expect(try await api.get("/api/v1/packages", token: ownerA).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/packages/\(id)", token: ownerA).status == .notFound)
                let assigned = try await api.post("/api/v1/packages/\(id)/assignments", token: admin, json: ["reseller_id": fixtures.resellerA.id, "price": 42_000])
                #expect(assigned.json["level"] as? String == "reseller")
                let mine = try await api.get("/api/v1/packages/\(id)", token: ownerA)
                #expect(mine.json["operator_price"] as? Int == 42_000 && mine.json["price"] as? Int == 50_000)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.get("/api/v1/packages", token: ownerB).json["total"] as? Int == 0)

                // A reseller passes it on to its sub-reseller only; a sub-reseller passes nothing on.
                let toSub = try await api.post("/api/v1/packages/\(id)/assignments", token: ownerA, json: ["operator_id": fixtures.subA1.id, "price": 45_000])
                #expect(toSub.status == .ok && toSub.json["level"] as? String == "sub_reseller")
                #expect(try await api.post("/api/v1/packages/\(id)/assignments", token: ownerB, json: ["operator_id": fixtures.subA1.id, "price": 1]).status == .notFound)
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                #expect(try await api.post("/api/v1/packages/\(id)/assignments", token: sub1, json: ["operator_id": fixtures.subA2.id, "price": 1]).status == .forbidden)
                #expect(try await api.get("/api/v1/packages/\(id)", token: sub1).json["operator_price"] as? Int == 45_000)
                let sub2 = try await api.login("sub-a2", Fixtures.password)
                #expect(try await api.get("/api/v1/packages/\(id)", token: sub2).status == .notFound)
                let seenByOwner = try await api.get("/api/v1/packages/\(id)/assignments", token: ownerA)
                #expect((seenByOwner.json["items"] as? [Any])?.count == 2)
                #expect((try await api.get("/api/v1/packages/\(id)/assignments", token: sub1).json["items"] as? [Any])?.count == 1)

                // Withdrawing the reseller's assignment withdraws its sub-reseller's too.
                #expect(try await api.request(.delete, "/api/v1/packages/\(id)/assignments/\(fixtures.resellerA.owner.operatorID)", token: admin).status == .noContent)
                #expect(try await api.get("/api/v1/packages/\(id)", token: sub1).status == .notFound)

                let archived = try await api.request(.patch, "/api/v1/packages/\(id)", token: admin, json: ["status": "archived", "ip_pool": NSNull()])
                #expect(archived.json["status"] as? String == "archived" && archived.json["ip_pool"] is NSNull)
                #expect(try await api.request(.delete, "/api/v1/packages/\(id)", token: admin).status == .noContent)
            }
        }
    }

    @Test func billingProfilesAreValidated() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                #expect(try await api.post("/api/v1/billing-profiles", token: admin, json: ["name": "Bad", "cycle_day": 29]).status == .badRequest)
                #expect(try await api.post("/api/v1/billing-profiles", token: admin, json: ["name": "No day"]).status == .unprocessableContent)
                let created = try await api.post("/api/v1/billing-profiles", token: admin, json: ["name": "Cycle 1", "cycle_day": 1, "grace_days": 5, "vat_profile_id": 1])
                #expect(created.status == .created, "\(created.json)")
                let id = try #require(created.json["id"] as? Int)
                let ownerA = try await api.login("owner-a", Fixtures.password)
                #expect(try await api.get("/api/v1/billing-profiles", token: ownerA).json["total"] as? Int == 1)
                #expect(try await api.request(.patch, "/api/v1/billing-profiles/\(id)", token: ownerA, json: ["grace_days": 9]).status == .forbidden)
                let changed = try await api.request(.patch, "/api/v1/billing-profiles/\(id)", token: admin, json: ["grace_days": 9, "vat_profile_id": NSNull()])
                #expect(changed.json["grace_days"] as? Int == 9 && changed.json["vat_profile_id"] is NSNull)
                #expect(try await api.post("/api/v1/billing-profiles", token: admin, json: ["name": "x", "cycle_day": 2, "vat_profile_id": 999]).status == .unprocessableContent)
                #expect((try await api.get("/api/v1/vat-profiles", token: ownerA).json["items"] as? [Any])?.count == 2)
            }
        }
    }
}
