import AuthService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import ProvisioningService
import TenantRouter
import TestSupport
import Testing

/// Provisioning settings plus a poller that ticks every 200 ms.
private func fastOnline(_ config: inout AppConfig) {
    fastProvisioning(&config)
    config.provisioning.accountingPollMilliseconds = 200
}

private func onlineItems(_ reply: APIClient.Reply) -> [[String: Any]] { reply.json["items"] as? [[String: Any]] ?? [] }

private func usernames(_ reply: APIClient.Reply) -> [String] { onlineItems(reply).compactMap { $0["username"] as? String }.sorted() }

/// An accounting Start from the test NAS (127.0.0.1).
private func start(_ radius: TestFreeRADIUS, _ username: String, session: String, ip: String, mac: String) async throws {
    let reply = try await radius.account([
        "Acct-Status-Type": "Start", "User-Name": username, "Acct-Session-Id": session, "NAS-IP-Address": "127.0.0.1",
        "Framed-IP-Address": ip, "Calling-Station-Id": mac, "NAS-Port": "1",
    ])
    try #require(reply.type == "Accounting-Response", "\(reply)")
}

/// The monthly package sold by sub-reseller A1 and by reseller B as well; A1's and B's owner's sessions.
private func sellMonthlyToSubAndOtherTenant(_ api: APIClient, _ catalog: Catalog, _ fixtures: Fixtures) async throws
    -> (monthly: Int, sub1: String, ownerB: String)
{
    let monthly = try #require(catalog.packages["pppoe_monthly"])
    #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.ownerA,
                               json: ["operator_id": fixtures.subA1.id, "price": 45_000]).status == .ok)
    #expect(try await api.post("/api/v1/packages/\(monthly)/assignments", token: catalog.admin,
                               json: ["reseller_id": fixtures.resellerB.id, "price": 40_000]).status == .ok)
    return (monthly, try await api.login("sub-a1", Fixtures.password), try await api.login("owner-b", Fixtures.password))
}

/// `<prefix>-s1`, a customer of sub-reseller A1, and `<prefix>-b1`, one of tenant B.
private func customersOfSubAndOtherTenant(_ api: APIClient, _ catalog: Catalog, sub1: String, ownerB: String, prefix: String) async throws {
    for (token, name) in [(sub1, "\(prefix)-s1"), (ownerB, "\(prefix)-b1")] {
        var body = catalog.body("pppoe_monthly", name)
        body.removeValue(forKey: "zone_id")
        #expect(try await api.post("/api/v1/customers", token: token, json: body).status == .created)
    }
}

@Suite struct OnlineCustomersTests {
    /// Start → online within a tick with its IP, MAC and NAS; Interim with gigawords → 64-bit bytes; Stop →
    /// gone; Accounting-On closes the NAS's sessions; each caller sees only its own; the view comes back
    /// after Redis loses it.
    @Test func theOnlineViewFollowsAccountingAndKeepsTenantsApart() async throws {
        try await TestApp.with(configure: fastOnline) { test in
            let fixtures = try await Fixtures.make(test)
            try await TestFreeRADIUS.with(database: test.databaseName) { radius in
                try await test.withProvisioning {
                    try await test.http { api in
                        let catalog = try await Catalog.make(api, fixtures)
                        let (monthly, sub1, ownerB) = try await sellMonthlyToSubAndOtherTenant(api, catalog, fixtures)
                        let sub2 = try await api.login("sub-a2", Fixtures.password)
                        var ownBody = catalog.body("pppoe_monthly", "online-a1", name: "Ayesha Online")
                        ownBody["password"] = "pass-online-a1"
                        let own = try await api.post("/api/v1/customers", token: catalog.ownerA, json: ownBody)
                        let ownID = try #require(own.json["id"] as? Int, "\(own.text)")
                        try await customersOfSubAndOtherTenant(api, catalog, sub1: sub1, ownerB: ownerB, prefix: "online")
                        let offline = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "offline-a2"))
                        let offlineID = try #require(offline.json["id"] as? Int, "\(offline.text)")

                        try await start(radius, "online-a1", session: "5a000001", ip: "10.10.0.21", mac: "AA:BB:CC:00:00:21")
                        try await start(radius, "online-s1", session: "5a000002", ip: "10.10.0.22", mac: "AA:BB:CC:00:00:22")
                        try await start(radius, "online-b1", session: "5a000003", ip: "10.10.0.23", mac: "AA:BB:CC:00:00:23")
                        try await start(radius, "not-a-customer", session: "5a000004", ip: "10.10.0.24", mac: "AA:BB:CC:00:00:24")
                        let appeared = try await eventually(within: 2, "sessions online") {
                            usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)) == ["online-a1", "online-s1"]
                        }
                        #expect(appeared < 1, "within a tick or two: \(appeared) s")
                        // The customer's record and the list rows say who is online.
                        #expect(try await api.get("/api/v1/customers/\(ownID)", token: catalog.ownerA).json["online"] as? Bool == true)
                        let listed = try #require(try await api.get("/api/v1/customers?per_page=200", token: catalog.ownerA).json["items"] as? [[String: Any]])
                        let flags = Dictionary(uniqueKeysWithValues: listed.compactMap { item in (item["username"] as? String).map { ($0, item["online"] as? Bool) } })
                        #expect(flags["online-a1"] == true && flags["online-s1"] == true, "\(flags)")
                        #expect(flags["offline-a2"] == false && flags.count == 3, "\(flags)")
                        #expect(try await api.get("/api/v1/customers/\(offlineID)", token: catalog.ownerA).json["online"] as? Bool == false)
                        let ownerView = try await api.get("/api/v1/online-customers?q=ayesha", token: catalog.ownerA)
                        let row = try #require(onlineItems(ownerView).first, "\(ownerView.text)")
                        #expect(row["customer_id"] as? Int == ownID && row["name"] as? String == "Ayesha Online", "\(row)")
                        #expect(row["ip"] as? String == "10.10.0.21" && row["mac"] as? String == "AA:BB:CC:00:00:21", "\(row)")
                        #expect(row["nas_ip"] as? String == "127.0.0.1" && row["acct_session_id"] as? String == "5a000001", "\(row)")
                        #expect(row["zone_id"] as? Int == catalog.zone && row["package_id"] as? Int == monthly, "\(row)")
                        #expect(ownerView.json["as_of"] is String && ownerView.json["total"] as? Int == 1, "\(ownerView.text)")
                        let counts = try #require(ownerView.json["counts"] as? [String: Any])
                        #expect(counts["total"] as? Int == 2, "counts cover everything the caller sees: \(counts)")
                        #expect((counts["by_nas"] as? [[String: Any]])?.first?["count"] as? Int == 2, "\(counts)")

                        // Each caller sees only its own: a sub-reseller its customers, another tenant its own.
                        #expect(usernames(try await api.get("/api/v1/online-customers", token: sub1)) == ["online-s1"])
                        let sub2View = try await api.get("/api/v1/online-customers", token: sub2)
                        #expect(usernames(sub2View).isEmpty && (sub2View.json["counts"] as? [String: Any])?["total"] as? Int == 0, "\(sub2View.text)")
                        try await eventually(within: 2, "the other tenant's own session") {
                            usernames(try await api.get("/api/v1/online-customers", token: ownerB)) == ["online-b1"]
                        }
                        #expect(usernames(try await api.get("/api/v1/online-customers?operator_id=\(fixtures.subA1.id)", token: catalog.ownerA))
                            == ["online-s1"])

                        // Interim with gigawords: bytes above 4 GiB.
                        let interim = try await radius.account([
                            "Acct-Status-Type": "Interim-Update", "User-Name": "online-a1", "Acct-Session-Id": "5a000001",
                            "NAS-IP-Address": "127.0.0.1", "NAS-Port": "1", "Framed-IP-Address": "10.10.0.21", "Acct-Session-Time": "600",
                            "Acct-Input-Octets": "7", "Acct-Input-Gigawords": "1", "Acct-Output-Octets": "9", "Acct-Output-Gigawords": "2",
                        ])
                        #expect(interim.type == "Accounting-Response", "\(interim)")
                        try await eventually(within: 2, "64-bit counters") {
                            let row = onlineItems(try await api.get("/api/v1/online-customers?q=online-a1", token: catalog.ownerA)).first
                            return row?["upload_bytes"] as? Int == 4_294_967_303 && row?["download_bytes"] as? Int == 8_589_934_601
                        }
                        #expect(usernames(try await api.get("/api/v1/online-customers?sort=-download&per_page=1", token: catalog.ownerA)) == ["online-a1"])
                        #expect(usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)) == ["online-a1", "online-s1"],
                                "the update moved the session, it did not add one")

                        // Redis loses the view: rebuilt from radius.radacct within two ticks.
                        let redis = test.app.redis
                        let hash = redis.key("{t\(fixtures.resellerA.id)}:online")
                        _ = try await redis.send("DEL", hash, redis.key("{t\(fixtures.resellerA.id)}:online:v"), redis.key("online:as_of"))
                        let rebuilt = try await eventually(within: 2, "view rebuilt") {
                            let sessions = try await redis.send("HLEN", hash).integer
                            let fresh = try await redis.send("EXISTS", redis.key("online:as_of")).integer
                            return sessions == 2 && fresh == 1
                        }
                        #expect(rebuilt < 1, "\(rebuilt) s")
                        #expect(usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)) == ["online-a1", "online-s1"])

                        // Stop: gone. Accounting-On from the NAS: its other sessions close.
                        _ = try await radius.account([
                            "Acct-Status-Type": "Stop", "User-Name": "online-a1", "Acct-Session-Id": "5a000001", "NAS-IP-Address": "127.0.0.1", "NAS-Port": "1",
                            "Acct-Session-Time": "660", "Acct-Terminate-Cause": "User-Request",
                        ])
                        try await eventually(within: 2, "stopped session gone") {
                            usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)) == ["online-s1"]
                        }
                        try await eventually(within: 2, "the record follows") {
                            try await api.get("/api/v1/customers/\(ownID)", token: catalog.ownerA).json["online"] as? Bool == false
                        }
                        _ = try await radius.account(["Acct-Status-Type": "Accounting-On", "NAS-IP-Address": "127.0.0.1", "Acct-Session-Id": "00000000"])
                        try await eventually(within: 2, "the NAS's sessions closed") {
                            let mine = usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA))
                            let theirs = usernames(try await api.get("/api/v1/online-customers", token: ownerB))
                            return mine.isEmpty && theirs.isEmpty
                        }

                        // Bad queries and missing rights.
                        for bad in ["sort=fastest", "operator_id=x", "zone_id=0", "page=0", "per_page=100000"] {
                            #expect(try await api.get("/api/v1/online-customers?\(bad)", token: catalog.ownerA).status == .badRequest, "\(bad)")
                        }
                        #expect(try await api.get("/api/v1/online-customers").status == .unauthorized)
                        let token = try await api.post("/api/v1/tokens", token: catalog.ownerA, json: ["name": "billing only", "scopes": ["billing:read"]])
                        let secret = try #require(token.json["token"] as? String, "\(token.text)")
                        #expect(try await api.get("/api/v1/online-customers", token: secret).status == .forbidden)
                    }
                }
            }
        }
    }

    /// A session the NAS stopped reporting is closed as `Stale-Session` (never deleted) after twice the
    /// interim interval plus the grace, leaves the view, and no longer blocks a login under
    /// `Simultaneous-Use := 1`.
    @Test func aStaleSessionIsClosedAndTheUserCanLogInAgain() async throws {
        try await TestApp.with(configure: { config in
            fastOnline(&config)
            config.provisioning.interimIntervalSeconds = 1
            config.provisioning.staleGraceSeconds = 1
        }) { test in
            let fixtures = try await Fixtures.make(test)
            try await TestFreeRADIUS.with(database: test.databaseName) { radius in
                try await test.withProvisioning {
                    try await test.http { api in
                        let catalog = try await Catalog.make(api, fixtures)
                        #expect(try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "stale-1")).status == .created)
                        try await eventually("provisioned") { try await radius.authenticate("stale-1", "secret-stale-1").accepted }
                        try await start(radius, "stale-1", session: "6a000001", ip: "10.10.0.31", mac: "AA:BB:CC:00:00:31")
                        #expect(try await radius.authenticate("stale-1", "secret-stale-1").rejected, "one session at a time")
                        try await eventually(within: 2, "online") {
                            usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)) == ["stale-1"]
                        }
                        try await eventually(within: 8, "closed as stale and gone from the view") {
                            usernames(try await api.get("/api/v1/online-customers", token: catalog.ownerA)).isEmpty
                        }
                        let closed = try await test.app.database.withPlatformTransaction { connection in
                            try await connection.query(
                                "SELECT acctterminatecause, acctstoptime IS NOT NULL FROM radius.radacct WHERE acctsessionid = '6a000001'",
                                logger: test.app.logger
                            ).collect().map { try $0.decode((String?, Bool).self) }
                        }
                        #expect(closed.count == 1 && closed.first?.0 == "Stale-Session" && closed.first?.1 == true, "kept, closed: \(closed)")
                        #expect(try await radius.authenticate("stale-1", "secret-stale-1").accepted, "the stale session no longer counts")
                    }
                }
            }
        }
    }

    /// A customer's sessions with totals (JSON and CSV) and the authentication log, each scoped like
    /// customers: a sub-reseller sees its own, another tenant nothing.
    @Test func sessionHistoryAndTheAuthenticationLogAreScoped() async throws {
        try await TestApp.with(configure: fastOnline) { test in
            let fixtures = try await Fixtures.make(test)
            try await TestFreeRADIUS.with(database: test.databaseName) { radius in
                try await test.withProvisioning {
                    try await test.http { api in
                        let catalog = try await Catalog.make(api, fixtures)
                        let (_, sub1, ownerB) = try await sellMonthlyToSubAndOtherTenant(api, catalog, fixtures)
                        let own = try await api.post("/api/v1/customers", token: catalog.ownerA, json: catalog.body("pppoe_monthly", "hist-a1"))
                        let ownID = try #require(own.json["id"] as? Int, "\(own.text)")
                        try await customersOfSubAndOtherTenant(api, catalog, sub1: sub1, ownerB: ownerB, prefix: "hist")
                        for name in ["hist-a1", "hist-s1", "hist-b1"] {
                            try await eventually("\(name) provisioned") { try await radius.authenticate(name, "secret-\(name)").accepted }
                        }
                        #expect(try await radius.authenticate("hist-a1", "wrong-password").rejected)

                        // One finished session.
                        try await start(radius, "hist-a1", session: "7a000001", ip: "10.10.0.41", mac: "AA:BB:CC:00:00:41")
                        _ = try await radius.account([
                            "Acct-Status-Type": "Stop", "User-Name": "hist-a1", "Acct-Session-Id": "7a000001", "NAS-IP-Address": "127.0.0.1",
                            "NAS-Port": "1", "Acct-Session-Time": "3600", "Acct-Input-Octets": "1000", "Acct-Output-Octets": "5",
                            "Acct-Output-Gigawords": "1", "Acct-Terminate-Cause": "User-Request",
                        ])
                        let history = try await api.get("/api/v1/customers/\(ownID)/sessions", token: catalog.ownerA)
                        #expect(history.status == .ok, "\(history.text)")
                        let session = try #require((history.json["items"] as? [[String: Any]])?.first, "\(history.text)")
                        #expect(session["acct_session_id"] as? String == "7a000001" && session["ip"] as? String == "10.10.0.41", "\(session)")
                        #expect(session["duration_seconds"] as? Int == 3600 && session["terminate_cause"] as? String == "User-Request", "\(session)")
                        #expect(session["upload_bytes"] as? Int == 1000 && session["download_bytes"] as? Int == 4_294_967_301, "\(session)")
                        #expect(session["stopped_at"] is String, "\(session)")
                        let totals = try #require(history.json["totals"] as? [String: Any])
                        #expect(totals["sessions"] as? Int == 1 && totals["seconds"] as? Int == 3600 && history.json["truncated"] as? Bool == false, "\(totals)")
                        let csv = try await api.get("/api/v1/customers/\(ownID)/sessions?format=csv", token: catalog.ownerA)
                        #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true, "\(csv.text)")
                        let lines = csv.text.split(separator: "\r\n")
                        #expect(lines.count == 2 && lines.first?.hasPrefix("acct_session_id,started_at") == true && lines.last?.hasPrefix("7a000001,") == true,
                                "\(csv.text)")
                        let earlier = try await api.get("/api/v1/customers/\(ownID)/sessions?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
                                                         token: catalog.ownerA)
                        #expect((earlier.json["items"] as? [Any])?.isEmpty == true && (earlier.json["totals"] as? [String: Any])?["sessions"] as? Int == 0)
                        #expect(try await api.get("/api/v1/customers/\(ownID)/sessions", token: sub1).status == .notFound)
                        // Customer ids are per tenant: the same id in tenant B is B's own customer, with none of A's sessions.
                        let sameID = try await api.get("/api/v1/customers/\(ownID)/sessions", token: ownerB)
                        #expect(sameID.status == .notFound || (sameID.json["username"] as? String != "hist-a1"
                                && !sameID.text.contains("7a000001")), "\(sameID.text)")
                        for bad in ["from=yesterday", "from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                                    "format=xml"] {
                            #expect(try await api.get("/api/v1/customers/\(ownID)/sessions?\(bad)", token: catalog.ownerA).status == .badRequest, "\(bad)")
                        }

                        // The authentication log: the caller's customers only.
                        func log(_ token: String, _ query: String = "") async throws -> [[String: Any]] {
                            let reply = try await api.get("/api/v1/auth-log\(query)", token: token)
                            try #require(reply.status == .ok, "\(reply.text)")
                            return reply.json["items"] as? [[String: Any]] ?? []
                        }
                        let ownerLog = try await log(catalog.ownerA)
                        #expect(Set(ownerLog.compactMap { $0["username"] as? String }) == ["hist-a1", "hist-s1"], "\(ownerLog)")
                        #expect(ownerLog.contains { $0["result"] as? String == "reject" && $0["customer_id"] as? Int == ownID })
                        #expect(!ownerLog.contains { String(describing: $0).contains("wrong-password") }, "no password is ever logged")
                        #expect(try await log(catalog.ownerA, "?result=reject").count == 1)
                        #expect(Set(try await log(catalog.ownerA, "?username=hist-s1").compactMap { $0["username"] as? String }) == ["hist-s1"])
                        #expect(Set(try await log(sub1).compactMap { $0["username"] as? String }) == ["hist-s1"])
                        #expect(Set(try await log(ownerB).compactMap { $0["username"] as? String }) == ["hist-b1"])
                        let first = try await api.get("/api/v1/auth-log?limit=1", token: catalog.ownerA)
                        let before = try #require(first.json["next_before"] as? Int, "\(first.text)")
                        let rest = try await log(catalog.ownerA, "?before=\(before)&limit=500")
                        #expect(rest.count == ownerLog.count - 1 && rest.allSatisfy { ($0["id"] as? Int ?? .max) < before })
                        for bad in ["result=maybe", "limit=0", "before=x", "from=now"] {
                            #expect(try await api.get("/api/v1/auth-log?\(bad)", token: catalog.ownerA).status == .badRequest, "\(bad)")
                        }
                    }
                }
            }
        }
    }

    /// Closed sessions and authentications past the retention go, in batches; open sessions stay however old.
    @Test func accountingPastItsRetentionIsPrunedInBatches() async throws {
        try await TestApp.with { test in
            try await test.app.database.withPlatformTransaction { connection in
                try await connection.query(
                    """
                    INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime, acctupdatetime, acctstoptime)
                    VALUES ('old-1', 'old-1', 'u1', '127.0.0.1', now() - interval '400 days', now() - interval '400 days', now() - interval '400 days'),
                           ('old-2', 'old-2', 'u1', '127.0.0.1', now() - interval '390 days', now() - interval '390 days', now() - interval '390 days'),
                           ('old-3', 'old-3', 'u2', '127.0.0.1', now() - interval '380 days', now() - interval '380 days', now() - interval '380 days'),
                           ('old-open', 'old-open', 'u3', '127.0.0.1', now() - interval '400 days', now() - interval '1 minute', NULL),
                           ('recent', 'recent', 'u1', '127.0.0.1', now() - interval '10 days', now() - interval '10 days', now() - interval '10 days')
                    """,
                    logger: test.app.logger
                )
                try await connection.query(
                    """
                    INSERT INTO radius.radpostauth (username, reply, authdate)
                    VALUES ('u1', 'Access-Accept', now() - interval '400 days'), ('u1', 'Access-Reject', now() - interval '399 days'),
                           ('u2', 'Access-Accept', now() - interval '366 days'), ('u1', 'Access-Accept', now() - interval '1 day')
                    """,
                    logger: test.app.logger
                )
            }
            let report = try await test.app.provisioning.pruneAccounting(batch: 2)
            #expect(report.sessions == 3 && report.authentications == 3, "\(report)")
            let left = try await test.app.database.withPlatformTransaction { connection in
                let sessions = try await connection.query("SELECT acctsessionid FROM radius.radacct ORDER BY 1", logger: test.app.logger)
                    .collect().map { try $0.decode(String.self) }
                let auths = try await connection.scalar("SELECT count(*)::int FROM radius.radpostauth", as: Int.self, logger: test.app.logger)
                return (sessions, auths)
            }
            #expect(left.0 == ["old-open", "recent"] && left.1 == 1, "\(left)")
            let again = try await test.app.provisioning.pruneAccounting(batch: 2)
            #expect(again.sessions == 0 && again.authentications == 0)
        }
    }
}
