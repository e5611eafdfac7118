import AuthService
import BillingService
import Foundation
import HTTPTypes
import Platform
import PostgresNIO
import TenantRouter
import TestSupport
import Testing

/// A prepaid package (50,000 poisha for 30 days) sold by reseller A at 40,000 and by its sub-reseller A1 at
/// 45,000; wallets funded; the clock on a minute boundary so validity arithmetic is exact.
struct MoneySetup {
    var admin: String
    var ownerA: String
    var sub1: String
    var sub2: String
    var package: Int
    var ownerAID: Int64
    var start: Date

    static func make(_ api: APIClient, _ test: TestApp, _ fixtures: Fixtures, resellerFunds: Int = 1_000_000, subFunds: Int = 100_000) async throws -> MoneySetup {
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60)
        test.clock.set(start)
        let admin = try await api.login("admin", Fixtures.password)
        let ownerA = try await api.login("owner-a", Fixtures.password)
        let sub1 = try await api.login("sub-a1", Fixtures.password)
        let sub2 = try await api.login("sub-a2", Fixtures.password)
        let created = try await api.post("/api/v1/packages", token: admin, json: [
            "name": "Daily 10M", "customer_type": "pppoe_daily", "download_kbps": 10240, "upload_kbps": 10240, "price": 50_000, "validity_days": 30,
        ])
        let package = try #require(created.json["id"] as? Int)
        #expect(try await api.post("/api/v1/packages/\(package)/assignments", token: admin,
                                   json: ["reseller_id": fixtures.resellerA.id, "price": 40_000]).status == .ok)
        for sub in [fixtures.subA1.id, fixtures.subA2.id] {
            #expect(try await api.post("/api/v1/packages/\(package)/assignments", token: ownerA, json: ["operator_id": sub, "price": 45_000]).status == .ok)
        }
        if resellerFunds > 0 {
            let funded = try await api.postMoney("/api/v1/resellers/\(fixtures.resellerA.id)/wallet/topups", token: admin,
                                                 json: ["amount": resellerFunds, "method": "bank", "reference": "TRX-1"])
            try #require(funded.status == .created, "\(funded.text)")
        }
        if subFunds > 0 {
            let funded = try await api.postMoney("/api/v1/operators/\(fixtures.subA1.id)/wallet/topups", token: ownerA, json: ["amount": subFunds])
            try #require(funded.status == .created, "\(funded.text)")
        }
        let ownerAID = try #require(try await api.get("/api/v1/wallet", token: ownerA).json["operator_id"] as? Int)
        return MoneySetup(admin: admin, ownerA: ownerA, sub1: sub1, sub2: sub2, package: package, ownerAID: Int64(ownerAID), start: start)
    }

    func customer(_ api: APIClient, token: String, _ username: String) async throws -> Int {
        let created = try await api.post("/api/v1/customers", token: token, json: [
            "type": "pppoe_daily", "username": username, "full_name": "Karim \(username)", "phone": "01712345678",
            "password": "secret-\(username)", "package_id": package,
        ])
        try #require(created.status == .created, "\(created.text)")
        return try #require(created.json["id"] as? Int)
    }
}

func balance(_ api: APIClient, _ path: String, token: String) async throws -> Int {
    let reply = try await api.get(path, token: token)
    guard let balance = reply.json["balance"] as? Int else { throw TestFailure("\(path): \(reply.text)") }
    return balance
}

func expiry(_ api: APIClient, customer: Int, token: String) async throws -> String? {
    try await api.get("/api/v1/customers/\(customer)", token: token).json["expires_at"] as? String
}

func iso(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: date)
}

@Suite struct BillingTests {
    @Test func chargesEveryLevelAtItsPriceAndRefusesWhatAWalletCannotPay() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MoneySetup.make(api, test, fixtures)
                let subWallet = "/api/v1/operators/\(fixtures.subA1.id)/wallet"
                let resellerWallet = "/api/v1/resellers/\(fixtures.resellerA.id)/wallet"
                #expect(try await balance(api, resellerWallet, token: m.admin) == 1_000_000)
                #expect(try await balance(api, subWallet, token: m.sub1) == 100_000)

                // Creating an active prepaid customer buys its first period: 45,000 from A1, 40,000 from A.
                let id = try await m.customer(api, token: m.sub1, "karim01")
                #expect(try await expiry(api, customer: id, token: m.sub1) == iso(m.start.addingTimeInterval(30 * 86_400)))
                #expect(try await balance(api, subWallet, token: m.sub1) == 55_000)
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 960_000)

                // 10 days: 45,000 × 10 / 30 = 15,000 from A1; 40,000 × 10 / 30 = 13,333.33 → 13,333 from A; the customer owes 16,667.
                let recharged = try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1,
                                                        json: ["days": 10, "payment": ["amount": 16_667, "method": "mobile_money", "reference": "BK-77"]])
                #expect(recharged.status == .created, "\(recharged.text)")
                #expect(recharged.json["customer_price"] as? Int == 16_667)
                #expect(recharged.json["expires_at"] as? String == iso(m.start.addingTimeInterval(40 * 86_400)))
                let charged = (recharged.json["charged"] as? [[String: Any]])?.compactMap { $0["amount"] as? Int }
                #expect(charged == [15_000, 13_333])
                #expect(try await balance(api, subWallet, token: m.ownerA) == 40_000)
                #expect(try await balance(api, resellerWallet, token: m.admin) == 946_667)
                // The same mobile-money reference again is recognised.
                let replayedReference = try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1,
                                                                json: ["days": 1, "payment": ["amount": 1_667, "method": "mobile_money", "reference": "bk-77"]])
                #expect(replayedReference.status == .conflict)
                #expect(replayedReference.errorCode == "payment_reference_used")

                // 90 days cost A1 135,000 > 40,000: refused, nothing changes.
                let tooMuch = try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 90])
                #expect(tooMuch.status == .conflict)
                #expect(tooMuch.errorCode == "insufficient_balance")
                #expect(try await balance(api, subWallet, token: m.ownerA) == 40_000)
                #expect(try await balance(api, resellerWallet, token: m.admin) == 946_667)
                #expect(try await expiry(api, customer: id, token: m.sub1) == iso(m.start.addingTimeInterval(40 * 86_400)))
                #expect(try await api.get("/api/v1/customers/\(id)/recharges", token: m.sub1).json["total"] as? Int == 2)

                // A postpaid wallet runs to its credit limit, then stops.
                let terms = try await api.request(.patch, "/api/v1/operators/\(fixtures.subA2.id)/wallet", token: m.ownerA,
                                                  json: ["mode": "postpaid", "credit_limit": 50_000])
                #expect(terms.json["available"] as? Int == 50_000, "\(terms.text)")
                _ = try await m.customer(api, token: m.sub2, "sub2-first")
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub2) == -45_000)
                let second = try await api.post("/api/v1/customers", token: m.sub2, json: [
                    "type": "pppoe_daily", "username": "sub2-second", "full_name": "Second", "phone": "01712345678",
                    "password": "secret-two", "package_id": m.package,
                ])
                #expect(second.status == .conflict)
                #expect(second.errorCode == "credit_limit_reached")
                #expect(try await api.get("/api/v1/customers?q=sub2-second&status=all", token: m.ownerA).json["total"] as? Int == 0)
                // Back to prepaid while owing is refused.
                let owing = try await api.request(.patch, "/api/v1/operators/\(fixtures.subA2.id)/wallet", token: m.ownerA, json: ["mode": "prepaid"])
                #expect(owing.errorCode == "balance_outside_terms")
                // A settlement brings it back.
                let settled = try await api.postMoney("/api/v1/operators/\(fixtures.subA2.id)/wallet/topups", token: m.ownerA,
                                                      json: ["amount": 45_000, "method": "cash"])
                #expect(settled.json["kind"] as? String == "settlement")
                #expect(settled.json["balance_after"] as? Int == 0)

                // Who may fund and see which wallet.
                #expect(try await api.postMoney("/api/v1/operators/\(fixtures.subA1.id)/wallet/topups", token: m.sub1, json: ["amount": 1]).status == .forbidden)
                #expect(try await api.postMoney("/api/v1/resellers/\(fixtures.resellerA.id)/wallet/topups", token: m.ownerA, json: ["amount": 1]).status == .forbidden)
                #expect(try await api.get("/api/v1/operators/\(m.ownerAID)/wallet", token: m.sub1).status == .notFound)
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA2.id)/wallet", token: m.sub1).status == .notFound)
                let ownerB = try await api.login("owner-b", Fixtures.password)
                #expect(try await api.get("/api/v1/operators/\(fixtures.subA1.id)/wallet", token: ownerB).status == .notFound)
                #expect(try await api.postMoney("/api/v1/customers/\(id)/recharge", token: ownerB, json: ["days": 1]).status == .notFound)
                #expect(try await api.get("/api/v1/wallet", token: m.admin).status == .notFound)
                // A sibling sub-reseller cannot recharge A1's customer, and nothing moves.
                #expect(try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub2, json: ["days": 1]).status == .notFound)
                #expect(try await balance(api, subWallet, token: m.ownerA) == 40_000)
                #expect(try await api.post("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 1]).status == .badRequest)
                #expect(try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 0]).status == .badRequest)
                #expect(try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 1, "periods": 1]).status == .badRequest)
                #expect(try await api.postMoney("/api/v1/operators/\(fixtures.subA1.id)/wallet/topups", token: m.ownerA, json: ["amount": -5]).status == .badRequest)

                // The admin's books: what A was credited, what it paid the ISP, and that the two explain its balance.
                let books = try await api.get("/api/v1/reports/resellers", token: m.admin)
                let rows = books.json["resellers"] as? [[String: Any]] ?? []
                #expect(rows.count == 2, "\(books.text)")
                let a = try #require(rows.first { $0["reseller_id"] as? Int == Int(fixtures.resellerA.id) })
                #expect(a["credited"] as? Int == 1_000_000)
                let paidToISP = try #require(a["charged"] as? Int)
                #expect(a["balance"] as? Int == 1_000_000 - paidToISP)
                #expect(try await api.get("/api/v1/reports/resellers", token: m.ownerA).status == .forbidden)
                #expect(try await api.get("/api/v1/reports/resellers?format=csv", token: m.admin).text.hasPrefix("reseller_id,reseller,status,mode,"))

                #expect(try await test.app.billing.verifyLedger().ok)
            }
        }
    }

    @Test func theSameIdempotencyKeyTenTimesAtOncePostsOnceAndAnswersTheFirstResult() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MoneySetup.make(api, test, fixtures)
                let id = try await m.customer(api, token: m.sub1, "replayed")
                let replies = try await withThrowingTaskGroup(of: APIClient.Reply.self) { group in
                    for _ in 0..<10 {
                        group.addTask { try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 3], key: "same-key-1") }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.allSatisfy { $0.status == .created }, "\(replies.map(\.text))")
                #expect(Set(replies.map(\.body)).count == 1)
                #expect(replies.filter { $0.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" }.count == 9)
                // Charged once: 55,000 − 4,500.
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub1) == 50_500)
                #expect(try await api.get("/api/v1/customers/\(id)/recharges", token: m.sub1).json["total"] as? Int == 2)
                // The key with another request is refused.
                let other = try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 4], key: "same-key-1")
                #expect(other.status == .unprocessableContent)
                #expect(other.errorCode == "idempotency_key_reused")
                #expect(try await test.app.billing.verifyLedger().ok)
            }
        }
    }

    @Test func fiftyConcurrentRechargesNeverOverdrawAWallet() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                // After the first period, A1 holds exactly 20 days' worth (1,500 a day).
                let m = try await MoneySetup.make(api, test, fixtures, subFunds: 45_000 + 20 * 1_500)
                let id = try await m.customer(api, token: m.sub1, "contended")
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 1]).status }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 20)
                #expect(statuses.filter { $0 == .conflict }.count == 30)
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub1) == 0)
                #expect(try await expiry(api, customer: id, token: m.sub1) == iso(m.start.addingTimeInterval(50 * 86_400)))
                let verified = try await test.app.billing.verifyLedger()
                #expect(verified.ok, "\(verified)")
            }
        }
    }

    @Test func stoppingAPrepaidCustomerEarlyRefundsExactlyTheUnusedWholeDays() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MoneySetup.make(api, test, fixtures)
                let id = try await m.customer(api, token: m.sub1, "leaver")
                let other = try await m.customer(api, token: m.sub1, "deleted-one")
                // 36 hours later 28.5 days are left: 28 whole days go back.
                test.clock.advance(by: 36 * 3_600)
                let suspended = try await api.post("/api/v1/customers/\(id)/suspend", token: m.sub1)
                #expect(suspended.json["status"] as? String == "suspended")
                #expect(suspended.json["expires_at"] as? String == iso(m.start.addingTimeInterval(2 * 86_400)))
                // A1: 100,000 − 2 × 45,000 + 45,000 × 28 / 30 (42,000). A: 1,000,000 − 2 × 40,000 + 37,333.33 → 37,333.
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub1) == 52_000)
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 957_333)
                let history = try await api.get("/api/v1/customers/\(id)/recharges", token: m.sub1)
                let first = (history.json["items"] as? [[String: Any]])?.first
                #expect(first?["refunded_days"] as? Int == 28)
                // Suspending again refunds nothing more; deleting the other one refunds its 28 days too.
                #expect(try await api.post("/api/v1/customers/\(id)/disable", token: m.sub1).status == .ok)
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub1) == 52_000)
                #expect(try await api.request(.delete, "/api/v1/customers/\(other)", token: m.sub1).status == .ok)
                #expect(try await balance(api, "/api/v1/wallet", token: m.sub1) == 94_000)
                #expect(try await balance(api, "/api/v1/wallet", token: m.ownerA) == 994_666)
                // A recharge after the refund pays again, from max(now, expiry).
                let again = try await api.postMoney("/api/v1/customers/\(id)/recharge", token: m.sub1, json: ["days": 30])
                #expect(again.json["expires_at"] as? String == iso(m.start.addingTimeInterval(32 * 86_400)), "\(again.text)")
                #expect(again.json["status"] as? String == "active")
                let verified = try await test.app.billing.verifyLedger()
                #expect(verified.ok, "\(verified)")
            }
        }
    }

    @Test func theExpiryJobExpiresOnceRespectsLeasesAndCatchesUp() async throws {
        try await TestApp.with { test in
            let fixtures = try await Fixtures.make(test)
            try await test.http { api in
                let m = try await MoneySetup.make(api, test, fixtures)
                let first = try await m.customer(api, token: m.sub1, "expiring1")
                let second = try await m.customer(api, token: m.ownerA, "expiring2")
                let later = try await m.customer(api, token: m.ownerA, "expiring3")
                _ = try await api.postMoney("/api/v1/customers/\(later)/recharge", token: m.ownerA, json: ["days": 5])
                let billing = test.app.billing
                // Nothing is due yet.
                #expect(try await billing.run(.expireDaily, asOf: m.start.addingTimeInterval(29 * 86_400), holder: "node-1").created == 0)
                // Another node holds reseller A's lease: it is left alone.
                try await test.app.database.withPlatformConnection { connection in
                    try await connection.query(
                        """
                        INSERT INTO platform.job_leases (job, tenant_id, holder, expires_at)
                        VALUES ('expire-daily', \(fixtures.resellerA.id), 'node-2', now() + interval '1 minute')
                        """,
                        logger: test.app.logger
                    )
                }
                let blocked = try await billing.run(.expireDaily, asOf: m.start.addingTimeInterval(40 * 86_400), holder: "node-1")
                #expect(blocked.created == 0)
                #expect(blocked.tenantsLeased == 1)
                // Its lease runs out (a crashed node): the job catches up on everything due since.
                try await test.app.database.withPlatformConnection { connection in
                    try await connection.query("UPDATE platform.job_leases SET expires_at = now() - interval '1 second'", logger: test.app.logger)
                }
                let report = try await billing.run(.expireDaily, asOf: m.start.addingTimeInterval(33 * 86_400), holder: "node-1")
                #expect(report.created == 2)
                for id in [first, second] {
                    let customer = try await api.get("/api/v1/customers/\(id)", token: m.ownerA)
                    #expect(customer.json["status"] as? String == "expired")
                    #expect(customer.json["status_reason"] as? String == "validity_ended")
                }
                #expect(try await api.get("/api/v1/customers/\(later)", token: m.ownerA).json["status"] as? String == "active")
                // Run again: nothing to do.
                #expect(try await billing.run(.expireDaily, asOf: m.start.addingTimeInterval(33 * 86_400), holder: "node-1").created == 0)
                let (outbox, _) = try await rowCounts(test, tenant: fixtures.resellerA.id)
                let expiredRows = try await test.app.database.withPlatformConnection { connection in
                    try await connection.scalar("SELECT count(*)::int FROM platform.outbox WHERE reason = 'expired'", as: Int.self, logger: test.app.logger)
                }
                #expect(expiredRows == 2)
                #expect(outbox > 2)
                // An expired customer cannot simply be activated; a recharge brings it back.
                test.clock.set(m.start.addingTimeInterval(33 * 86_400))
                #expect(try await api.post("/api/v1/customers/\(first)/activate", token: m.sub1).errorCode == "validity_expired")
                #expect(try await api.postMoney("/api/v1/customers/\(first)/recharge", token: m.sub1, json: ["days": 1]).json["status"] as? String == "active")
            }
        }
    }

    @Test func sqlProratingMatchesTheSwiftRuleAndWrittenExamples() async throws {
        try await TestApp.with { test in
            // Written examples: 50,000 × 10 / 30 = 16,666.67 → 16,667; 40,000 × 10 / 30 = 13,333.33 → 13,333; 45,000 × 1 / 30 = 1,500;
            // 100 × 1 / 8 = 12.5 → 13 (half up); 99 × 1 / 2 = 49.5 → 50.
            let examples: [(Int64, Int64, Int64, Int64)] = [
                (50_000, 10, 30, 16_667), (40_000, 10, 30, 13_333), (45_000, 1, 30, 1_500), (100, 1, 8, 13), (99, 1, 2, 50), (0, 5, 7, 0),
            ]
            var generator = SystemRandomNumberGenerator()
            var cases = examples.map { ($0.0, $0.1, $0.2) }
            for _ in 0..<300 {
                cases.append((Int64.random(in: 0...1_000_000_000, using: &generator), Int64.random(in: 1...3_660, using: &generator),
                              Int64.random(in: 1...3_660, using: &generator)))
            }
            let amounts = cases.map(\.0), numerators = cases.map(\.1), denominators = cases.map(\.2)
            let fromSQL = try await test.app.database.withPlatformConnection { connection in
                var values: [Int64] = []
                let rows = try await connection.query(
                    """
                    SELECT platform.prorate(a, n, d) FROM unnest(\(amounts)::bigint[], \(numerators)::bigint[], \(denominators)::bigint[])
                        WITH ORDINALITY AS x (a, n, d, i) ORDER BY i
                    """,
                    logger: test.app.logger
                )
                for try await value in rows.decode(Int64.self) { values.append(value) }
                return values
            }
            let fromSwift = try cases.map { try Money(minorUnits: $0.0).prorated($0.1, over: $0.2).minorUnits }
            #expect(fromSQL == fromSwift)
            #expect(Array(fromSQL.prefix(examples.count)) == examples.map(\.3))
        }
    }
}
