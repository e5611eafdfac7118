import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import ProvisioningService
import TenantRouter
import TestSupport
import Testing

/// Test settings: a fast relay poll and short retries, so a test waits milliseconds, not minutes.
func fastProvisioning(_ config: inout AppConfig) {
    config.provisioning.pollMilliseconds = 100
    config.provisioning.retryBaseMilliseconds = 50
    config.provisioning.retryMaxMilliseconds = 200
    config.provisioning.claimIdleMilliseconds = 1000
}

/// Polls `probe` every 50 ms until it returns true or `seconds` pass; returns the time it took.
@discardableResult
func eventually(within seconds: Double = 5, _ what: String, _ probe: () async throws -> Bool) async throws -> Double {
    let start = Date()
    while true {
        if try await probe() { return Date().timeIntervalSince(start) }
        if Date().timeIntervalSince(start) > seconds { throw TestFailure("not within \(seconds) s: \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A package with everything RADIUS carries: pools, burst, and an assignment to reseller A.
func radiusPackage(_ api: APIClient, _ catalog: Catalog, _ fixtures: Fixtures, name: String, down: Int, up: Int) async throws -> Int {
    let created = try await api.post("/api/v1/packages", token: catalog.admin, json: [
        "name": name, "customer_type": "pppoe_monthly", "download_kbps": down, "upload_kbps": up, "price": 80_000,
        "ip_pool": "pool-home", "suspended_pool": "pool-suspended", "burst": ["download_kbps": down * 2, "upload_kbps": up * 2],
    ])
    try #require(created.status == .created, "\(created.json)")
    let id = try #require(created.json["id"] as? Int)
    let assigned = try await api.post("/api/v1/packages/\(id)/assignments", token: catalog.admin, json: ["reseller_id": fixtures.resellerA.id, "price": 60_000])
    try #require(assigned.status == .ok, "\(assigned.json)")
    return id
}

@Suite struct RadiusEndToEndTests {
    /// Every customer change reaches a real FreeRADIUS through outbox → relay → stream → worker.
    @Test func customerChangesReachFreeRADIUS() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            try await TestFreeRADIUS.with(database: test.databaseName) { radius in
                try await test.withProvisioning {
                    try await test.http { api in
                        let catalog = try await Catalog.make(api, fixtures)
                        let home = try await radiusPackage(api, catalog, fixtures, name: "Home 10M", down: 10240, up: 5120)
                        let faster = try await radiusPackage(api, catalog, fixtures, name: "Home 20M", down: 20480, up: 10240)
                        var body = catalog.body("pppoe_monthly", "radius-m1")
                        body["package_id"] = home
                        let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: body)
                        let id = try #require(created.json["id"] as? Int, "\(created.json)")
                        let password = "secret-radius-m1"

                        // A new active customer: Accept with the package's rate limit and pool.
                        try await eventually("new customer accepted") { try await radius.authenticate("radius-m1", password).accepted }
                        let accept = try await radius.authenticate("radius-m1", password)
                        #expect(accept["Mikrotik-Rate-Limit"] == "5120k/10240k 10240k/20480k 3840k/7680k 16/16", "\(accept)")
                        #expect(accept["Framed-Pool"] == "pool-home", "\(accept)")
                        #expect(accept["Acct-Interim-Interval"] == "300", "\(accept)")
                        #expect(try await radius.authenticate("radius-m1", "wrong-password").rejected)
                        #expect(try await radius.authenticate("nobody-here", password).rejected)
                        let record = try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).json
                        #expect((record["provisioning"] as? [String: Any])?["state"] as? String == "in_sync", "\(record)")

                        // Suspended (monthly): still accepted, into the suspended pool and walled garden.
                        #expect(try await api.post("/api/v1/customers/\(id)/suspend", token: catalog.ownerA, json: ["reason": "unpaid"]).status == .ok)
                        try await eventually("suspended into the walled garden") {
                            try await radius.authenticate("radius-m1", password)["Framed-Pool"] == "pool-suspended"
                        }
                        let suspended = try await radius.authenticate("radius-m1", password)
                        #expect(suspended.accepted && suspended["Mikrotik-Address-List"] == "uplink-suspended" && suspended["Mikrotik-Rate-Limit"] == "256k/256k",
                                "\(suspended)")
                        #expect(try await api.post("/api/v1/customers/\(id)/activate", token: catalog.ownerA, json: [:]).status == .ok)
                        try await eventually("reactivated") { try await radius.authenticate("radius-m1", password)["Framed-Pool"] == "pool-home" }

                        // Package change: the new rate limit.
                        let changed = try await api.post("/api/v1/customers/\(id)/change-package", token: catalog.ownerA, json: ["package_id": faster])
                        #expect(changed.status == .ok, "\(changed.json)")
                        try await eventually("new rate limit") {
                            try await radius.authenticate("radius-m1", password)["Mikrotik-Rate-Limit"]?.hasPrefix("10240k/20480k ") == true
                        }

                        // A bound MAC: accepted only from that MAC, in any of the forms a NAS writes.
                        let device = try await api.post("/api/v1/customers/\(id)/devices", token: catalog.ownerA, json: ["mac": "aa:bb:cc:00:11:22"])
                        #expect(device.status == .created, "\(device.json)")
                        try await eventually("MAC binding enforced") {
                            try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "AA:BB:CC:00:11:99"]).rejected
                        }
                        #expect(try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "AA:BB:CC:00:11:22"]).accepted)
                        #expect(try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "aa-bb-cc-00-11-22"]).accepted)
                        #expect(try await radius.authenticate("radius-m1", password).rejected, "no Calling-Station-Id, no login")

                        // One session at a time: an open session (accounting Start) rejects a second login until it stops.
                        let session: [String: String] = [
                            "Acct-Status-Type": "Start", "User-Name": "radius-m1", "Acct-Session-Id": "81a00001", "NAS-IP-Address": "127.0.0.1",
                            "Framed-IP-Address": "10.10.0.7", "Calling-Station-Id": "AA:BB:CC:00:11:22", "NAS-Port": "15",
                        ]
                        _ = try await radius.account(session)
                        #expect(try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "AA:BB:CC:00:11:22"]).rejected)
                        _ = try await radius.account(session.merging(["Acct-Status-Type": "Stop", "Acct-Session-Time": "60"]) { $1 })
                        #expect(try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "AA:BB:CC:00:11:22"]).accepted)

                        // Disable, then delete: Reject within 2 s of the API call.
                        #expect(try await api.post("/api/v1/customers/\(id)/disable", token: catalog.ownerA, json: [:]).status == .ok)
                        let disabledAfter = try await eventually(within: 2, "disabled customer rejected") {
                            try await radius.authenticate("radius-m1", password, ["Calling-Station-Id": "AA:BB:CC:00:11:22"]).rejected
                        }
                        #expect(disabledAfter < 2)
                        var daily = catalog.body("pppoe_daily", "radius-d1")
                        daily["password"] = "daily-pass"
                        let dailyID = try #require(try await api.post("/api/v1/customers", token: catalog.ownerA, json: daily).json["id"] as? Int)
                        try await eventually("prepaid customer accepted") { try await radius.authenticate("radius-d1", "daily-pass").accepted }
                        let prepaid = try await radius.authenticate("radius-d1", "daily-pass")
                        let timeout = Int(prepaid["Session-Timeout"] ?? "") ?? 0
                        #expect((29 * 86_400...30 * 86_400 + 60).contains(timeout), "validity end bounds the session: \(prepaid)")
                        #expect(try await api.request(.delete, "/api/v1/customers/\(dailyID)", token: catalog.ownerA).status == .ok)
                        try await eventually(within: 2, "deleted customer rejected") { try await radius.authenticate("radius-d1", "daily-pass").rejected }
                    }
                }
            }
        }
    }
}

@Suite struct ConvergenceTests {
    /// The tenant's rows of one user, as the provisioner wrote them.
    static func radcheck(_ test: TestApp, _ username: String) async throws -> [String] {
        try await test.app.database.withPlatformTransaction { connection in
            var rows: [String] = []
            for try await (attribute, op, value) in try await connection.query(
                "SELECT attribute, op, value FROM radius.radcheck WHERE username = \(username) ORDER BY id", logger: test.app.logger
            ).decode((String, String, String).self) { rows.append("\(attribute) \(op) \(value)") }
            return rows
        }
    }

    /// Converging twice writes nothing the second time; drift (a changed value, a stray row, a duplicate)
    /// is repaired by the next convergence; a job delivered twice leaves one state.
    @Test func idempotentAndRepairsDrift() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            let tenant = fixtures.resellerA.id
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "drift-1"))
                let id = Int64(try #require(created.json["id"] as? Int))
                let provisioning = test.app.provisioning
                #expect(try await provisioning.converge(tenantID: tenant, versions: [id: 1]) == ["drift-1"])
                let wanted = try await Self.radcheck(test, "drift-1")
                #expect(wanted.contains("Cleartext-Password := secret-drift-1") && wanted.contains("Simultaneous-Use := 1"), "\(wanted)")
                #expect(try await provisioning.converge(tenantID: tenant, versions: [id: 2]).isEmpty, "nothing to change the second time")

                try await test.app.database.withPlatformTransaction { connection in
                    try await connection.query("UPDATE radius.radcheck SET value = 'hacked' WHERE username = 'drift-1' AND attribute = 'Cleartext-Password'", logger: test.app.logger)
                    try await connection.query("INSERT INTO radius.radcheck (username, attribute, op, value) VALUES ('drift-1', 'Auth-Type', ':=', 'Accept')", logger: test.app.logger)
                    try await connection.query("INSERT INTO radius.radcheck (username, attribute, op, value) VALUES ('drift-1', 'Simultaneous-Use', ':=', '1')", logger: test.app.logger)
                }
                #expect(try await provisioning.converge(tenantID: tenant, versions: [id: 3], dryRun: true) == ["drift-1"], "dry run finds the drift")
                #expect(try await Self.radcheck(test, "drift-1").contains("Auth-Type := Accept"), "dry run changes nothing")
                #expect(try await provisioning.converge(tenantID: tenant, versions: [id: 3]) == ["drift-1"])
                #expect(try await Self.radcheck(test, "drift-1").sorted() == wanted.sorted())

                // A rename moves the rows; a purge-like disappearance of the customer removes them.
                let renamed = try await api.request(.patch, "/api/v1/customers/\(id)", token: catalog.ownerA, json: ["username": "drift-2"])
                #expect(renamed.status == .ok, "\(renamed.json)")
                try await provisioning.converge(tenantID: tenant, versions: [id: 4])
                #expect(try await Self.radcheck(test, "drift-1").isEmpty)
                #expect(try await Self.radcheck(test, "drift-2").count == wanted.count)

                // The same outbox item relayed twice: two jobs, one state, no error.
                try await test.withProvisioning {
                    _ = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.query(
                            "INSERT INTO platform.outbox (tenant_id, customer_id, reason) VALUES (\(tenant), \(id), 'updated'), (\(tenant), \(id), 'updated')",
                            logger: test.app.logger
                        )
                    }
                    try await eventually("duplicate jobs converge") {
                        let state = try await api.get("/api/v1/customers/\(id)", token: catalog.ownerA).json["provisioning"] as? [String: Any]
                        let outbox = try await rowCounts(test, tenant: tenant).outbox
                        return outbox == 0 && state?["state"] as? String == "in_sync"
                            && state?["applied_version"] as? Int == state?["requested_version"] as? Int
                    }
                }
                #expect(try await Self.radcheck(test, "drift-2").count == wanted.count)
                #expect(try await rowCounts(test, tenant: tenant).outbox == 0, "the relay emptied the outbox")
            }
        }
    }

    /// The reconciler finds a hand-made drift and a username nobody owns, reports them on a dry run without
    /// changing anything, repairs them, and then finds nothing.
    @Test func reconcilerFindsAndRepairsDrift() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            let tenant = fixtures.resellerA.id
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var ids: [Int64] = []
                for index in 1...3 {
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "rec-\(index)"))
                    ids.append(Int64(try #require(created.json["id"] as? Int)))
                }
                let provisioning = test.app.provisioning
                let first = try await provisioning.reconcile(dryRun: false, holder: "test")
                #expect(first.drifted == 3 && first.customers >= 3, "\(first)")
                let wanted = try await Self.radcheck(test, "rec-2")
                _ = try await test.app.database.withPlatformTransaction { connection in
                    try await connection.query("DELETE FROM radius.radcheck WHERE username = 'rec-2' AND attribute = 'Simultaneous-Use'", logger: test.app.logger)
                    try await connection.query("INSERT INTO radius.radcheck (username, attribute, op, value) VALUES ('ghost-user', 'Cleartext-Password', ':=', 'x')", logger: test.app.logger)
                }
                let dry = try await provisioning.reconcile(dryRun: true, holder: "test")
                #expect(dry.drifted == 1 && dry.orphans == 1 && dry.samples.contains("\(tenant):rec-2") && dry.samples.contains("-:ghost-user"), "\(dry)")
                #expect(try await Self.radcheck(test, "rec-2").count == wanted.count - 1, "a dry run changes nothing")
                let repaired = try await provisioning.reconcile(dryRun: false, holder: "test")
                #expect(repaired.drifted == 1 && repaired.orphans == 1, "\(repaired)")
                #expect(try await Self.radcheck(test, "rec-2").sorted() == wanted.sorted())
                #expect(try await Self.radcheck(test, "ghost-user").isEmpty)
                let clean = try await provisioning.reconcile(dryRun: true, holder: "test")
                #expect(clean.drifted == 0 && clean.orphans == 0, "\(clean)")
            }
        }
    }

    /// Reprovision and the failure list are scoped like customers: another tenant's customer is 404, a
    /// sub-reseller cannot queue its sibling's.
    @Test func reprovisionAndFailuresAreScoped() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "scoped-1"))
                let id = try #require(created.json["id"] as? Int)
                let queued = try await api.post("/api/v1/customers/\(id)/reprovision", token: catalog.ownerA)
                #expect(queued.status == .accepted && queued.json["state"] as? String == "pending", "\(queued.json)")
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.post("/api/v1/customers/\(id)/reprovision", token: ownerB).status == .notFound)
                let sub2 = try await api.login("sub-a2", Fixtures.password)
                #expect(try await api.post("/api/v1/customers/\(id)/reprovision", token: sub2).status == .notFound)
                #expect(try await rowCounts(test, tenant: fixtures.resellerA.id).outbox == 2)

                // A failed customer shows in its tenant's list only.
                _ = try await test.app.database.withPlatformTransaction { connection in
                    try await connection.query(
                        """
                        INSERT INTO platform.provisioning_state (tenant_id, customer_id, state, attempts, last_error, requested_version)
                        VALUES (\(fixtures.resellerA.id), \(id), 'failed', 8, 'router unreachable', 9)
                        """,
                        logger: test.app.logger
                    )
                }
                let failed = try await api.get("/api/v1/provisioning/failed", token: catalog.ownerA)
                let items = try #require(failed.json["items"] as? [[String: Any]], "\(failed.json)")
                #expect(items.count == 1 && items.first?["last_error"] as? String == "router unreachable" && items.first?["attempts"] as? Int == 8)
                #expect(try await api.get("/api/v1/provisioning/failed", token: ownerB).json["total"] as? Int == 0)
                #expect(try await api.get("/api/v1/provisioning/failed", token: sub2).json["total"] as? Int == 0)
            }
        }
    }
}

/// The provisioning pipeline under faults: Redis lost, a worker dead mid-job, a database that refuses.
@Suite struct ProvisioningFaultTests {
    /// Status changes made in the database as the services make them: the row and its outbox row together.
    static func setStatus(_ test: TestApp, tenant: Int64, _ ids: [Int64], _ status: String) async throws {
        _ = try await test.app.database.withPlatformTransaction { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "UPDATE \(TenantNaming.schema(tenant)).customers SET status = $1 WHERE id = ANY($2)",
                              binds: { var b = PostgresBindings(); b.append(status); b.append(ids); return b }()),
                logger: test.app.logger
            )
            try await connection.query(
                "INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT \(tenant), unnest(\(ids)::bigint[]), 'status_changed'",
                logger: test.app.logger
            )
        }
    }

    static func state(_ api: APIClient, _ token: String, _ id: Int64) async throws -> [String: Any] {
        try await api.get("/api/v1/customers/\(id)", token: token).json["provisioning"] as? [String: Any] ?? [:]
    }

    /// Redis stops while customers change: the changes wait in the outbox, and all converge once Redis is
    /// back, even though it came back empty (no stream, no consumer group).
    @Test func aRedisOutageLosesNothing() async throws {
        try await TestRedis.with { redis in
            try await TestApp.with(configure: { config in
                fastProvisioning(&config)
                config.redis.port = redis.port
            }) { test in
                let fixtures = try await Fixtures.make(test)
                let tenant = fixtures.resellerA.id
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    var ids: [Int64] = []
                    for index in 1...6 {
                        let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "outage-\(index)"))
                        ids.append(Int64(try #require(created.json["id"] as? Int, "\(created.json)")))
                    }
                    try await test.withProvisioning {
                        try await eventually(within: 10, "all six provisioned") {
                            for index in 1...6 where try await ConvergenceTests.radcheck(test, "outage-\(index)").isEmpty { return false }
                            return true
                        }
                        await redis.stop()
                        try await Self.setStatus(test, tenant: tenant, Array(ids[0..<3]), "disabled")
                        try await Task.sleep(for: .milliseconds(800))
                        #expect(try await rowCounts(test, tenant: tenant).outbox == 3, "the changes wait in the outbox")
                        #expect(try await ConvergenceTests.radcheck(test, "outage-1").isEmpty == false)
                        try await redis.start()
                        try await eventually(within: 10, "the waiting changes converge after Redis returns") {
                            guard try await rowCounts(test, tenant: tenant).outbox == 0 else { return false }
                            for index in 1...3 where try await !ConvergenceTests.radcheck(test, "outage-\(index)").isEmpty { return false }
                            return true
                        }
                    }
                    for index in 4...6 { #expect(try await ConvergenceTests.radcheck(test, "outage-\(index)").isEmpty == false) }
                    // Sessions lived in the Redis that came back empty: sign in again.
                    let owner = try await api.login("owner-a", Fixtures.password)
                    for id in ids { #expect(try await Self.state(api, owner, id)["state"] as? String == "in_sync") }
                }
            }
        }
    }

    /// A worker takes jobs and dies before acknowledging them: another worker claims them after the idle
    /// time and does them.
    @Test func aWorkerKilledMidJobIsReplaced() async throws {
        try await TestApp.with(configure: fastProvisioning) { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                var ids: [Int64] = []
                for index in 1...3 {
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "claimed-\(index)"))
                    ids.append(Int64(try #require(created.json["id"] as? Int)))
                }
                #expect(try await OutboxRelay(service: test.app.provisioning).drain() == 3)
                let stream = test.app.redis.key("{prov}:jobs")
                _ = try? await test.app.redis.send("XGROUP", "CREATE", stream, "workers", "0", "MKSTREAM")
                let taken = try await test.app.redis.send("XREADGROUP", "GROUP", "workers", "dead-worker", "COUNT", "100", "STREAMS", stream, ">")
                #expect(taken.array?.first?.array?.last?.array?.count == 3, "the dead worker holds the three jobs")
                _ = try await test.withProvisioning {
                    try await eventually(within: 10, "the held jobs are claimed, done and acknowledged") {
                        for index in 1...3 where try await ConvergenceTests.radcheck(test, "claimed-\(index)").isEmpty { return false }
                        return try await test.app.redis.send("XPENDING", stream, "workers").array?.first?.integer == 0
                    }
                }
                for id in ids { #expect(try await Self.state(api, catalog.ownerA, id)["state"] as? String == "in_sync") }
            }
        }
    }

    /// Every attempt fails (the database refuses the provisioner's writes): retries with backoff, then
    /// `failed` with a readable reason, in the failure list and the dead-letter stream; once the cause is
    /// gone a reprovision converges it.
    @Test func failingJobsRetryThenFailThenRecoverOnReprovision() async throws {
        try await TestApp.with(configure: { config in
            fastProvisioning(&config)
            config.provisioning.maxAttempts = 3
        }) { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let catalog = try await Catalog.make(api, fixtures)
                let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "refused-1"))
                let id = Int64(try #require(created.json["id"] as? Int))
                try await test.withProvisioning {
                    try await eventually("provisioned") { try await Self.state(api, catalog.ownerA, id)["state"] as? String == "in_sync" }
                    _ = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.query("REVOKE INSERT, DELETE ON radius.radusergroup FROM uplink_provisioner", logger: test.app.logger)
                    }
                    #expect(try await api.post("/api/v1/customers/\(id)/suspend", token: catalog.ownerA, json: ["reason": "unpaid"]).status == .ok)
                    try await eventually(within: 10, "failed after three attempts") {
                        try await Self.state(api, catalog.ownerA, id)["state"] as? String == "failed"
                    }
                    let state = try await Self.state(api, catalog.ownerA, id)
                    #expect(state["attempts"] as? Int == 3, "\(state)")
                    #expect((state["last_error"] as? String)?.contains("permission denied") == true, "\(state)")
                    let failed = try await api.get("/api/v1/provisioning/failed", token: catalog.ownerA)
                    #expect((failed.json["items"] as? [[String: Any]])?.first?["customer_id"] as? Int == Int(id), "\(failed.json)")
                    #expect(try await test.app.redis.send("XLEN", test.app.redis.key("{prov}:dead")).integer == 1)

                    _ = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.query("GRANT INSERT, DELETE ON radius.radusergroup TO uplink_provisioner", logger: test.app.logger)
                    }
                    #expect(try await api.post("/api/v1/customers/\(id)/reprovision", token: catalog.ownerA).status == .accepted)
                    try await eventually("converged after the reprovision") {
                        try await Self.state(api, catalog.ownerA, id)["state"] as? String == "in_sync"
                    }
                    let groups = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar("SELECT string_agg(groupname, ',') FROM radius.radusergroup WHERE username = 'refused-1'",
                                                    as: String.self, logger: test.app.logger)
                    }
                    #expect(groups?.hasSuffix("-suspended") == true, "\(groups ?? "none")")
                    #expect(try await api.get("/api/v1/provisioning/failed", token: catalog.ownerA).json["total"] as? Int == 0)
                }
            }
        }
    }
}

/// Disconnect now: a change that must take effect at once reaches the router's open sessions as an RFC 5176
/// request (a test NAS listens for them), signed with the router's RADIUS secret; on demand too.
@Suite struct DisconnectTests {
    /// A router on 127.0.0.1 whose dynamic-authorization port is the test NAS's.
    static func router(_ api: APIClient, _ catalog: Catalog, _ fixtures: Fixtures, nas: TestNAS, coa: Bool) async throws -> Int {
        let created = try await api.post("/api/v1/routers", token: catalog.admin, json: [
            "name": "Test NAS", "nas_ip": "127.0.0.1", "radius_secret": nas.secret, "api_host": "127.0.0.1", "api_port": 1,
            "api_username": "uplink", "coa_port": nas.port, "disconnect_method": "radius", "coa_enabled": coa,
        ])
        try #require(created.status == .created, "\(created.json)")
        let id = try #require(created.json["id"] as? Int)
        let assigned = try await api.request(.put, "/api/v1/routers/\(id)/assignments", token: catalog.admin,
                                             json: ["tenant_ids": [fixtures.resellerA.id]])
        try #require(assigned.status == .ok, "\(assigned.json)")
        return id
    }

    static func openSession(_ test: TestApp, _ username: String, _ session: String) async throws {
        _ = try await test.app.database.withPlatformTransaction { connection in
            try await connection.query(
                """
                INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime, acctupdatetime, framedipaddress)
                VALUES (\(session), \(session + "-unique"), \(username), '127.0.0.1', now(), now(), '10.10.0.9')
                """,
                logger: test.app.logger
            )
        }
    }

    static func requests(_ nas: TestNAS, _ code: RadiusCode) -> [TestNAS.ReceivedRequest] { nas.received.filter { $0.code == code } }

    @Test func suspendDisconnectsPackageChangeSendsCoAAndOnDemandToo() async throws {
        try await TestNAS.with(secret: "router-secret-1") { nas in
            try await TestApp.with(configure: fastProvisioning) { test in
                let fixtures = try await Fixtures.make(test)
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    _ = try await Self.router(api, catalog, fixtures, nas: nas, coa: true)
                    let faster = try await radiusPackage(api, catalog, fixtures, name: "Home 30M", down: 30720, up: 15360)
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "online-1"))
                    let id = Int64(try #require(created.json["id"] as? Int))
                    try await test.withProvisioning {
                        try await eventually("provisioned") { try await ProvisioningFaultTests.state(api, catalog.ownerA, id)["state"] as? String == "in_sync" }
                        try await Self.openSession(test, "online-1", "8a000001")

                        // A package change, the router takes CoA: the session gets the new rate.
                        #expect(try await api.post("/api/v1/customers/\(id)/change-package", token: catalog.ownerA, json: ["package_id": faster]).status == .ok)
                        try await eventually("CoA sent") { !Self.requests(nas, .coaRequest).isEmpty }
                        let coa = try #require(Self.requests(nas, .coaRequest).first)
                        #expect(coa.verification.authenticatorValid && coa.verification.messageAuthenticator == .valid, "\(coa.verification)")
                        let rate = coa.attributes.compactMap(\.vendorAttributes).flatMap { $0 }.first { $0.vendorID == 14988 && $0.type == 8 }
                        #expect(rate?.stringValue?.hasPrefix("15360k/30720k") == true, "\(coa.attributes)")
                        #expect(coa.attributes.contains { $0.type == .acctSessionID && $0.stringValue == "8a000001" })

                        // Suspended: the session is ended (Disconnect-Request with the session's identity).
                        #expect(try await api.post("/api/v1/customers/\(id)/suspend", token: catalog.ownerA, json: ["reason": "unpaid"]).status == .ok)
                        try await eventually("Disconnect sent") { !Self.requests(nas, .disconnectRequest).isEmpty }
                        let disconnect = try #require(Self.requests(nas, .disconnectRequest).first)
                        #expect(disconnect.verification.authenticatorValid && disconnect.verification.messageAuthenticator == .valid)
                        #expect(disconnect.attributes.contains { $0.type == .userName && $0.stringValue == "online-1" })
                        #expect(disconnect.attributes.contains { $0.type == .acctSessionID && $0.stringValue == "8a000001" })
                        #expect(disconnect.attributes.contains { $0.type == .nasIPAddress && $0.ipv4AddressValue == "127.0.0.1" })
                        try await eventually("settled") {
                            let state = try await ProvisioningFaultTests.state(api, catalog.ownerA, id)
                            return state["state"] as? String == "in_sync"
                        }
                    }
                    // On demand: every open session, answered per session, and every request recorded.
                    let onDemand = try await api.post("/api/v1/customers/\(id)/disconnect", token: catalog.ownerA)
                    #expect(onDemand.status == .ok, "\(onDemand.json)")
                    let sessions = try #require(onDemand.json["sessions"] as? [[String: Any]])
                    #expect(sessions.count == 1 && sessions.first?["result"] as? String == "ack" && sessions.first?["nas_ip"] as? String == "127.0.0.1",
                            "\(sessions)")
                    let ownerB = try await api.login("owner-b", Fixtures.password)
                    #expect(try await api.post("/api/v1/customers/\(id)/disconnect", token: ownerB).status == .notFound)
                    let sub2 = try await api.login("sub-a2", Fixtures.password)
                    #expect(try await api.post("/api/v1/customers/\(id)/disconnect", token: sub2).status == .notFound)
                    #expect(try await api.post("/api/v1/customers/not-a-number/disconnect", token: catalog.ownerA).status == .notFound)
                    let audit = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar(
                            "SELECT string_agg(method || ':' || reason || ':' || result, ',' ORDER BY id) FROM platform.disconnects WHERE customer_id = \(id)",
                            as: String.self, logger: test.app.logger
                        )
                    }
                    #expect(audit == "coa:provisioning:ack,disconnect:provisioning:ack,disconnect:on_demand:ack", "\(audit ?? "none")")
                }
            }
        }
    }

    /// A router that does not answer: the job fails and is retried (the rows are converged, the request is
    /// sent again each time), and settles once the router answers.
    @Test func anUnansweredDisconnectIsRetriedUntilItIsAnswered() async throws {
        try await TestNAS.with(secret: "router-secret-2") { nas in
            try await TestApp.with(configure: fastProvisioning) { test in
                let fixtures = try await Fixtures.make(test)
                try await test.http { api in
                    let catalog = try await Catalog.make(api, fixtures)
                    _ = try await Self.router(api, catalog, fixtures, nas: nas, coa: false)
                    let created = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "online-2"))
                    let id = Int64(try #require(created.json["id"] as? Int))
                    try await test.withProvisioning {
                        try await eventually("provisioned") { try await ProvisioningFaultTests.state(api, catalog.ownerA, id)["state"] as? String == "in_sync" }
                        try await Self.openSession(test, "online-2", "8b000001")
                        var silent = nas.behaviour
                        silent.answer = .silent
                        nas.behaviour = silent
                        #expect(try await api.post("/api/v1/customers/\(id)/disable", token: catalog.ownerA, json: [:]).status == .ok)
                        try await eventually(within: 10, "a failed attempt recorded") {
                            let state = try await ProvisioningFaultTests.state(api, catalog.ownerA, id)
                            return (state["attempts"] as? Int ?? 0) >= 1 && (state["last_error"] as? String)?.contains("sessions") == true
                        }
                        #expect(try await ConvergenceTests.radcheck(test, "online-2").isEmpty, "the rows are gone even while the router is silent")
                        var answering = nas.behaviour
                        answering.answer = .ack
                        nas.behaviour = answering
                        try await eventually(within: 10, "settled after the router answers") {
                            try await ProvisioningFaultTests.state(api, catalog.ownerA, id)["state"] as? String == "in_sync"
                        }
                    }
                    let results = try await test.app.database.withPlatformTransaction { connection in
                        try await connection.scalar(
                            "SELECT string_agg(result, ',' ORDER BY id) FROM platform.disconnects WHERE customer_id = \(id)",
                            as: String.self, logger: test.app.logger
                        )
                    }
                    #expect(results?.hasPrefix("timeout") == true && results?.hasSuffix("ack") == true, "\(results ?? "none")")
                }
            }
        }
    }
}
