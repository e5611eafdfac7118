import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// Packages of every type assigned to reseller A, a billing profile and a zone, made through the API.
struct Catalog {
    var packages: [String: Int]
    var profile: Int
    var zone: Int
    var admin: String
    var ownerA: String

    static func make(_ api: APIClient, _ fixtures: Fixtures) async throws -> Catalog {
        let admin = try await api.login("admin", Fixtures.password)
        let ownerA = try await api.login("owner-a", Fixtures.password)
        var packages: [String: Int] = [:]
        let specs: [(String, [String: Any])] = [
            ("pppoe_daily", ["validity_days": 30]), ("pppoe_monthly", [:]), ("hotspot", ["validity_hours": 24, "data_limit_mb": 2048]),
            ("static_monthly", [:]), ("other", [:]),
        ]
        for (type, extra) in specs {
            var body: [String: Any] = ["name": "P \(type)", "customer_type": type, "download_kbps": 10240, "upload_kbps": 5120, "price": 50_000]
            body.merge(extra) { $1 }
            let created = try await api.post("/api/v1/packages", token: admin, json: body)
            try #require(created.status == .created, "\(created.json)")
            let id = try #require(created.json["id"] as? Int)
            packages[type] = id
            let assigned = try await api.post("/api/v1/packages/\(id)/assignments", token: admin, json: ["reseller_id": fixtures.resellerA.id, "price": 40_000])
            try #require(assigned.status == .ok, "\(assigned.json)")
        }
        // Money for the prepaid customers the tests create: reseller A's wallet at the ISP, its sub-resellers' at A.
        let funded = try await api.postMoney("/api/v1/resellers/\(fixtures.resellerA.id)/wallet/topups", token: admin,
                                             json: ["amount": 100_000_000, "method": "bank"])
        try #require(funded.status == .created, "\(funded.json)")
        for sub in [fixtures.subA1.id, fixtures.subA2.id] {
            let topUp = try await api.postMoney("/api/v1/operators/\(sub)/wallet/topups", token: ownerA, json: ["amount": 10_000_000])
            try #require(topUp.status == .created, "\(topUp.json)")
        }
        let profile = try await api.post("/api/v1/billing-profiles", token: admin, json: ["name": "Cycle 5", "cycle_day": 5])
        try #require(profile.status == .created, "\(profile.json)")
        let zone = try await api.post("/api/v1/zones", token: ownerA, json: ["name": "Mirpur"])
        return Catalog(
            packages: packages, profile: try #require(profile.json["id"] as? Int), zone: try #require(zone.json["id"] as? Int),
            admin: admin, ownerA: ownerA
        )
    }

    func body(_ type: String, _ username: String, name: String = "Rahim Uddin", phone: String = "01712345678") -> [String: Any] {
        var body: [String: Any] = ["type": type, "username": username, "full_name": name, "phone": phone, "password": "secret-\(username)",
                                   "package_id": packages[type] as Any, "zone_id": zone]
        if type == "pppoe_monthly" || type == "static_monthly" { body["billing_profile_id"] = profile }
        if type == "static_monthly" { body["static_ip"] = "10.20.0.\(abs(username.hashValue) % 250 + 2)" }
        return body
    }
}

/// Counts of rows a change left behind, read as the application role.
func rowCounts(_ test: TestApp, tenant: Int64) async throws -> (outbox: Int, activity: Int) {
    try await test.app.database.withPlatformTransaction { connection in
        let outbox = try await connection.scalar("SELECT count(*) FROM platform.outbox WHERE tenant_id = \(tenant)", as: Int.self, logger: test.app.logger) ?? -1
        let activity = try await connection.scalar(
            PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(TenantNaming.schema(tenant)).activity_log"), as: Int.self, logger: test.app.logger
        ) ?? -1
        return (outbox, activity)
    }
}

@Suite struct CustomerTests {
    @Test func everyTypeWithItsRequiredFieldsAndRejectedWithout() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                // The admin's own tenant creates the static-IP customer; everything else reseller A.
                var adminBody = catalog.body("static_monthly", "static01")
                adminBody.removeValue(forKey: "zone_id")  // reseller A's zone
                let staticIP = try await api.post("/api/v1/customers", token: catalog.admin, json: adminBody)
                #expect(staticIP.status == .created, "\(staticIP.json)")
                let refused = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("static_monthly", "static02"))
                #expect(refused.status == .forbidden)
                for type in ["pppoe_daily", "pppoe_monthly", "hotspot", "other"] {
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body(type, "user-\(type)"))
                    #expect(created.status == .created, "\(type): \(created.json)")
                    #expect(created.json["type"] as? String == type)
                    #expect(created.json["password"] == nil && created.json["password_enc"] == nil)
                    #expect((created.json["code"] as? String)?.hasPrefix("C") == true)
                }
                let daily = try await api.get("/api/v1/customers?q=user-pppoe_daily", token: catalog.ownerA)
                let expires = try #require((daily.json["items"] as? [[String: Any]])?.first?["expires_at"] as? String)
                #expect(!expires.isEmpty)

                let missing: [(String, String)] = [
                    ("pppoe_daily", "password"), ("pppoe_daily", "package_id"), ("pppoe_daily", "phone"), ("pppoe_monthly", "billing_profile_id"),
                    ("hotspot", "password"), ("hotspot", "package_id"), ("other", "full_name"), ("pppoe_monthly", "username"),
                ]
                for (type, field) in missing {
                    var body = catalog.body(type, "missing-\(field)")
                    body.removeValue(forKey: field)
                    let reply = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                    #expect(reply.status == .unprocessableContent, "\(type) without \(field): \(reply.status)")
                    #expect((reply.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == field)
                }
                var noStaticIP = catalog.body("static_monthly", "static03")
                noStaticIP.removeValue(forKey: "static_ip")
                noStaticIP.removeValue(forKey: "zone_id")
                #expect(try await api.post("/api/v1/customers", token: catalog.admin, json: noStaticIP).status == .unprocessableContent)
                // A package of another type, or one not assigned to the operator, is refused.
                var mismatch = catalog.body("pppoe_daily", "mismatch")
                mismatch["package_id"] = catalog.packages["hotspot"]
                #expect(try await api.post("/api/v1/customers", token: catalog.ownerA, json: mismatch).errorCode == "package_type_mismatch")
                let ownerB = try await api.login("owner-b", Fixtures.password)
                var forB = catalog.body("pppoe_daily", "unassigned")
                forB.removeValue(forKey: "zone_id")
                let unassigned = try await api.post("/api/v1/customers", token: ownerB, json: forB)
                #expect(unassigned.errorCode == "package_not_assigned")
                // Bad formats are 400 and change nothing.
                var badPhone = catalog.body("pppoe_daily", "badphone")
                badPhone["phone"] = "12345"
                #expect(try await api.post("/api/v1/customers", token: catalog.ownerA, json: badPhone).status == .badRequest)
                let counts = try await api.get("/api/v1/customers?status=all", token: catalog.ownerA)
                #expect(counts.json["total"] as? Int == 4)
            }
        }
    }

    @Test func usernamesAreUniqueAcrossTenantsAndStayReservedWhenDeleted() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let first = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "karim"))
                let id = try #require(first.json["id"] as? Int)
                // The admin's tenant is another tenant: same name in any case is taken.
                var other = catalog.body("pppoe_monthly", "KARIM")
                other.removeValue(forKey: "zone_id")
                let clash = try await api.post("/api/v1/customers", token: catalog.admin, json: other)
                #expect(clash.status == .conflict)
                #expect(clash.errorCode == "username_taken")
                #expect(try await api.request(.delete, "/api/v1/customers/\(id)", token: catalog.ownerA).status == .ok)
                let again = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "karim"))
                #expect(again.errorCode == "username_taken")
            }
        }
    }

    @Test func actionsFollowTheirTransitionsAndWriteOneOutboxAndActivityRow() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let tenant = fixtures.resellerA.id
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "lifecycle"))
                let id = try #require(created.json["id"] as? Int)
                var expected = try await rowCounts(test, tenant: tenant)
                #expect(expected == (1, 1))

                func act(_ action: String, _ body: [String: Any] = [:], status: HTTPResponse.Status = .ok, outbox: Int = 1) async throws -> [String: Any] {
                    let reply = try await api.post("/api/v1/customers/\(id)/\(action)", token: catalog.ownerA, json: body)
                    #expect(reply.status == status, "\(action): \(reply.json)")
                    let counts = try await rowCounts(test, tenant: tenant)
                    if status == .ok {
                        expected = (expected.outbox + outbox, expected.activity + 1)
                    }
                    #expect(counts == expected, "\(action) left \(counts), expected \(expected)")
                    return reply.json
                }
                #expect(try await act("suspend", ["reason": "unpaid"])["status"] as? String == "suspended")
                let illegal = try await act("suspend", status: .conflict)
                #expect(((illegal["error"] as? [String: Any])?["details"] as? [String: Any])?["status"] as? String == "suspended")
                #expect(try await act("activate")["status"] as? String == "active")
                #expect(try await act("activate", status: .conflict) .isEmpty == false)
                #expect(try await act("disable")["status"] as? String == "disabled")
                #expect(try await act("activate")["status"] as? String == "active")
                let reset = try await act("reset-password")
                let newPassword = try #require(reset["password"] as? String)
                #expect((reset["customer"] as? [String: Any])?["id"] as? Int == id)
                let shown = try await api.get("/api/v1/customers/\(id)/password", token: catalog.ownerA)
                #expect(shown.json["password"] as? String == newPassword)
                expected.activity += 1  // the password read is logged
                #expect(try await act("set-suspend-date", ["suspend_date": "2026-12-20"], outbox: 0)["suspend_date"] as? String == "2026-12-20")
                #expect(try await act("change-operator", ["operator_id": fixtures.subA1.id], status: .unprocessableContent).isEmpty == false)
                // The sub-reseller needs the package before it can own the customer.
                let assign = try await api.post("/api/v1/packages/\(catalog.packages["pppoe_monthly"]!)/assignments", token: catalog.ownerA,
                                                json: ["operator_id": fixtures.subA1.id, "price": 45_000])
                #expect(assign.status == .ok, "\(assign.json)")
                #expect(try await act("change-operator", ["operator_id": fixtures.subA1.id])["operator_id"] as? Int == Int(fixtures.subA1.id))

                #expect(try await api.request(.delete, "/api/v1/customers/\(id)", token: catalog.ownerA).status == .ok)
                expected = (expected.outbox + 1, expected.activity + 1)
                #expect(try await act("activate", status: .conflict).isEmpty == false)
                #expect(try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).status == .notFound)
                let deleted = try await api.get("/api/v1/customers/deleted?q=lifecycle", token: catalog.ownerA)
                #expect((deleted.json["items"] as? [[String: Any]])?.first?["deleted_by"] as? String == "owner-a")
                let restored = try await act("restore")
                #expect(restored["status"] as? String == "disabled" && restored["status_reason"] as? String == "restored")
                #expect(restored["deleted_at"] is NSNull)

                let log = try await api.get("/api/v1/activity?customer_id=\(id)&action=suspend", token: catalog.ownerA)
                let entry = try #require((log.json["items"] as? [[String: Any]])?.first)
                let status = (entry["changes"] as? [String: Any])?["status"] as? [String: Any]
                #expect(status?["from"] as? String == "active" && status?["to"] as? String == "suspended")
                #expect(entry["actor"] as? String == "owner-a")
            }
        }
    }

    @Test func bulkActionsReportEachID() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var ids: [Int] = []
                for index in 0..<3 {
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "bulk\(index)"))
                    ids.append(try #require(created.json["id"] as? Int))
                }
                _ = try await api.post("/api/v1/customers/\(ids[0])/suspend", token: catalog.ownerA)
                let before = try await rowCounts(test, tenant: fixtures.resellerA.id)
                let reply = try await api.post("/api/v1/customers/bulk/activate", token: catalog.ownerA, json: ["ids": ids + [999_999]])
                #expect(reply.status == .ok)
                #expect(reply.json["succeeded"] as? Int == 1 && reply.json["failed"] as? Int == 3)
                let results = try #require(reply.json["results"] as? [[String: Any]])
                #expect(results.map { $0["ok"] as? Bool } == [true, false, false, false])
                #expect(((results[1]["error"] as? [String: Any])?["code"] as? String) == "invalid_transition")
                #expect(((results[3]["error"] as? [String: Any])?["code"] as? String) == "not_found")
                let after = try await rowCounts(test, tenant: fixtures.resellerA.id)
                #expect(after == (before.outbox + 1, before.activity + 1))
                let tooMany = try await api.post("/api/v1/customers/bulk/suspend", token: catalog.ownerA, json: ["ids": Array(1...1001)])
                #expect(tooMany.status == .badRequest)
                let suspended = try await api.post("/api/v1/customers/bulk/suspend", token: catalog.ownerA, json: ["ids": ids])
                #expect(suspended.json["succeeded"] as? Int == 3)
                let list = try await api.get("/api/v1/customers?status=suspended", token: catalog.ownerA)
                #expect(list.json["total"] as? Int == 3)
                #expect((list.json["counts"] as? [String: Any])?["suspended"] as? Int == 3)
            }
        }
    }

    @Test func searchFindsByNameUsernamePhoneAndCustomFields() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                _ = try await api.post("/api/v1/custom-fields", token: catalog.ownerA, json: ["name": "Building", "type": "select", "options": ["A", "B"]])
                var first = catalog.body("pppoe_daily", "zoe.ahmed", name: "Zoë Ahmed", phone: "+880 1812-345678")
                first["custom_fields"] = ["building": "A"]
                let zoe = try await api.post("/api/v1/customers", token: catalog.ownerA, json: first)
                #expect(zoe.json["phone"] as? String == "01812345678", "\(zoe.json)")
                _ = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_daily", "rahim", name: "রহিম উদ্দিন"))
                func names(_ query: String) async throws -> [String] {
                    let reply = try await api.get("/api/v1/customers?\(query)", token: catalog.ownerA)
                    #expect(reply.status == .ok, "\(query): \(reply.json)")
                    return (reply.json["items"] as? [[String: Any]])?.compactMap { $0["username"] as? String } ?? []
                }
                #expect(try await names("q=zoe") == ["zoe.ahmed"])
                #expect(try await names("q=HME") == ["zoe.ahmed"])
                #expect(try await names("q=zoe.") == ["zoe.ahmed"])
                #expect(try await names("q=8801812345678") == ["zoe.ahmed"])
                #expect(try await names("q=01812") == ["zoe.ahmed"])
                #expect(try await names("q=%E0%A6%B0%E0%A6%B9%E0%A6%BF%E0%A6%AE") == ["rahim"])
                #expect(try await names("cf.building=A") == ["zoe.ahmed"])
                #expect(try await names("cf.building=B") == [])
                let byName = try await names("sort=name")
                let byNameDescending = try await names("sort=-name")
                #expect(byName.count == 2 && byName == Array(byNameDescending.reversed()))
                #expect(try await api.get("/api/v1/customers?cf.nope=1", token: catalog.ownerA).status == .badRequest)
                #expect(try await api.get("/api/v1/customers?sort=bogus", token: catalog.ownerA).status == .badRequest)
                #expect(try await names("zone_id=\(catalog.zone)&status=active").count == 2)
            }
        }
    }

    @Test func subResellersSeeOnlyTheirOwnAndOtherTenantsSeeNothing() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let package = catalog.packages["pppoe_daily"]!
                for sub in [fixtures.subA1, fixtures.subA2] {
                    _ = try await api.post("/api/v1/packages/\(package)/assignments", token: catalog.ownerA, json: ["operator_id": sub.id, "price": 45_000])
                }
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                let sub2 = try await api.login("sub-a2", Fixtures.password)
                let mine = try await api.post("/api/v1/customers", token: sub1, json: catalog.body("pppoe_daily", "sub1-customer"))
                let mineID = try #require(mine.json["id"] as? Int, "\(mine.json)")
                let theirs = try await api.post("/api/v1/customers", token: sub2, json: catalog.body("pppoe_daily", "sub2-customer"))
                let theirID = try #require(theirs.json["id"] as? Int)
                _ = try await api.post("/api/v1/customers/\(theirID)/devices", token: sub2, json: ["mac": "aa-bb-cc-dd-ee-01"])
                // A sub-reseller cannot create for its sibling either.
                var forSibling = catalog.body("pppoe_daily", "sneaky")
                forSibling["operator_id"] = fixtures.subA2.id
                #expect(try await api.post("/api/v1/customers", token: sub1, json: forSibling).status == .unprocessableContent)

                let list = try await api.get("/api/v1/customers?status=all", token: sub1)
                #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [mineID])
                #expect((list.json["counts"] as? [String: Any])?["active"] as? Int == 1)
                #expect(try await api.get("/api/v1/customers?q=sub2", token: sub1).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/customers/\(theirID)", token: sub1).status == .notFound)
                #expect(try await api.post("/api/v1/customers/\(theirID)/suspend", token: sub1).status == .notFound)
                #expect(try await api.get("/api/v1/customers/\(theirID)/devices", token: sub1).status == .notFound)
                #expect(try await api.get("/api/v1/devices", token: sub1).json["total"] as? Int == 0)
                // Its own customer's creation and first recharge; nothing of its sibling's.
                #expect(try await api.get("/api/v1/activity", token: sub1).json["total"] as? Int == 2)
                _ = try await api.request(.delete, "/api/v1/customers/\(theirID)", token: sub2)
                #expect(try await api.get("/api/v1/customers/deleted", token: sub1).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/customers/\(mineID)/password", token: sub1).status == .forbidden)
                // The owner sees both; another reseller sees neither, and the admin finds them across tenants.
                #expect(try await api.get("/api/v1/customers?status=all", token: catalog.ownerA).json["total"] as? Int == 1)
                #expect(try await api.get("/api/v1/customers/deleted", token: catalog.ownerA).json["total"] as? Int == 1)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.get("/api/v1/customers/\(mineID)", token: ownerB).status == .notFound)
                #expect(try await api.get("/api/v1/customers?q=sub1", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/admin/customers?q=sub1", token: ownerB).status == .forbidden)
                let found = try await api.get("/api/v1/admin/customers?q=sub1-cust", token: catalog.admin)
                let hit = try #require((found.json["items"] as? [[String: Any]])?.first, "\(found.json)")
                #expect(hit["tenant_id"] as? Int == Int(fixtures.resellerA.id) && hit["tenant_name"] as? String == "Reseller A")
                let detail = try await api.get("/api/v1/admin/customers/\(fixtures.resellerA.id)/\(mineID)", token: catalog.admin)
                #expect(detail.json["username"] as? String == "sub1-customer")
                let viewed = try await api.get("/api/v1/activity?action=admin_viewed", token: catalog.ownerA)
                #expect(viewed.json["total"] as? Int == 1)
            }
        }
    }

    @Test func devicesNormaliseMACsAndKeepThemUnique() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let one = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("hotspot", "hs-one"))
                let two = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("hotspot", "hs-two"))
                let id = try #require(one.json["id"] as? Int)
                let other = try #require(two.json["id"] as? Int)
                let added = try await api.post("/api/v1/customers/\(id)/devices", token: catalog.ownerA, json: ["mac": "aabb.ccdd.ee01", "label": "Phone"])
                #expect(added.status == .created)
                #expect(added.json["mac"] as? String == "AA:BB:CC:DD:EE:01")
                let taken = try await api.post("/api/v1/customers/\(other)/devices", token: catalog.ownerA, json: ["mac": "AA-BB-CC-DD-EE-01"])
                #expect(taken.errorCode == "mac_taken")
                #expect(try await api.post("/api/v1/customers/\(id)/devices", token: catalog.ownerA, json: ["mac": "zz:bb"]).status == .badRequest)
                for index in 2...4 {
                    let reply = try await api.post("/api/v1/customers/\(id)/devices", token: catalog.ownerA, json: ["mac": "AA:BB:CC:DD:EE:0\(index)"])
                    #expect(reply.status == .created)
                }
                let fifth = try await api.post("/api/v1/customers/\(id)/devices", token: catalog.ownerA, json: ["mac": "AA:BB:CC:DD:EE:05"])
                #expect(fifth.errorCode == "too_many_devices")
                let search = try await api.get("/api/v1/devices?q=ee:01", token: catalog.ownerA)
                #expect(search.json["total"] as? Int == 1)
                let device = try #require((search.json["items"] as? [[String: Any]])?.first?["id"] as? Int)
                #expect(try await api.request(.delete, "/api/v1/customers/\(id)/devices/\(device)", token: catalog.ownerA).status == .noContent)
                #expect(try await api.get("/api/v1/customers/\(id)/devices", token: catalog.ownerA).json["items"].map { ($0 as? [Any])?.count } == 3)
            }
        }
    }

    @Test func zoneAndCustomFieldDeletionClearCustomers() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let field = try await api.post("/api/v1/custom-fields", token: catalog.ownerA, json: ["name": "Floor", "type": "number"])
                let fieldID = try #require(field.json["id"] as? Int)
                var body = catalog.body("pppoe_daily", "zoned")
                body["custom_fields"] = ["floor": 3]
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                let id = try #require(created.json["id"] as? Int, "\(created.json)")
                #expect((created.json["custom_fields"] as? [String: Any])?["floor"] as? String == "3")
                var bad = catalog.body("pppoe_daily", "badfloor")
                bad["custom_fields"] = ["floor": "third"]
                #expect(try await api.post("/api/v1/customers", token: catalog.ownerA, json: bad).status == .badRequest)

                // A required field added later binds a customer only when it is next edited.
                _ = try await api.post("/api/v1/custom-fields", token: catalog.ownerA, json: ["name": "Landmark", "type": "text", "required": true])
                #expect(try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).status == .ok)
                let edit = try await api.request(.patch, "/api/v1/customers/\(id)", token: catalog.ownerA, json: ["notes": "call first"])
                #expect(edit.status == .unprocessableContent)
                let fixed = try await api.request(.patch, "/api/v1/customers/\(id)", token: catalog.ownerA,
                                                  json: ["notes": "call first", "custom_fields": ["landmark": "Near the mosque"], "email": NSNull()])
                #expect(fixed.status == .ok, "\(fixed.json)")

                #expect(try await api.request(.delete, "/api/v1/zones/\(catalog.zone)", token: catalog.ownerA).status == .noContent)
                #expect(try await api.request(.delete, "/api/v1/custom-fields/\(fieldID)", token: catalog.ownerA).status == .noContent)
                let after = try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA)
                #expect(after.json["zone_id"] is NSNull)
                #expect((after.json["custom_fields"] as? [String: Any])?["floor"] == nil)
                #expect((after.json["custom_fields"] as? [String: Any])?["landmark"] as? String == "Near the mosque")
            }
        }
    }

    @Test func passwordsNeverAppearInListsOrLogs() async throws {
        let lines = LogCapture()
        try await TestApp.with(logHandler: lines.handler) { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var body = catalog.body("pppoe_daily", "secretive")
                body["password"] = "Hunter2-unique-pw"
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                let id = try #require(created.json["id"] as? Int)
                let list = try await api.get("/api/v1/customers", token: catalog.ownerA)
                #expect(!list.text.contains("Hunter2"))
                #expect(!(try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).text.contains("Hunter2")))
                #expect(!(try await api.get("/api/v1/activity", token: catalog.ownerA).text.contains("Hunter2")))
                #expect(try await api.get("/api/v1/customers/\(id)/password", token: catalog.ownerA).json["password"] as? String == "Hunter2-unique-pw")
            }
        }
        #expect(!lines.text.contains("Hunter2"))
        #expect(!lines.text.isEmpty)
    }
}

@Suite struct CustomerCountTests {
    /// The per-status counts kept by triggers equal a count of the table after every kind of change.
    @Test func keptCountsEqualTheTable() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            let tenant = fixtures.resellerA.id
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                _ = try await api.post("/api/v1/packages/\(catalog.packages["pppoe_monthly"]!)/assignments", token: catalog.ownerA,
                                       json: ["operator_id": fixtures.subA1.id, "price": 45_000])
                var ids: [Int] = []
                for index in 0..<6 {
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "count\(index)"))
                    ids.append(try #require(created.json["id"] as? Int))
                }
                _ = try await api.post("/api/v1/customers/bulk/suspend", token: catalog.ownerA, json: ["ids": Array(ids[0..<3])])
                _ = try await api.post("/api/v1/customers/\(ids[3])/disable", token: catalog.ownerA)
                _ = try await api.post("/api/v1/customers/bulk/delete", token: catalog.ownerA, json: ["ids": [ids[1], ids[4]]])
                _ = try await api.post("/api/v1/customers/\(ids[1])/restore", token: catalog.ownerA)
                _ = try await api.post("/api/v1/customers/\(ids[5])/change-operator", token: catalog.ownerA, json: ["operator_id": fixtures.subA1.id])
                _ = try await api.request(.delete, "/api/v1/zones/\(catalog.zone)", token: catalog.ownerA)

                let (kept, counted) = try await test.app.database.withPlatformTransaction { connection in
                    let schema = TenantNaming.schema(tenant)
                    var kept: [String: Int] = [:]
                    var counted: [String: Int] = [:]
                    for try await (operatorID, status, n) in try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT operator_id, status, n FROM \(schema).customer_counts WHERE n <> 0"), logger: test.app.logger
                    ).decode((Int64, String, Int).self) { kept["\(operatorID)/\(status)"] = n }
                    for try await (operatorID, status, n) in try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT operator_id, status, count(*)::int FROM \(schema).customers WHERE deleted_at IS NULL GROUP BY 1, 2"),
                        logger: test.app.logger
                    ).decode((Int64, String, Int).self) { counted["\(operatorID)/\(status)"] = n }
                    return (kept, counted)
                }
                #expect(kept == counted)
                #expect(counted.values.reduce(0, +) == 5)
                let owner = try await api.get("/api/v1/customers", token: catalog.ownerA)
                let counts = try #require(owner.json["counts"] as? [String: Any])
                #expect(counts["active"] as? Int == 1 && counts["suspended"] as? Int == 2 && counts["disabled"] as? Int == 2)
                let sub1 = try await api.login("sub-a1", Fixtures.password)
                let subCounts = try #require(try await api.get("/api/v1/customers", token: sub1).json["counts"] as? [String: Any])
                #expect(subCounts["active"] as? Int == 1 && subCounts["suspended"] as? Int == 0)
            }
        }
    }
}

@Suite struct CustomerJSONTests {
    /// Lists (JSON built by Postgres) and single records (JSON written in Swift) show a customer identically.
    @Test func listItemsEqualTheRecord() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                _ = try await api.post("/api/v1/custom-fields", token: catalog.ownerA, json: ["name": "Floor", "type": "number"])
                _ = try await api.post("/api/v1/custom-fields", token: catalog.ownerA, json: ["name": "Directions", "type": "textarea"])
                var ids: [Int] = []
                for (index, type) in ["pppoe_daily", "pppoe_monthly", "hotspot", "other"].enumerated() {
                    var body = catalog.body(type, "json\(index)", name: "Zoë \"Q\" \\ রহিম \(index)")
                    body["address"] = ["house": "12/A", "road": "Road 7", "district": "Dhaka"]
                    body["custom_fields"] = ["floor": index, "directions": "left at the mosque,\n\t\"second\" gate"]
                    body["email"] = "x\(index)@example.net"
                    body["notes"] = "call before 10 </script> & \\o/"
                    body["connection_date"] = "2025-01-0\(index + 1)"
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                    ids.append(try #require(created.json["id"] as? Int, "\(created.json)"))
                }
                _ = try await api.post("/api/v1/customers/\(ids[1])/set-suspend-date", token: catalog.ownerA, json: ["suspend_date": "2026-02-28"])
                let list = try await api.get("/api/v1/customers?status=all&per_page=200", token: catalog.ownerA)
                let items = try #require(list.json["items"] as? [[String: Any]])
                #expect(items.count == 4)
                for item in items {
                    let id = try #require(item["id"] as? Int)
                    var record = try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).json
                    // The single record adds the provisioning state; the list leaves it out.
                    #expect((record.removeValue(forKey: "provisioning") as? [String: Any])?["state"] is String)
                    #expect(try canonicalJSON(item) == canonicalJSON(record))
                }
                // The default view (one round trip on the pipelined read path) answers as the general list does.
                let active = items.filter { $0["status"] as? String == "active" }
                #expect(!active.isEmpty)
                let defaultView = try await api.get("/api/v1/customers", token: catalog.ownerA)
                let fastItems = try #require(defaultView.json["items"] as? [[String: Any]])
                #expect(try fastItems.map(canonicalJSON) == active.map(canonicalJSON))
                #expect(defaultView.json["total"] as? Int == active.count)
                let allCounts = try canonicalJSON(try #require(list.json["counts"] as? [String: Any]))
                #expect(try canonicalJSON(try #require(defaultView.json["counts"] as? [String: Any])) == allCounts)
                // A page past the end has no row to carry the counts: they are counted on their own.
                let beyond = try await api.get("/api/v1/customers?page=40", token: catalog.ownerA)
                #expect((beyond.json["items"] as? [Any])?.isEmpty == true)
                #expect(beyond.json["total"] as? Int == active.count)
                #expect(try canonicalJSON(try #require(beyond.json["counts"] as? [String: Any])) == allCounts)
                _ = try await api.request(.delete, "/api/v1/customers/\(ids[0])", token: catalog.ownerA)
                let deleted = try #require((try await api.get("/api/v1/customers/deleted", token: catalog.ownerA).json["items"] as? [[String: Any]])?.first)
                let record = try await api.get("/api/v1/admin/customers/\(fixtures.resellerA.id)/\(ids[0])", token: catalog.admin).json
                #expect(try canonicalJSON(deleted) == canonicalJSON(record))
                #expect(deleted["deleted_at"] is String)
            }
        }
    }
}

/// The object as JSON text with sorted keys: equal texts are equal values (a `Bool` and an `NSNumber` of
/// the same JSON compare unequal as `NSDictionary` members on this platform).
private func canonicalJSON(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

@Suite struct BillingProfileActionTests {
    @Test func monthlyCustomersChangeProfileOthersAreRefused() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let second = try await api.post("/api/v1/billing-profiles", token: catalog.admin, json: ["name": "Cycle 15", "cycle_day": 15])
                let profile = try #require(second.json["id"] as? Int)
                let monthly = try #require(try await api.post("/api/v1/customers", token: catalog.ownerA,
                                                               json: catalog.body("pppoe_monthly", "profiled")).json["id"] as? Int)
                let daily = try #require(try await api.post("/api/v1/customers", token: catalog.ownerA,
                                                             json: catalog.body("pppoe_daily", "daily-one")).json["id"] as? Int)
                let before = try await rowCounts(test, tenant: fixtures.resellerA.id)
                let changed = try await api.post("/api/v1/customers/\(monthly)/change-billing-profile", token: catalog.ownerA,
                                                 json: ["billing_profile_id": profile])
                #expect(changed.status == .ok && changed.json["billing_profile_id"] as? Int == profile)
                // Billing only: an activity row, no provisioning.
                let after = try await rowCounts(test, tenant: fixtures.resellerA.id)
                #expect(after == (before.outbox, before.activity + 1))
                let refused = try await api.post("/api/v1/customers/\(daily)/change-billing-profile", token: catalog.ownerA,
                                                 json: ["billing_profile_id": profile])
                #expect(refused.status == .unprocessableContent && refused.errorCode == "not_monthly")
                #expect(try await api.post("/api/v1/customers/\(monthly)/change-billing-profile", token: catalog.ownerA,
                                           json: ["billing_profile_id": 999_999]).errorCode == "unknown_reference")
                let bulk = try await api.post("/api/v1/customers/bulk/change-billing-profile", token: catalog.ownerA,
                                              json: ["ids": [monthly, daily], "billing_profile_id": catalog.profile])
                #expect(bulk.json["succeeded"] as? Int == 1 && bulk.json["failed"] as? Int == 1)
            }
        }
    }
}
