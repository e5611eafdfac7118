import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import ProvisioningService
import TenantRouter
import TestSupport
import Testing

/// The API credentials the test routers (simulators) accept.
private let apiUser = "uplink-api"
private let apiPassword = "Api-Pass-4417"

/// A create body for a router whose API is `simulator`.
private func routerBody(_ simulator: RouterOSSimulator, name: String, nasIP: String, secret: String) -> [String: Any] {
    ["name": name, "nas_ip": nasIP, "radius_secret": secret, "api_host": "127.0.0.1", "api_port": simulator.port,
     "api_username": apiUser, "api_password": apiPassword, "location": "Mirpur POP"]
}

/// FreeRADIUS' client row for `nasname`: (shortname, secret, description), read as the application role.
private func nasRow(_ test: TestApp, _ nasname: String) async throws -> (String, String, String?)? {
    try await test.app.database.withPlatformTransaction { connection in
        let rows = try await connection.query(
            "SELECT shortname, secret, description FROM radius.nas WHERE nasname = \(nasname)", logger: test.app.logger
        )
        for try await row in rows.decode((String, String, String?).self) { return row }
        return nil
    }
}

private func lastTest(_ reply: APIClient.Reply) -> [String: Any] {
    reply.json["last_test"] as? [String: Any] ?? [:]
}

@Suite struct RouterTests {
    @Test func aRouterIsTestedAndKnownToFreeRADIUSWithoutItsSecretsEverShowing() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let admin = try await api.login("admin", Fixtures.password)
                    let secret = "Radius-Secret-9931"
                    let created = try await api.post("/api/v1/routers", token: admin,
                                                     json: routerBody(simulator, name: "Mirpur-1", nasIP: "10.90.0.1", secret: secret))
                    #expect(created.status == .created, "\(created.text)")
                    let id = try #require(created.json["id"] as? Int)
                    #expect(lastTest(created)["ok"] as? Bool == true, "\(created.text)")
                    #expect(lastTest(created)["message"] as? String == "RouterOS 7.16, board CHR")
                    #expect(created.json["has_api_password"] as? Bool == true)
                    #expect(created.json["api_tls"] as? Bool == false && created.json["coa_port"] as? Int == 3799)
                    #expect(created.json["disconnect_method"] as? String == "radius" && created.json["interim_seconds"] as? Int == 300)
                    #expect(created.json["assigned_tenant_ids"] as? [Int] == [])
                    #expect(simulator.receivedSentences.contains { $0.head == "/system/resource/print" })

                    // FreeRADIUS reads the clear secret; the router's row holds it sealed.
                    let nas = try #require(try await nasRow(test, "10.90.0.1"))
                    #expect(nas.0 == "Mirpur-1" && nas.1 == secret && nas.2 == "uplink router \(id)")
                    let sealed = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar("SELECT radius_secret_enc FROM platform.routers WHERE id = \(id)", as: Data.self, logger: test.app.logger)
                    }
                    #expect(sealed.map { String(decoding: $0, as: UTF8.self).contains(secret) } == false)

                    // Renamed and a new secret: FreeRADIUS' row follows. The API settings did not change: no new test.
                    let resourceCalls = simulator.receivedSentences.filter { $0.head == "/system/resource/print" }.count
                    let newSecret = "Radius-Secret-0042"
                    let renamed = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["name": "Mirpur-Core", "radius_secret": newSecret])
                    #expect(renamed.status == .ok && renamed.json["name"] as? String == "Mirpur-Core", "\(renamed.text)")
                    #expect(simulator.receivedSentences.filter { $0.head == "/system/resource/print" }.count == resourceCalls)
                    let renamedNAS = try #require(try await nasRow(test, "10.90.0.1"))
                    #expect(renamedNAS.0 == "Mirpur-Core" && renamedNAS.1 == newSecret)

                    // A new NAS address moves the row; disabling removes it, enabling brings it back.
                    let moved = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["nas_ip": "2001:DB8::10"])
                    #expect(moved.json["nas_ip"] as? String == "2001:db8::10", "\(moved.text)")
                    #expect(try await nasRow(test, "10.90.0.1") == nil)
                    #expect(try await nasRow(test, "2001:db8::10")?.1 == newSecret)
                    #expect(try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["status": "disabled"]).json["status"] as? String == "disabled")
                    #expect(try await nasRow(test, "2001:db8::10") == nil)
                    #expect(try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["status": "active"]).status == .ok)
                    #expect(try await nasRow(test, "2001:db8::10")?.1 == newSecret)

                    // Clearing the API password is an API change: tested again, and this router wants one.
                    let cleared = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_password": NSNull(), "location": NSNull()])
                    #expect(cleared.json["has_api_password"] as? Bool == false && cleared.json["location"] is NSNull, "\(cleared.text)")
                    #expect(lastTest(cleared)["ok"] as? Bool == false)
                    #expect((lastTest(cleared)["message"] as? String ?? "").hasPrefix("login failed"), "\(cleared.text)")
                    let restored = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_password": apiPassword])
                    #expect(lastTest(restored)["ok"] as? Bool == true, "\(restored.text)")

                    // Names (any case) and NAS addresses are unique.
                    let sameAddress = try await api.post("/api/v1/routers", token: admin,
                                                         json: routerBody(simulator, name: "Other", nasIP: "2001:db8:0::10", secret: secret))
                    #expect(sameAddress.status == .conflict && sameAddress.errorCode == "nas_ip_taken", "\(sameAddress.text)")
                    let sameName = try await api.post("/api/v1/routers", token: admin,
                                                      json: routerBody(simulator, name: "mirpur-core", nasIP: "10.90.0.2", secret: secret))
                    #expect(sameName.status == .conflict && sameName.errorCode == "router_name_taken", "\(sameName.text)")
                    let renameClash = try await api.post("/api/v1/routers", token: admin,
                                                         json: routerBody(simulator, name: "Banani", nasIP: "10.90.0.3", secret: secret))
                    let other = try #require(renameClash.json["id"] as? Int)
                    #expect(try await api.request(.patch, "/api/v1/routers/\(other)", token: admin, json: ["nas_ip": "2001:db8::10"]).errorCode == "nas_ip_taken")

                    // No answer ever carries a secret or the API password.
                    let tested = try await api.post("/api/v1/routers/\(id)/test", token: admin)
                    #expect(tested.status == .ok && lastTest(tested)["ok"] as? Bool == true, "\(tested.text)")
                    let replies = [created, renamed, moved, cleared, restored, tested, sameAddress,
                                   try await api.get("/api/v1/routers", token: admin), try await api.get("/api/v1/routers/\(id)", token: admin)]
                    for reply in replies {
                        for hidden in [secret, newSecret, apiPassword, "\"radius_secret\"", "\"api_password\""] {
                            #expect(!reply.text.contains(hidden), "\(hidden) in \(reply.text)")
                        }
                    }
                }
            }
        }
    }

    @Test func aFailedConnectionTestIsSavedWithAReadableReason() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword) { simulator in
                try await test.http { api in
                    let admin = try await api.login("admin", Fixtures.password)
                    var body = routerBody(simulator, name: "Wrong password", nasIP: "10.91.0.1", secret: "Secret-0001")
                    body["api_password"] = "not-the-password"
                    let refused = try await api.post("/api/v1/routers", token: admin, json: body)
                    #expect(refused.status == .created, "\(refused.text)")
                    #expect(lastTest(refused)["ok"] as? Bool == false)
                    #expect(lastTest(refused)["message"] as? String == "login failed: invalid user name or password (6)", "\(refused.text)")
                    #expect(try await nasRow(test, "10.91.0.1") != nil)
                    let id = try #require(refused.json["id"] as? Int)
                    let fixed = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_password": apiPassword])
                    #expect(lastTest(fixed)["ok"] as? Bool == true, "\(fixed.text)")

                    // The router stops answering within the deadline; then the API is configured on a closed port.
                    simulator.faults.replyDelay = .seconds(10)
                    let started = ContinuousClock.now
                    let slow = try await api.post("/api/v1/routers/\(id)/test", token: admin)
                    #expect(ContinuousClock.now - started < .seconds(8))
                    #expect(lastTest(slow)["ok"] as? Bool == false)
                    #expect((lastTest(slow)["message"] as? String ?? "").hasPrefix("timeout"), "\(slow.text)")
                    simulator.faults.replyDelay = .zero
                    // Nothing listens on port 1.
                    let down = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_port": 1])
                    #expect(lastTest(down)["ok"] as? Bool == false)
                    #expect((lastTest(down)["message"] as? String ?? "").hasPrefix("unreachable: connection refused"), "\(down.text)")
                }
            }
            // api-ssl with a self-signed certificate: refused while verification is on.
            try await RouterOSSimulator.with(username: apiUser, password: apiPassword, tls: true) { simulator in
                try await test.http { api in
                    let admin = try await api.login("admin", Fixtures.password)
                    var body = routerBody(simulator, name: "TLS", nasIP: "10.91.0.2", secret: "Secret-0002")
                    body["api_tls"] = true
                    let verified = try await api.post("/api/v1/routers", token: admin, json: body)
                    #expect(verified.json["api_tls_verify"] as? Bool == true && lastTest(verified)["ok"] as? Bool == false, "\(verified.text)")
                    #expect((lastTest(verified)["message"] as? String ?? "").hasPrefix("TLS failure"), "\(verified.text)")
                    let id = try #require(verified.json["id"] as? Int)
                    let unverified = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_tls_verify": false])
                    #expect(lastTest(unverified)["ok"] as? Bool == true, "\(unverified.text)")
                }
            }
        }
    }

    @Test func everyFieldIsValidated() async throws {
        try await TestApp.with { test in
            _ = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let base: [String: Any] = ["name": "Valid", "nas_ip": "10.92.0.1", "radius_secret": "Secret-0003", "api_host": "127.0.0.1",
                                           "api_port": 1, "api_username": "admin"]
                let bad: [(String, Any)] = [
                    ("name", ""), ("name", String(repeating: "n", count: 65)), ("nas_ip", "10.0.0.256"), ("nas_ip", "10.92.0.0/24"),
                    ("nas_ip", "router.example.net"), ("nas_ip", "0.0.0.0"), ("nas_ip", 10), ("radius_secret", "short"),
                    ("radius_secret", "has a space in it"), ("radius_secret", String(repeating: "s", count: 129)), ("api_host", "bad host!"),
                    ("api_port", 0), ("api_port", 65536), ("coa_port", 70000), ("disconnect_method", "smoke"), ("interim_seconds", 5),
                    ("status", "paused"), ("api_username", ""), ("location", "\u{0}"), ("api_tls", "yes"),
                ]
                for (field, value) in bad {
                    let reply = try await api.post("/api/v1/routers", token: admin, json: base.merging([field: value]) { $1 })
                    #expect(reply.status == .badRequest, "\(field)=\(value): \(reply.text)")
                    #expect((reply.json["error"] as? [String: Any]).flatMap { $0["details"] as? [String: Any] }?["field"] as? String == field,
                            "\(field)=\(value): \(reply.text)")
                }
                for field in ["name", "nas_ip", "radius_secret", "api_username"] {
                    let reply = try await api.post("/api/v1/routers", token: admin, json: base.filter { $0.key != field })
                    #expect(reply.status == .unprocessableContent && reply.errorCode == "missing_field", "\(field): \(reply.text)")
                }
                // Nothing listens on port 1: saved all the same, with the reason.
                let created = try await api.post("/api/v1/routers", token: admin, json: base)
                #expect(created.status == .created && lastTest(created)["ok"] as? Bool == false, "\(created.text)")
                let id = try #require(created.json["id"] as? Int)
                #expect(created.json["has_api_password"] as? Bool == false && created.json["api_tls_verify"] as? Bool == true)
                let cannotClear = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["name": NSNull()])
                #expect(cannotClear.status == .badRequest && cannotClear.text.contains("\"field\":\"name\""), "\(cannotClear.text)")
                let host = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_host": "Router1.Example.NET"])
                #expect(host.json["api_host"] as? String == "router1.example.net", "\(host.text)")
                let byNAS = try await api.request(.patch, "/api/v1/routers/\(id)", token: admin, json: ["api_host": NSNull()])
                #expect(byNAS.json["api_host"] as? String == "10.92.0.1", "\(byNAS.text)")
                #expect(try await api.request(.patch, "/api/v1/routers/999999", token: admin, json: ["name": "x"]).status == .notFound)
            }
        }
    }

    @Test func resellersSeeOnlyTheRoutersAssignedToThem() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let admin = try await api.login("admin", Fixtures.password)
                let body: [String: Any] = ["api_host": "127.0.0.1", "api_port": 1, "api_username": "admin", "radius_secret": "Secret-0004"]
                let first = try await api.post("/api/v1/routers", token: admin, json: body.merging(["name": "Assigned", "nas_ip": "10.93.0.1"]) { $1 })
                let second = try await api.post("/api/v1/routers", token: admin, json: body.merging(["name": "Unassigned", "nas_ip": "10.93.0.2"]) { $1 })
                let assigned = try #require(first.json["id"] as? Int), unassigned = try #require(second.json["id"] as? Int)

                let unknown = try await api.request(.put, "/api/v1/routers/\(assigned)/assignments", token: admin, json: ["tenant_ids": [fixtures.resellerA.id, 1]])
                #expect(unknown.status == .unprocessableContent && unknown.text.contains("\"field\":\"tenant_ids\""), "\(unknown.text)")
                let put = try await api.request(.put, "/api/v1/routers/\(assigned)/assignments", token: admin,
                                                json: ["tenant_ids": [fixtures.resellerA.id, fixtures.resellerA.id]])
                #expect(put.status == .ok && put.json["assigned_tenant_ids"] as? [Int] == [Int(fixtures.resellerA.id)], "\(put.text)")

                let ownerA = try await api.login("owner-a", Fixtures.password)
                let subA1 = try await api.login("sub-a1", Fixtures.password)
                for token in [ownerA, subA1] {
                    let list = try await api.get("/api/v1/routers", token: token)
                    #expect(list.json["total"] as? Int == 1, "\(list.text)")
                    let seen = try await api.get("/api/v1/routers/\(assigned)", token: token)
                    #expect(seen.status == .ok && seen.json["name"] as? String == "Assigned" && seen.json["assigned_tenant_ids"] == nil, "\(seen.text)")
                    #expect(try await api.get("/api/v1/routers/\(unassigned)", token: token).status == .notFound)
                }
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.get("/api/v1/routers", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/routers/\(assigned)", token: ownerB).status == .notFound)
                #expect(try await api.get("/api/v1/routers", token: admin).json["total"] as? Int == 2)

                // Only the admin changes routers.
                let create = body.merging(["name": "Mine", "nas_ip": "10.93.0.3"]) { $1 }
                #expect(try await api.post("/api/v1/routers", token: ownerA, json: create).status == .forbidden)
                #expect(try await api.request(.patch, "/api/v1/routers/\(assigned)", token: ownerA, json: ["name": "Mine"]).status == .forbidden)
                #expect(try await api.request(.delete, "/api/v1/routers/\(assigned)", token: ownerA).status == .forbidden)
                #expect(try await api.post("/api/v1/routers/\(assigned)/test", token: ownerA).status == .forbidden)
                #expect(try await api.request(.put, "/api/v1/routers/\(assigned)/assignments", token: ownerA, json: ["tenant_ids": []]).status == .forbidden)
                #expect(try await api.request(.delete, "/api/v1/routers/\(assigned)", token: subA1).status == .forbidden)

                let emptied = try await api.request(.put, "/api/v1/routers/\(assigned)/assignments", token: admin, json: ["tenant_ids": []])
                #expect(emptied.json["assigned_tenant_ids"] as? [Int] == [])
                #expect(try await api.get("/api/v1/routers", token: ownerA).json["total"] as? Int == 0)
            }
        }
    }

    @Test func customersAreOnlyPutOnVisibleRoutersAndKeepThemFromDeletion() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let admin = catalog.admin, ownerA = catalog.ownerA
                let body: [String: Any] = ["api_host": "127.0.0.1", "api_port": 1, "api_username": "admin", "radius_secret": "Secret-0005"]
                let assigned = try #require(try await api.post("/api/v1/routers", token: admin,
                                                                 json: body.merging(["name": "A's", "nas_ip": "10.94.0.1"]) { $1 }).json["id"] as? Int)
                let unassigned = try #require(try await api.post("/api/v1/routers", token: admin,
                                                                   json: body.merging(["name": "Not A's", "nas_ip": "10.94.0.2"]) { $1 }).json["id"] as? Int)
                _ = try await api.request(.put, "/api/v1/routers/\(assigned)/assignments", token: admin, json: ["tenant_ids": [fixtures.resellerA.id]])

                var customer = catalog.body("other", "nas-c1")
                customer["nas_id"] = unassigned
                let refused = try await api.post("/api/v1/customers", token: ownerA, json: customer)
                #expect(refused.status == .unprocessableContent && refused.text.contains("\"field\":\"nas_id\""), "\(refused.text)")
                customer["nas_id"] = 987_654
                #expect(try await api.post("/api/v1/customers", token: ownerA, json: customer).status == .unprocessableContent)
                customer["nas_id"] = assigned
                let created = try await api.post("/api/v1/customers", token: ownerA, json: customer)
                #expect(created.status == .created && created.json["nas_id"] as? Int == assigned, "\(created.text)")
                let id = try #require(created.json["id"] as? Int)
                let moved = try await api.request(.patch, "/api/v1/customers/\(id)", token: ownerA, json: ["nas_id": unassigned])
                #expect(moved.status == .unprocessableContent && moved.text.contains("\"field\":\"nas_id\""), "\(moved.text)")
                #expect(try await api.request(.patch, "/api/v1/customers/\(id)", token: ownerA, json: ["full_name": "Still Here"]).status == .ok)

                // The ISP's own tenant may use every router.
                var adminCustomer = catalog.body("other", "nas-admin1")
                adminCustomer["nas_id"] = unassigned
                adminCustomer["zone_id"] = nil
                let byAdmin = try await api.post("/api/v1/customers", token: admin, json: adminCustomer)
                #expect(byAdmin.status == .created, "\(byAdmin.text)")
                let adminCustomerID = try #require(byAdmin.json["id"] as? Int)

                // Customers of any tenant keep their router from deletion; a soft-deleted one does not.
                let inUse = try await api.request(.delete, "/api/v1/routers/\(assigned)", token: admin)
                #expect(inUse.status == .conflict && inUse.errorCode == "router_in_use", "\(inUse.text)")
                #expect(try await api.request(.delete, "/api/v1/routers/\(unassigned)", token: admin).errorCode == "router_in_use")
                #expect(try await api.request(.delete, "/api/v1/customers/\(id)", token: ownerA).status == .ok)
                #expect(try await api.request(.delete, "/api/v1/routers/\(assigned)", token: admin).status == .noContent)
                #expect(try await nasRow(test, "10.94.0.1") == nil)
                #expect(try await api.get("/api/v1/routers/\(assigned)", token: admin).status == .notFound)
                let deletedNAS = try await test.app.database.withPlatformTransaction { connection in
                    try await connection.scalar(
                        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(TenantNaming.schema(fixtures.resellerA.id)).customers WHERE nas_id IS NOT NULL"),
                        as: Int.self, logger: test.app.logger
                    )
                }
                #expect(deletedNAS == 0)

                #expect(try await api.request(.patch, "/api/v1/customers/\(adminCustomerID)", token: admin, json: ["nas_id": NSNull()]).status == .ok)
                #expect(try await nasRow(test, "10.94.0.2") != nil)
                #expect(try await api.request(.delete, "/api/v1/routers/\(unassigned)", token: admin).status == .noContent)
                #expect(try await nasRow(test, "10.94.0.2") == nil)
                #expect(try await api.request(.delete, "/api/v1/routers/\(unassigned)", token: admin).status == .notFound)
            }
        }
    }
}
